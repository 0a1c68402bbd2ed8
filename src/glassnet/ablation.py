"""The ablation and results tables: the faithful published network, glassnet's model built up one
ingredient at a time, the baselines and the noise ceiling, on the test split of one dataset.

Every network is trained on the train split and selected on the valid split; the test split is only
scored. Per timescale each row gives the Pearson r on the A particles (mean over test configurations),
its standard error, the pooled r over all test particles, r / noise ceiling, and the paired difference to
the faithful network. With fewer than two test configurations the standard errors come from a bootstrap
over A particles (paired: the same resamples for both networks), which is said in the table.
"""
from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .core import atomic_write
from .formats import read_labelled
from .formats.hdf5 import read_dataset
from .models import architecture, build_config
from .observables import pearson_r
from .training import Predictor, TrainConfig, Trainer

__all__ = ["VARIANTS", "GLASSBENCH_BEST", "run_ablation"]


@dataclass(frozen=True)
class Variant:
    """One row of the ablation: an architecture, its options and the seeds it is trained with."""

    key: str
    label: str
    arch: str = "equivariant"
    options: dict = field(default_factory=dict)
    seeds: tuple = (0,)
    symmetrize: bool = False


VARIANTS = (
    Variant("faithful", "faithful published network (Bapst et al. 2020)", "bapst"),
    Variant("given-config", "glassnet trunk on the given configuration only (invariant, no inherent state)",
            options={"inherent": False, "vectors": False}),
    Variant("inherent", "+ inherent-state inputs (invariant trunk)", options={"vectors": False}),
    Variant("equivariant", "+ equivariant trunk (l=1 vectors): glassnet model, seed 0"),
    Variant("shared-heads", "glassnet model, one head per time shared by both types",
            options={"type_heads": False}),
    Variant("ensemble", "+ 3-seed ensemble", seeds=(0, 1, 2)),
    Variant("ensemble-sym", "+ 48-symmetry averaging (ensemble)", seeds=(0, 1, 2), symmetrize=True),
)

#: best published per-configuration Pearson r (type A) on the GlassBench 3D KA data (N=4096), as quoted
#: in glassnet's issues 7 and 11, keyed by (T, t): (r, model). Other system size, data and replicas.
GLASSBENCH_BEST = {
    (0.64, 0.165): (0.957, "per-time GNN"), (0.64, 0.52): (0.878, "per-time GNN"),
    (0.64, 5.2): (0.726, "EIGNN"), (0.64, 16.5): (0.678, "EIGNN"), (0.64, 52.0): (0.503, "EIGNN"),
    (0.56, 52.0): (0.738, "EIGNN"), (0.56, 165.0): (0.588, "EIGNN"),
}


def _run_dir(out: Path, v: Variant, seed: int) -> Path:
    key = "equivariant" if v.key in ("ensemble", "ensemble-sym") else v.key
    return out / "runs" / f"{key}-seed{seed}"


def _train(v: Variant, seed: int, data, out: Path, steps: int, progress) -> Path:
    run = _run_dir(out, v, seed)
    best = run / "best.pt"
    if best.exists() and not (run / "last.pt").exists():
        return best
    train_set, valid_set = read_labelled(data, "train"), read_labelled(data, "valid")
    arch = architecture(v.arch)
    mcfg = build_config(arch, len(train_set[0].targets), v.options)
    tcfg = TrainConfig(steps=steps, seed=seed, eval_every=max(25, steps // 20), **arch.recipe)
    trainer = Trainer(train_set, valid_set, mcfg, tcfg, run, times=train_set[0].times)
    if trainer.step < steps:
        t0 = time.perf_counter()
        progress(f"ablation: training {v.key} seed {seed} ({steps} steps) in {run}")
        trainer.run(progress=False)
        progress(f"          {time.perf_counter() - t0:.0f} s; best validation r {trainer.best_r:.3f}")
    (run / "last.pt").unlink(missing_ok=True)   # finished: keep best.pt only
    return best


def _train_seconds(ckpt: Path, meta: dict) -> float:
    """Wall-clock training time of a run: recorded in best.pt, or the last row of its metrics.csv."""
    if "train_seconds_total" in meta:
        return float(meta["train_seconds_total"])
    metrics = Path(ckpt).with_name("metrics.csv")
    last = {}
    if metrics.exists():
        with open(metrics, newline="") as f:
            last = list(csv.DictReader(f))[-1]
    return max(float(meta.get("train_seconds", np.nan)), float(last.get("seconds", np.nan)))


def _stats(preds: dict, configs, ceilings: np.ndarray, n_boot: int = 500, seed: int = 0) -> dict:
    """Per model and timescale: r mean, its SE, pooled r, paired difference to 'faithful' and its SE."""
    keys = list(preds)
    n_t = ceilings.shape[1]
    a_masks = [np.asarray(c.types) == 0 for c in configs]
    r = {k: np.array([[pearson_r(preds[k][i][m, j], c.targets[j][m]) for j in range(n_t)]
                      for i, (c, m) in enumerate(zip(configs, a_masks))]) for k in keys}
    rng = np.random.default_rng(seed)
    boot = {k: np.zeros((n_boot, n_t)) for k in keys}
    if len(configs) < 2:
        for b in range(n_boot):
            for i, (c, m) in enumerate(zip(configs, a_masks)):
                idx = rng.choice(np.nonzero(m)[0], m.sum())
                for k in keys:
                    boot[k][b] += [pearson_r(preds[k][i][idx, j], c.targets[j][idx]) for j in range(n_t)]
    out = {}
    for k in keys:
        pooled = [pearson_r(np.concatenate([p[m, j] for p, m in zip(preds[k], a_masks)]),
                            np.concatenate([c.targets[j][m] for c, m in zip(configs, a_masks)]))
                  for j in range(n_t)]
        d = r[k] - r["faithful"] if "faithful" in r else np.full_like(r[k], np.nan)
        if len(configs) >= 2:
            se = r[k].std(axis=0, ddof=1) / np.sqrt(len(configs))
            d_se = d.std(axis=0, ddof=1) / np.sqrt(len(configs))
        else:
            se = boot[k].std(axis=0)
            d_se = (boot[k] - boot["faithful"]).std(axis=0) if "faithful" in boot else np.full(n_t, np.nan)
        out[k] = {"r": r[k].mean(axis=0), "se": se, "pooled": np.asarray(pooled),
                  "ratio": r[k].mean(axis=0) / ceilings.mean(axis=0), "diff": d.mean(axis=0), "diff_se": d_se}
    return out


def run_ablation(data, out_dir, steps: int = 800, faithful_steps: int = 6000, variants=VARIANTS,
                 faithful_checkpoint=None, baselines: bool = True, progress=print) -> Path:
    """Train every variant (resumable), score it on the test split and write the tables.

    Args:
        data: glassnet .h5 with train/valid/test splits and inherent states, or a list of such files
            (each split is then the union of the files' splits).
        out_dir: ``runs/<variant>-seed<k>/`` (checkpoints), ``ablation.csv``, ``ablation.md``.
        steps: training steps of glassnet's variants; ``faithful_steps`` those of the faithful network.
        faithful_checkpoint: use this trained faithful network instead of training one.
        baselines: add the physics and descriptor baselines to the Markdown table.

    Returns:
        the path of ``ablation.md``.
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    test = read_labelled(data, "test")
    ceil = np.array([c.metadata["noise_ceiling"] for c in test], float)
    times = [float(t) for t in test[0].times]
    first = data[0] if isinstance(data, (list, tuple)) else data
    temperature = read_dataset(first).metadata.get("temperature")
    preds, labels, cost = {}, {}, {}
    for v in variants:
        if v.arch == "bapst" and faithful_checkpoint:
            ckpts = [Path(faithful_checkpoint)]
        else:
            ckpts = [_train(v, seed, data, out, faithful_steps if v.arch == "bapst" else steps, progress)
                     for seed in v.seeds]
        predictor = Predictor(ckpts, symmetrize=v.symmetrize)
        preds[v.key] = [predictor.predict(c) for c in test]
        labels[v.key] = v.label
        cost[v.key] = sum(_train_seconds(ckpt, meta) for ckpt, (_, meta, _, _) in zip(ckpts, predictor.members))
    stats = _stats(preds, test, ceil)
    rows = []
    for k, s in stats.items():
        for j, t in enumerate(times):
            rows.append({"model": k, "label": labels[k], "time": t, "r": s["r"][j], "r_se": s["se"][j],
                         "r_pooled": s["pooled"][j], "ceiling": ceil.mean(axis=0)[j],
                         "r_over_ceiling": s["ratio"][j], "diff_vs_faithful": s["diff"][j],
                         "diff_se": s["diff_se"][j], "n_test_configurations": len(test),
                         "train_seconds": cost[k]})
    with atomic_write(out / "ablation.csv") as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    base_rows = []
    if baselines:
        from .baselines import baseline_rows
        progress("ablation: baselines")
        base_rows = baseline_rows(data, "test", True)
    md = _markdown(data, stats, labels, times, ceil, base_rows, temperature, len(test), cost)
    (out / "ablation.md").write_text(md)
    progress(md)
    progress(f"ablation: wrote {out / 'ablation.md'} and ablation.csv in {time.perf_counter() - t0:.0f} s")
    return out / "ablation.md"


def _markdown(data, stats, labels, times, ceil, base_rows, temperature, n_test, cost) -> str:
    head = "| model | " + " | ".join(f"t={t:g}" for t in times) + " |"
    sep = "|---|" + "---|" * len(times)
    err = "SE over test configurations" if n_test >= 2 else "SE from a bootstrap over A particles"
    name = " + ".join(Path(str(d)).name for d in (data if isinstance(data, (list, tuple)) else [data]))
    lines = [f"### {name}: Pearson r (type A) on the test split ({n_test} configuration(s))",
             "", f"Each cell: r +- SE ({err}) [r / noise ceiling]; second table: paired difference to the "
             "faithful network.", "", head, sep]
    for k, s in stats.items():
        cells = [f"{s['r'][j]:.3f} +- {s['se'][j]:.3f} [{s['ratio'][j]:.2f}]" for j in range(len(times))]
        lines.append(f"| {labels[k]} | " + " | ".join(cells) + " |")
    by_model = {}
    for r in base_rows:
        by_model.setdefault((r["kind"], r["model"]), {})[r["output"]] = r["r_mean"]
    for (kind, model), vals in sorted(by_model.items()):
        lines.append(f"| baseline ({kind}): {model} | " + " | ".join(
            f"{vals[j]:.3f}" if j in vals else "-" for j in range(len(times))) + " |")
    lines.append("| noise ceiling | " + " | ".join(f"{c:.3f}" for c in ceil.mean(axis=0)) + " |")
    if temperature is not None:
        refs = [GLASSBENCH_BEST.get((round(float(temperature), 2), round(t, 3))) for t in times]
        if any(refs):
            lines.append("| best published, GlassBench N=4096 (other data) | " + " | ".join(
                f"{x[0]:.3f} ({x[1]})" if x else "-" for x in refs) + " |")
    lines += ["", "Pooled r over all test A particles, and the paired difference to the faithful network:", "",
              head, sep]
    for k, s in stats.items():
        cells = [f"{s['pooled'][j]:.3f}; {s['diff'][j]:+.3f} +- {s['diff_se'][j]:.3f}" for j in range(len(times))]
        lines.append(f"| {labels[k]} | " + " | ".join(cells) + " |")
    lines += ["", "Training time on this machine (wall-clock seconds summed over the row's networks; the "
              "ensemble rows share their three networks, of which the glassnet-model row is seed 0):", ""]
    lines += [f"- {labels[k]}: {cost[k]:.0f} s" for k in stats]
    return "\n".join(lines) + "\n"
