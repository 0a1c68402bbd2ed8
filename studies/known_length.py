"""Does the shell probe find a length that is known? (issue 31) Synthetic targets with a hard range R: each
particle's local B concentration, sum_j w_ij [j is B] / sum_j w_ij over j = i and the particles within R
(w = exp(-r / R), :func:`glassnet.descriptors.coarse_grain`), which depends on nothing beyond R. One network
learns all of them at once (one output per R), and the probe's ablation, perturbation and Jacobian lengths of
each output are set beside the exact target's own ablation length (the same shells, the same 10% threshold).

    python -m studies.known_length --train single-T0.64 --probe data/reference/ka4096-T0.64.h5 \\
        --radii 1 2 3 4 --layers 5 --steps 1500 --out-dir ../runs/known_length

The network is glassnet's trunk on the given configuration only (no inherent state: no quench, and nothing
from beyond the graph's reach); LJ units (sigma).
"""
from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from glassnet.analysis import ShellProbe, learned_length, shell_index
from glassnet.descriptors import coarse_grain
from glassnet.formats import read_configurations
from glassnet.graph import build_graph
from glassnet.training import Predictor, fit


def local_b_fraction(positions, types, box, radius: float) -> np.ndarray:
    """(N,) the exp(-r / R)-weighted fraction of B particles among i and its neighbours within R (sigma)."""
    b = (np.asarray(types) == 1).astype(float)[:, None]
    return coarse_grain(b, positions, box, r_c=radius, levels=1)[:, 1]


def with_targets(configs, radii) -> list:
    """The configurations labelled with the local B fraction at each radius, as if the radii were times."""
    return [replace(c, targets=np.stack([local_b_fraction(c.positions, c.types, c.box, r) for r in radii]),
                    times=np.asarray(radii, float), metadata={**c.metadata, "split": "train"}) for c in configs]


def exact_ablation(config, radius: float, marked, shells: np.ndarray, n_shells: int) -> np.ndarray:
    """(M, n_shells) |change| of the exact target at each marked particle when only shells <= n are kept."""
    full = local_b_fraction(config.positions, config.types, config.box, radius)
    out = np.zeros((len(marked), n_shells))
    for m, i in enumerate(marked):
        for n in range(n_shells):
            keep = (shells[m] >= 0) & (shells[m] <= n)
            sub = local_b_fraction(config.positions[keep], config.types[keep], config.box, radius)
            out[m, n] = abs(sub[int(np.sum(keep[:i]))] - full[i])
    return out


def study(train, valid, probe_configs, radii, layers: int, steps: int, out: Path, n_marked: int, seed: int = 0,
          n_shells: int = 8, compile: bool = False, progress=print) -> list[dict]:
    """Train, score and probe; one row per radius: the network's r on ``valid`` and the learned shell and length
    (sigma) of the network (three measures) and of the exact target (ablation)."""
    trainer = fit(with_targets(train, radii), with_targets(valid, radii), out, "equivariant",
                  {"inherent": False, "layers": layers}, plain=True, progress=False, steps=steps, seed=seed,
                  eval_every=max(25, steps // 10), compile=compile)
    progress(f"trained {steps} steps; best validation r per radius {trainer.history[-1]}")
    predictor = Predictor(out / "best.pt")
    labelled = with_targets(valid, radii)
    r_valid = np.mean([[np.corrcoef(p, t)[0, 1] for p, t in zip(predictor.predict(c).T, c.targets)]
                       for c in labelled], axis=0)
    probe = ShellProbe(predictor, n_shells=n_shells, n_marked=n_marked, seed=seed)
    exact = [[] for _ in radii]
    rng = np.random.default_rng(seed)
    for k, c in enumerate(probe_configs):
        a = np.nonzero(np.asarray(c.types) == 0)[0]
        marked = rng.choice(a, size=min(n_marked, len(a)), replace=False)
        probe.compute(c, marked=marked, reset=(k == 0))
        shells = shell_index(build_graph(c.positions, c.types, c.box, predictor.model.config.r_cut), marked)
        for j, r in enumerate(radii):
            exact[j].append(exact_ablation(c, r, marked, shells, n_shells))
    rows = []
    measures = {e: probe.lengths(e) for e in ("ablation", "perturbation", "jacobian")}
    for j, r in enumerate(radii):
        ex = learned_length(np.concatenate(exact[j]), probe.shell_distance)
        rows.append({"radius": r, "r_valid": float(r_valid[j]), "exact": ex,
                     **{e: measures[e][j] for e in measures}})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", required=True, help="configurations to train on (any readable file or a known "
                    "dataset name; their labels are ignored)")
    ap.add_argument("--configs", type=int, default=100, help="training configurations (then 5 for validation)")
    ap.add_argument("--probe", required=True, help="configurations to probe (e.g. N = 4096)")
    ap.add_argument("--radii", type=float, nargs="+", default=[1.0, 2.0, 3.0, 4.0], help="target ranges (sigma)")
    ap.add_argument("--layers", type=int, default=5)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--marked", type=int, default=16, help="marked A particles per probed configuration")
    ap.add_argument("--probe-configs", type=int, default=2, help="configurations of --probe to probe")
    ap.add_argument("--out-dir", default="runs/known_length")
    args = ap.parse_args()
    from glassnet.datastore import resolve

    configs = read_configurations(resolve(args.train))[: args.configs + 5]
    probe = read_configurations(resolve(args.probe))[: args.probe_configs]
    rows = study(configs[:-5], configs[-5:], probe, args.radii, args.layers, args.steps, Path(args.out_dir),
                 args.marked, compile=True)
    print("| R (sigma) | network r (valid) | exact target: shell (sigma) | ablation | perturbation | Jacobian |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        cells = [f"{row[e]['shell']} ({row[e]['length']:.2f} +- {row[e]['length_err']:.2f})"
                 if e != "exact" else f"{row[e]['shell']} ({row[e]['length']:.2f})"
                 for e in ("exact", "ablation", "perturbation", "jacobian")]
        print(f"| {row['radius']:g} | {row['r_valid']:.3f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
