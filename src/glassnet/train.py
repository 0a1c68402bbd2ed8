"""Training, checkpoints, evaluation and prediction for the graph networks.

The recipe of Bapst et al. (2020): Adam (lr 1e-4), global-norm gradient clipping at 1.0, MSE on the
type-A particles, one system per step, a random cube symmetry (axis permutation and sign flips) applied
to the edge vectors at every step. Unlike the published code, checkpoints are selected on a validation
split, never on the test split. Targets are standardised per output with the training-set mean and
standard deviation of the A particles (stored in the checkpoint and undone at prediction; Pearson r is
unaffected).
"""
from __future__ import annotations

import csv
import ctypes
import hashlib
import json
import math
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from . import __version__
from .graph import CUBE_SYMMETRIES
from .io import Configuration, ceiling_rows, result_rows
from .model import ARCHITECTURES, ModelConfig, ModelError, pick_device, predict_tensors

__all__ = ["TrainConfig", "RECIPES", "Trainer", "train", "save_checkpoint", "load_checkpoint", "Predictor",
           "pearson_r", "evaluate", "evaluation_rows", "resolve_checkpoint", "CHECKPOINT_FORMAT"]

CHECKPOINT_FORMAT = "glassnet.checkpoint/1"


def _tune_malloc() -> None:
    """Keep freed large buffers in the glibc heap instead of returning them to the OS.

    Fresh (E, 64) activations are tens of MB; glibc serves them with mmap and page-faults every
    page on each use, which made a training step ~2x slower here. Setting M_MMAP_MAX=0 and a large
    M_TRIM_THRESHOLD makes them reuse warm memory. A no-op where glibc's mallopt is absent.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-4, 0)            # M_MMAP_MAX
        libc.mallopt(-1, 2 ** 31 - 1)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass


def pearson_r(pred: np.ndarray, target: np.ndarray) -> float:
    """Pearson correlation coefficient of two (N,) arrays (nan if either is constant)."""
    p = np.asarray(pred, np.float64) - np.mean(pred)
    t = np.asarray(target, np.float64) - np.mean(target)
    den = math.sqrt(float(p @ p) * float(t @ t))
    return float(p @ t / den) if den > 0 else float("nan")


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

    def __post_init__(self):
        if self.normalize not in ("global", "per-config"):
            raise ModelError(f"normalize={self.normalize!r}; expected 'global' or 'per-config'")
        if self.schedule not in ("constant", "cosine"):
            raise ModelError(f"schedule={self.schedule!r}; expected 'constant' or 'cosine'")

    def lr_at(self, step: int) -> float:
        """Learning rate of optimisation step ``step`` (0-based)."""
        if self.warmup and step < self.warmup:
            return self.lr * (step + 1) / self.warmup
        if self.schedule == "cosine":
            x = min(1.0, (step - self.warmup) / max(1, self.steps - self.warmup))
            return self.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * x)))
        return self.lr


#: training recipe per architecture (TrainConfig fields); the equivariant one was chosen on the
#: validation splits of the reference datasets (docs/results.md)
RECIPES = {
    "bapst": {"lr": 1e-4, "schedule": "constant", "warmup": 0, "normalize": "global", "loss_types": (0,),
              "weight_decay": 0.0},
    "equivariant": {"lr": 1e-3, "schedule": "cosine", "warmup": 100, "normalize": "per-config",
                    "loss_types": (0, 1), "weight_decay": 0.0},
}


class _Sample:
    """A configuration prepared for a network: input tensors, targets (N, T), types."""

    def __init__(self, config: Configuration, model, device, output_index=None):
        if model.needs_inherent and config.inherent is None:
            raise ModelError("this model needs inherent states: add them with `glassnet inherent-states "
                             "FILE` (or glassnet.propensity.add_inherent_states)")
        self.tensors = model.tensors(config.positions, config.types, config.box, config.inherent, device)
        self.types = np.asarray(config.types)
        self.targets = None
        if config.targets is not None:
            t = np.asarray(config.targets, np.float64)
            if output_index is not None:
                t = t[list(output_index)]
            self.targets = t.T  # (N, T)


def _describe_data(configs: list[Configuration]) -> dict:
    h = hashlib.sha256()
    for c in configs:
        h.update(np.ascontiguousarray(c.positions, np.float64).tobytes())
        if c.targets is not None:
            h.update(np.ascontiguousarray(c.targets, np.float64).tobytes())
    sources = sorted({str(c.metadata.get("source", "")) for c in configs})
    return {"n_configurations": len(configs), "n_particles": [int(c.n) for c in configs][:5],
            "sources": sources, "sha256": h.hexdigest()}


def _versions() -> dict:
    return {"glassnet": __version__, "torch": str(torch.__version__), "numpy": str(np.__version__),
            "python": platform.python_version()}


def _architecture(model) -> str:
    return next(name for name, (cls, _) in ARCHITECTURES.items() if isinstance(model, cls))


def save_checkpoint(path, model, extra: dict) -> None:
    """Save a model with its config and metadata (atomically: a kill never leaves half a file)."""
    path = Path(path)
    payload = {"format": CHECKPOINT_FORMAT, "architecture": _architecture(model),
               "model_config": asdict(model.config), "state_dict": model.state_dict(), **extra}
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)


PRETRAINED_DIR = Path(__file__).with_name("pretrained")


def resolve_checkpoint(name_or_path) -> Path:
    """A checkpoint path from a path or the name of a shipped network (see ``glassnet/pretrained``).

    ``bapst-T0.44`` is converted on first use from the released TensorFlow checkpoint, looked up at
    ``$GLASSNET_BAPST_CHECKPOINT`` or ``../shared/reference_data/bapst2020/checkpoint_t044_s09``, into
    ``~/.cache/glassnet/``.
    """
    import os

    path = Path(name_or_path)
    if path.exists():
        return path
    shipped = PRETRAINED_DIR / f"{name_or_path}.pt"
    if shipped.exists():
        return shipped
    if str(name_or_path) == "bapst-T0.44":
        cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "glassnet" / "bapst-T0.44.pt"
        if not cache.exists():
            rel = "shared/reference_data/bapst2020/checkpoint_t044_s09"
            candidates = [os.environ.get("GLASSNET_BAPST_CHECKPOINT"), Path.cwd().parent / rel,
                          Path(__file__).resolve().parents[3] / rel]
            src = next((Path(c) for c in candidates if c and Path(c).exists()), None)
            if src is None:
                raise ModelError("bapst-T0.44 needs the released checkpoint: set GLASSNET_BAPST_CHECKPOINT "
                                 "to its folder (checkpoint_t044_s09)")
            cache.parent.mkdir(parents=True, exist_ok=True)
            import_bapst_checkpoint(src, cache)
        return cache
    if path.suffix in (".pt", ".pth"):
        return path
    names = sorted(p.stem for p in PRETRAINED_DIR.glob("*.pt")) + ["bapst-T0.44"]
    raise ModelError(f"{name_or_path!r} is neither a file nor a shipped network ({', '.join(names)})")


def load_checkpoint(path, device=None):
    """Load a glassnet checkpoint (a path, or the name of a shipped network).

    Returns:
        (model in eval mode on the device, the checkpoint dict without the weights).

    Raises:
        ModelError: missing, truncated or corrupt file, or weights that do not fit the architecture
            the checkpoint declares.
    """
    path = resolve_checkpoint(path)
    if not path.exists():
        raise ModelError(f"checkpoint {path} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ModelError(f"{path} is not a readable glassnet checkpoint (truncated or corrupt?): "
                         f"{str(err).splitlines()[0]}") from err
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise ModelError(f"{path} is not a glassnet checkpoint (format "
                         f"{payload.get('format') if isinstance(payload, dict) else None!r})")
    arch = payload.get("architecture", "bapst")
    if arch not in ARCHITECTURES:
        raise ModelError(f"{path}: unknown architecture {arch!r}; this glassnet knows {sorted(ARCHITECTURES)}")
    cls, config_cls = ARCHITECTURES[arch]
    try:
        config = config_cls(**payload["model_config"])
    except TypeError as err:
        raise ModelError(f"{path}: unknown model config {payload['model_config']}: {err}") from err
    model = cls(config)
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as err:
        raise ModelError(f"{path}: the weights do not fit the architecture {config}: "
                         f"{str(err).splitlines()[1:3]}") from err
    model.to(pick_device(device)).eval()
    meta = {k: v for k, v in payload.items() if k != "state_dict"}
    return model, meta


def _target_stats(samples, config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """(n_types or 1, T) mean and std used to standardise targets during training.

    'global': one row from the pooled training particles of ``loss_types``; 'per-config': one row per
    type, the average over training configurations of each configuration's own mean and std (used only
    to bring predictions back to sigma; training standardises each configuration on its own).
    """
    if config.normalize == "global":
        stacked = np.concatenate([s.targets[np.isin(s.types, config.loss_types)] for s in samples])
        return stacked.mean(axis=0)[None], stacked.std(axis=0)[None] + 1e-12
    n_types = 1 + max(int(s.types.max()) for s in samples)
    mean = [np.mean([s.targets[s.types == k].mean(axis=0) for s in samples], axis=0) for k in range(n_types)]
    std = [np.mean([s.targets[s.types == k].std(axis=0) for s in samples], axis=0) for k in range(n_types)]
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
    """

    def __init__(self, train_set, valid_set, model_config: ModelConfig, config: TrainConfig,
                 out_dir, output_index=None, times=None, data_description=None):
        if not train_set:
            raise ModelError("the training set is empty")
        if any(c.targets is None for c in list(train_set) + list(valid_set)):
            raise ModelError("every training and validation configuration needs targets")
        n_t = len(train_set[0].targets)
        self.output_index = list(range(n_t)) if output_index is None else [int(i) for i in output_index]
        if any(i < 0 or i >= n_t for i in self.output_index):
            raise ModelError(f"output_index={self.output_index} out of range for {n_t} timescales")
        if model_config.n_outputs != len(self.output_index):
            raise ModelError(f"model_config.n_outputs={model_config.n_outputs} but "
                             f"{len(self.output_index)} outputs selected")
        self.config = config
        self.model_config = model_config
        self.device = pick_device(config.device)
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        _tune_malloc()
        torch.manual_seed(config.seed)
        cls = next((c for c, cfg in ARCHITECTURES.values() if isinstance(model_config, cfg)), None)
        if cls is None:
            raise ModelError(f"unknown model config {model_config!r}")
        self.model = cls(model_config).to(self.device)
        params = self.model.parameters()
        self.optimizer = (torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
                          if config.weight_decay else torch.optim.Adam(params, lr=config.lr))
        self.rng = np.random.default_rng(config.seed)
        self.train_samples = [_Sample(c, self.model, self.device, self.output_index) for c in train_set]
        self.valid_samples = [_Sample(c, self.model, self.device, self.output_index) for c in valid_set]
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
            "versions": _versions(),
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
            payload = torch.load(last, map_location="cpu", weights_only=True)
        except Exception as err:
            raise ModelError(f"cannot resume from {last} (truncated or corrupt?): {err}; "
                             "delete it to start over") from err
        if payload.get("model_config") != asdict(self.model_config) or \
                payload.get("output_index") != self.output_index or \
                payload["train_config"]["seed"] != self.config.seed:
            raise ModelError(f"{last} was written by a run with another model, outputs or seed; "
                             "use another --out folder or delete it")
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
            t = self.model.transform(t, self._symmetries[self.rng.integers(48)])
        y = torch.as_tensor(_standardized(s, self.config, self.target_mean, self.target_std),
                            dtype=torch.float32, device=self.device)
        mask = torch.as_tensor(np.isin(s.types, self.config.loss_types), device=self.device)
        for group in self.optimizer.param_groups:
            group["lr"] = self.config.lr_at(self.step)
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        pred = self.model(**t)
        loss = ((pred - y)[mask] ** 2).mean()
        if not torch.isfinite(loss):
            raise ModelError(f"the loss became {loss.item()} at step {self.step}; stopping")
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.clip)
        self.optimizer.step()
        self.step += 1
        return float(loss.detach())

    def validate(self) -> list[float]:
        """Mean Pearson r (type A) over the validation systems, one value per output."""
        rs = []
        for s in self.valid_samples:
            p = predict_tensors(self.model, s.tensors)
            a = s.types == 0
            rs.append([pearson_r(p[a, k], s.targets[a, k]) for k in range(p.shape[1])])
        return list(np.mean(rs, axis=0)) if rs else []

    def run(self, progress: bool = True) -> dict:
        """Train until ``config.steps``; resumable. Returns the final metrics row."""
        from tqdm.auto import tqdm

        cfg = self.config
        metrics = self.out_dir / "metrics.csv"
        bar = tqdm(total=cfg.steps, initial=self.step, disable=not progress, desc="train", unit="step")
        t0, losses = time.perf_counter(), []
        t_mark = t0
        while self.step < cfg.steps:
            losses.append(self.train_step())
            bar.update(1)
            if self.step % cfg.eval_every == 0 or self.step == cfg.steps:
                rs = self.validate()
                self.train_seconds += time.perf_counter() - t_mark
                t_mark = time.perf_counter()
                row = {"step": self.step, "train_loss": float(np.mean(losses)),
                       "valid_r_mean": float(np.mean(rs)) if rs else float("nan"),
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

    def _record_total(self) -> None:
        """Write the whole run's cost into best.pt (its ``train_seconds`` stops at the best step)."""
        best = self.out_dir / "best.pt"
        payload = torch.load(best, map_location="cpu", weights_only=True)
        payload["train_seconds_total"] = float(self.train_seconds)
        payload["steps_total"] = int(self.step)
        tmp = best.with_name(best.name + ".tmp")
        torch.save(payload, tmp)
        tmp.replace(best)

    def _write_metrics(self, path: Path) -> None:
        keys = list(dict.fromkeys(k for row in self.history for k in row))
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=keys)
            w.writeheader()
            w.writerows(self.history)
        tmp.replace(path)


def train(train_set, valid_set, out_dir, model_config: ModelConfig | None = None,
          config: TrainConfig | None = None, output_index=None, times=None, progress=True) -> Trainer:
    """Train a network (resuming from ``out_dir/last.pt`` if present) and return the trainer."""
    n_out = len(train_set[0].targets) if output_index is None else len(output_index)
    model_config = model_config or ModelConfig(n_outputs=n_out)
    trainer = Trainer(train_set, valid_set, model_config, config or TrainConfig(), out_dir,
                      output_index, times)
    trainer.run(progress=progress)
    return trainer


class Predictor:
    """Applies a trained checkpoint, or a seed ensemble of them, to configurations.

    Args:
        checkpoint: path or shipped name of a glassnet checkpoint, or a list of them: an ensemble whose
            prediction is the mean of its members' (they must predict the same outputs).
        device: torch device or None (CUDA when available).
        symmetrize: average over the 48 cube symmetries (exactly invariant; 48x slower). A no-op up to
            rounding for models that are invariant by construction.
    """

    def __init__(self, checkpoint, device=None, symmetrize: bool = False):
        paths = list(checkpoint) if isinstance(checkpoint, (list, tuple)) else [checkpoint]
        if not paths:
            raise ModelError("no checkpoint given")
        self.members = []
        for path in paths:
            model, meta = load_checkpoint(path, device)
            n_out = model.config.n_outputs
            mean = np.atleast_2d(meta.get("target_mean", [0.0] * n_out))
            std = np.atleast_2d(meta.get("target_std", [1.0] * n_out))
            self.members.append((model, meta, mean, std))
        self.model, self.meta, self.mean, self.std = self.members[0]
        for model, meta, _, _ in self.members[1:]:
            if (model.config.n_outputs, meta.get("times")) != (self.model.config.n_outputs, self.times):
                raise ModelError("the ensemble's checkpoints predict different outputs or times")
        self.symmetrize = symmetrize
        _tune_malloc()

    @property
    def times(self):
        """Times (tau) of the outputs, if the checkpoint records them."""
        return self.meta.get("times")

    def _with_inherent(self, config: Configuration) -> Configuration:
        """The configuration with its inherent state, quenched here (LAMMPS) if a member needs it."""
        if config.inherent is not None or not any(m.needs_inherent for m, *_ in self.members):
            return config
        from dataclasses import replace

        from .propensity import inherent_state
        return replace(config, inherent=inherent_state(config.positions, config.types, config.box))

    def inputs(self, config: Configuration, model=None) -> dict:
        """The model's input tensors for a configuration (quenching it first if the model needs its
        inherent state and the configuration has none)."""
        model = model or self.model
        c = self._with_inherent(config)
        return model.tensors(c.positions, c.types, c.box, c.inherent)

    def predict(self, config: Configuration) -> np.ndarray:
        """Predicted propensities (N, n_outputs) float64, in the units of the training targets (sigma).

        Models that read the inherent state quench the configuration first when it has none (LAMMPS).
        A network trained on per-configuration standardised targets returns them rescaled with the
        training average of each type's mean and std: exact up to a per-configuration affine map.
        """
        config = self._with_inherent(config)       # one quench for every member
        types = np.asarray(config.types)
        outs = []
        for model, _, mean, std in self.members:
            out = predict_tensors(model, self.inputs(config, model), self.symmetrize)
            outs.append(out * std[0] + mean[0] if len(mean) == 1 else out * std[types] + mean[types])
        return np.mean(outs, axis=0)


def evaluate(predictor: Predictor, configurations, output_index=None) -> dict:
    """Pearson r on the A particles per configuration and output.

    Args:
        predictor: a :class:`Predictor`.
        configurations: list of :class:`Configuration` with targets (T, N).
        output_index: which target rows correspond to the model outputs; default the checkpoint's own
            ``output_index``.

    Returns:
        dict with ``r`` (C, K) per configuration and output, ``mean`` (K,), ``std`` (K,), ``times``.
    """
    idx = output_index if output_index is not None else predictor.meta.get("output_index")
    if idx is None:
        idx = list(range(predictor.model.config.n_outputs))
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


def import_bapst_checkpoint(source, out) -> Path:
    """Convert the published TensorFlow checkpoint of Bapst et al. (2020) into a glassnet checkpoint.

    Args:
        source: checkpoint prefix, ``.index`` file or folder (e.g. ``checkpoint_t044_s09/``). The
            released networks predict raw propensities (no normalisation); ``t044_s09`` is trained at
            T=0.44 for time index 0 (t = 0.132 tau).
        out: path of the glassnet checkpoint to write.
    """
    from ._tfbundle import read_tf_bundle
    from .model import import_bapst_weights

    tensors = read_tf_bundle(source)
    model = import_bapst_weights(tensors)
    name = Path(source).name
    save_checkpoint(out, model, {
        "target_mean": [0.0] * model.config.n_outputs,
        "target_std": [1.0] * model.config.n_outputs,
        "output_index": [0] if "s09" in name else None,
        "times": [0.132] if "s09" in name else None,
        "training_data": {"description": "released network of Bapst et al., Nature Physics 16, 448 "
                          "(2020), google-deepmind/deepmind-research glassy_dynamics, KA at T=0.44",
                          "source": str(source)},
        "versions": _versions(),
    })
    return Path(out)


def evaluation_rows(predictor: Predictor, configs, data="", split="", name="network",
                    note="") -> list[dict]:
    """Result rows (network and noise ceiling) for a predictor on labelled configurations."""
    res = evaluate(predictor, configs)
    rows = result_rows(name, "network", data, split, res["times"], res["r"], note)
    idx = res["output_index"]
    for row in ceiling_rows(configs, data, split):
        if row["output"] in idx:
            row["output"] = idx.index(row["output"])
            rows.append(row)
    return rows
