"""One page for one network and one dataset: evaluation, baselines, noise ceiling, shell probe, figures."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .analysis import ShellProbe
from .baselines import descriptor_baseline_table, physics_baseline_table
from .io import read_labelled, write_results
from .plots import (correlation_vs_time, length_vs_time, mobility_slice, save, shell_change,
                    write_report)
from .train import Predictor, evaluation_rows

__all__ = ["make_report"]


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
    if is_h5:
        train, valid = read_labelled(data, "train"), read_labelled(data, "valid")
        rows += physics_baseline_table(train, test, data, split)
        if descriptors:
            rows += descriptor_baseline_table(train, valid, test, data, split)
    else:
        rows += physics_baseline_table(test, test, data, split)
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
