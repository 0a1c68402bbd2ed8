"""Training, checkpoints and prediction.

- :mod:`~glassnet.training.trainer`: :class:`TrainConfig`, :class:`Trainer`, :func:`fit`;
- :mod:`~glassnet.training.checkpoint`: the checkpoint file format;
- :mod:`~glassnet.training.predictor`: :class:`Predictor`.
"""
from __future__ import annotations

from .checkpoint import CHECKPOINT_FORMAT, import_bapst_checkpoint, load_checkpoint, save_checkpoint
from .predictor import Predictor
from .trainer import TrainConfig, Trainer, fit, label_times

__all__ = ["TrainConfig", "Trainer", "fit", "label_times", "CHECKPOINT_FORMAT", "save_checkpoint",
           "load_checkpoint", "import_bapst_checkpoint", "Predictor"]
