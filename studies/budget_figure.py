"""Accuracy per CPU-hour of training labels (issue 16): the figure, from the rows studies/label_budget.py
wrote with ``--csv``.

One panel per output time: test r / noise ceiling against the CPU-hours of MD and quench behind the training
labels (log scale), one line per label protocol (30 replicas, few replicas, single runs), each point the
largest seed ensemble measured at that budget, labelled with its number of training configurations. Rows without a cost (the shipped single-run networks, whose
data have their own rows) are left out. Run:
    python -m studies.budget_figure budget-T0.64.csv [more.csv ...] --out docs/label_budget_T0.64.png
"""
import argparse
import csv
from collections import defaultdict

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter


def read_rows(paths):
    rows = []
    for path in paths:
        with open(path, newline="") as f:
            rows += [r for r in csv.DictReader(f) if r["cpu_hours"]]
    return rows


def curves(rows):
    """{(temperature, protocol): {time: [(cpu_hours, r / ceiling, configurations)]}}, the largest ensemble per
    budget."""
    best = {}
    for r in rows:
        key = (r["temperature"], r["protocol"], r["configurations"], r["time"])
        if key not in best or int(r["seeds"]) > int(best[key]["seeds"]):
            best[key] = r
    out = defaultdict(lambda: defaultdict(list))
    for (temp, protocol, n, t), r in best.items():
        out[(temp, protocol)][float(t)].append((float(r["cpu_hours"]), float(r["r"]) / float(r["ceiling"]), int(n)))
    for per_time in out.values():
        for pts in per_time.values():
            pts.sort()
    return out


def figure(rows, title=""):
    data = curves(rows)
    times = sorted({t for per_time in data.values() for t in per_time})
    cols = min(3, len(times))
    nrows = int(np.ceil(len(times) / cols))
    fig = Figure(figsize=(4.2 * cols, 3.4 * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, cols, squeeze=False).ravel()
    for ax, t in zip(axes, times):
        for (temp, protocol), per_time in sorted(data.items()):
            if t in per_time:
                x, y, n = zip(*per_time[t])
                ax.plot(x, y, "o-", label=f"{protocol} (T={float(temp):g})")
                for xi, yi, ni in zip(x, y, n):
                    ax.annotate(str(ni), (xi, yi), textcoords="offset points", xytext=(3, 3), fontsize=6)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(f"t = {t:g} tau")
        ax.set_xlabel("CPU-hours of training data")
        ax.set_ylabel("test r / noise ceiling")
        ax.grid(alpha=0.3)
    for ax in axes[len(times):]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", nargs="+", help="files written by label_budget.py --csv")
    ap.add_argument("--out", required=True, help="the figure (.png, .pdf or .svg)")
    ap.add_argument("--title", default="", help="a title above the panels")
    args = ap.parse_args()
    rows = read_rows(args.csv)
    if not rows:
        raise SystemExit(f"no row with a cost in {', '.join(args.csv)}")
    figure(rows, args.title).savefig(args.out, dpi=120)
    print(f"wrote {args.out} ({len(rows)} rows)")


if __name__ == "__main__":
    main()
