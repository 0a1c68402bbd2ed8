"""Training of the graph networks: :class:`TrainConfig`, :class:`Trainer` (resumable), :func:`train`.

The recipe of Bapst et al. (2020): Adam (lr 1e-4), global-norm gradient clipping at 1.0, MSE on the
type-A particles, one system per step, a random cube symmetry (axis permutation and sign flips) applied
to the edge vectors at every step. Unlike the published code, checkpoints are selected on a validation
split, never on the test split. Targets are standardised per output with the training-set mean and
standard deviation of the A particles (stored in the checkpoint and undone at prediction; Pearson r is
unaffected).
"""
from __future__ import annotations

import csv
import hashlib
import json
import math
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ..core import Configuration, FormatError, ModelError, atomic_write, check_targets, number_density
from ..formats import Splits
from ..graph import CUBE_SYMMETRIES
from ..models import InputCache, ModelConfig, architecture, architecture_of, build_config, compiled, pick_device, predict_tensors
from ..observables import pair_distance_change, pearson_r
from .checkpoint import read_payload, save_checkpoint, versions
from .predictor import with_model_state

__all__ = ["TrainConfig", "Trainer", "fit", "label_times"]


@dataclass
class TrainConfig:
    """Training parameters.

    Attributes:
        steps: optimisation steps (one system each).
        lr: Adam learning rate.
        clip: global gradient-norm clip.
        augment: random cube symmetry of the edge vectors at each step.
        seed: seeds the initial weights and the order of systems and symmetries.
        eval_every: steps between validation evaluations (and checkpoints).
        loss_types: particle types whose error enters the loss (published: A only).
        device: 'cpu', 'cuda', ... or None to pick CUDA when available.
        normalize: 'global' standardises each timescale with the training A particles' mean and std
            (the faithful recipe); 'per-config' standardises each (configuration, type, timescale) on its
            own, as the best published models do (Pearson r per configuration is unchanged by either).
        schedule: 'constant' learning rate, or 'cosine' decay to lr/100 over ``steps`` after a
            ``warmup``-step linear ramp.
        weight_decay: AdamW weight decay (0: plain Adam).
        compile: run the training steps through ``torch.compile`` (:func:`glassnet.models.compiled`):
            the same steps to float rounding, ~2.8x faster for glassnet's model on a CPU once compiled (a
            minute or two); worth it for runs of thousands of steps. Checkpoints are the same either way.
        patience: stop early once this many validations in a row have not raised the best validation r
            (0: train all ``steps``); the best checkpoint is the one kept either way.
        edge_weight: weight of the pair-level loss (MSE of the standardised change of each neighbour pair's
            distance, :func:`glassnet.observables.pair_distance_change`) beside the particles' loss, for a
            network with an edge head, on configurations whose displacement vectors are known (single-run
            labels, read with ``displacements=True``).
    """

    steps: int = 1000
    lr: float = 1e-4
    clip: float = 1.0
    augment: bool = True
    seed: int = 0
    eval_every: int = 100
    loss_types: tuple = (0,)
    device: str | None = None
    normalize: str = "global"
    schedule: str = "constant"
    warmup: int = 0
    weight_decay: float = 0.0
    compile: bool = False
    patience: int = 0
    edge_weight: float = 1.0

    def __post_init__(self):
        if self.normalize not in ("global", "per-config"):
            raise ModelError(f"normalize={self.normalize!r}; expected 'global' or 'per-config'")
        if self.schedule not in ("constant", "cosine"):
            raise ModelError(f"schedule={self.schedule!r}; expected 'constant' or 'cosine'")
        if self.patience < 0:
            raise ModelError(f"patience={self.patience}; expected >= 0 validations (0: no early stop)")

    def lr_at(self, step: int) -> float:
        """Learning rate of optimisation step ``step`` (0-based)."""
        if self.warmup and step < self.warmup:
            return self.lr * (step + 1) / self.warmup
        if self.schedule == "cosine":
            x = min(1.0, (step - self.warmup) / max(1, self.steps - self.warmup))
            return self.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * x)))
        return self.lr


def _plain(value):
    """A config value as JSON would hold it (tuples as lists), so that a saved and a current config compare."""
    return json.loads(json.dumps(value))


def label_times(configs: list[Configuration]) -> np.ndarray | None:
    """The sorted union (tau) of the configurations' label times: the output grid of a network trained on
    them (datasets at several temperatures label different times); None when some record no times."""
    if not configs or any(c.times is None for c in configs):
        return None
    grid: list[float] = []
    for t in sorted({float(x) for c in configs for x in c.times}):
        if not grid or t > grid[-1] * (1 + 1e-6):
            grid.append(t)
    return np.asarray(grid)


def _on_grid(config: Configuration, grid, values=None) -> np.ndarray:
    """The configuration's targets (or ``values``, one row per label time) (len(grid), X) on a time grid, NaN at
    times it was not labelled."""
    t = np.asarray(config.targets if values is None else values, np.float64)
    if grid is None:
        return t
    out = np.full((len(grid), t.shape[1]), np.nan)
    for row, t_label in zip(t, config.times):
        k = int(np.argmin(np.abs(grid - t_label)))
        if abs(grid[k] - t_label) <= 1e-6 * t_label:
            out[k] = row
    return out


class _Sample:
    """A configuration prepared for a network: input tensors, targets (N, T) (NaN where not labelled),
    types."""

    def __init__(self, config: Configuration, model, device, output_index=None, grid=None, cache=None):
        if model.needs_inherent and config.inherent is None:
            raise ModelError("this model needs inherent states: add them with `glassnet inherent-states "
                             "FILE` (or glassnet.propensity.add_inherent_states), or train one without "
                             "inherent-state inputs (--no-inherent)")
        config = with_model_state(config, [model])      # a forces-only model: one force call, no quench
        self.tensors = model.tensors(config.positions, config.types, config.box, config.inherent, device,
                                     temperature=config.metadata.get("temperature"), cache=cache)
        self.types = np.asarray(config.types)
        self.targets = self.edge_targets = None
        if config.targets is not None:
            t = _on_grid(config, grid)
            if output_index is not None:
                t = t[list(output_index)]
            self.targets = t.T  # (N, T)
        vectors = config.metadata.get("displacement_vectors")
        if getattr(model.config, "edge_head", False) and vectors is not None:
            self.edge_targets = self._pair_targets(vectors, config, grid, output_index)

    def _pair_targets(self, vectors, config, grid, output_index) -> np.ndarray:
        """(E, T) change of each graph edge's pair distance, standardised per time within the configuration."""
        t = self.tensors
        y = pair_distance_change(t["edges"].cpu().numpy(), t["senders"].cpu().numpy(), t["receivers"].cpu().numpy(),
                                 vectors)
        y = _on_grid(config, grid, y)
        if output_index is not None:
            y = y[list(output_index)]
        y = (y - y.mean(axis=1, keepdims=True)) / (y.std(axis=1, keepdims=True) + 1e-12)
        return y.T


def _describe_data(configs: list[Configuration]) -> dict:
    h = hashlib.sha256()
    for c in configs:
        h.update(np.ascontiguousarray(c.positions, np.float64).tobytes())
        if c.targets is not None:
            h.update(np.ascontiguousarray(c.targets, np.float64).tobytes())
    sources = sorted({str(c.metadata.get("source", "")) for c in configs})
    temperatures = sorted({float(c.metadata["temperature"]) for c in configs if "temperature" in c.metadata})
    return {"n_configurations": len(configs), "n_particles": [int(c.n) for c in configs][:5],
            "sources": sources, "sha256": h.hexdigest(), "temperatures": temperatures,
            "density": float(np.mean([number_density(c.n, c.box) for c in configs]))}


def _target_stats(samples, config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """(n_types or 1, T) mean and std used to standardise targets during training.

    'global': one row from the pooled training particles of ``loss_types``; 'per-config': one row per
    type, the average over training configurations of each configuration's own mean and std (used only
    to bring predictions back to sigma; training standardises each configuration on its own).
    """
    if config.normalize == "global":
        stacked = np.concatenate([s.targets[np.isin(s.types, config.loss_types)] for s in samples])
        return np.nanmean(stacked, axis=0)[None], np.nanstd(stacked, axis=0)[None] + 1e-12
    n_types = 1 + max(int(s.types.max()) for s in samples)
    mean = [np.nanmean([s.targets[s.types == k].mean(axis=0) for s in samples], axis=0) for k in range(n_types)]
    std = [np.nanmean([s.targets[s.types == k].std(axis=0) for s in samples], axis=0) for k in range(n_types)]
    return np.asarray(mean), np.asarray(std) + 1e-12


def _standardized(sample, config: TrainConfig, mean, std) -> np.ndarray:
    """The training targets (N, T) of a sample, standardised as ``config.normalize`` says."""
    y = sample.targets
    if config.normalize == "global":
        return (y - mean[0]) / std[0]
    out = np.empty_like(y)
    for k in np.unique(sample.types):
        sel = sample.types == k
        out[sel] = (y[sel] - y[sel].mean(axis=0)) / (y[sel].std(axis=0) + 1e-12)
    return out


class Trainer:
    """Trains a network (:class:`~glassnet.model.BapstGN` or :class:`~glassnet.model.EquivariantGN`) on
    configurations with measured propensities.

    Args:
        train_set: list of :class:`Configuration` with ``targets`` (T, N).
        valid_set: list of :class:`Configuration` used to pick the best checkpoint (never the test set).
        model_config: a :class:`ModelConfig` or :class:`~glassnet.model.EquivariantConfig` (which picks
            the architecture); ``n_outputs`` must equal the number of selected outputs.
        config: :class:`TrainConfig`.
        output_index: which rows of the targets (timescales) to predict; default all.
        out_dir: folder for ``last.pt`` (resume), ``best.pt`` and ``metrics.csv``.
        cache: the :class:`~glassnet.models.InputCache` of the costly physics inputs (default: a new one; pass
            one to share them between trainers, e.g. the seeds of an ensemble).

    :meth:`from_architecture` (or :func:`fit`) builds one from an architecture name with its recipe.
    """

    @classmethod
    def from_architecture(cls, train_set, valid_set, out_dir, model: str = "equivariant",
                          options: dict | None = None, *, output_index=None, times=None, plain: bool = False,
                          cache: InputCache | None = None, **overrides) -> Trainer:
        """A trainer of the architecture ``model`` (a name of :data:`glassnet.models.ARCHITECTURES`) with its
        recipe: the model config is the architecture's ``options`` updated by ``options`` (config fields; strings
        are parsed as ``--option`` values), the training config its ``recipe`` updated by ``overrides``
        (:class:`TrainConfig` fields: steps, seed, lr, ...). The one way glassnet builds a trainer.

        ``plain``: start from the config's defaults instead of the recipe's options (the plain architecture:
        an ablation's first rows)."""
        arch = architecture(model)
        if not train_set:
            raise ModelError("the training set is empty")
        grid = label_times(list(train_set))
        n_all = len(train_set[0].targets) if grid is None else len(grid)
        n_out = n_all if output_index is None else len(output_index)
        model_config = build_config(arch, n_out, {**({} if plain else arch.options), **(options or {})})
        return cls(train_set, valid_set, model_config, TrainConfig(**{**arch.recipe, **overrides}), out_dir,
                   output_index, times, cache=cache)

    def __init__(self, train_set, valid_set, model_config: ModelConfig, config: TrainConfig,
                 out_dir, output_index=None, times=None, data_description=None, cache: InputCache | None = None):
        if not train_set:
            raise ModelError("the training set is empty")
        if any(c.targets is None for c in list(train_set) + list(valid_set)):
            raise ModelError("every training and validation configuration needs targets")
        check_targets(list(train_set) + list(valid_set), ModelError)
        grid = label_times(list(train_set))
        if grid is None and len({len(c.targets) for c in list(train_set) + list(valid_set)}) > 1:
            raise ModelError("configurations without recorded times must all have the same number of targets")
        n_t = len(train_set[0].targets) if grid is None else len(grid)
        self.output_index = list(range(n_t)) if output_index is None else [int(i) for i in output_index]
        if any(i < 0 or i >= n_t for i in self.output_index):
            raise ModelError(f"output_index={self.output_index} out of range for {n_t} timescales")
        if model_config.n_outputs != len(self.output_index):
            raise ModelError(f"model_config.n_outputs={model_config.n_outputs} but "
                             f"{len(self.output_index)} outputs selected")
        if grid is not None:
            times = grid
        arch = architecture_of(model_config)
        model_config = arch.model.adapt_config(
            model_config, list(train_set), None if times is None else [float(times[i]) for i in self.output_index])
        self.config = config
        self.model_config = model_config
        self.device = pick_device(config.device)
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with torch.random.fork_rng(devices=[]):     # seeded weights without touching the global RNG
            torch.manual_seed(config.seed)
            self.model = arch.model(model_config).to(self.device)
        self._forward = compiled(self.model) if config.compile else self.model
        params = self.model.parameters()
        self.optimizer = (torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
                          if config.weight_decay else torch.optim.Adam(params, lr=config.lr))
        self.rng = np.random.default_rng(config.seed)
        self.cache = cache if cache is not None else InputCache()
        self.train_samples = [_Sample(c, self.model, self.device, self.output_index, grid, self.cache)
                              for c in train_set]
        if getattr(model_config, "edge_head", False) and not any(s.edge_targets is not None for s in self.train_samples):
            raise ModelError("edge_head needs the displacement vectors of the training configurations (single-run "
                             "label files, read with displacements=True / `glassnet train` does so for edge_head)")
        self.valid_samples = [_Sample(c, self.model, self.device, self.output_index, grid, self.cache)
                              for c in valid_set]
        self.target_mean, self.target_std = _target_stats(self.train_samples, config)
        self.times = None if times is None else [float(times[i]) for i in self.output_index]
        self.data_description = data_description or _describe_data(list(train_set))
        self.step = 0
        self.train_seconds = 0.0    # wall-clock seconds of training and validation, over resumes
        self.best_r = -np.inf
        self.history: list[dict] = []
        self._symmetries = torch.as_tensor(CUBE_SYMMETRIES, dtype=torch.float32, device=self.device)
        self._resume()

    # ---- checkpoints -------------------------------------------------------------------------
    def _meta(self) -> dict:
        return {
            "target_mean": np.asarray(self.target_mean, float).tolist(),
            "target_std": np.asarray(self.target_std, float).tolist(),
            "output_index": self.output_index,
            "times": self.times,
            "train_config": {k: (list(v) if isinstance(v, tuple) else v)
                             for k, v in asdict(self.config).items()},
            "training_data": self.data_description,
            "versions": versions(),
            "step": self.step,
            "best_valid_r": float(self.best_r),
            "train_seconds": float(self.train_seconds),
            "machine": platform.platform(),
        }

    def _resume(self) -> None:
        last = self.out_dir / "last.pt"
        if not last.exists():
            return
        try:
            payload = read_payload(last)
        except ModelError as err:
            raise ModelError(f"cannot resume: {err}; delete it to start over") from err
        # fields added to the config since the run was started take their defaults
        saved = {**asdict(type(self.model_config)()), **(payload.get("model_config") or {})}
        now = asdict(self.model_config)
        differ = [f"{k}={_plain(saved.get(k))} there, {_plain(now.get(k))} here" for k in now
                  if _plain(saved.get(k)) != _plain(now.get(k))]
        if differ or payload.get("output_index") != self.output_index or \
                payload["train_config"]["seed"] != self.config.seed:
            what = "; ".join(differ) if differ else "other outputs or seed"
            raise ModelError(f"{last} was written by a run with another model ({what}); use another --out folder "
                             "or delete it")
        self.model.load_state_dict(payload["state_dict"])
        self.optimizer.load_state_dict(payload["optimizer"])
        self.rng.bit_generator.state = json.loads(payload["rng_state"])
        self.target_mean = np.atleast_2d(payload["target_mean"])
        self.target_std = np.atleast_2d(payload["target_std"])
        self.step = int(payload["step"])
        self.best_r = float(payload["best_valid_r"])
        self.train_seconds = float(payload.get("train_seconds", 0.0))
        self.history = json.loads(payload.get("history", "[]"))

    def _save(self, name: str, with_state: bool) -> None:
        extra = self._meta()
        if with_state:
            extra["optimizer"] = self.optimizer.state_dict()
            extra["rng_state"] = json.dumps(self.rng.bit_generator.state)
            extra["history"] = json.dumps(self.history)
        save_checkpoint(self.out_dir / name, self.model, extra)

    # ---- training ----------------------------------------------------------------------------
    def train_step(self) -> float:
        """One optimisation step on one randomly chosen system; returns the loss."""
        s = self.train_samples[self.rng.integers(len(self.train_samples))]
        t = s.tensors
        if self.config.augment and not self.model.invariant:
            t = self.model.transform(t, self._symmetries[self.rng.integers(len(self._symmetries))])
        y = torch.as_tensor(_standardized(s, self.config, self.target_mean, self.target_std),
                            dtype=torch.float32, device=self.device)
        mask = torch.as_tensor(np.isin(s.types, self.config.loss_types)[:, None] & np.isfinite(s.targets),
                               device=self.device)
        y = torch.nan_to_num(y)
        for group in self.optimizer.param_groups:
            group["lr"] = self.config.lr_at(self.step)
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        pairs = s.edge_targets is not None
        pred, edge_pred = self._forward(**t, with_edges=True) if pairs else (self._forward(**t), None)
        loss = ((pred - y)[mask] ** 2).mean()
        if pairs:
            ey = torch.as_tensor(s.edge_targets, dtype=torch.float32, device=self.device)
            seen = torch.isfinite(ey)
            loss = loss + self.config.edge_weight * ((edge_pred - torch.nan_to_num(ey))[seen] ** 2).mean()
        if not torch.isfinite(loss):
            raise ModelError(f"the loss became {loss.item()} at step {self.step}; stopping")
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.clip)
        self.optimizer.step()
        self.step += 1
        return float(loss.detach())

    def validate(self) -> list[float]:
        """Mean Pearson r (type A) over the validation systems, one value per output (NaN for an output no
        validation system labels)."""
        rs = []
        for s in self.valid_samples:
            p = predict_tensors(self.model, s.tensors)
            a = s.types == 0
            rs.append([pearson_r(p[a, k], s.targets[a, k]) if np.isfinite(s.targets[a, k]).all() else np.nan
                       for k in range(p.shape[1])])
        if not rs:
            return []
        rs = np.asarray(rs)
        seen = np.isfinite(rs).any(axis=0)
        return [float(np.nanmean(rs[:, k])) if seen[k] else float("nan") for k in range(rs.shape[1])]

    def run(self, progress: bool = True) -> dict:
        """Train until ``config.steps``; resumable. Returns the final metrics row."""
        from tqdm.auto import tqdm

        cfg = self.config
        metrics = self.out_dir / "metrics.csv"
        bar = tqdm(total=cfg.steps, initial=self.step, disable=not progress, desc="train", unit="step")
        t0, losses = time.perf_counter(), []
        t_mark = t0
        while self.step < cfg.steps and not self.stopped_early:
            losses.append(self.train_step())
            bar.update(1)
            if self.step % cfg.eval_every == 0 or self.step == cfg.steps:
                rs = self.validate()
                self.train_seconds += time.perf_counter() - t_mark
                t_mark = time.perf_counter()
                row = {"step": self.step, "train_loss": float(np.mean(losses)),
                       "valid_r_mean": float(np.nanmean(rs)) if np.isfinite(rs).any() else float("nan"),
                       **{f"valid_r_{k}": float(r) for k, r in enumerate(rs)},
                       "seconds": time.perf_counter() - t0}
                losses = []
                self.history.append(row)
                if rs and row["valid_r_mean"] > self.best_r:
                    self.best_r = row["valid_r_mean"]
                    self._save("best.pt", with_state=False)
                self._save("last.pt", with_state=True)
                self._write_metrics(metrics)
                bar.set_postfix(loss=f"{row['train_loss']:.3f}", valid_r=f"{row['valid_r_mean']:.3f}")
        bar.close()
        if not (self.out_dir / "best.pt").exists():
            self._save("best.pt", with_state=False)
        self._record_total()
        return self.history[-1] if self.history else {}

    @property
    def stopped_early(self) -> bool:
        """Whether ``config.patience`` validations in a row have passed without a new best validation r."""
        scores = [row["valid_r_mean"] for row in self.history]
        if not self.config.patience or not scores or not np.isfinite(scores).any():
            return False
        return len(scores) - 1 - int(np.nanargmax(scores)) >= self.config.patience

    def _record_total(self) -> None:
        """Write the whole run's cost into best.pt (its ``train_seconds`` stops at the best step)."""
        best = self.out_dir / "best.pt"
        payload = read_payload(best)
        payload["train_seconds_total"] = float(self.train_seconds)
        payload["steps_total"] = int(self.step)
        with atomic_write(best) as tmp:
            torch.save(payload, tmp)

    def _write_metrics(self, path: Path) -> None:
        keys = list(dict.fromkeys(k for row in self.history for k in row))
        with atomic_write(path) as tmp, open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=keys)
            w.writeheader()
            w.writerows(self.history)


def fit(train_set, valid_set, out_dir, model: str = "equivariant", options: dict | None = None, *,
        output_index=None, times=None, plain: bool = False, progress=True, cache=None, **overrides) -> Trainer:
    """Train a network of the architecture ``model`` with its recipe (resuming from ``out_dir/last.pt`` if
    present) and return the trainer; see :meth:`Trainer.from_architecture` for the arguments. ``train_set``
    may be a :class:`~glassnet.formats.Splits` (or a glassnet .h5 path) with ``valid_set=None``: its train and
    valid splits are used.

    Example: ``fit(Splits.read("T064.h5"), None, "run/", steps=4000)`` trains glassnet's model as the shipped
    networks were; ``options={"hidden": 64}`` changes the model, ``lr=3e-4`` the recipe.
    """
    if valid_set is None:
        splits = Splits.of(train_set)
        if not splits.has_splits:
            raise FormatError(f"{splits.name} has no splits: give the validation configurations (valid_set)")
        train_set, valid_set = splits.train, splits.valid
    trainer = Trainer.from_architecture(train_set, valid_set, out_dir, model, options, output_index=output_index,
                                        times=times, plain=plain, cache=cache, **overrides)
    trainer.run(progress=progress)
    return trainer
