"""Does the shell probe find a length that is known? (issue 31) Synthetic targets with a hard range R: each
particle's local B concentration, sum_j w_ij [j is B] / sum_j w_ij over j = i and the particles within R
(w = exp(-r / R), :func:`glassnet.descriptors.coarse_grain`), which depends on nothing beyond R. One network
learns all of them at once (one output per R), and the probe's ablation, perturbation and Jacobian lengths of
each output are set beside the same three measures of the exact target (the same shells and criteria: the
ablation and perturbation of the function itself, its Jacobian analytically).

    python -m studies.known_length --train single-T0.64 --configs 60 --probe data/reference/ka4096-T0.64.h5 \\
        --radii 1 2 3 4 5 6 --layers 5 --steps 1000 --out-dir ../runs/known_length

Writes ``known_length.json`` into the run folder, ``docs/known_length.png`` (``--figure``) and prints the table.

The network is glassnet's trunk on the given configuration only (no inherent state: no quench, and nothing
from beyond the graph's reach); LJ units (sigma).
"""
from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from glassnet.analysis import ShellProbe, learned_length, radial_frame, shell_index
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


def exact_perturbation(config, radius: float, marked, shells: np.ndarray, n_shells: int,
                       push: float = 0.1) -> np.ndarray:
    """(M, n_shells) |change| of the exact target at each marked particle when the particles of shells > n are
    pushed radially outwards by ``push`` (sigma), with the probe's rule: particles within ``push`` of the half box
    stay put."""
    pos = np.asarray(config.positions, float)
    box = np.asarray(config.box, float)
    full = local_b_fraction(pos, config.types, box, radius)
    out = np.zeros((len(marked), n_shells))
    for m, i in enumerate(marked):
        r, unit = radial_frame(pos, box, i)
        movable = r < box.min() / 2 - push
        for n in range(n_shells):
            moved = pos + push * unit * ((shells[m] > n) & movable)[:, None]
            out[m, n] = abs(local_b_fraction(moved, config.types, box, radius)[i] - full[i])
    return out


def exact_jacobian(config, radius: float, marked, shells: np.ndarray, n_shells: int) -> np.ndarray:
    """(M, n_shells) sum over shell n of |d target_i / d r_j| (per sigma) of the exact target, analytically:
    with f_i = sum_j w_ij b_j / W_i (W_i = 1 + sum_j w_ij, w = exp(-r / R) for r < R), d f_i / d r_j =
    w'(r_ij) (b_j - f_i) / W_i along r_j - r_i for j != i, and d f_i / d r_i = minus their sum (the step at R,
    a set of measure zero, is left out)."""
    pos = np.asarray(config.positions, float)
    box = np.asarray(config.box, float)
    b = (np.asarray(config.types) == 1).astype(float)
    out = np.zeros((len(marked), n_shells))
    for m, i in enumerate(marked):
        r, unit = radial_frame(pos, box, i)
        near = (r < radius) & (r > 0)
        w = np.where(near, np.exp(-r / radius), 0.0)
        f = (b[i] + np.sum(w * b)) / (1.0 + w.sum())
        grad = (-w / radius * (b - f) / (1.0 + w.sum()))[:, None] * unit       # (N, 3), zero beyond R
        grad[i] = -grad.sum(axis=0)
        mag = np.linalg.norm(grad, axis=1)
        for n in range(n_shells):
            out[m, n] = mag[shells[m] == n].sum()
    return out


def study(train, valid, probe_configs, radii, layers: int, steps: int, out: Path, n_marked: int, seed: int = 0,
          n_shells: int = 8, compile: bool = False, progress=print) -> list[dict]:
    """Train, score and probe; one row per radius: the network's r on ``valid`` and the learned shell and length
    (sigma) of the network and of the exact target, each by ablation, perturbation and Jacobian."""
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
    exact_pert = [[] for _ in radii]
    exact_jac = [[] for _ in radii]
    rng = np.random.default_rng(seed)
    for k, c in enumerate(probe_configs):
        a = np.nonzero(np.asarray(c.types) == 0)[0]
        marked = rng.choice(a, size=min(n_marked, len(a)), replace=False)
        probe.compute(c, marked=marked, reset=(k == 0))
        shells = shell_index(build_graph(c.positions, c.types, c.box, predictor.model.config.r_cut), marked)
        for j, r in enumerate(radii):
            exact[j].append(exact_ablation(c, r, marked, shells, n_shells))
            exact_pert[j].append(exact_perturbation(c, r, marked, shells, n_shells, probe.pushes[0]))
            exact_jac[j].append(exact_jacobian(c, r, marked, shells, n_shells))
    rows = []
    measures = {e: probe.lengths(e) for e in ("ablation", "perturbation", "jacobian")}
    for j, r in enumerate(radii):
        ex = learned_length(np.concatenate(exact[j]), probe.shell_distance)
        ex_pert = learned_length(np.concatenate(exact_pert[j]), probe.shell_distance)
        ex_jac = learned_length(np.concatenate(exact_jac[j]), probe.shell_distance, cumulative=True)
        rows.append({"radius": r, "r_valid": float(r_valid[j]), "exact": ex, "exact_perturbation": ex_pert,
                     "exact_jacobian": ex_jac,
                     **{e: measures[e][j] for e in measures}})
    return rows


MEASURES = {"exact": "exact target, ablation", "exact_perturbation": "exact target, perturbation",
            "exact_jacobian": "exact target, Jacobian", "ablation": "network, ablation", "perturbation": "network, perturbation",
            "jacobian": "network, Jacobian (90% of the sum)"}


def figure(rows, path) -> None:
    """Learned shell (left) and its distance (right, sigma) against the target's range R, per measure."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.0, 3.8), layout="constrained")
    axes = fig.subplots(1, 2)
    radii = np.array([row["radius"] for row in rows])
    styles = {"exact": ("k", "s", -0.15), "exact_perturbation": ("0.5", "D", -0.09),
              "exact_jacobian": ("C3", "x", -0.03), "ablation": ("C0", "o", 0.0),
              "perturbation": ("C1", "^", 0.06), "jacobian": ("C3", "v", 0.12)}
    dashed = {"exact", "exact_perturbation", "exact_jacobian"}
    for key, label in MEASURES.items():
        colour, marker, dx = styles[key]
        shell = [row[key]["shell"] for row in rows]
        err = [row[key].get("shell_err", 0.0) for row in rows]
        line = "--" if key in dashed else "-"
        axes[0].errorbar(radii + dx, shell, err, color=colour, marker=marker, ls=line, capsize=2, label=label)
        axes[1].errorbar(radii + dx, [row[key]["length"] for row in rows],
                         [row[key].get("length_err", 0.0) for row in rows], color=colour, marker=marker, ls=line,
                         capsize=2)
    axes[1].plot(radii, radii, ":", color="0.6", label="length = R")
    axes[0].set(xlabel="range R of the target (sigma)", ylabel="learned shell", xticks=radii,
                yticks=range(0, 6))
    axes[1].set(xlabel="range R of the target (sigma)", ylabel="mean distance of that shell (sigma)", xticks=radii)
    axes[1].legend(frameon=False, loc="upper left")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right center", frameon=False)
    fig.savefig(path, dpi=150, bbox_inches="tight")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", required=True, help="configurations to train on (any readable file or a known "
                    "dataset name; their labels are ignored)")
    ap.add_argument("--configs", type=int, default=100, help="training configurations (then 5 for validation)")
    ap.add_argument("--probe", required=True, help="configurations to probe (e.g. N = 4096)")
    ap.add_argument("--radii", type=float, nargs="+", default=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                    help="target ranges (sigma)")
    ap.add_argument("--layers", type=int, default=5)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--marked", type=int, default=16, help="marked A particles per probed configuration")
    ap.add_argument("--probe-configs", type=int, default=2, help="configurations of --probe to probe")
    ap.add_argument("--out-dir", default="runs/known_length")
    ap.add_argument("--figure", default="docs/known_length.png", help="the figure (PNG)")
    args = ap.parse_args()
    from glassnet.datastore import resolve

    configs = read_configurations(resolve(args.train))[: args.configs + 5]
    probe = read_configurations(resolve(args.probe))[: args.probe_configs]
    rows = study(configs[:-5], configs[-5:], probe, args.radii, args.layers, args.steps, Path(args.out_dir),
                 args.marked, compile=True)
    Path(args.out_dir, "known_length.json").write_text(json.dumps(rows, indent=1, default=float))
    figure(rows, args.figure)
    print("| R (sigma) | network r (valid) | " + " | ".join(MEASURES.values()) + " |")
    print("|---|---|" + "---|" * len(MEASURES))
    for row in rows:
        cells = [f"{row[e]['shell']} ({row[e]['length']:.2f} +- {row[e]['length_err']:.2f})" for e in MEASURES]
        print(f"| {row['radius']:g} | {row['r_valid']:.3f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
