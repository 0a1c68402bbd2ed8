"""The report: one self-contained HTML page for one network and one dataset (evaluation, baselines,
noise ceiling, shell probe, figures)."""
from __future__ import annotations

import base64
import datetime
import html
import json
import time
from pathlib import Path

import numpy as np

from . import __version__
from .analysis import (DEFAULT_SHELLS, LENGTH_COLUMNS, ShellProbe, field_lengths, length_note, length_table,
                       probe_warnings)
from .baselines import baseline_rows
from .evaluation import evaluation_rows, match_outputs, network_name, write_results
from .formats import Splits
from .plots import correlation_vs_time, length_vs_time, mobility_slice, save, shell_change
from .training import Predictor

__all__ = ["make_report", "write_report"]


def make_report(checkpoint, data, out_dir, split: str = "test", n_marked: int = 16,
                n_shells: int = DEFAULT_SHELLS, label: str | None = None, descriptors: bool = True,
                progress=print, device=None, types=None, command: str = "") -> Path:
    """Evaluate, run the baselines and the shell probe, draw the figures and write ``report.html``.

    Args:
        checkpoint: glassnet checkpoint; data: a :class:`~glassnet.formats.Splits`, or the file(s) to read into
            one (glassnet .h5 with train/valid/test splits, or a file without splits such as a .pickle).
        out_dir: folder for ``report.html``, ``results.csv``, ``probe.json`` and the figures.
        split: the split scored and probed.
        n_marked: marked particles of the shell probe (on the first configuration of the split).
        progress: called with a line per stage; device: torch device; types: type map of the reader;
        command: the command line that made the report (stated on the page).

    Returns:
        the path of report.html.
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = Splits.of(data, types)
    test = data.get(split)
    split = data.split_name(split)
    predictor = Predictor(checkpoint, device=device)
    label = label or (Path(data.sources[0]).stem if split and len(data.sources) == 1
                      else f"T={test[0].metadata.get('temperature')}")
    progress(f"report: evaluating {checkpoint} on {len(test)} configuration(s)")
    rows = evaluation_rows(predictor, test, data.name, split, name=network_name(checkpoint))
    progress("report: baselines")
    rows += baseline_rows(data, split or "test", descriptors)
    rows.sort(key=lambda r: (r["output"], r["kind"], r["model"]))
    write_results(out / "results.csv", rows)
    progress(f"report: shell probe around {n_marked} marked particles")
    probe = ShellProbe(predictor, n_shells=n_shells, n_marked=n_marked).compute(test[0], progress=True)
    times = predictor.times
    probe_dict = {**probe.to_dict(times, label), **field_lengths(predictor, test)}
    (out / "probe.json").write_text(json.dumps(probe_dict, indent=1))
    progress("report: figures")
    c = test[0]
    pred = predictor.predict(c)
    k_last, measured = _last_shared_time(predictor, c, pred.shape[1])
    temperature = c.metadata.get("temperature")
    figures = [
        ("Measured (left) and predicted (right) propensity in a slab of the first test configuration at "
         f"t={times[k_last] if times else '?'} τ, with the 10% most mobile A particles (measured) as dots; "
         "colour scales set on the A particles.",
         save(mobility_slice(c.positions, c.box, pred[:, k_last], measured, c.types,
                             time=times[k_last] if times else None, temperature=temperature, title=label),
              out / "fig1_mobility_slice")[0]),
        ("Pearson r against time: network, baselines and the noise ceiling of the data.",
         save(correlation_vs_time(rows), out / "fig2_r_vs_time")[0]),
        ("Change of the marked particle's prediction when all shells beyond n are removed.",
         save(shell_change([probe_dict], "ablation"), out / "fig3_shell_ablation")[0]),
        ("Change when all shells beyond n are pushed outwards by 0.1 σ.",
         save(shell_change([probe_dict], "perturbation"), out / "fig3b_shell_perturbation")[0]),
        ("Learned length (Jacobian: the shell holding 90% of the summed sensitivity, solid) against time, beside "
         "the decay length of the measured (dashed) and predicted (dotted) propensity correlation of the split; "
         "ringed: the box does not resolve it.",
         save(length_vs_time([probe_dict], "jacobian"), out / "fig4_learned_length")[0]),
    ]
    warnings = probe_warnings(probe_dict)
    for w in warnings:
        progress(f"report: warning: {w}")
    made = (f"glassnet {__version__}, {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}"
            + (f"\ncommand: {command}" if command else ""))
    sections = [
        ("Made by", made),
        ("Inputs", f"checkpoint: {checkpoint}\ndata: {data.name} (split {split or 'whole file'}, "
                   f"{len(test)} configurations)\nmodel: {predictor.model.config}\n"
                   f"training data: {_training_data(predictor.meta.get('training_data'))}"),
        ("Learned length by three measures, beside the physical length", length_note(probe.fraction) + (
            "\n\nWarning: " + "\nWarning: ".join(warnings) if warnings else
            f"\n\n(half box {probe_dict['half_box']:.2f} sigma, network reach {probe_dict['reach']} shells: "
            "neither caps these lengths)"), (LENGTH_COLUMNS, length_table(probe_dict))),
    ]
    path = write_report(out / "report.html", f"glassnet report: {label}", sections,
                        [(cap, png) for cap, png in figures], rows)
    progress(f"report: wrote {path} in {time.perf_counter() - t0:.0f} s")
    return path


def _last_shared_time(predictor, config, n_outputs: int):
    """The last network output whose time the configuration has labels for (matched by time, as ``evaluate``
    does: a network trained to 520 tau on data labelled to 165 shows 165), and that label row (None without
    labels)."""
    if config.targets is None:
        return n_outputs - 1, None
    outputs, rows = match_outputs(predictor.times, config.times)
    if outputs is None:                              # no time grid: the checkpoint's own pairing by position
        rows = [int(i) for i in predictor.output_index[:n_outputs]]
        outputs = [k for k, i in enumerate(rows) if i < len(config.targets)]
        rows = [rows[k] for k in outputs]
    if not outputs:
        return n_outputs - 1, None
    return outputs[-1], np.asarray(config.targets)[rows[-1]]


def _training_data(info) -> str:
    """A checkpoint's record of its training data in words (what older checkpoints kept, as it is)."""
    if not isinstance(info, dict) or "n_configurations" not in info:
        return str(info)
    n = sorted(set(info.get("n_particles") or []))
    temps = ", ".join(f"{t:g}" for t in info.get("temperatures") or [])
    text = (f"{info['n_configurations']} configurations" + (f" of N = {', '.join(map(str, n))}" if n else "")
            + (f" at T = {temps}" if temps else "") + "; from " + "; ".join(info.get("sources") or ["?"]))
    if info.get("validation"):
        text += f"; validation: {info['validation']}"
    return text + (f"; sha256 {info['sha256'][:12]}..." if info.get("sha256") else "")


def _table_html(rows) -> str:
    """Result rows as one model x time table: r (mean over configurations) per time, the network's r / ceiling
    in brackets, the noise ceiling as the last row."""
    times = sorted({float(r["time"]) for r in rows if r.get("time") not in (None, "")})
    ceiling = {float(r["time"]): r["r_mean"] for r in rows if r["kind"] == "ceiling" and r.get("time") not in (None, "")}
    order = {"network": 0, "physics": 1, "descriptor": 2, "ceiling": 3}
    models = sorted({(r["kind"], r["model"]) for r in rows}, key=lambda km: (order.get(km[0], 2), km[1]))
    head = "<th>model</th><th>kind</th>" + "".join(f"<th>t = {t:g} τ</th>" for t in times)
    body = []
    for kind, model in models:
        cells = {float(r["time"]): r["r_mean"] for r in rows if (r["kind"], r["model"]) == (kind, model)
                 and r.get("time") not in (None, "")}
        tds = []
        for t in times:
            v = cells.get(t)
            text = "" if v is None else f"{v:.3f}"
            if v is not None and kind == "network" and ceiling.get(t):
                text += f" [{v / ceiling[t]:.2f}]"
            tds.append(f"<td>{text}</td>")
        style = " class='ceiling'" if kind == "ceiling" else " class='network'" if kind == "network" else ""
        body.append(f"<tr{style}><td>{html.escape(str(model))}</td><td>{kind}</td>{''.join(tds)}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def write_report(path, title: str, sections: list[tuple[str, str]], figures: list[tuple[str, Path]],
                 rows=None) -> Path:
    """Write one self-contained HTML page: text sections (head, text[, (header, rows) of a table of text cells]),
    a result table and embedded PNG figures."""
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}"
             "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}"
             "tr.network{font-weight:bold}tr.ceiling{font-style:italic;background:#f4f4f4}"
             "pre{white-space:pre-wrap;overflow-wrap:anywhere}"
             "img{max-width:100%}</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    for head, text, *table in sections:
        parts.append(f"<h2>{html.escape(head)}</h2><pre>{html.escape(text)}</pre>")
        if table:
            header, body = table[0]
            parts.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"
                         + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                                   for row in body) + "</table>")
    if rows:
        parts.append("<h2>Pearson r on the test configurations (A particles)</h2><p>Mean over configurations; "
                     "[r / noise ceiling] for the network; the ceiling is how well the data's own replicas "
                     "predict it.</p>" + _table_html(rows))
    for caption, png in figures:
        data = base64.b64encode(Path(png).read_bytes()).decode()
        parts.append(f"<figure><img src='data:image/png;base64,{data}'><figcaption>"
                     f"{html.escape(caption)}</figcaption></figure>")
    parts.append("</body></html>")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts))
    return path
