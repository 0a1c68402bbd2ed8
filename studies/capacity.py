"""Capacity with data (issue 29): glassnet's model at several widths and depths, each trained on the same
labels until its validation r stops rising, scored on iso-configurational test configurations against the
noise ceiling, the shipped networks and the faithful published architecture, with its CPU cost.

    python -m studies.capacity ../data/single-T0.64.h5 --valid data/reference/ka-T0.64.h5 \\
        --test data/reference/ka-T0.64.h5 data/reference/ka-T0.64-b.h5 --sizes 32x3 64x3 64x5 128x3 \\
        --steps 4000 --patience 8 --out-dir ../runs/capacity --csv docs/capacity_T0.64.csv \\
        --figure docs/capacity_T0.64.png

Each size HIDDENxLAYERS trains with the recipe of `glassnet train --model equivariant` (compiled, one torch
thread, ``--option`` fields as in `glassnet train --option`), validation every 100 steps on the valid split of
``--valid``, stopping after ``--patience`` validations without a new best (the best checkpoint is kept).
Every run resumes from its folder, so a killed study restarts where it stopped. Printed per size: parameters,
the step of the best checkpoint and of the stop, CPU-hours of training to the best checkpoint (one thread on
this machine, validation included), and r [r / ceiling] per time with the paired difference to the shipped
ensemble. ``--csv`` appends one line per (size, time); ``--figure`` draws r / ceiling against CPU-hours per
time from that file and each run's validation curve.
"""
import argparse
from pathlib import Path

import numpy as np

from glassnet.formats import read_labelled
from glassnet.models import architecture
from glassnet.runtime import tune_allocator
from glassnet.training import fit, load_checkpoint

from studies.common import Scorer, append_rows, single_run_configurations

HEADER = ["temperature", "size", "hidden", "layers", "options", "parameters", "best_step", "steps", "cpu_hours",
          "cpu_hours_total", "time", "r", "ceiling"]


def parse_size(text: str) -> tuple[int, int]:
    try:
        hidden, layers = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise SystemExit(f"size {text!r}: expected HIDDENxLAYERS, e.g. 64x5") from None
    return hidden, layers


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("single", nargs="*", help="single-run label files (pooled; inherent states unless inherent=false)")
    ap.add_argument("--valid", help="iso file whose valid split selects the checkpoint")
    ap.add_argument("--test", nargs="+", help="iso files whose test splits are scored")
    ap.add_argument("--sizes", nargs="+", default=["32x3", "64x3", "64x5", "128x3"], help="HIDDENxLAYERS")
    ap.add_argument("--steps", type=int, default=4000, help="most steps per run")
    ap.add_argument("--patience", type=int, default=8, help="validations without a new best before stopping")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--weight-decay", type=float, default=0.0, help="AdamW weight decay (0: the recipe's Adam)")
    ap.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                    help="a field of glassnet's model config for every size (e.g. inherent=false)")
    ap.add_argument("--shipped", nargs="+", default=["ka-T0.64", "ka-T0.64-seed1", "ka-T0.64-seed2"])
    ap.add_argument("--faithful", default="ka-T0.64-bapst", help="the published architecture, shipped")
    ap.add_argument("--out-dir", default="../runs/capacity")
    ap.add_argument("--csv", help="append the rows here")
    ap.add_argument("--figure", help="draw r / ceiling against CPU-hours from --csv (PNG)")
    ap.add_argument("--figure-only", action="store_true", help="only draw --figure from --csv (no training)")
    args = ap.parse_args()
    if args.figure_only:
        return figure(args.csv, args.out_dir, args.figure)
    if not (args.single and args.valid and args.test):
        ap.error("training needs single-run files, --valid and --test")
    import torch

    torch.set_num_threads(1)
    tune_allocator()
    options = dict(o.split("=", 1) for o in args.option)
    train = single_run_configurations(args.single, displacements=options.get("edge_head", "").lower() == "true")
    valid = read_labelled(args.valid, "valid")
    scorer = Scorer(args.test, reference=args.shipped)
    times = scorer.times
    temperature = scorer.test[0].metadata.get("temperature")
    tag = "".join(f"-{k}={v}" for k, v in sorted(options.items())) + (f"-wd{args.weight_decay:g}" if args.weight_decay
                                                                       else "")
    arch = architecture("equivariant")

    print(f"train: {len(train)} single-run configurations ({', '.join(Path(p).name for p in args.single)}); "
          f"test: {len(scorer.test)} iso configurations; times {times} tau")
    print("| network | parameters | best step / steps | CPU-h to best | " + " | ".join(f"t = {t:g}" for t in times)
          + " | paired difference to the shipped ensemble |")
    print("| noise ceiling | | | | " + " | ".join(f"{c:.3f}" for c in scorer.ceiling) + " | |")
    print(f"| shipped {' + '.join(args.shipped)} (the reference) | | | | {scorer.cells(scorer.reference)} |")
    print(f"| faithful {args.faithful} | | | | {scorer.cells(scorer.score([args.faithful]))} |", flush=True)
    for size in args.sizes:
        hidden, layers = parse_size(size)
        out = Path(args.out_dir) / f"h{hidden}-l{layers}{tag}-seed{args.seed}"
        # the plain architecture plus the study's options: each row names everything it adds
        trainer = fit(train, valid, out, arch.name, {**options, "hidden": hidden, "layers": layers}, times=times,
                      plain=True, progress=False, steps=args.steps, seed=args.seed, eval_every=100, compile=True,
                      patience=args.patience, weight_decay=args.weight_decay)
        model, meta = load_checkpoint(out / "best.pt")
        n_par = sum(p.numel() for p in model.parameters())
        hours, total = meta["train_seconds"] / 3600, meta.get("train_seconds_total", np.nan) / 3600
        res = scorer.score(out / "best.pt")
        print(f"| {size}{tag} | {n_par:,} | {meta['step']} / {meta.get('steps_total', trainer.step)} | {hours:.2f} | "
              f"{scorer.cells(res)} |", flush=True)
        if args.csv:
            append_rows(args.csv, HEADER, [[temperature, size, hidden, layers, tag.lstrip("-"), n_par, meta["step"],
                                            meta.get("steps_total", trainer.step), hours, total, t, float(r), float(c)]
                                           for t, r, c in zip(times, res["mean"], scorer.ceiling)])
    if args.figure and args.csv:
        figure(args.csv, args.out_dir, args.figure)


def figure(csv_path, runs, out) -> None:
    """r / ceiling against CPU-hours to the best checkpoint, one panel per time, one marker per network; and the
    validation r (mean over times) of every run against its CPU-hours of training."""
    import csv

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(csv.DictReader(open(csv_path)))
    times = sorted({float(r["time"]) for r in rows})
    nets = list(dict.fromkeys((r["size"], r["options"]) for r in rows))
    n_panels = len(times) + 1
    cols = (n_panels + 1) // 2
    fig, axes = plt.subplots(2, cols, figsize=(3.3 * cols, 6.4), squeeze=False)
    panels = axes.ravel()
    for k, (size, opt) in enumerate(nets):
        labels = (("edge_head", " + pair labels"), ("harmonic_times", " + harmonic input"),
                  ("harmonic_trunk=false", " (heads only)"))
        color, name = f"C{k}", size + "".join(label for key, label in labels if key in opt)
        for ax, t in zip(panels, times):
            pts = [(float(r["cpu_hours"]), float(r["r"]) / float(r["ceiling"])) for r in rows
                   if (r["size"], r["options"]) == (size, opt) and float(r["time"]) == t]
            ax.plot(*zip(*pts), "o", color=color, label=name)
        hidden, layers = parse_size(size)
        metrics = Path(runs) / f"h{hidden}-l{layers}{('-' + opt) if opt else ''}-seed0" / "metrics.csv"
        if metrics.exists():
            x, y, offset, last = [], [], 0.0, 0.0
            for m in csv.DictReader(open(metrics)):
                sec = float(m["seconds"])
                if sec < last:               # a resumed run counts its seconds from zero again
                    offset += last
                last = sec
                x.append((sec + offset) / 3600)
                y.append(float(m["valid_r_mean"]))
            panels[len(times)].plot(x, y, color=color, label=name)
    for ax, t in zip(panels, times):
        ax.set_title(f"t = {t:g} tau")
        ax.set_xlabel("CPU-hours of training")
        ax.set_ylabel("r / noise ceiling (test, A)")
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo - 0.02, hi + 0.02)
    curves = panels[len(times)]
    curves.set_title("validation r (mean over times)")
    curves.set_xlabel("CPU-hours of training")
    curves.set_ylim(0.55, None)
    for ax in panels[len(times) + 1:]:
        ax.axis("off")
    handles, labels = panels[0].get_legend_handles_labels()
    (panels[len(times) + 1] if len(panels) > len(times) + 1 else curves).legend(handles, labels, loc="center",
                                                                               fontsize=9, title="network")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"figure: {out}")


if __name__ == "__main__":
    main()
