"""Cost of glassnet's model on this machine: training step and epoch, inference, inherent-state quench.

    python benchmarks/equivariant.py [--threads 2] [--repeats 7]

Uses the first configuration of data/reference/ka-T0.64.h5 (KA, T=0.64, N=1000) and the default
architecture and recipe of `glassnet train --model equivariant`. Prints medians over repeats.
"""
import argparse
from pathlib import Path

import torch

from glassnet.formats.hdf5 import read_dataset
from glassnet.md import inherent_state
from glassnet.models import EquivariantConfig, EquivariantGN, predict_tensors
from glassnet.runtime import tune_allocator
from gnn import timeit as median_time   # benchmarks/ is on sys.path when run as a script

DATA = Path(__file__).resolve().parents[1] / "data" / "reference" / "ka-T0.64.h5"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tune_allocator()
    ds = read_dataset(DATA)
    c = ds.configurations[0]
    n_train = len(ds.split("train"))
    cfg = EquivariantConfig(n_outputs=len(ds.times))
    torch.manual_seed(0)
    model = EquivariantGN(cfg)
    t = model.tensors(c.positions, c.types, c.box, c.inherent)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    y = torch.zeros(c.n, cfg.n_outputs)

    def step():
        opt.zero_grad()
        ((model(**t) - y) ** 2).mean().backward()
        opt.step()

    n_params = sum(p.numel() for p in model.parameters())
    train_s = median_time(step, args.repeats)
    infer_s = median_time(lambda: predict_tensors(model, t), args.repeats)
    quench_s = median_time(lambda: inherent_state(c.positions, c.types, c.box), max(3, args.repeats // 2))
    build_s = median_time(lambda: model.tensors(c.positions, c.types, c.box, c.inherent), args.repeats)
    print(f"glassnet model {cfg} ({n_params:,} parameters), N={c.n}, {len(t['senders']):,} edges, "
          f"{args.threads} thread(s)")
    print(f"training step (forward + backward + Adam):  {train_s:.3f} s")
    print(f"epoch ({n_train} training configurations of {DATA.name}): {n_train * train_s:.2f} s")
    print(f"inference: {infer_s:.3f} s = {c.n / infer_s:,.0f} particles/s (inputs ready)")
    print(f"inputs (graph, features) from a configuration with its inherent state: {build_s:.3f} s")
    print(f"inherent-state quench (LAMMPS FIRE, ftol 1e-6, 1 thread): {quench_s:.2f} s; "
          f"end to end from positions: {c.n / (quench_s + build_s + infer_s):,.0f} particles/s")


if __name__ == "__main__":
    main()
