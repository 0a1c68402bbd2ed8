"""The learned length of a shipped network at its best accuracy, by the validated measure (the Jacobian, shell
holding 90% of the summed sensitivity), per temperature and time, beside the physical lengths of the same data.

    python -m studies.jacobian_lengths [--network ka-all] [--marked 16] [--temperatures 0.5] [--out FILE.json]

On the N = 4096 test sets (data/reference: T = 1.0, 0.64, 0.56, 0.50; L = 15.0 sigma) and the published T = 0.44
configuration: each configuration is quenched (the network reads the inherent state), ``--marked`` A particles
are marked, and the Jacobian of each output with respect to every particle's position (through the pair vectors;
the node inputs held at their values, as in the validation) is summed per shell of the neighbour graph
(glassnet.analysis.shell_jacobian); the learned shell is the first by which 90% of the total
lies (glassnet.analysis.learned_length, cumulative), with bootstrap errors over marked particles, and the share of
the summed sensitivity beyond shells 1 and 2 (a continuous measure of how far the network looks). Beside it: the
decay length xi of the measured propensity correlation and the four-point length xi_4 of the overlap
(studies.four_point). No perturbation (it re-quenches every pushed configuration, ~4 min per marked particle
at N = 4096, and for a network that reads the inherent state it measures the inputs' range) and no ablation (an
upper bound): docs/results/learned-length.md has both for T = 0.50 and 0.44. Costs a few CPU-minutes per state
point.
"""
import argparse
import json
from pathlib import Path

import numpy as np

from studies.common import BAPST_T044, bapst_tau_alpha
from studies.four_point import LARGE, state_point, xi4_resolved


def jacobian_length(predictor, configs, n_marked: int, seed: int = 0, n_shells: int = 8) -> list[dict]:
    """Per output of ``predictor`` at each configuration's own times: the cumulative Jacobian learned length."""
    from glassnet.analysis import learned_length, shell_distances, shell_index, shell_jacobian
    from glassnet.graph import build_graph

    rng = np.random.default_rng(seed)
    jac, dist = [], []
    for c in configs:
        c = predictor.with_inherent(c)
        times = [float(t) for t in c.times] if predictor.any_time else None
        t = predictor.inputs(c, times=times, clamp_times=True)
        a = np.nonzero(np.asarray(c.types) == 0)[0]
        marked = rng.choice(a, size=min(n_marked, len(a)), replace=False)
        shells = shell_index(build_graph(c.positions, c.types, c.box, predictor.model.config.r_cut), marked)
        jac.append(shell_jacobian(predictor.model, t, marked, shells, n_shells))
        dist.append(shell_distances(c.positions, c.box, marked, shells, n_shells))
    jac, dist = np.concatenate(jac), np.concatenate(dist)
    out = []
    for k in range(jac.shape[2]):
        mean = jac[:, :, k].mean(axis=0)
        share = 1 - np.cumsum(mean) / mean.sum()          # of the summed sensitivity beyond shell n
        out.append({**learned_length(jac[:, :, k], dist, 0.1, cumulative=True),
                    "beyond_shell_1": float(share[1]), "beyond_shell_2": float(share[2])})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--network", default="ka-all", help="a time-conditioned network (predicts at each file's times)")
    ap.add_argument("--marked", type=int, default=16, help="marked A particles per configuration")
    ap.add_argument("--bapst", default=str(BAPST_T044), help="the published T = 0.44 configuration")
    ap.add_argument("--temperatures", type=float, nargs="+", help="only these state points (0.44: the published "
                    "configuration); default all")
    ap.add_argument("--out", default="runs/jacobian_lengths.json")
    args = ap.parse_args()
    from glassnet.analysis import field_length
    from glassnet.formats import Splits, read_configurations
    from glassnet.training import Predictor

    predictor = Predictor(args.network)
    results = {}
    print(f"| T | t (tau) | t / tau_alpha | learned shell ({args.network}, Jacobian 90%) | its distance (sigma) | "
          "sensitivity beyond shell 1 / 2 | xi of the measured propensity (sigma) | xi_4 (sigma) |")
    print("|---|---|---|---|---|---|---|---|")
    sets = [(t, [f]) for t, f in LARGE.items()]
    if Path(args.bapst).exists():
        sets.append((0.44, None))
    if args.temperatures:
        sets = [(t, f) for t, f in sets if any(abs(t - u) < 1e-6 for u in args.temperatures)]
    for temp, files in sets:
        if files is None:
            configs = read_configurations(args.bapst)
            tau = bapst_tau_alpha(args.bapst)
            fields = field_length(configs)
            four = [{"xi4": np.nan, "capped": False} for _ in configs[0].times]
        else:
            configs = Splits.read(files).test
            tau = float(configs[0].metadata["tau_alpha"])
            fields = field_length(configs)
            four = state_point(files)
        lengths = jacobian_length(predictor, configs, args.marked)
        rows = []
        for k, t in enumerate(configs[0].times):
            x, f, q = lengths[k], fields[k], four[k]
            xi4 = "*" if q["capped"] else (f"{q['xi4']:.2f}" if xi4_resolved(q) else "-")     # as four_point
            print(f"| {temp:g} | {t:g} | {t / tau:.3g} | {x['shell']} +- {x['shell_err']:.2f} | "
                  f"{x['length']:.2f} +- {x['length_err']:.2f} | {x['beyond_shell_1']:.1%} / {x['beyond_shell_2']:.1%} | "
                  f"{f['xi']:.2f}{'*' if f['capped'] else ''} | {xi4} |", flush=True)
            rows.append({"time": float(t), "t_over_tau_alpha": float(t / tau), **x, "field_xi": f["xi"],
                         "xi4": q["xi4"]})
        results[f"T={temp:g}"] = rows
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1, default=float))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
