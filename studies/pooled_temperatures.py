"""One network for all temperatures (issue 20): glassnet's model with the temperature as an input and a
time-conditioned decoder, trained on single-run labels pooled over state points, against per-temperature
networks at equal CPU-seconds of data, left-one-temperature-out, and on the published T=0.44 configuration.

    python -m studies.pooled_temperatures --data-dir /work/data --out-dir runs/pooled

reads, in ``--data-dir``, the single-run training files ``single-T1.00.h5 single-T0.80.h5 single-T0.64.h5
single-T0.56.h5`` (`glassnet data make NAME` puts them in $GLASSNET_DATA) (not committed: too large) and takes the valid and test splits (30 replicas) of T = 1.0, 0.8,
0.64 and 0.56 from ``data/reference`` (commands that make every file and their sha256:
data/reference/README.md). Every network: glassnet's model (3 layers x 32), the recipe of `glassnet train
--model equivariant`, ``--steps`` steps (compiled, one thread), selected on the pooled validation
configurations of the temperatures it was trained on. Costs are CPU-seconds of data on this machine: MD at
``--steps-per-second`` plus ``--quench-seconds`` per labelled configuration (studies/label_budget.py's
model). Runs resume from their folders; ``--runs`` picks some; ``--jobs 2`` trains two at a time.
"""
import argparse
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import numpy as np

from glassnet.datastore import data_dir
from studies.common import BAPST_T044, ISO, SINGLE, single_run_with_tau, valid_configurations

#: the per-temperature networks are the shipped ones: the same recipe on the same files (ka-T0.50: one seed,
#: validated on 11 of its file's runs, studies.ladder)
SHIPPED = {0.64: "ka-T0.64", 0.56: "ka-T0.56", 0.5: "ka-T0.50"}
#: the faithful published architecture, shipped where it was trained (30-replica labels)
FAITHFUL = {0.64: "ka-T0.64-bapst", 0.56: "ka-T0.56-bapst"}
#: runs whose network ships: scored from the package when their folder is absent (ka-all is harmonic-5T,
#: seed 0, pretrained/README.md; the ka-all before it was pooled-absolute-6k)
SHIPPED_RUNS = {**{f"single-{t:.2f}": v for t, v in SHIPPED.items()}, "harmonic-5T": "ka-all"}
#: the four temperatures of the first pooled networks (issue 20), before T = 0.50 had labels
FOUR = [1.0, 0.8, 0.64, 0.56]


class Run(NamedTuple):
    """A network of the study: trained on the first ``origins`` origins of every run at ``temps``."""
    temps: list
    time_input: str
    origins: int
    temperature_input: bool
    steps: int | None = None        # default: --steps
    recipe: bool = False            # the shipped recipe's options (harmonic inputs); False: the plain model


def runs_table(costs: dict) -> dict:
    """name -> :class:`Run` of every network of the study.

    ``costs[T](k)`` is the CPU-seconds of the first k origins of every run at T; the equal-cost pooled
    networks take the same k at every temperature, chosen so that their total matches the per-temperature
    network's 25 origins at the reference T.
    """
    temps = FOUR
    five = sorted(SINGLE, reverse=True)
    table = {
        "pooled-scaled": Run(temps, "scaled", 25, True),
        "pooled-absolute": Run(temps, "absolute", 25, True),
        "loo-0.56": Run([t for t in temps if t != 0.56], "scaled", 25, True),
        "loo-0.56-absolute": Run([t for t in temps if t != 0.56], "absolute", 25, True),
        # the same data for 3x the steps: 2,000 steps see each of 912 configurations about twice
        "pooled-absolute-6k": Run(temps, "absolute", 25, True, 6000),
        # the shipped recipe (harmonic inputs at each configuration's T) on five temperatures, down to 0.50
        # (1,356 configurations, each seen ~6 times), and without T = 0.50 (how far the temperature extrapolates)
        "harmonic-5T": Run(five, "absolute", 25, True, 8000, True),
        "harmonic-5T-scaled": Run(five, "scaled", 25, True, 8000, True),
        "harmonic-loo-0.50": Run(temps, "absolute", 25, True, 8000, True),
    }
    for t_ref in five:
        table[f"single-{t_ref:.2f}"] = Run([t_ref], "", 25, False)     # shipped at 0.64, 0.56 and 0.50
        # the steps confound of pooled-absolute-6k: a per-T network on that run's data at T, 6,000 steps
        table[f"single-{t_ref:.2f}-6k"] = Run([t_ref], "", 25, False, 6000)
        if set(temps) <= set(costs) and t_ref in temps:
            target = costs[t_ref](25, cap=False)      # the shipped per-T networks' 25 origins per run
            k = min(range(1, 26), key=lambda k: abs(sum(costs[t](k) for t in temps) - target))
            table[f"equal-{t_ref:.2f}"] = Run(temps, "scaled", k, True)
    return table


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=str(data_dir()), help="folder of the single-run files (default $GLASSNET_DATA)")
    ap.add_argument("--out-dir", default="runs/pooled")
    ap.add_argument("--runs", nargs="+", help="train and score only these (default: all)")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1, help="networks trained at the same time (one thread each)")
    ap.add_argument("--train-only", action="store_true", help="train the given --runs, do not score")
    ap.add_argument("--warm-inputs", metavar="I/N", help="only compute the harmonic inputs of every N-th training "
                    "and validation configuration of --runs from the I-th into $GLASSNET_INPUT_CACHE (run N of "
                    "these at once to share the work)")
    ap.add_argument("--score-only", action="store_true", help="score the given --runs as trained so far")
    ap.add_argument("--steps-per-second", type=float, default=1900.0, help="LAMMPS NVE rate, N=1000")
    ap.add_argument("--quench-seconds", type=float, default=3.0, help="quench per labelled configuration")
    ap.add_argument("--bapst", default=str(BAPST_T044), help="the published T=0.44 configuration")
    args = ap.parse_args()
    import torch

    from glassnet.runtime import tune_allocator

    torch.set_num_threads(1)
    tune_allocator()
    data = Path(args.data_dir)
    single = {t: single_run_with_tau(data / name) for t, name in SINGLE.items() if (data / name).exists()}
    costs = {t: _cost_model(ds, args.steps_per_second, args.quench_seconds) for t, ds in single.items()}
    table = runs_table(costs)
    names = args.runs or [n for n in table if not _shipped(n)]
    unknown = sorted(set(names) - set(table))
    if unknown:
        raise SystemExit(f"unknown runs {unknown}; known: {list(table)}")
    out = Path(args.out_dir)
    if args.warm_inputs:
        _warm_inputs(args.warm_inputs, [table[n] for n in names], single, data)
        return
    if args.score_only:
        pass
    elif args.jobs > 1 and len(names) > 1:     # fan out: one process per network, then score here
        _fan_out(names, args)
    else:
        for name in names:
            _train(name, table[name], single, data, out, args)
    if args.train_only:
        return
    _score(names, table, single, costs, data, out, args)


def _shipped(name):
    """The shipped network a run stands for, or None."""
    return SHIPPED_RUNS.get(name)


def _cost_model(ds, steps_per_second, quench_seconds):
    """k -> CPU-seconds of the first k origins of every run of a single-run file (MD + one quench each)."""
    m = ds.metadata
    n_runs, spacing, t_max, dt = int(m["n_runs"]), float(m["origin_spacing"]), float(max(ds.times)), float(m["dt"])

    def cost(k, cap=True):
        if cap:                                    # a file with fewer origins offers no more
            k = min(k, int(m["n_origins"]))
        return n_runs * ((k - 1) * spacing + t_max) / (steps_per_second * dt) + n_runs * k * quench_seconds
    return cost


def _train(name, spec, single, data, out, args):
    from glassnet.training import fit

    train = [replace(c, metadata={**c.metadata, "split": "train"}) for t in spec.temps
             for c in single[t].configurations if c.metadata["origin"] < spec.origins]
    print(f"{name}: {len(train)} configurations at T = {spec.temps}, {spec.origins} origins per run", flush=True)
    # with the recipe's harmonic inputs, each at its configuration's temperature (harmonic_temperature = 0)
    options = {"temperature_input": spec.temperature_input, "time_input": spec.time_input}
    fit(train, valid_configurations(spec.temps, data), out / name, "equivariant", options, plain=not spec.recipe,
        progress=False, steps=spec.steps or args.steps, seed=args.seed, eval_every=100, compile=True)


def _warm_inputs(part, specs, single, data):
    """Compute the recipe's harmonic inputs (at each configuration's temperature) of the part ``I/N`` of the
    configurations the recipe runs of ``specs`` train and validate on, into ``$GLASSNET_INPUT_CACHE``."""
    import os

    from tqdm.auto import tqdm

    from glassnet.models import ARCHITECTURES, InputCache, InputSpec
    from glassnet.models.inputs import harmonic_inputs

    if not os.environ.get("GLASSNET_INPUT_CACHE"):
        raise SystemExit("--warm-inputs needs $GLASSNET_INPUT_CACHE (the folder the training runs read)")
    i, n = (int(x) for x in part.split("/"))
    options = ARCHITECTURES["equivariant"].options
    spec = InputSpec(harmonic_times=tuple(options["harmonic_times"]), harmonic_method=options["harmonic_method"],
                     temperature_input=True)
    temps = sorted({t for s in specs if s.recipe for t in s.temps}, reverse=True)
    missing = [t for t in temps if t not in single]
    if missing:
        print(f"no single-run file at T = {missing} in {data} (yet): their inputs are skipped")
        temps = [t for t in temps if t in single]
    configs = [c for t in temps for c in single[t].configurations] + valid_configurations(temps, data)
    if any(c.inherent is None for c in configs):         # a file still being quenched
        print(f"{sum(c.inherent is None for c in configs)} configurations have no inherent state yet: skipped")
        configs = [c for c in configs if c.inherent is not None]
    cache = InputCache(max_items=0)
    for c in tqdm(configs[i::n], desc=f"harmonic inputs {part}", mininterval=30):
        harmonic_inputs(spec, c.positions, c.types, c.box, c.inherent.forces, c.metadata["temperature"], cache)


def _fan_out(names, args):
    """Train the runs two (``--jobs``) at a time in child processes of this script."""
    base = [sys.executable, "-m", "studies.pooled_temperatures", "--data-dir", args.data_dir, "--out-dir", args.out_dir, "--steps",
            str(args.steps), "--seed", str(args.seed), "--train-only", "--runs"]
    pending, running = list(names), []
    while pending or running:
        while pending and len(running) < args.jobs:
            running.append(subprocess.Popen(base + [pending.pop(0)]))
        running[0].wait()
        if running[0].returncode:
            raise SystemExit(f"training failed: {running[0].args}")
        running.pop(0)


def _score(names, table, single, costs, data, out, args):
    from glassnet.evaluation import evaluate
    from glassnet.formats import read_labelled
    from glassnet.training import Predictor

    tests = {t: read_labelled(ISO[t], "test") for t in ISO}
    ceilings = {t: np.mean([c.metadata["noise_ceiling"] for c in cs], axis=0) for t, cs in tests.items()}
    results = {}
    for t, cs in tests.items():
        print(f"\n### T = {t:g}: {len(cs)} test configurations (30 replicas), t = "
              f"{', '.join(f'{x:g}' for x in cs[0].times)} tau; noise ceiling "
              + " ".join(f"{x:.3f}" for x in ceilings[t]))
        print("| network | trained at T | configurations | CPU-hours of data | r [r / ceiling] per time |"
              " paired difference to the per-T network (shipped where there is one; +- SE) | the same to the"
              " per-T network of 6,000 steps |")
        print("|---|---|---|---|---|---|---|")
        ref = ref6 = None
        if t in FAITHFUL:         # the faithful published architecture on the same data and split
            res = evaluate(Predictor(FAITHFUL[t]), cs)
            cells = " ".join(f"{r:.3f} [{r / c:.2f}]" for r, c in zip(res["mean"], ceilings[t]))
            print(f"| faithful network (shipped {FAITHFUL[t]}, 30-replica labels) | {t:g} | | | {cells} | | |")
        order = sorted((n for n in set(names) | {f"single-{t:.2f}"}
                        if n in table and (t in table[n].temps or "loo" in n)),
                       key=lambda n: (not n.startswith("single"), n))
        for name in order:
            temps, k = table[name].temps, table[name].origins
            ckpt = _checkpoint(name, out)
            n_conf = sum(len([c for c in single[x].configurations if c.metadata["origin"] < k]) for x in temps)
            cost = sum(costs[x](k) for x in temps)
            if ckpt is None:
                continue
            if ckpt == _shipped(name) and name.startswith("single"):
                n_conf, cost = 12 * 25, costs[t](25, cap=False)   # trained on all 25 origins of the full file
            predictor = Predictor(ckpt)
            # what the network was trained on, as it recorded it: the files may have grown since (ka-all of
            # 2026-12-03 saw 912 configurations; today's files give 1,056 for the same origins)
            n_conf = (predictor.meta.get("training_data") or {}).get("n_configurations", n_conf)
            res = evaluate(predictor, cs)
            cells = " ".join(f"{r:.3f} [{r / c:.2f}]" for r, c in zip(res["mean"], ceilings[t]))
            diffs = []
            for other in (ref, ref6):
                diffs.append("" if other is None else _paired(res["r"] - other["r"]))
            if name == f"single-{t:.2f}":
                ref, diffs[0] = res, ""
            elif name == f"single-{t:.2f}-6k":
                ref6, diffs[1] = res, ""
            label = f"{name} (shipped {ckpt})" if ckpt == _shipped(name) else name
            print(f"| {label} | {', '.join(f'{x:g}' for x in temps)} | {n_conf} | {cost / 3600:.2f} | {cells} | "
                  f"{diffs[0]} | {diffs[1]} |", flush=True)
            results[f"{name}@T{t:g}"] = {"r": res["r"].tolist(), "times": res["times"], "cost_s": cost}
    results.update(_score_t044([n for n in names if table[n].time_input], out, args.bapst))
    (out / "results.json").write_text(json.dumps(results, indent=1))
    print(f"\nwrote {out / 'results.json'}")


def _checkpoint(name, out):
    """The run's best checkpoint, else the shipped network it stands for, else None."""
    ckpt = out / name / "best.pt"
    return ckpt if ckpt.exists() else _shipped(name)


def _paired(d):
    """Mean +- standard error over test configurations of per-configuration differences in r, per time."""
    se = d.std(axis=0, ddof=1) / np.sqrt(len(d))
    return " ".join(f"{m:+.3f}+-{e:.3f}" for m, e in zip(d.mean(axis=0), se))


def _score_t044(names, out, path):
    """Pearson r (A particles) on the published T=0.44 configuration at its ten times, with tau_alpha(0.44)
    from each network's VFT law and, as a check, from the file's own F_s = 1/e time."""
    from glassnet.formats import read_configurations
    from glassnet.observables import pearson_r, tau_alpha_at
    from glassnet.formats.bapst import load_bapst_pickle
    from glassnet.training import Predictor

    if not Path(path).exists():
        print(f"\n{path} not found: the T=0.44 test is skipped")
        return {}
    (c,) = read_configurations(path)
    d = load_bapst_pickle(path)
    tau_file = float(np.asarray(d["time"])[d["time_indices"][-1]])       # the 1/e crossing (is_values[-1])
    ceiling = c.metadata.get("noise_ceiling", [np.nan] * len(c.times))
    a = c.types == 0
    print(f"\n### Published T = 0.44 configuration (N = {c.n}): t = {', '.join(f'{x:.4g}' for x in c.times)} tau; "
          f"its F_s = 1/e time {tau_file:.4g} tau; noise ceiling {ceiling[0]:.3f} at t = {c.times[0]:.3g}")
    print("| network | tau_alpha(0.44) used (tau) | r per time |")
    print("|---|---|---|")
    rows, inherent = {}, None
    released = Predictor("bapst-T0.44")
    r0 = pearson_r(released.predict(c)[a, 0], c.targets[0][a])
    print(f"| released Bapst et al. T=0.44 network (trained at T=0.44) | - | {r0:.3f} (t = {c.times[0]:.3g} only) |")
    for name in names:
        ckpt = _checkpoint(name, out)
        if ckpt is None:
            continue
        p = Predictor(ckpt)
        inherent = inherent or p.with_inherent(c)
        cfg = p.model.config
        variants = [("law", c.times)]
        if cfg.time_input == "scaled":
            tau_law = float(tau_alpha_at(cfg.tau_alpha_law, 0.44))
            variants = [(f"{tau_law:.4g} (VFT law)", c.times),
                        (f"{tau_file:.4g} (the file's)", np.asarray(c.times) * tau_law / tau_file)]
        else:
            variants = [("- (absolute times)", c.times)]
        for label, times in variants:
            pred = p.predict(inherent, times=times, clamp_times=True)   # T = 0.44 times pass the trained range
            r = [pearson_r(pred[a, k], c.targets[k][a]) for k in range(len(c.times))]
            print(f"| {name} | {label} | {' '.join(f'{x:.3f}' for x in r)} |", flush=True)
            rows[f"{name}@T0.44 {label}"] = {"r": r, "times": list(map(float, c.times))}
    return rows


if __name__ == "__main__":
    main()
