"""The report (one page for one network and one dataset: evaluation, baselines, noise ceiling, shell
probe, figures) and the demo that makes everything it needs from scratch."""
from __future__ import annotations

import json
import time
from pathlib import Path


from .analysis import ShellProbe
from .baselines import baseline_rows
from .io import read_labelled, read_results, write_results
from .plots import (correlation_vs_time, length_vs_time, mobility_slice, save, shell_change,
                    write_report)
from .train import Predictor, evaluation_rows

__all__ = ["make_report", "run_demo"]


def make_report(checkpoint, data, out_dir, split: str = "test", n_marked: int = 16,
                n_shells: int = 9, label: str | None = None, descriptors: bool = True,
                progress=print) -> Path:
    """Evaluate, run the baselines and the shell probe, draw the figures and write ``report.html``.

    Args:
        checkpoint: glassnet checkpoint; data: glassnet .h5 (train/valid/test splits) or a .pickle.
        out_dir: folder for ``report.html``, ``results.csv``, ``probe.json`` and the figures.
        split: the split scored and probed.
        n_marked: marked particles of the shell probe (on the first configuration of the split).

    Returns:
        the path of report.html.
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    is_h5 = str(data).endswith((".h5", ".hdf5"))
    split = split if is_h5 else ""
    test = read_labelled(data, split or None)
    predictor = Predictor(checkpoint)
    label = label or (f"T={test[0].metadata.get('temperature')}" if not is_h5 else Path(data).stem)
    progress(f"report: evaluating {checkpoint} on {len(test)} configuration(s)")
    rows = evaluation_rows(predictor, test, data, split, name=Path(str(checkpoint)).stem)
    progress("report: baselines")
    rows += baseline_rows(data, split or "test", descriptors)
    rows.sort(key=lambda r: (r["output"], r["kind"], r["model"]))
    write_results(out / "results.csv", rows)
    progress(f"report: shell probe around {n_marked} marked particles")
    probe = ShellProbe(predictor, n_shells=n_shells, n_marked=n_marked).compute(test[0])
    times = predictor.times
    probe_dict = probe.to_dict(times, label)
    (out / "probe.json").write_text(json.dumps(probe_dict, indent=1))
    progress("report: figures")
    c = test[0]
    pred = predictor.predict(c)
    k_last = pred.shape[1] - 1
    idx = predictor.meta.get("output_index") or list(range(pred.shape[1]))
    figures = [
        ("Predicted propensity (colour) in a slab of the first test configuration, with the 10% most "
         f"mobile A particles measured at t={times[k_last] if times else '?'} (dots).",
         save(mobility_slice(c.positions, c.box, pred[:, k_last],
                             c.targets[idx[k_last]] if c.targets is not None else None, c.types),
              out / "fig1_mobility_slice")[0]),
        ("Pearson r against time: network, baselines and the noise ceiling of the data.",
         save(correlation_vs_time(rows), out / "fig2_r_vs_time")[0]),
        ("Change of the marked particle's prediction when all shells beyond n are removed.",
         save(shell_change([probe_dict], "ablation"), out / "fig3_shell_ablation")[0]),
        ("Change when all shells beyond n are pushed outwards by 0.1 σ.",
         save(shell_change([probe_dict], "perturbation"), out / "fig3b_shell_perturbation")[0]),
        ("Learned length (ablation; threshold 10% of the change at shell 0) against time.",
         save(length_vs_time([probe_dict], "ablation"), out / "fig4_learned_length")[0]),
    ]
    lengths = "\n".join(
        f"t={(times[k] if times else k)!s:>8}: shell {x['shell']} +- {x['shell_err']:.2f}, "
        f"length {x['length']:.2f} +- {x['length_err']:.2f} sigma"
        for k, x in enumerate(probe_dict["length_ablation"]))
    sections = [
        ("Inputs", f"checkpoint: {checkpoint}\ndata: {data} (split {split or 'whole file'}, "
                   f"{len(test)} configurations)\nmodel: {predictor.model.config}\n"
                   f"training data: {predictor.meta.get('training_data')}"),
        ("Learned length (shell ablation)", lengths),
    ]
    path = write_report(out / "report.html", f"glassnet report: {label}", sections,
                        [(cap, png) for cap, png in figures], rows)
    progress(f"report: wrote {path} in {time.perf_counter() - t0:.0f} s")
    return path


#: Training steps of the demo per dataset preset (one system per step).
DEMO_STEPS = {"small": 600, "ka-T0.64": 800, "ka-T0.56": 800}


def run_demo(out_dir="glassnet-demo", preset: str = "small", steps: int | None = None,
             workers: int = 2, seed: int = 0, n_marked: int = 16, progress=print) -> Path:
    """The main job: simulate a KA dataset, quench its configurations to their inherent states, train
    glassnet's network on all its timescales, evaluate it against the baselines and the noise ceiling,
    probe its shells, write the report.

    Every stage resumes: rerunning after a kill continues where it stopped.

    Returns:
        the path of report.html.
    """
    from .model import EquivariantConfig
    from .propensity import PRESETS, add_inherent_states, generate_dataset
    from .train import RECIPES, TrainConfig, Trainer

    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {sorted(PRESETS)}")
    spec = PRESETS[preset]
    data = out / f"{preset}.h5"
    progress(f"[1/4] simulate: T={spec.temperature}, N={spec.n}, {spec.n_configs} configurations x "
             f"{spec.n_replicas} replicas, times {list(spec.times)} tau -> {data}")
    generate_dataset(data, spec, workers=workers)
    progress("[2/4] inherent states: FIRE quench of every configuration (LAMMPS)")
    add_inherent_states(data)
    train_set, valid_set = read_labelled(data, "train"), read_labelled(data, "valid")
    steps = steps or DEMO_STEPS.get(preset, 800)
    recipe = RECIPES["equivariant"]
    progress(f"[3/4] train: glassnet's network (inherent-state inputs, equivariant trunk, one head per "
             f"time and type), all {len(spec.times)} timescales at once, {steps} steps (Adam "
             f"{recipe['lr']:g}, {recipe['schedule']} schedule), validation on the valid split")
    trainer = Trainer(train_set, valid_set, EquivariantConfig(n_outputs=len(spec.times)),
                      TrainConfig(steps=steps, seed=seed, eval_every=max(25, steps // 20), **recipe),
                      out / "train", times=train_set[0].times)
    t1 = time.perf_counter()
    trainer.run()
    progress(f"      trained in {time.perf_counter() - t1:.0f} s; best validation r "
             f"(mean over timescales) {trainer.best_r:.3f}")
    progress("[4/4] evaluate, baselines, noise ceiling, shell probe, figures")
    report = make_report(out / "train" / "best.pt", data, out / "report", n_marked=n_marked,
                         label=f"T={spec.temperature}", progress=progress)
    rows = read_results(out / "report" / "results.csv")
    progress("")
    progress(f"{'t (tau)':>8} {'network':>8} {'best baseline':>24} {'ceiling':>8}")
    for k, t in enumerate(spec.times):
        sub = [r for r in rows if r["output"] == k]
        net = next((r["r_mean"] for r in sub if r["kind"] == "network"), float("nan"))
        base = max((r for r in sub if r["kind"] in ("physics", "descriptor")),
                   key=lambda r: r["r_mean"], default=None)
        ceil = next((r["r_mean"] for r in sub if r["kind"] == "ceiling"), float("nan"))
        btxt = f"{base['model']} {base['r_mean']:.3f}" if base else "-"
        progress(f"{t:8.3g} {net:8.3f} {btxt:>24} {ceil:8.3f}")
    progress(f"demo done in {time.perf_counter() - t0:.0f} s: open {report}")
    return report
