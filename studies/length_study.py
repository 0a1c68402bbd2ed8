"""The learned correlation length across time and temperature at N = 4096 (issue 19): networks with a reach of 7
shells, scored and probed shell by shell on 30-replica test configurations, beside the decay length of the
measured propensity field.

    python -m studies.length_study --data-dir data --out-dir runs/length_study [--train-only | --probe-only]

Networks (one per temperature, trained on all times of that temperature's single-run labels at N = 1000, the
files of ``pooled_temperatures.py``; selected on the same valid configurations): glassnet's model with 7
message-passing layers and no inherent-state inputs (``reach7``: it reads the positions only, so its learned
length is the network's own and needs no quench of a perturbed configuration), ``--steps`` compiled steps, one
thread, seed ``--seed``. Beside them the faithful published architecture where one exists: ``ka-T0.64-bapst``,
``ka-T0.56-bapst`` (7 core steps, trained here) and the released network ``bapst-T0.44`` (t = 0.132 only).

Test data (N = 4096, L = 15.0 sigma, 30 replicas): ``data/reference/ka4096-T1.00.h5``, ``ka4096-T0.64.h5`` and
``ka4096-T0.56.h5`` (commands in data/reference/README.md), and the published T = 0.44 configuration (../shared). Per network and time: Pearson r on A, the noise ceiling, r / ceiling; the shell probe
(ablation and a 0.1 sigma perturbation, shells 0..``--shells``-1, ``--marked`` A particles per test configuration,
bootstrap errors over them); the learned shell and length (10% of the change at shell 0); xi of the measured and
the predicted field. Prints markdown tables; writes one probe JSON per (network, temperature) and
``length_study.png``.
"""
import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from studies.common import BAPST_T044, REFERENCE, SINGLE, bapst_tau_alpha, single_run_with_tau, valid_configurations

#: N = 4096 test sets (committed)
TEST = {t: REFERENCE / f"ka4096-T{t:.2f}.h5" for t in (1.0, 0.64, 0.56)}
FAITHFUL = {0.64: "ka-T0.64-bapst", 0.56: "ka-T0.56-bapst"}
LAYERS = 7
ORIGINS = 25


def train(t: float, data: Path, out: Path, steps: int, seed: int) -> Path:
    """Train (or resume) the reach-7 network of temperature ``t``; returns its best checkpoint."""
    from glassnet.training import fit

    run = out / f"reach7-T{t:.2f}"
    ds = single_run_with_tau(data / SINGLE[t])
    configs = [replace(c, metadata={**c.metadata, "split": "train"}) for c in ds.configurations
               if c.metadata["origin"] < ORIGINS]
    print(f"reach7-T{t:.2f}: {len(configs)} configurations, {LAYERS} layers, no inherent state, {steps} steps",
          flush=True)
    fit(configs, valid_configurations([t], data), run, "equivariant", {"layers": LAYERS, "inherent": False}, plain=True,
        progress=False, steps=steps, seed=seed, eval_every=100, compile=True)
    return run / "best.pt"


def networks(t: float, out: Path) -> list[tuple[str, str]]:
    """(name, checkpoint) of every network probed at temperature ``t``: reach7 of this study, then the faithful."""
    own = [(f"reach7-T{t:.2f}", str(out / f"reach7-T{t:.2f}" / "best.pt"))] if t in TEST else []
    faithful = {**FAITHFUL, 0.44: "bapst-T0.44"}.get(t)
    return own + ([(faithful, faithful)] if faithful else [])


def test_set(t: float):
    """(test configurations, tau_alpha in tau) of the N = 4096 set at ``t``."""
    from glassnet.formats import read_configurations, read_labelled
    from glassnet.formats.hdf5 import read_dataset

    if t == 0.44:        # the published configuration; its last labelled time is the 1/e crossing of F_s
        return read_configurations(BAPST_T044), bapst_tau_alpha()
    return read_labelled([TEST[t]], "test"), float(read_dataset(TEST[t]).metadata["tau_alpha"])


def study(name: str, checkpoint: str, t: float, configs, tau_alpha: float, args) -> dict:
    """Score and probe one network on one temperature's test configurations: a probe dict (``glassnet probe``'s
    JSON) with the network's r, the noise ceiling and tau_alpha added."""
    from glassnet.analysis import ShellProbe, field_lengths
    from glassnet.evaluation import evaluate
    from glassnet.training import Predictor

    pred = Predictor(checkpoint)
    scores = evaluate(pred, configs)
    ceiling = np.mean([c.metadata["noise_ceiling"] for c in configs], axis=0)[scores["output_index"]]
    probe = ShellProbe(pred, n_shells=args.shells, n_marked=args.marked, seed=args.seed)
    for i, c in enumerate(configs):
        probe.compute(c, reset=(i == 0), progress=True)
    result = {**probe.to_dict(pred.times, f"T={t:g}"), **field_lengths(pred, configs)}
    return {**result, "network": name, "temperature": t, "tau_alpha": tau_alpha, "n_test": len(configs),
            "n_particles": len(configs[0].types), "r": scores["mean"].tolist(), "r_err": scores["std"].tolist(),
            "outputs": [int(k) for k in scores["outputs"]],
            "ceiling": ceiling.tolist()}


def _cell(x: dict) -> str:
    if not np.isfinite(x["length"]):
        return f"> shell {x['shell'] - 1}"
    return f"{x['shell']} +- {x['shell_err']:.2f} ({x['length']:.2f} +- {x['length_err']:.2f})"


def tables(results: list[dict]) -> str:
    """Markdown: per network and temperature, per time: r [r / ceiling], learned shell and length from ablation
    and perturbation, and the decay length of the measured and the predicted field."""
    lines = ["| network | T | N (test configurations) | t (tau) | t / tau_alpha | r [r / ceiling] (ceiling) | "
             "ablation: shell (sigma) | perturbation: shell (sigma) | xi measured (sigma) | xi predicted (sigma) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for res in results:
        measured = dict(zip(np.round(res["data_times"], 6), res["field_length_measured"]))
        scored = dict(zip(res.get("outputs", range(len(res["r"]))), zip(res["r"], res["ceiling"])))
        for k, t in enumerate(res["times"] or [None]):
            xm = measured.get(round(t, 6)) if t is not None else None
            xp = res["field_length_predicted"][k]
            r, ceiling = scored.get(k, (np.nan, np.nan))    # outputs beyond the data's times are not scored
            star = lambda x: "*" if x["capped"] else ""  # noqa: E731
            lines.append(
                f"| {res['network']} | {res['temperature']:g} | {res['n_particles']} ({res['n_test']}) | {t:g} | "
                f"{t / res['tau_alpha']:.3g} | {r:.3f} [{r / ceiling:.2f}] ({ceiling:.3f}) | {_cell(res['length_ablation'][k])} | "
                f"{_cell(res['length_perturbation'][k])} | "
                + (f"{xm['xi']:.2f} +- {xm['xi_err']:.2f}{star(xm)}" if xm else "") + " | "
                f"{xp['xi']:.2f} +- {xp['xi_err']:.2f}{star(xp)} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default="data", help="folder of the single-run training files")
    ap.add_argument("--out-dir", default="runs/length_study")
    ap.add_argument("--temperatures", type=float, nargs="+", default=[*sorted(TEST, reverse=True), 0.44],
                    help="1.0, 0.64, 0.56 (reach7 and faithful) and 0.44 (the released network only)")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shells", type=int, default=9)
    ap.add_argument("--marked", type=int, default=16, help="marked A particles per test configuration")
    ap.add_argument("--train-only", action="store_true")
    ap.add_argument("--networks", nargs="+", help="probe only these (names as in the tables; default all)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    data, out = Path(args.data_dir), Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if args.train_only:
        for t in args.temperatures:
            if t in TEST:
                train(t, data, out, args.steps, args.seed)
        return
    from glassnet import plots
    from glassnet.analysis import probe_warnings

    results = []
    for t in args.temperatures:
        configs, tau_alpha = test_set(t)
        for name, checkpoint in networks(t, out):
            if args.networks and name not in args.networks:
                continue
            path = out / f"probe-{name}-T{t:.2f}.json"
            if path.exists():               # resumes: a finished probe is not redone
                results.append(json.loads(path.read_text()))
                continue
            if name.startswith("reach7") and not Path(checkpoint).exists():
                train(t, data, out, args.steps, args.seed)
            t0 = time.perf_counter()
            res = study(name, checkpoint, t, configs, tau_alpha, args)
            res["seconds"] = time.perf_counter() - t0
            path.write_text(json.dumps(res, indent=1))
            print(f"{name} at T = {t:g}: {res['seconds']:.0f} s", flush=True)
            results.append(res)
    print(tables(results))
    for res in results:
        for message in probe_warnings(res):
            print(f"warning: {res['network']} at T = {res['temperature']:g}: {message}")
    own = [r for r in results if r["network"].startswith("reach7")]
    if own:
        print("wrote", *plots.save(plots.learned_length_study(own), out / "length_study"))


if __name__ == "__main__":
    main()
