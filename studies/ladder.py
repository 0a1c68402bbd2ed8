"""A network down the temperature ladder (issue 30): glassnet's model with the shipped recipe, trained on a
single-run label file, selected on some of its own runs held out (for a temperature whose 30-replica validation
configurations are not made yet), then scored on 30-replica test files if given.

    python -m studies.ladder single-T0.50 --valid-runs 11 --steps 3000 --out-dir ../runs/ladder-T0.50 \\
        [--test ../data/ka-T0.50.h5]

Held-out runs are independent NVE runs from their own equilibrated states, so selection never sees a trained-on
trajectory. LJ units.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from glassnet.datastore import resolve
from glassnet.training import fit
from studies.common import Scorer, single_run_configurations


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("single", help="single-run label file (path or known dataset name)")
    ap.add_argument("--valid-runs", type=int, nargs="+", default=[11], help="runs held out for selection")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--test", nargs="+", help="30-replica files whose test splits are scored")
    args = ap.parse_args()
    configs = single_run_configurations([resolve(args.single)])
    held = [c for c in configs if c.metadata["run"][1] in args.valid_runs]
    train = [c for c in configs if c.metadata["run"][1] not in args.valid_runs]
    for c in held:
        c.metadata["split"] = "valid"
    print(f"{len(train)} training and {len(held)} held-out configurations (runs {args.valid_runs})", flush=True)
    trainer = fit(train, held, Path(args.out_dir), steps=args.steps, seed=args.seed, compile=True, progress=False,
                  times=train[0].times)
    print(f"best held-out r {trainer.best_r:.3f} (mean over times)", flush=True)
    if args.test:
        scorer = Scorer(args.test)
        res = scorer.score(Path(args.out_dir) / "best.pt")
        print("times " + " ".join(f"{t:g}" for t in scorer.times))
        print("ceiling " + " ".join(f"{c:.3f}" for c in scorer.ceiling))
        print("network " + scorer.cells(res))
        print("SE " + " ".join(f"{x:.3f}" for x in res["r"].std(axis=0, ddof=1) / np.sqrt(len(res["r"]))))


if __name__ == "__main__":
    main()
