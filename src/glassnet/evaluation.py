"""Scoring: Pearson r on the type-A particles per configuration and timescale, and the result tables
(network, baselines and noise ceiling side by side) that every command prints and writes."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from .core import FormatError, ModelError, atomic_write
from .observables import pearson_r

__all__ = ["pearson_r", "evaluate", "evaluation_rows", "RESULT_COLUMNS", "result_rows", "ceiling_rows",
           "write_results", "read_results", "format_table"]


def evaluate(predictor, configurations, output_index=None) -> dict:
    """Pearson r on the A particles per configuration and output.

    Args:
        predictor: a :class:`~glassnet.training.Predictor` (anything with ``predict(config)`` and
            ``output_index``).
        configurations: list of :class:`~glassnet.core.Configuration` with targets (T, N).
        output_index: which target rows correspond to the model outputs; default the predictor's own.

    Returns:
        dict with ``r`` (C, K) per configuration and output, ``mean`` (K,), ``std`` (K,), ``times``.
    """
    idx = list(output_index) if output_index is not None else predictor.output_index
    rs = []
    for c in configurations:
        if c.targets is None:
            raise ModelError("evaluation needs configurations with targets")
        if max(idx) >= len(c.targets):
            raise ModelError(f"the model predicts target rows {idx}, the data has {len(c.targets)}")
        p = predictor.predict(c)
        a = np.asarray(c.types) == 0
        rs.append([pearson_r(p[a, k], c.targets[j][a]) for k, j in enumerate(idx)])
    rs = np.asarray(rs)
    times = None
    if configurations and configurations[0].times is not None:
        times = [float(configurations[0].times[j]) for j in idx]
    return {"r": rs, "mean": rs.mean(axis=0), "std": rs.std(axis=0), "times": times,
            "output_index": list(idx), "n_configurations": len(rs)}


def evaluation_rows(predictor, configs, data="", split="", name="network", note="",
                    output_index=None) -> list[dict]:
    """Result rows (network and noise ceiling) for a predictor on labelled configurations."""
    res = evaluate(predictor, configs, output_index)
    rows = result_rows(name, "network", data, split, res["times"], res["r"], note)
    idx = res["output_index"]
    for row in ceiling_rows(configs, data, split):
        if row["output"] in idx:
            row["output"] = idx.index(row["output"])
            rows.append(row)
    return rows


#: Columns of every result table glassnet writes (`glassnet evaluate`, `glassnet baselines`).
RESULT_COLUMNS = ["model", "kind", "data", "split", "output", "time", "r_mean", "r_std",
                  "n_configurations", "note"]


def write_results(path, rows) -> None:
    """Write result rows (dicts with :data:`RESULT_COLUMNS`) as .csv or .json (atomically)."""
    path = Path(path)
    rows = [{k: row.get(k, "") for k in RESULT_COLUMNS} for row in rows]
    if path.suffix.lower() not in (".json", ".csv"):
        raise FormatError(f"{path}: results go to .csv or .json, not {path.suffix!r}")
    with atomic_write(path) as tmp:
        if path.suffix.lower() == ".json":
            tmp.write_text(json.dumps(rows, indent=1))
        else:
            with open(tmp, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=RESULT_COLUMNS)
                w.writeheader()
                w.writerows(rows)


def read_results(path) -> list[dict]:
    """Read a result table written by :func:`write_results` (numbers parsed)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return json.loads(path.read_text())
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for k in ("output", "n_configurations"):
            row[k] = int(row[k]) if row[k] not in ("", None) else None
        for k in ("time", "r_mean", "r_std"):
            row[k] = float(row[k]) if row[k] not in ("", None) else None
    return rows


def result_rows(model, kind, data, split, times, r, note="") -> list[dict]:
    """Result rows from a (C, K) array of Pearson r per configuration and output: mean, std, count.

    NaN entries (an output missing for some configurations) are left out of that output's statistics.
    """
    r = np.asarray(r, dtype=float)
    rows = []
    for k in range(r.shape[1]):
        col = r[:, k][np.isfinite(r[:, k])]
        if col.size == 0:
            continue
        rows.append({"model": str(model), "kind": kind, "data": str(data), "split": split, "output": k,
                     "time": None if times is None else float(times[k]), "r_mean": float(col.mean()),
                     "r_std": float(col.std()), "n_configurations": int(col.size), "note": note})
    return rows


def ceiling_rows(configurations, data="", split="") -> list[dict]:
    """Result rows for the noise ceiling stored with each configuration (mean and std over them)."""
    vals = [c.metadata.get("noise_ceiling") for c in configurations]
    vals = [np.asarray(v, float) for v in vals if v is not None]
    if not vals:
        return []
    return result_rows("noise ceiling", "ceiling", data, split, configurations[0].times, np.stack(vals),
                       "sqrt of Spearman-Brown split-half reliability, A particles")


def format_table(rows) -> str:
    """Result rows as the fixed-width text table the command line prints."""
    lines = [f"{'model':<28} {'kind':<10} {'t (tau)':>9} {'r mean':>7} {'r std':>6} {'n':>3}  note"]
    for r in rows:
        t = r["time"] if r["time"] is not None else float("nan")
        lines.append(f"{r['model'][-28:]:<28} {r['kind']:<10} {t:9.4g} {r['r_mean']:7.3f} "
                     f"{r['r_std']:6.3f} {r['n_configurations']:3d}  {r.get('note', '')}")
    return "\n".join(lines)
