"""Accuracy per CPU-hour of training labels (issue 16): glassnet's model trained on single-run labels of
growing budget, scored on the iso-configurational test split next to its noise ceiling and the shipped
networks trained on 30-replica labels.

    python -m studies.label_budget SINGLE.h5 --valid data/reference/ka-T0.64.h5 \\
        --test data/reference/ka-T0.64.h5 data/reference/ka-T0.64-b.h5 --origins 9 25 --out-dir runs/budget
    python -m studies.label_budget --iso FEW-REPLICA.h5 [MORE.h5 ...] --iso-configs 12 24 48 --valid ... --test ...
    python -m studies.label_budget SINGLE.h5 --model bapst --lr 3e-4 --steps 7000 ...   # the faithful network

For each ``--origins K`` it trains on the first K time origins of every run of the SINGLE files (so the MD
per run is the same trajectory cut short, and the budgets nest; several files, e.g. other seeds, pool
their runs), with the recipe of `glassnet train --model
equivariant`, ``--steps`` steps (compiled), validation on the valid split of ``--valid``, and prints the
test r (A particles, mean over test configurations) per time. The cost column is CPU-seconds of data on
this machine: MD at the measured LAMMPS rate (``--steps-per-second``, benchmarks/md_throughput.py) plus one
quench per labelled configuration (``--quench-seconds``, benchmarks/quench.py); the 30-replica rows count
R x t_max of MD per configuration and one quench (``--iso``: iso files pooled in order, train split; R read
from them, so 30-replica files give the 30-replica protocol's budgets and 4-replica files the few-replica one).
``--model bapst`` trains the faithful published network instead (its recipe; ``--lr`` overrides the rate).
Every run resumes from its folder. ``--csv FILE`` appends every printed row, one line per time, for
studies/budget_figure.py (r / ceiling against CPU-hours).
"""
import argparse
import csv
from dataclasses import replace
from pathlib import Path

import numpy as np

from glassnet.evaluation import evaluate
from glassnet.formats import read_labelled
from glassnet.formats.hdf5 import read_dataset
from glassnet.models import ARCHITECTURES
from glassnet.runtime import tune_allocator
from glassnet.training import Predictor, fit


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("single", nargs="*", help="single-run label file(s) with inherent states (several: pooled)")
    ap.add_argument("--iso", nargs="+", default=[], help="iso-configurational file(s) with the same number of "
                    "replicas (train split, inherent states; several: pooled in order): trained on the first "
                    "--iso-configs configurations")
    ap.add_argument("--iso-configs", type=int, nargs="+", default=[], help="budgets of the --iso files")
    ap.add_argument("--model", default="equivariant", choices=sorted(ARCHITECTURES),
                    help="architecture trained on every budget (default glassnet's model)")
    ap.add_argument("--lr", type=float, help="learning rate instead of the architecture's recipe")
    ap.add_argument("--valid", required=True, help="iso file whose valid split selects the checkpoint")
    ap.add_argument("--test", nargs="+", required=True, help="iso files whose test splits are scored")
    ap.add_argument("--origins", type=int, nargs="+", default=[], help="time origins per run to use")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--steps-per-second", type=float, default=1900.0, help="LAMMPS NVE rate, N=1000")
    ap.add_argument("--quench-seconds", type=float, default=3.0, help="FIRE quench per configuration")
    ap.add_argument("--shipped", nargs="+", default=["ka-T0.64", "ka-T0.64-seed1", "ka-T0.64-seed2"])
    ap.add_argument("--out-dir", default="runs/budget")
    ap.add_argument("--csv", help="append the rows here (temperature, protocol, label, configurations, "
                    "cpu_hours, seeds, time, r, ceiling) for studies/budget_figure.py")
    ap.add_argument("--recipe", action="store_true", help="train with the architecture's recipe (the shipped "
                    "networks' inputs: harmonic estimates) instead of the bare model")
    ap.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                    help="an option of glassnet's model, as in `glassnet train --option` (e.g. multiscale=true); "
                    "the run folders are then named after the options")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    tune_allocator()
    files = [read_dataset(path) for path in args.single]
    for path, d in zip(args.single, files):
        if d.metadata.get("protocol") != "single-run":
            raise SystemExit(f"{path} is not a single-run label file")
        for c in d.configurations:
            c.metadata["run"] = (str(path), c.metadata["run"])      # runs of different files are different
            c.metadata.setdefault("temperature", d.metadata["temperature"])     # recorded in the checkpoints
            c.metadata.setdefault("source", str(path))
    pooled = [c for d in files for c in d.configurations]
    valid = read_labelled(args.valid, "valid")
    test = read_labelled(args.test, "test")
    ceiling = np.mean([c.metadata["noise_ceiling"] for c in test], axis=0)
    times = list(test[0].times)
    dt = files[0].metadata["dt"] if files else 0.005
    rate = args.steps_per_second * dt          # tau of MD per CPU-second

    reference = {}

    temperature = test[0].metadata.get("temperature")

    def at(values, res_times, grid):
        """Columns of ``values`` (over ``grid`` times) at ``res_times``."""
        col = {round(float(t), 9): k for k, t in enumerate(grid)}
        return np.asarray(values)[..., [col[round(float(t), 9)] for t in res_times]]

    def row(label, res, cost, n_configs, protocol="", seeds=1):
        r, res_times = res["mean"], res["times"]          # the times this network predicts (a short-horizon
        ceil = at(ceiling, res_times, times)              # network: fewer than the test data's)
        if args.csv:
            new = not Path(args.csv).exists()
            with open(args.csv, "a", newline="") as f:
                w = csv.writer(f)
                if new:
                    w.writerow(["temperature", "protocol", "label", "configurations", "cpu_hours", "seeds",
                                "time", "r", "ceiling"])
                for t, x, c in zip(res_times, r, ceil):
                    w.writerow([temperature, protocol, label, n_configs, "" if cost is None else cost / 3600,
                                seeds, float(t), float(x), float(c)])
        cells = " ".join(f"{x:.3f} [{x / c:.2f}]" for x, c in zip(r, ceil))
        if reference:                        # paired difference to the shipped ensemble, SE over configurations
            d = res["r"] - at(reference["r"], res_times, reference["times"])
            se = d.std(axis=0, ddof=1) / np.sqrt(len(d))
            cells += " | " + " ".join(f"{m:+.3f}+-{e:.3f}" for m, e in zip(d.mean(axis=0), se))
        hours = "-" if cost is None else f"{cost / 3600:.2f}"
        print(f"| {label} | {n_configs} | {hours} | {cells} |", flush=True)
        return res

    print(f"test: {len(test)} iso configurations ({', '.join(Path(p).name for p in args.test)}), "
          f"times {[float(t) for t in times]} tau; ceiling " + " ".join(f"{c:.3f}" for c in ceiling))
    print("| training labels | configurations | CPU-hours of data | r [r / ceiling] per time | paired "
          "difference to the shipped 3-seed ensemble (+- SE over test configurations) |")
    for names in ([args.shipped[0]], args.shipped) if len(args.shipped) > 1 else ([args.shipped[0]],):
        shipped = Predictor(names)
        n_iso = shipped.meta["training_data"]["n_configurations"]
        # the 30-replica cost formula holds only for networks trained on 30-replica files; single-run
        # trained ones (the shipped networks since 2026-12-02) have their own rows below
        single = any("single" in src for src in shipped.meta["training_data"].get("sources", []))
        iso_cost = None if single else n_iso * (30 * max(times) / rate + args.quench_seconds)
        kind = "single-run" if single else "30-replica"
        res = row(f"shipped {' + '.join(names)} ({kind} labels)", evaluate(shipped, test), iso_cost, n_iso,
                  f"shipped {kind}", len(names))
    reference.update(res)
    recipe = {} if args.lr is None else {"lr": args.lr}
    options = dict(o.split("=", 1) for o in args.option)
    suffix = "".join(f"-{k}={v}" for k, v in sorted(options.items()))
    if args.recipe:
        suffix += "-recipe"
    if args.model != "equivariant":
        suffix += f"-{args.model}" + ("" if args.lr is None else f"-lr{args.lr:g}")
    who = "" if args.model == "equivariant" else f"{args.model} network, "

    def train_seeds(train, tag):
        def train_times(configs):            # the test times the labels have (short-horizon files: the first few)
            have = {round(float(t), 9) for t in configs[0].times}
            return [t for t in times if round(float(t), 9) in have]

        members = []
        for seed in args.seeds:
            out = Path(args.out_dir) / f"{tag}{suffix}-steps{args.steps}-seed{seed}"
            fit(train, valid, out, args.model, options, times=train_times(train), plain=not args.recipe,
                progress=False, steps=args.steps,
                seed=seed, eval_every=100, compile=True, **recipe)
            members.append(out / "best.pt")
        return members

    if args.iso:
        iso = read_labelled(args.iso, "train")
        replicas = {int(read_dataset(path).metadata["n_replicas"]) for path in args.iso}
        if len(replicas) != 1:
            raise SystemExit(f"--iso files differ in their number of replicas ({sorted(replicas)}): one protocol "
                             "per call")
        n_rep = replicas.pop()
        for k in args.iso_configs:
            if k > len(iso):
                raise SystemExit(f"--iso-configs {k}: the --iso files hold {len(iso)} training configurations")
            cost = k * (n_rep * max(iso[0].times) / rate + args.quench_seconds)     # MD to its own last time
            members = train_seeds(iso[:k], f"iso{n_rep}-configs{k}")
            for m in ([members[0]], members) if len(members) > 1 else ([members[0]],):
                row(f"{who}{n_rep}-replica labels, {k} configurations ({len(m)} seed(s))",
                    evaluate(Predictor(m), test), cost, k, f"{n_rep}-replica" + suffix, len(m))
    for k in args.origins:
        ds, spacing = files[0], files[0].metadata["origin_spacing"]
        train = [replace(c, metadata={**c.metadata, "split": "train"}) for c in pooled
                 if c.metadata["origin"] < k]
        n_runs = len({c.metadata["run"] for c in train})
        md_tau = n_runs * ((k - 1) * spacing + max(ds.times))
        cost = md_tau / rate + len(train) * args.quench_seconds
        members = train_seeds(train, f"origins{k}-runs{n_runs}")
        for m in ([members[0]], members) if len(members) > 1 else ([members[0]],):
            row(f"{who}single-run, {k} origins x {n_runs} runs ({len(m)} seed(s))", evaluate(Predictor(m), test), cost,
                len(train), "single-run" + suffix, len(m))


if __name__ == "__main__":
    main()
