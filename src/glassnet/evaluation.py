"""Scoring: Pearson r on the type-A particles per configuration and timescale, and the result tables
(network, baselines and noise ceiling side by side) that every command prints and writes."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from .core import FormatError, ModelError, atomic_write, check_targets
from .observables import pearson_r

__all__ = ["pearson_r", "TIME_RTOL", "match_outputs", "evaluate", "evaluation_rows", "network_name", "RESULT_COLUMNS", "result_rows", "ceiling_rows",
           "write_results", "read_results", "format_table"]


#: relative tolerance within which a network's output time and a target time count as the same time
TIME_RTOL = 0.02


def match_outputs(network_times, data_times, output_index=None, rtol: float = TIME_RTOL):
    """Which network outputs are scored against which target rows.

    With ``output_index`` (one target row per network output) the pairing is by position, as given. Otherwise,
    when both grids are known, each output is paired with the target whose time (tau) agrees within
    ``rtol``; outputs without one are left out, and if none has one the pairing is refused.

    Returns:
        (outputs, rows): network output indices and the target rows they are scored against.

    Raises:
        ModelError: no output time matches a target time (the message shows both grids).
    """
    if output_index is not None:
        return list(range(len(output_index))), [int(i) for i in output_index]
    if network_times is None or data_times is None:
        return None, None
    data = np.asarray(data_times, float)
    outputs, rows = [], []
    for k, t in enumerate(network_times):
        close = np.nonzero(np.abs(data - t) <= rtol * t)[0]
        if close.size:
            outputs.append(k)
            rows.append(int(close[np.argmin(np.abs(data[close] - t))]))
    if not outputs:
        raise ModelError("the network predicts t = " + ", ".join(f"{t:g}" for t in network_times)
                         + " tau but the data has t = " + ", ".join(f"{t:g}" for t in data)
                         + f" tau (none within {rtol:.0%}); pair them by position with --output-index")
    return outputs, rows


def evaluate(predictor, configurations, output_index=None, progress: bool = False) -> dict:
    """Pearson r on the A particles per configuration and output.

    Outputs are paired with the targets of the same time (:func:`match_outputs`); without recorded times,
    with the checkpoint's ``output_index``. A time-conditioned network (``predictor.any_time``) predicts
    at the data's own times.

    Args:
        predictor: a :class:`~glassnet.training.Predictor` (anything with ``predict(config)``,
            ``output_index`` and ``times``).
        configurations: list of :class:`~glassnet.core.Configuration` with targets (T, N).
        output_index: target rows paired with the outputs by position (overrides the time matching).

    Returns:
        dict with ``r`` (C, K) per configuration and scored output, ``mean`` (K,), ``std`` (K,), ``times``
        (the target times, tau), ``network_times``, ``outputs`` (network output indices) and
        ``output_index`` (target rows).
    """
    data_times = configurations[0].times if configurations else None
    at_data_times = getattr(predictor, "any_time", False) and data_times is not None and output_index is None
    if at_data_times:                 # a time-conditioned network predicts at the data's own times
        if any(c.times is None or len(c.times) != len(data_times) or not np.allclose(c.times, data_times)
               for c in configurations):
            raise ModelError("these configurations are labelled at different times (several state points?): "
                             "evaluate one file or temperature at a time")
        outputs = idx = list(range(len(data_times)))
    else:
        outputs, idx = match_outputs(getattr(predictor, "times", None), data_times, output_index)
    if idx is None:
        idx = list(predictor.output_index)
        outputs = list(range(len(idx)))
    rs = []
    from tqdm.auto import tqdm

    for c in tqdm(configurations, desc="evaluate", unit="config", disable=not progress or len(configurations) < 2):
        if c.targets is None:
            raise ModelError("evaluation needs configurations with targets")
        check_targets([c], ModelError)
        if max(idx) >= len(c.targets):
            raise ModelError(f"the model predicts target rows {idx}, the data has {len(c.targets)}")
        p = predictor.predict(c, times=c.times) if at_data_times else predictor.predict(c)
        a = np.asarray(c.types) == 0
        rs.append([pearson_r(p[a, k], c.targets[j][a]) for k, j in zip(outputs, idx)])
    rs = np.asarray(rs)
    times = None if data_times is None else [float(data_times[j]) for j in idx]
    net_times = list(data_times) if at_data_times else getattr(predictor, "times", None)
    return {"r": rs, "mean": rs.mean(axis=0), "std": rs.std(axis=0), "times": times,
            "network_times": None if net_times is None else [float(net_times[k]) for k in outputs],
            "outputs": outputs, "output_index": list(idx), "n_configurations": len(rs)}


def evaluation_rows(predictor, configs, data="", split="", name="network", note="",
                    output_index=None, progress: bool = False) -> list[dict]:
    """Result rows (network and noise ceiling) for a predictor on labelled configurations (``progress``: a
    bar over configurations)."""
    res = evaluate(predictor, configs, output_index, progress)
    rows = result_rows(name, "network", data, split, res["times"], res["r"], note)
    for row in rows:                  # columns of r -> network outputs, noting a time that differs
        col = row["output"]
        row["output"] = res["outputs"][col]
        t_net = res["network_times"][col] if res["network_times"] else None
        if t_net is not None and row["time"] is not None and abs(t_net - row["time"]) > 1e-9 * row["time"]:
            row["note"] = "; ".join(x for x in (row["note"], f"network output t={t_net:g}") if x)
    idx, outputs = res["output_index"], res["outputs"]
    for row in ceiling_rows(configs, data, split):
        if row["output"] in idx:
            row["output"] = outputs[idx.index(row["output"])]
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


def network_name(checkpoint) -> str:
    """The name a network (a checkpoint path or shipped name) or a seed ensemble (a list) gets in tables
    and figures: its file name without a .pt/.pth suffix (never cut at another dot: 'ka-T0.64' stays
    whole), a run folder's name for its best.pt/last.pt, and 'ensemble of K: a + b + ...' for a list."""
    if isinstance(checkpoint, (list, tuple)):
        if len(checkpoint) == 1:
            return network_name(checkpoint[0])
        return f"ensemble of {len(checkpoint)}: " + " + ".join(network_name(c) for c in checkpoint)
    path = Path(str(checkpoint))
    name = path.name[: -len(path.suffix)] if path.suffix in (".pt", ".pth") else path.name
    if name in ("best", "last") and path.parent.name:
        return f"{path.parent.name}/{name}"
    return name


def format_table(rows) -> str:
    """Result rows as the fixed-width text table the command line prints."""
    width = max([28] + [len(str(r["model"])) for r in rows])
    lines = [f"{'model':<{width}} {'kind':<10} {'t (tau)':>9} {'r mean':>7} {'r std':>6} {'n':>3}  note"]
    for r in rows:
        t = r["time"] if r["time"] is not None else float("nan")
        lines.append(f"{r['model']:<{width}} {r['kind']:<10} {t:9.4g} {r['r_mean']:7.3f} "
                     f"{r['r_std']:6.3f} {r['n_configurations']:3d}  {r.get('note', '')}")
    return "\n".join(lines)
