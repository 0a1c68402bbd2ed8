"""The ablation and results tables: the faithful published network, glassnet's model built up one
ingredient at a time, the baselines and the noise ceiling, on the test split of one dataset.

Every network is trained on the train split and selected on the valid split; the test split is only
scored. Per timescale each row gives the Pearson r on the A particles (mean over test configurations),
its standard error, the pooled r over all test particles, r / noise ceiling, the paired difference to
the faithful network, and, for the rows that add one input to glassnet's model (:data:`PHYSICS_VARIANTS`),
the paired difference to the row they add to and the prediction cost per configuration. With fewer than
two test configurations the standard errors come from a bootstrap over A particles (paired: the same
resamples for both networks), which is said in the table.
"""
from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .core import FormatError, atomic_write
from .formats import Splits
from .models import InputCache
from .observables import pearson_r
from .training import Predictor, Trainer

__all__ = ["VARIANTS", "PHYSICS_VARIANTS", "GLASSBENCH_BEST", "run_ablation"]


@dataclass(frozen=True)
class Variant:
    """One row of the ablation: an architecture, its options and the seeds it is trained with."""

    key: str
    label: str
    arch: str = "equivariant"
    options: dict = field(default_factory=dict)
    seeds: tuple = (0,)
    symmetrize: bool = False
    reference: str = ""         # the row this one adds an input to (paired difference); "" for none


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

#: the physics inputs (issue 17), each added alone to glassnet's model and then all together; three seeds
#: each, compared (paired, over test configurations) with the 3-seed ensemble of glassnet's model
_SEEDS3 = (0, 1, 2)
_HARMONIC = {"harmonic_times": (0.165, 0.52)}
PHYSICS_VARIANTS = (
    Variant("harmonic", "+ harmonic short-time estimate (t = 0.165, 0.52 tau) to trunk and heads (ensemble)",
            options=_HARMONIC, seeds=_SEEDS3, reference="ensemble"),
    Variant("harmonic-heads", "+ harmonic short-time estimate (t = 0.165, 0.52 tau) to the heads only (ensemble)",
            options={**_HARMONIC, "harmonic_trunk": False}, seeds=_SEEDS3, reference="ensemble"),
    Variant("force-heads", "+ log force magnitude of the given configuration to the heads (ensemble)",
            options={"force_heads": True}, seeds=_SEEDS3, reference="ensemble"),
    Variant("multiscale", "+ multi-scale inherent-state energy, density, q4, q6 over 1-3 sigma (ensemble)",
            options={"multiscale": True}, seeds=_SEEDS3, reference="ensemble"),
    Variant("basin", "+ soft-mode participation and vibrational amplitude of the inherent state (ensemble)",
            options={"basin": True}, seeds=_SEEDS3, reference="ensemble"),
    Variant("physics", "+ all four physics inputs (ensemble)",
            options={**_HARMONIC, "force_heads": True, "multiscale": True, "basin": True}, seeds=_SEEDS3,
            reference="ensemble"),
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


def _train(v: Variant, seed: int, data: Splits, out: Path, steps: int, progress, compile: bool = False,
           cache: InputCache | None = None) -> Path:
    run = _run_dir(out, v, seed)
    best = run / "best.pt"
    if best.exists() and not (run / "last.pt").exists():
        return best
    train_set, valid_set = data.train, data.valid
    # the ladder starts from the plain architecture: each row adds its inputs to it
    trainer = Trainer.from_architecture(train_set, valid_set, run, v.arch, v.options, times=train_set[0].times,
                                        plain=True, steps=steps, seed=seed, eval_every=max(25, steps // 20),
                                        compile=compile, cache=cache)
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


def _paired(a: np.ndarray, b: np.ndarray, boot_a, boot_b, n_configs: int):
    """Mean and SE of the paired difference of per-configuration r (configurations x times)."""
    d = a - b
    if n_configs >= 2:
        return d.mean(axis=0), d.std(axis=0, ddof=1) / np.sqrt(n_configs)
    return d.mean(axis=0), (boot_a - boot_b).std(axis=0)


def _stats(preds: dict, configs, ceilings: np.ndarray, n_boot: int = 500, seed: int = 0,
           references: dict | None = None) -> dict:
    """Per model and timescale: r mean, its SE, pooled r, paired difference to 'faithful' and its SE, and
    to the model's reference (``references``: key -> key) where it has one."""
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
        nan = np.full(n_t, np.nan)
        se = r[k].std(axis=0, ddof=1) / np.sqrt(len(configs)) if len(configs) >= 2 else boot[k].std(axis=0)
        d, d_se = (_paired(r[k], r["faithful"], boot[k], boot["faithful"], len(configs)) if "faithful" in r
                   else (nan, nan))
        ref = (references or {}).get(k, "")
        rd, rd_se = _paired(r[k], r[ref], boot[k], boot[ref], len(configs)) if ref in r else (nan, nan)
        out[k] = {"r": r[k].mean(axis=0), "se": se, "pooled": np.asarray(pooled),
                  "ratio": r[k].mean(axis=0) / ceilings.mean(axis=0), "diff": d, "diff_se": d_se,
                  "reference": ref if ref in r else "", "ref_diff": rd, "ref_diff_se": rd_se}
    return out


def run_ablation(data, out_dir, steps: int = 800, faithful_steps: int = 6000, variants=VARIANTS,
                 faithful_checkpoint=None, baselines: bool = True, progress=print, compile: bool = False) -> Path:
    """Train every variant (resumable), score it on the test split and write the tables.

    Args:
        data: a :class:`~glassnet.formats.Splits` with train/valid/test splits and inherent states, or the
            glassnet .h5 file(s) to read into one (each split is then the union of the files' splits).
        out_dir: ``runs/<variant>-seed<k>/`` (checkpoints), ``ablation.csv``, ``ablation.md``.
        steps: training steps of glassnet's variants; ``faithful_steps`` those of the faithful network.
        variants: the rows (:data:`VARIANTS`, :data:`PHYSICS_VARIANTS` or any selection of them).
        faithful_checkpoint: use this trained faithful network (path or shipped name) instead of training one.
        baselines: add the physics and descriptor baselines to the Markdown table.
        compile: train glassnet's variants through ``torch.compile`` (same steps, ~3x faster on a CPU).

    Returns:
        the path of ``ablation.md``.
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = Splits.of(data)
    if not data.has_splits:
        raise FormatError(f"{data.name}: an ablation trains and scores on train/valid/test splits (glassnet .h5)")
    test = data.test
    ceil = np.array([c.metadata["noise_ceiling"] for c in test], float)
    times = [float(t) for t in test[0].times]
    temperature = test[0].metadata.get("temperature")
    preds, labels, cost, per_config = {}, {}, {}, {}
    training_inputs = InputCache()          # shared by the rows' trainers: seeds and rows reuse the inputs
    for v in variants:
        if v.arch == "bapst" and faithful_checkpoint:
            ckpts = [faithful_checkpoint]
        else:
            ckpts = [_train(v, seed, data, out, faithful_steps if v.arch == "bapst" else steps, progress,
                            compile and v.arch != "bapst", training_inputs)
                     for seed in v.seeds]
        predictor = Predictor(ckpts, symmetrize=v.symmetrize)   # its own input cache: the cost below
        t_pred = time.perf_counter()
        preds[v.key] = [predictor.predict(c) for c in test]
        per_config[v.key] = (time.perf_counter() - t_pred) / len(test)
        labels[v.key] = v.label
        cost[v.key] = sum(_train_seconds(ckpt, meta) for ckpt, (_, meta, _, _) in zip(ckpts, predictor.members))
    stats = _stats(preds, test, ceil, references={v.key: v.reference for v in variants if v.reference})
    rows = []
    for k, s in stats.items():
        for j, t in enumerate(times):
            rows.append({"model": k, "label": labels[k], "time": t, "r": s["r"][j], "r_se": s["se"][j],
                         "r_pooled": s["pooled"][j], "ceiling": ceil.mean(axis=0)[j],
                         "r_over_ceiling": s["ratio"][j], "diff_vs_faithful": s["diff"][j],
                         "diff_se": s["diff_se"][j], "reference": s["reference"],
                         "diff_vs_reference": s["ref_diff"][j], "diff_vs_reference_se": s["ref_diff_se"][j],
                         "n_test_configurations": len(test), "train_seconds": cost[k],
                         "predict_seconds_per_configuration": per_config[k]})
    with atomic_write(out / "ablation.csv") as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    base_rows = []
    if baselines:
        from .baselines import baseline_rows
        progress("ablation: baselines")
        base_rows = baseline_rows(data, "test", True, harmonic=any(v.reference for v in variants))
    md = _markdown(data, stats, labels, times, ceil, base_rows, temperature, len(test), cost, per_config)
    (out / "ablation.md").write_text(md)
    progress(md)
    progress(f"ablation: wrote {out / 'ablation.md'} and ablation.csv in {time.perf_counter() - t0:.0f} s")
    return out / "ablation.md"


def _markdown(data, stats, labels, times, ceil, base_rows, temperature, n_test, cost, per_config) -> str:
    head = "| model | " + " | ".join(f"t={t:g}" for t in times) + " |"
    sep = "|---|" + "---|" * len(times)
    err = "SE over test configurations" if n_test >= 2 else "SE from a bootstrap over A particles"
    name = " + ".join(Path(d).name for d in data.sources)
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
    added = [k for k, s in stats.items() if s["reference"]]
    if added:
        lines += ["", "Each added input: paired difference to the row it adds to (+- SE), and the prediction "
                  "cost per test configuration (its inputs from a configuration with its inherent state, "
                  "and every network of the row; the quench is not counted):", "",
                  "| row | compared with | " + " | ".join(f"t={t:g}" for t in times) + " | s / configuration |",
                  "|---|---|" + "---|" * len(times) + "---|"]
        for k in added:
            s = stats[k]
            cells = [f"{s['ref_diff'][j]:+.3f} +- {s['ref_diff_se'][j]:.3f}" for j in range(len(times))]
            lines.append(f"| {labels[k]} | {s['reference']} ({per_config[s['reference']]:.2f} s) | "
                         + " | ".join(cells) + f" | {per_config[k]:.2f} |")
    lines += ["", "Training time on this machine (wall-clock seconds summed over the row's networks; the "
              "ensemble rows share their three networks, of which the glassnet-model row is seed 0):", ""]
    lines += [f"- {labels[k]}: {cost[k]:.0f} s" for k in stats]
    return "\n".join(lines) + "\n"
