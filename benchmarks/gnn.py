"""Speed of the Bapst graph network on one N=4096 graph (the published test_large snapshot).

Prints seconds per training step and per inference for the literal implementation (concatenate, then
MLP, index_add_ aggregation) and glassnet's (first core layers split per node and per constant part,
in-place sums), the ratio, achieved GFLOP/s against the literal FLOP count, and checks that both give
the same outputs. Run: .venv/bin/python benchmarks/gnn.py [--repeats 5]
"""
import argparse
import statistics
import time
from pathlib import Path

import torch

from glassnet.graph import build_graph
from glassnet.formats.bapst import load_bapst_pickle
from glassnet.models import BapstGN, ModelConfig, graph_to_tensors
from glassnet.runtime import tune_allocator

REF = Path(__file__).resolve().parents[2] / "shared" / "reference_data" / "bapst2020" / "test_large.pickle"


def literal_flops(n_nodes: int, n_edges: int, cfg: ModelConfig) -> float:
    """FLOPs of one forward pass as the architecture is written (2 per multiply-add)."""
    h = cfg.hidden
    enc = n_nodes * (1 * h + h * h) + n_edges * (3 * h + h * h)
    core = cfg.steps * (n_edges * (6 * h * h + h * h) + n_nodes * (3 * h * h + h * h))
    dec = n_nodes * (h * h + h * h + h)
    return 2.0 * (enc + core + dec)


def timeit(fn, repeats):
    fn()  # warm-up
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    d = load_bapst_pickle(REF)
    g = build_graph(d["positions"], d["types"], d["box"], 2.0)
    t = graph_to_tensors(g, "cpu")
    y = torch.as_tensor(d["targets"][0], dtype=torch.float32).unsqueeze(-1)
    torch.manual_seed(0)
    model = BapstGN(ModelConfig())
    opt = torch.optim.Adam(model.parameters(), 1e-4)

    def step(fwd):
        def run():
            opt.zero_grad()
            loss = ((fwd(**t) - y) ** 2).mean()
            loss.backward()
            opt.step()
        return run

    def infer(fwd):
        def run():
            with torch.no_grad():
                fwd(**t)
        return run

    with torch.no_grad():
        diff = (model(**t) - model.forward_literal(**t)).abs().max().item()
    flops = literal_flops(g.n_nodes, g.n_edges, model.config)
    print(f"N={g.n_nodes}, E={g.n_edges} edges, torch {torch.__version__}, {args.threads} threads, "
          f"median of {args.repeats}")
    print(f"literal FLOPs: forward {flops / 1e9:.1f} GFLOP, training step ~{3 * flops / 1e9:.0f} GFLOP "
          "(3x forward)")
    print(f"max |glassnet - literal| output difference: {diff:.2e}")
    rows = {}
    for label, tuned in (("default malloc", False), ("tuned malloc", True)):
        if tuned:
            tune_allocator()
        for name, fwd in (("literal", model.forward_literal), ("glassnet", model.forward)):
            tr = timeit(step(fwd), args.repeats)
            inf = timeit(infer(fwd), args.repeats)
            rows[(label, name)] = (tr, inf)
            print(f"{label:15s} {name:9s} train step {tr:6.3f} s ({3 * flops / tr / 1e9:5.1f} GFLOP/s)  "
                  f"inference {inf:6.3f} s ({flops / inf / 1e9:5.1f} GFLOP/s, {g.n_nodes / inf:,.0f} particles/s)")
    base = rows[("default malloc", "literal")][0]
    best = rows[("tuned malloc", "glassnet")][0]
    print(f"speed-up of glassnet (tuned) over the literal implementation (default malloc), "
          f"training step: {base / best:.2f}x")


if __name__ == "__main__":
    main()
