"""How much the harmonic short-time propagator adds to a network at the short times (issue 17): the shipped
3-seed ensemble, the harmonic propagator, and their blend (z-scored per configuration, one weight per time
fitted on the valid split), scored on the test split next to the noise ceiling.

    python -m studies.harmonic_blend data/reference/ka-T0.64.h5 data/reference/ka-T0.64-b.h5 \\
        --ensemble ka-T0.64 ka-T0.64-seed1 ka-T0.64-seed2

Prints r (A particles, mean +- SE over test configurations) per time up to t = 2 tau, and the paired gain of
the blend over the network. The Hessian and its dense eigen-decomposition take ~5-10 s per configuration.
"""
import argparse
import time

import numpy as np

from glassnet.baselines import harmonic_propagator
from glassnet.formats import read_labelled
from glassnet.observables import pearson_r
from glassnet.training import Predictor


def _z(x, a):
    return (x - x[a].mean()) / x[a].std()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="+", help="glassnet .h5 files with splits (their valid and test splits are used)")
    ap.add_argument("--ensemble", nargs="+", default=["ka-T0.64", "ka-T0.64-seed1", "ka-T0.64-seed2"])
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    net = Predictor(args.ensemble)
    valid, test = read_labelled(args.data, "valid"), read_labelled(args.data, "test")
    t0 = time.perf_counter()

    def fields(c):
        a = c.types == 0
        h = harmonic_propagator(c)
        p = net.predict(c)
        short = [k for k, t in enumerate(c.times) if np.all(np.isfinite(h[k]))]
        cols = {k: net.output_index.index(k) for k in short if k in net.output_index}
        return a, {k: (_z(p[:, cols[k]], a), _z(h[k], a), c.targets[k]) for k in cols}

    v = [fields(c) for c in valid]
    ks = sorted(v[0][1])
    weights = {}
    for k in ks:                                   # r of the blend (1 - w) net + w harmonic, best w on valid
        grid = np.linspace(0, 1, 101)
        score = [np.mean([pearson_r(((1 - w) * f[k][0] + w * f[k][1])[a], f[k][2][a]) for a, f in v]) for w in grid]
        weights[k] = float(grid[int(np.argmax(score))])
    rows = {k: [] for k in ks}
    for c in test:
        a, f = fields(c)
        for k in ks:
            pn, ph, y = f[k]
            w = weights[k]
            rows[k].append([pearson_r(pn[a], y[a]), pearson_r(ph[a], y[a]), pearson_r(((1 - w) * pn + w * ph)[a], y[a])])
    ceiling = np.mean([c.metadata["noise_ceiling"] for c in test], axis=0)
    print(f"test: {len(test)} configurations; network {' + '.join(args.ensemble)}; {time.perf_counter() - t0:.0f} s")
    print("| t (tau) | ceiling | network | harmonic | blend (w fitted on valid) | blend - network (paired +- SE) |")
    print("|---|---|---|---|---|---|")
    for k in ks:
        r = np.asarray(rows[k])
        m, se = r.mean(axis=0), r.std(axis=0, ddof=1) / np.sqrt(len(r))
        d = r[:, 2] - r[:, 0]
        print(f"| {test[0].times[k]:g} | {ceiling[k]:.3f} | {m[0]:.3f} +- {se[0]:.3f} | {m[1]:.3f} +- {se[1]:.3f} | "
              f"{m[2]:.3f} +- {se[2]:.3f} (w={weights[k]:.2f}) | {d.mean():+.3f} +- {d.std(ddof=1) / np.sqrt(len(d)):.3f} |")


if __name__ == "__main__":
    main()
