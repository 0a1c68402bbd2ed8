"""Is a single-run label file equilibrated? Its origins, grouped in successive tau_alpha blocks along the runs: the
potential energy per particle and the relaxation time (F_s(q = 7.25, t) = 1/e of the A particles, from the labels'
own displacement vectors) of each block, and their drift per tau_alpha with errors over the independent runs.

    python -m studies.equilibration ../data/single-T0.50.h5 [--tau-alpha 121]

An equilibrated file shows no drift beyond its errors; an aging one relaxes slower (and has a lower energy) in
later blocks. LJ units: U/N in epsilon, times in tau.
"""
from __future__ import annotations

import argparse

import numpy as np

from glassnet.forcefield import reference_energy_forces
from glassnet.formats.hdf5 import read_dataset
from glassnet.observables import crossing_times, fs_isotropic


def origin_table(path) -> dict:
    """Per origin configuration: run, origin time (tau), U/N (epsilon) and F_s(t) of its A particles at the
    label times."""
    ds = read_dataset(path, load_displacements=True)
    if ds.metadata.get("protocol") != "single-run":
        raise SystemExit(f"{path} is not a single-run label file")
    rows = {"run": [], "origin_time": [], "u": [], "fs": []}
    for c in ds.configurations:
        a = np.asarray(c.types) == 0
        vectors = c.metadata["displacement_vectors"]                       # (T, N, 3)
        rows["run"].append(c.metadata["run"])
        rows["origin_time"].append(float(c.metadata["origin_time"]))
        rows["u"].append(float(reference_energy_forces(c.positions, c.types, c.box)[0].mean()))
        rows["fs"].append(fs_isotropic(np.linalg.norm(vectors[:, a], axis=-1)))
    out = {k: np.asarray(v) for k, v in rows.items()}
    out["times"], out["tau_alpha"] = np.asarray(ds.times), float(ds.metadata["tau_alpha"])
    return out


def blocks(table: dict, tau_alpha: float) -> list[dict]:
    """Successive tau_alpha blocks of origins: U/N and the 1/e time, each with its SE over the runs."""
    runs = np.unique(table["run"])
    index = (table["origin_time"] // tau_alpha).astype(int)
    out = []
    for b in np.unique(index):
        sel = index == b
        u_run = np.array([table["u"][sel & (table["run"] == r)].mean() for r in runs])
        fs_run = np.array([table["fs"][sel & (table["run"] == r)].mean(axis=0) for r in runs])
        tau = _tau(table["times"], fs_run.mean(axis=0))
        jack = np.array([_tau(table["times"], np.delete(fs_run, k, axis=0).mean(axis=0)) for k in range(len(runs))])
        out.append({"block": int(b), "origins": int(sel.sum()), "t0": float(table["origin_time"][sel].min()),
                    "u": float(u_run.mean()), "u_se": float(u_run.std(ddof=1) / np.sqrt(len(runs))),
                    "tau": tau, "tau_se": float(np.sqrt((len(runs) - 1) * np.mean((jack - jack.mean()) ** 2)))})
    return out


def drift(table: dict, tau_alpha: float) -> tuple[float, float]:
    """Slope of U/N against origin time, per tau_alpha (epsilon), and its SE from the spread of the runs' own
    slopes (runs are independent; origins within a run are not)."""
    slopes = []
    for r in np.unique(table["run"]):
        sel = table["run"] == r
        slopes.append(np.polyfit(table["origin_time"][sel] / tau_alpha, table["u"][sel], 1)[0])
    slopes = np.asarray(slopes)
    return float(slopes.mean()), float(slopes.std(ddof=1) / np.sqrt(len(slopes)))


def _tau(times, fs) -> float:
    return float(crossing_times(times, fs, levels=[np.exp(-1)])[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", help="a single-run label file")
    ap.add_argument("--tau-alpha", type=float, help="block length (tau; default: the file's tau_alpha)")
    args = ap.parse_args()
    table = origin_table(args.data)
    tau_alpha = args.tau_alpha or table["tau_alpha"]
    n_runs = len(np.unique(table["run"]))
    print(f"{args.data}: {len(table['u'])} origins in {n_runs} runs; blocks of tau_alpha = {tau_alpha:.4g} tau")
    print("| block | origins | from t (tau) | U/N (epsilon) | F_s = 1/e time (tau) |")
    print("|---|---|---|---|---|")
    for b in blocks(table, tau_alpha):
        print(f"| {b['block']} | {b['origins']} | {b['t0']:.0f} | {b['u']:.4f} +- {b['u_se']:.4f} | "
              f"{b['tau']:.3g} +- {b['tau_se']:.2g} |")
    slope, se = drift(table, tau_alpha)
    print(f"U/N drift: {slope:+.5f} +- {se:.5f} epsilon per tau_alpha ({slope / se:+.1f} SE)")


if __name__ == "__main__":
    main()
