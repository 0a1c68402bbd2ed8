"""The physical length of issue 19: the decay length of the spatial correlation of the propensity field, measured
and predicted, per time and temperature.

    python -m studies.field_lengths --out-dir runs/field_lengths [--network ka-all] [--more FILE.h5 ...]

For every state point with 30-replica test configurations (data/reference: T = 1.0, 0.8, 0.64, 0.56 at N = 1000,
L = 9.4 sigma) and the published T = 0.44 configuration (N = 4096, L = 15.0 sigma; ../shared), per time: the decay
length xi (sigma) of C(r) of the A particles' measured propensity (glassnet.analysis.field_length: the fit
A exp(-r / xi) + B from r = 1 sigma, averaged over test configurations, jackknife error over them; the fit error
with one), the same for the field ``--network`` predicts, and t / tau_alpha. Prints a markdown table, writes
``lengths.json`` (probe-like records that ``glassnet figures --probe`` also draws) and ``field_length.png``.
A length marked * is not resolved by the box (3 xi > L / 2). Costs seconds, plus one quench per configuration
the network lacks an inherent state for (the T = 0.44 one, ~20 s).
"""
import argparse
import json
from pathlib import Path

import numpy as np

from studies.common import BAPST_T044, ISO


def _sets(bapst, more=()):
    """(T, test configurations, tau_alpha in tau) per state point; ``more``: further glassnet files, one state
    point each (e.g. N = 4096 test sets)."""
    from glassnet.formats import read_configurations, read_labelled
    from glassnet.formats.bapst import load_bapst_pickle
    from glassnet.formats.hdf5 import read_dataset

    out = []
    for t, files in ISO.items():
        tau = float(read_dataset(files[0]).metadata["tau_alpha"])
        out.append((t, read_labelled(files, "test"), tau))
    for path in more:
        meta = read_dataset(path).metadata
        out.append((float(meta["temperature"]), read_labelled(path, "test"), float(meta["tau_alpha"])))
    if Path(bapst).exists():
        d = load_bapst_pickle(bapst)
        out.append((0.44, read_configurations(bapst), float(np.asarray(d["time"])[d["time_indices"][-1]])))
    else:
        print(f"{bapst} not found: T = 0.44 is left out")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default="runs/field_lengths")
    ap.add_argument("--network", default="ka-all", help="a time-conditioned network (predicts at the data's times)")
    ap.add_argument("--bapst", default=str(BAPST_T044), help="the published T=0.44 configuration")
    ap.add_argument("--more", nargs="+", default=[], help="further glassnet .h5 files (their test split), e.g. N=4096")
    args = ap.parse_args()
    from glassnet import plots
    from glassnet.analysis import field_length
    from glassnet.training import Predictor

    predictor = Predictor(args.network)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    print(f"| T | N (L, sigma) | test configurations | t (tau) | t / tau_alpha | xi measured (sigma) | "
          f"xi predicted by {args.network} (sigma) |")
    print("|---|---|---|---|---|---|---|")
    for temp, configs, tau in _sets(args.bapst, args.more):
        times = [float(x) for x in configs[0].times]
        for c in configs:
            c.metadata.setdefault("temperature", temp)
        # clamp_times: the T = 0.44 times reach past the range ka-all was trained on (held at its end)
        preds = [predictor.predict(c, times=times, clamp_times=True) for c in configs]   # quenches where needed
        measured, predicted = field_length(configs), field_length(configs, preds)
        for t, m, p in zip(times, measured, predicted):
            cells = [f"{x['xi']:.2f} +- {x['xi_err']:.2f}{'*' if x['capped'] else ''}" for x in (m, p)]
            print(f"| {temp:g} | {configs[0].n} ({configs[0].box[0]:.1f}) | {len(configs)} | {t:.4g} | {t / tau:.3g} | "
                  f"{cells[0]} | {cells[1]} |", flush=True)
        label = f"T={temp:g}" + (f", N={configs[0].n}" if args.more else "")
        records.append({"label": label, "temperature": temp, "tau_alpha": tau, "times": times,
                        "data_times": times, "n": configs[0].n, "box": float(configs[0].box[0]),
                        "field_length_measured": measured, "field_length_predicted": predicted,
                        "network": args.network})
    (out / "lengths.json").write_text(json.dumps(records, indent=1, allow_nan=True))
    written = plots.save(plots.length_vs_time(records, scaled=True), out / "field_length")
    print(f"\nwrote {out / 'lengths.json'}, {', '.join(map(str, written))}")


if __name__ == "__main__":
    main()
