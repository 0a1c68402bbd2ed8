"""Cost of glassnet's model on this machine: training step and inference, eager against torch.compile, side by
side, and the inherent-state quench.

    python benchmarks/equivariant.py [--threads 1] [--repeats 9] [--no-compile] [--plain]

Uses configurations of data/reference/ka-T0.64.h5 (KA, T=0.64, N=1000) and the model of `glassnet train --model
equivariant` and the shipped networks (the recipe's options: harmonic estimates to the heads; `--plain`: the bare
architecture). The eager path is the model as it ran in glassnet 0.1 (unchanged);
the compiled path is `TrainConfig(compile=True)` / `Predictor(compile=True)` / `glassnet train --compile`.
Prints medians over repeats, interleaving the two paths so that load from other processes hits both alike,
the largest output difference between them, and the one-off compilation time.
"""
import argparse
import os
import statistics
import time
from pathlib import Path

import torch

from glassnet.formats.hdf5 import read_dataset
from glassnet.md import inherent_state
from glassnet.models import ARCHITECTURES, EquivariantGN, build_config, compiled, predict_tensors
from glassnet.runtime import tune_allocator

DATA = Path(__file__).resolve().parents[1] / "data" / "reference" / "ka-T0.64.h5"


def _seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--no-compile", action="store_true", help="eager only")
    ap.add_argument("--plain", action="store_true", help="the bare architecture, without the recipe's options")
    args = ap.parse_args()
    os.environ.pop("GLASSNET_INPUT_CACHE", None)      # the inputs are timed as computed, not read back
    torch.set_num_threads(args.threads)
    tune_allocator()
    ds = read_dataset(DATA)
    configs = ds.configurations[:3]
    c = configs[0]
    arch = ARCHITECTURES["equivariant"]
    cfg = EquivariantGN.adapt_config(build_config(arch, len(ds.times), {} if args.plain else arch.options),
                                     configs, None)
    torch.manual_seed(0)
    model = EquivariantGN(cfg)
    inputs = [model.tensors(x.positions, x.types, x.box, x.inherent) for x in configs]
    t = inputs[0]
    y = torch.zeros(c.n, cfg.n_outputs)
    paths = {"eager": model}
    compile_s = {}
    if not args.no_compile:
        fast = compiled(model)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        compile_s["train"] = _seconds(lambda: ((fast(**t) - y) ** 2).mean().backward())
        opt.zero_grad()
        compile_s["inference"] = _seconds(lambda: predict_tensors(model, t, forward=fast))
        for other in inputs[1:]:            # other graph sizes: no recompilation (dynamic shapes)
            ((fast(**other) - y[: len(other["types"])]) ** 2).mean().backward()
        opt.zero_grad()
        paths["compiled"] = fast
    opts = {name: torch.optim.Adam(model.parameters(), lr=0.0) for name in paths}   # lr 0: weights fixed

    def step(name):
        opts[name].zero_grad()
        ((paths[name](**t) - y) ** 2).mean().backward()
        opts[name].step()

    train = {name: [] for name in paths}
    infer = {name: [] for name in paths}
    for _ in range(args.repeats):
        for name in paths:
            train[name].append(_seconds(lambda: step(name)))
            infer[name].append(_seconds(lambda: predict_tensors(model, t, forward=paths[name])))
    n_params = sum(p.numel() for p in model.parameters())
    print(f"glassnet model {cfg} ({n_params:,} parameters), N={c.n}, {len(t['senders']):,} edges, "
          f"{args.threads} thread(s); machine: 2 Zen 4 cores")
    print(f"{'path':<10} {'train step (s)':>14} {'particles/s':>12} {'inference (s)':>14} {'particles/s':>12}")
    for name in paths:
        tr, inf = statistics.median(train[name]), statistics.median(infer[name])
        print(f"{name:<10} {tr:14.3f} {c.n / tr:12,.0f} {inf:14.3f} {c.n / inf:12,.0f}")
    if "compiled" in paths:
        e, k = (statistics.median(train[n]) for n in ("eager", "compiled"))
        ie, ik = (statistics.median(infer[n]) for n in ("eager", "compiled"))
        diff = max(abs(predict_tensors(model, x) - predict_tensors(model, x, forward=paths["compiled"])).max()
                   for x in inputs)
        print(f"speed-up of compiled over eager: training step {e / k:.2f}x, inference {ie / ik:.2f}x; "
              f"largest output difference {diff:.1e} (outputs of order 1)")
        print(f"one-off compilation: {compile_s['train']:.0f} s (training), {compile_s['inference']:.0f} s "
              f"(inference); it pays for itself after about {compile_s['train'] / max(e - k, 1e-9):,.0f} steps")
    def build():                            # no cache: every repeat computes the inputs
        return model.tensors(c.positions, c.types, c.box, c.inherent, temperature=c.metadata.get("temperature"))

    build_s = statistics.median(_seconds(build) for _ in range(max(3, args.repeats // 3)))
    quench_s = statistics.median(_seconds(lambda: inherent_state(c.positions, c.types, c.box))
                                 for _ in range(max(3, args.repeats // 3)))
    what = "graph, features" + ("" if not cfg.harmonic_times else f", harmonic estimates ({cfg.harmonic_method})")
    print(f"inputs ({what}) from a configuration with its inherent state: {build_s:.3f} s")
    print(f"inherent-state quench (LAMMPS FIRE, ftol 1e-6, 1 thread): {quench_s:.2f} s; end to end from "
          f"positions (eager): {c.n / (quench_s + build_s + statistics.median(infer['eager'])):,.0f} particles/s")


if __name__ == "__main__":
    main()
