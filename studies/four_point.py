"""The four-point dynamic length beside the propensity field's: chi_4 and xi_4 of the overlap function per
temperature and time, from the per-replica displacements of the 30-replica test configurations.

    python -m studies.four_point [--out runs/four_point.json]

For each state point (data/reference: N = 1000 at T = 1.0, 0.8, 0.64, 0.56, 0.50 and N = 4096 at T = 1.0, 0.64,
0.56) and label time t: the overlap w_i = 1 if the A particle i moved less than 0.3 sigma in a replica
(glassnet.observables.overlap); chi_4 = N_A var(mean w) over the 30 replicas of a configuration (the
iso-configurational susceptibility, mean +- SE over configurations); S_4(q) of the same fields averaged over
replicas and configurations, and xi_4 from its Ornstein-Zernike fit below q = 1.5 / sigma with the self part
taken out (glassnet.observables.four_point_length; * where S_4 falls faster than any such form, or the length
exceeds the box: not measured); beside them the decay length xi of the measured propensity field's spatial
correlation (glassnet.analysis.field_length) and t / tau_alpha. Prints a Markdown table; costs seconds.
"""
import argparse
import json
from pathlib import Path

import numpy as np

from studies.common import ISO, REFERENCE

#: the N = 4096 test sets (data/reference/README.md)
LARGE = {1.0: REFERENCE / "ka4096-T1.00.h5", 0.64: REFERENCE / "ka4096-T0.64.h5", 0.56: REFERENCE / "ka4096-T0.56.h5",
         0.5: REFERENCE / "ka4096-T0.50.h5"}


def xi4_resolved(row: dict) -> bool:
    """Whether a fitted xi_4 is a measurement: finite, and its error at most twice the length."""
    return bool(np.isfinite(row["xi4"]) and row.get("xi4_err", 0.0) <= 2 * row["xi4"])


def state_point(files, q_max: float = 1.5) -> list[dict]:
    """Per label time: chi_4 (mean, SE over configurations), xi_4 and its fit, and the propensity field's xi."""
    from glassnet.analysis import field_length
    from glassnet.formats import Splits
    from glassnet.observables import four_point, four_point_length, overlap

    configs = Splits.read(files, displacements=True).get(None)      # valid and test: 30 replicas each
    configs = [c for c in configs if c.metadata.get("split") != "train" and "displacements" in c.metadata]
    times = [float(t) for t in configs[0].times]
    fields = field_length(configs)
    out = []
    for k, t in enumerate(times):
        chi, s4, self_part, n_vec = [], [], [], None
        for c in configs:
            a = np.asarray(c.types) == 0
            res = four_point(c.positions[a], c.box, overlap(c.metadata["displacements"][:, k, a]))
            chi.append(res["chi4"])
            s4.append(res["s4"])
            self_part.append(res["s4_self"])
            n_vec, q = res["n_vectors"], res["q"]
        fit = four_point_length(q, np.mean(s4, axis=0), n_vec * len(configs), float(np.mean(self_part)),
                                q_max=q_max, box_length=float(configs[0].box[0]))
        out.append({"time": t, "t_over_tau_alpha": t / float(configs[0].metadata["tau_alpha"]),
                    "chi4": float(np.mean(chi)),
                    "chi4_se": float(np.std(chi, ddof=1) / np.sqrt(len(chi))) if len(chi) > 1 else float("nan"),
                    **fit, "field_xi": fields[k]["xi"], "field_capped": fields[k]["capped"],
                    "n_configurations": len(configs), "n": configs[0].n, "box": float(configs[0].box[0])})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="runs/four_point.json")
    args = ap.parse_args()
    results = {}
    print("| T | N (configurations) | t (tau) | t / tau_alpha | chi_4 (iso) | xi_4 (sigma) | xi of the propensity "
          "field (sigma) |")
    print("|---|---|---|---|---|---|---|")
    for label, sets in (("N=1000", ISO), ("N=4096", LARGE)):
        for temp, files in sets.items():
            rows = state_point(files if isinstance(files, list) else [files])
            results[f"T={temp:g} {label}"] = rows
            for r in rows:
                xi4 = f"{r['xi4']:.2f} +- {r['xi4_err']:.2f}" if not r["capped"] else f"* (> {r['box'] / 2:.1f})"
                if not r["capped"] and not xi4_resolved(r):
                    xi4 = "- (no decay resolved)"
                field = f"{r['field_xi']:.2f}" + ("*" if r["field_capped"] else "")
                chi = f"{r['chi4']:.3f}" + (f" +- {r['chi4_se']:.3f}" if np.isfinite(r["chi4_se"]) else "")
                print(f"| {temp:g} | {r['n']} ({r['n_configurations']}) | {r['time']:g} | "
                      f"{r['t_over_tau_alpha']:.3g} | {chi} | {xi4} | {field} |", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
