"""Figures a physicist expects, as PNG and PDF (matplotlib's object API: no pyplot, no global state).

1. :func:`mobility_slice`: a slab of the box coloured by predicted propensity, the truly most mobile
   particles (top 10% by measured propensity) as dots (Bapst et al. 2020, Fig. 3).
2. :func:`correlation_vs_time`: Pearson r against time per dataset (temperature), for the network,
   every baseline and the noise ceiling.
3. :func:`shell_change`: prediction change against shell index, per dataset and timescale.
4. :func:`length_vs_time`: the learned length against time, per dataset, beside the decay length of the
   measured and predicted propensity correlation.
5. :func:`learned_length_study`: the learned length against t / tau_alpha at several temperatures, and the
   relative change against shell at short and long times (Bapst et al. 2020, Fig. 4).
"""
from __future__ import annotations

import functools
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from .evaluation import network_name

__all__ = ["STYLE", "mobility_slice", "correlation_vs_time", "shell_change", "length_vs_time",
           "learned_length_study", "save"]

#: matplotlib settings of glassnet's figures, applied inside each function (no global state is changed)
STYLE = {"font.size": 10, "axes.labelsize": 11, "figure.dpi": 120}


def _styled(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return fn(*args, **kwargs)
    return wrapper


def _subplots(figsize, ncols: int = 1):
    """A figure (no pyplot, so no global figure manager or backend) and its axes."""
    fig = Figure(figsize=figsize)
    axes = fig.subplots(1, ncols, squeeze=False)
    return fig, axes


@_styled
def save(fig, path_stem) -> list[Path]:
    """Save a figure as ``<stem>.png`` and ``<stem>.pdf``; returns both paths."""
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = [stem.with_suffix(".png"), stem.with_suffix(".pdf")]
    for p in out:
        fig.savefig(p, bbox_inches="tight", dpi=200 if p.suffix == ".png" else None)
    return out


def _scale(values, types):
    """Colour limits from the A particles (2nd to 98th percentile): B particles move differently and
    would otherwise set the scale."""
    a = np.asarray(values)[np.asarray(types) == 0] if np.any(np.asarray(types) == 0) else np.asarray(values)
    lo, hi = np.percentile(a, [2, 98])
    return float(lo), float(hi if hi > lo else lo + 1e-12)


@_styled
def mobility_slice(positions, box, predicted, measured=None, types=None, axis: int = 2,
                   thickness: float = 2.0, top: float = 0.1, title: str = "", time=None, temperature=None):
    """Slab of thickness ``thickness`` (sigma) through the middle of the box, coloured by propensity:
    measured and predicted side by side when ``measured`` is given.

    Args:
        positions: (N, 3) positions (sigma); box (3,); predicted (N,) predicted propensity (sigma).
        measured: (N,) measured propensity (sigma); its top ``top`` fraction of the A particles are
            drawn as black dots on both panels.
        types: (N,) types; B particles are drawn smaller. Colour scales are set on the A particles.
        time: the propensity time (tau) and temperature (epsilon/k_B), for the title.

    Returns:
        the matplotlib Figure.
    """
    box = np.asarray(box, float)
    pos = np.mod(np.asarray(positions, float), box)
    mid = box[axis] / 2
    slab = np.abs(pos[:, axis] - mid) < thickness / 2
    ax_i, ax_j = [k for k in range(3) if k != axis]
    types = np.zeros(len(pos), int) if types is None else np.asarray(types)
    panels = [("predicted", np.asarray(predicted, float))]
    if measured is not None:
        panels.insert(0, ("measured", np.asarray(measured, float)))
    fig, axes = _subplots((5.2 * len(panels), 4.6), len(panels))
    size = np.where(types[slab] == 0, 60, 30)
    hot = None
    if measured is not None:
        a = types == 0
        hot = slab & a & (panels[0][1] >= np.quantile(panels[0][1][a], 1 - top))
    names = "xyz"
    for ax, (what, values) in zip(axes[0], panels):
        lo, hi = _scale(values, types)
        sc = ax.scatter(pos[slab, ax_i], pos[slab, ax_j], c=values[slab], s=size, cmap="viridis",
                        vmin=lo, vmax=hi, edgecolors="none")
        fig.colorbar(sc, ax=ax, label=f"{what} propensity (σ)", extend="both")
        if hot is not None:
            ax.scatter(pos[hot, ax_i], pos[hot, ax_j], s=8, c="k", label=f"top {top:.0%} measured (A)")
            ax.legend(loc="upper right", fontsize=8, framealpha=0.8)
        ax.set_xlabel(f"{names[ax_i]} (σ)")
        ax.set_ylabel(f"{names[ax_j]} (σ)")
        ax.set_xlim(0, box[ax_i])
        ax.set_ylim(0, box[ax_j])
        ax.set_aspect("equal")
        ax.set_title(what)
    state = ", ".join(x for x in (f"T = {temperature:g}" if temperature is not None else "",
                                  f"t = {time:g} τ" if time is not None else "") if x)
    slab_text = f"slab |{names[axis]} - L/2| < {thickness / 2:g} σ"
    fig.suptitle(" · ".join(x for x in (title, state, slab_text) if x))
    return fig


def _label(row):
    return row["model"] if row["kind"] != "network" else f"network ({network_name(row['model'])})"


@_styled
def correlation_vs_time(rows, title: str = ""):
    """Pearson r (A particles) against time for every model in result rows, one panel per dataset.

    Args:
        rows: result rows (:data:`glassnet.io.RESULT_COLUMNS`), e.g. from ``evaluate`` and ``baselines``.
    """
    rows = [r for r in rows if r.get("time") not in (None, "") and r.get("r_mean") is not None]
    datasets = sorted({str(r.get("data", "")) for r in rows})
    fig, axes = _subplots((5.2 * max(1, len(datasets)), 4.0), max(1, len(datasets)))
    styles = {"network": dict(marker="o", lw=2), "ceiling": dict(ls="--", color="k", lw=1.5),
              "physics": dict(marker="s", lw=1, alpha=0.8), "descriptor": dict(marker="^", lw=1.2)}
    for ax, data in zip(axes[0], datasets):
        sub = [r for r in rows if str(r.get("data", "")) == data]
        for label in dict.fromkeys(_label(r) for r in sub):
            pts = sorted((float(r["time"]), float(r["r_mean"]), float(r["r_std"] or 0), r["kind"])
                         for r in sub if _label(r) == label)
            t, m, s, kind = zip(*pts)
            ax.errorbar(t, m, yerr=s, label=label, capsize=2, **styles.get(kind[0], {}))
        ax.set_xscale("log")
        ax.set_xlabel("time t (τ)")
        ax.set_ylabel("Pearson r (A particles)")
        ax.set_ylim(min(0.0, ax.get_ylim()[0]), 1.0)
        ax.set_title(title or Path(data).name)
        ax.grid(alpha=0.3)
    # one legend beside the panels, never over the curves (saved with bbox_inches="tight")
    entries = {}
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    fig.legend(list(entries.values()), list(entries), fontsize=7, loc="upper left", bbox_to_anchor=(0.99, 0.95),
               frameon=False)
    return fig


@_styled
def shell_change(probes, experiment: str = "ablation"):
    """Mean change of the marked particle's prediction against shell index.

    Args:
        probes: list of :meth:`glassnet.analysis.ShellProbe.to_dict` results (one per dataset).
        experiment: 'ablation' or 'perturbation' (first push).
    """
    fig, axes = _subplots((5.2, 4.0))
    ax = axes[0, 0]
    for probe in probes:
        mean = np.asarray(probe[f"{experiment}_mean"], float)
        sem = np.asarray(probe[f"{experiment}_sem"], float)
        if experiment == "perturbation":
            mean, sem = mean[0], sem[0]
        times = probe.get("times") or [None] * len(mean)
        for k, (m, s) in enumerate(zip(mean, sem)):
            lab = f"{probe.get('label', '')} t={times[k]:.3g}" if times[k] is not None else probe.get("label", "")
            ax.errorbar(probe["shells"], m, yerr=s, marker="o", capsize=2, label=lab)
    # symlog: an exact zero (shells that cannot change the prediction) is drawn at zero, not at a floor
    positive = np.concatenate([np.ravel(np.asarray(p[f"{experiment}_mean"], float)) for p in probes])
    positive = positive[positive > 0]
    ax.set_yscale("symlog", linthresh=float(positive.min()) if positive.size else 1e-6)
    ax.set_xlabel("shell index n")
    distance = _shell_distances(probes)
    if distance is not None:
        top = ax.secondary_xaxis("top", functions=(lambda n: np.interp(n, *distance),
                                                   lambda r: np.interp(r, distance[1], distance[0])))
        top.set_xlabel("mean distance of shell n (σ)")
    what = "shells > n removed" if experiment == "ablation" else "shells > n pushed out"
    ax.set_ylabel(f"|Δ prediction| (σ), {what}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return fig


def _shell_distances(probes):
    """(shell indices, mean distance in sigma) of the first probe that records them, or None."""
    for probe in probes:
        d = probe.get("shell_distance")
        if d is not None:
            d = np.asarray(d, float)
            ok = np.isfinite(d)
            if ok.sum() >= 2:
                return np.asarray(probe["shells"], float)[ok], d[ok]
    return None


@_styled
def length_vs_time(probes, experiment: str = "ablation", scaled: bool = False):
    """Lengths (sigma) against time, one colour per dataset (temperature): the learned length (solid, where the
    probe has one) and, beside it, the decay length of the measured (dashed) and predicted (dotted) propensity
    correlation (``field_length_*`` of ``glassnet probe``). Lengths the box does not resolve are hollow.

    ``scaled``: time in units of each probe's ``tau_alpha`` (tau) instead of tau.
    """
    fig, axes = _subplots((5.6, 4.2))
    _draw_lengths(axes[0, 0], probes, experiment, scaled)
    return fig


def _draw_lengths(ax, probes, experiment: str, scaled: bool, predicted: bool = True):
    """The lines of :func:`length_vs_time` on ``ax`` (``predicted``: also the predicted field's length)."""
    lines = (("length_" + experiment, "times", "length", "length_err", "-", ""),
             ("field_length_measured", "data_times", "xi", "xi_err", "--", " measured field"),
             ("field_length_predicted", "times", "xi", "xi_err", ":", " predicted field"))[:3 if predicted else 2]
    fields = any(p.get(key) for p in probes for key, *_ in lines[1:])
    for i, probe in enumerate(probes):
        colour = f"C{i}"
        unit = float(probe.get("tau_alpha") or 1.0) if scaled else 1.0
        for key, time_key, value, error, style, what in lines:
            lengths = probe.get(key)
            if not lengths:
                continue
            what = what or (" learned" if fields else "")
            times = np.asarray(probe.get(time_key) or range(len(lengths)), float) / unit
            order = np.argsort(times)                   # files may list times out of order (T=0.44's 1/e time)
            lengths, times = [lengths[k] for k in order], times[order]
            y = np.array([x[value] for x in lengths], float)
            ax.errorbar(times, y, yerr=[x[error] for x in lengths], color=colour, linestyle=style, marker="o",
                        capsize=3, mfc=colour if style == "-" else "white", label=probe.get("label", "") + what)
            capped = np.array([bool(x.get("capped")) for x in lengths])
            if capped.any():
                ax.plot(times[capped], y[capped], "o", color=colour, mfc="none", markersize=11)
    ax.set_xscale("log")
    ax.set_xlabel("t / τ_α" if scaled else "time t (τ)")
    ax.set_ylabel("length (σ)" if fields else "learned length (σ)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)


@_styled
def learned_length_study(probes):
    """The figure of Bapst et al.'s claim, one probe per temperature (highest first): the learned length (sigma)
    against t / tau_alpha from shell ablation and from perturbation, beside the measured field's decay length
    (dashed), and the relative change of the prediction against shell (change / change at shell 0,
    perturbation) at the shortest (solid) and the longest (dashed) time of the highest and the lowest
    temperature. Probes need ``tau_alpha`` (tau)."""
    fig, axes = _subplots((16.5, 4.6), ncols=3)
    for ax, experiment in zip(axes[0, :2], ("ablation", "perturbation")):
        _draw_lengths(ax, probes, experiment, scaled=True, predicted=False)
        ax.set_title(f"learned length, {'shells > n removed' if experiment == 'ablation' else 'shells > n pushed out'}")
    ax = axes[0, 2]
    ends = [(0, probes[0])] + ([(len(probes) - 1, probes[-1])] if len(probes) > 1 else [])
    for i, probe in ends:
        mean = np.asarray(probe["perturbation_mean"][0], float)     # (K, S), the first push
        sem = np.asarray(probe["perturbation_sem"][0], float)
        times = probe.get("times") or list(range(len(mean)))
        for k, style in ((0, "-"), (len(mean) - 1, "--")):
            ax.errorbar(probe["shells"], mean[k] / mean[k][0], yerr=sem[k] / mean[k][0], color=f"C{i}",
                        linestyle=style, marker="o", capsize=2,
                        label=f"{probe.get('label', '')} t={times[k]:.3g} τ")
    ax.axhline(0.1, color="grey", linewidth=0.8)
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_xlabel("shell index n")
    ax.set_ylabel("|Δ prediction| / |Δ at shell 0| (pushed out)")
    ax.set_title("short (solid) and long (dashed) times")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return fig
