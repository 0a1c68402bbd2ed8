"""Networks side by side on the same test configurations: r [r / ceiling] per time, and the paired difference
(+- SE over configurations) to a reference network or ensemble.

    python -m studies.compare --test data/reference/ka-T0.56.h5 data/reference/ka-T0.56-b.h5 \\
        --reference OLD.pt OLD-seed1.pt OLD-seed2.pt \\
        --network "new ensemble=ka-T0.56,ka-T0.56-seed1,ka-T0.56-seed2" --network ka-all=ka-all

A network is NAME=CHECKPOINT[,CHECKPOINT...] (several: their mean); checkpoints are files or shipped names. A
network with outputs at fewer times is scored at those ('-' elsewhere) and paired with the reference there.
"""
from __future__ import annotations

import argparse

import numpy as np

from studies.common import Scorer


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--test", nargs="+", required=True, help="glassnet files whose test splits are scored")
    ap.add_argument("--reference", nargs="+", help="the network (or ensemble) the differences are taken to")
    ap.add_argument("--network", action="append", default=[], metavar="NAME=CKPT[,CKPT]")
    args = ap.parse_args()
    scorer = Scorer(args.test, reference=args.reference)
    print(f"{len(scorer.test)} test configurations; t = " + " ".join(f"{t:g}" for t in scorer.times) + " tau")
    print("noise ceiling | " + " | ".join(f"{c:.3f}" for c in scorer.ceiling))
    if scorer.reference is not None:
        print("reference | " + scorer.cells(scorer.reference))
    for spec in args.network:
        name, _, checkpoints = spec.partition("=")
        res = scorer.score(checkpoints.split(","))
        se = res["r"].std(axis=0, ddof=1) / np.sqrt(len(res["r"]))
        print(f"{name} | {scorer.cells(res)} | SE of r " + " ".join(f"{x:.3f}" for x in se))


if __name__ == "__main__":
    main()
