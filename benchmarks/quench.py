"""Inherent-state quench: cost against accuracy (issue 16).

For the five T=0.64 test configurations of data/reference (ka-T0.64.h5, ka-T0.64-b.h5), quenches each one
with every method below and prints, per method: the median time per configuration (one thread), how far
the inherent-state positions land from the reference quench (FIRE to a global force norm of 1e-6, the
files' own), the fraction of particles that end in another minimum (> 0.1 sigma away), and the Pearson r
(A particles, mean over the 5 configurations) of the shipped 3-seed ensemble ka-T0.64 fed with that
quench's inputs, next to r with the reference inherent states. Run:
    .venv/bin/python benchmarks/quench.py [--repeats 1]
"""
import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from glassnet.formats import read_labelled
from glassnet.md import inherent_state
from glassnet.observables import pearson_r
from glassnet.runtime import tune_allocator
from glassnet.training import Predictor

DATA = Path(__file__).resolve().parents[1] / "data" / "reference"
#: (label, ftol, style, pre_ftol)
METHODS = [
    ("FIRE 1e-6 (reference)", 1e-6, "fire", None),
    ("CG 1e-6", 1e-6, "cg", None),
    ("FIRE 1e-2 then CG 1e-6", 1e-6, "cg", 1e-2),
    ("FIRE 1e-1 then CG 1e-6", 1e-6, "cg", 1e-1),
    ("FIRE 1e-4", 1e-4, "fire", None),
    ("FIRE 1e-2", 1e-2, "fire", None),
    ("FIRE 1e-1", 1e-1, "fire", None),
]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=1, help="timing repeats per configuration (median)")
    args = p.parse_args()
    import torch

    torch.set_num_threads(1)
    tune_allocator()
    test = read_labelled([DATA / "ka-T0.64.h5", DATA / "ka-T0.64-b.h5"], "test")
    predictor = Predictor(["ka-T0.64", "ka-T0.64-seed1", "ka-T0.64-seed2"])
    print(f"{len(test)} test configurations, N={test[0].n}, T=0.64; machine: 2 Zen 4 cores (one used)")
    print(f"{'method':<26} {'s/config':>8} {'max |dIS|':>9} {'mean |dIS|':>10} {'other min':>9}  "
          + " ".join(f"r(t={t:g})" for t in test[0].times))
    for label, ftol, style, pre in METHODS:
        seconds, dmax, dmean, moved, rs = [], [], [], [], []
        for c in test:
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                s = inherent_state(c.positions, c.types, c.box, ftol, style=style, pre_ftol=pre)
                times.append(time.perf_counter() - t0)
            seconds.append(statistics.median(times))
            d = np.linalg.norm(s.positions - c.inherent.positions, axis=1)
            dmax.append(d.max())
            dmean.append(d.mean())
            moved.append(np.mean(d > 0.1))
            pred = predictor.predict(replace(c, inherent=s))
            a = c.types == 0
            rs.append([pearson_r(pred[a, k], c.targets[k][a]) for k in range(pred.shape[1])])
        r = np.mean(rs, axis=0)
        print(f"{label:<26} {statistics.median(seconds):8.2f} {max(dmax):9.2e} {np.mean(dmean):10.2e} "
              f"{np.mean(moved):9.4f}  " + " ".join(f"{x:9.3f}" for x in r))


if __name__ == "__main__":
    main()
