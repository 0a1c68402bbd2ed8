"""Graph networks that predict per-particle propensities from static structure (PyTorch).

- :mod:`~glassnet.models.base`: the model contract, the input-tensor keys, shared inference helpers;
- :mod:`~glassnet.models.inputs`: the physics node inputs of glassnet's model and their cache;
- :mod:`~glassnet.models.bapst`: :class:`BapstGN`, the published network of Bapst et al. (2020);
- :mod:`~glassnet.models.equivariant`: :class:`EquivariantGN`, glassnet's model.

:data:`ARCHITECTURES` is the registry the trainer, the checkpoint loader and the command line read: a new
architecture is one module here and one line below.
"""
from __future__ import annotations

from ..core import ModelError
from . import bapst, equivariant
from .base import (Architecture, GlassModel, build_config, compiled, pick_device, predict_nodes,
                   predict_tensors, subset_inputs, symmetry_spread)
from .bapst import BapstGN, ModelConfig, graph_to_tensors, import_bapst_weights
from .equivariant import EquivariantConfig, EquivariantGN
from .inputs import InputCache, InputSpec

__all__ = ["ARCHITECTURES", "Architecture", "GlassModel", "BapstGN", "ModelConfig", "EquivariantGN",
           "EquivariantConfig", "InputCache", "InputSpec", "ModelError", "architecture", "architecture_of",
           "build_config", "compiled", "graph_to_tensors", "import_bapst_weights", "pick_device", "predict_tensors", "predict_nodes",
           "subset_inputs", "symmetry_spread"]

#: architecture name (as stored in checkpoints and chosen with ``glassnet train --model``) -> Architecture
ARCHITECTURES: dict[str, Architecture] = {a.name: a for a in (
    bapst.ARCHITECTURE,
    equivariant.ARCHITECTURE,
)}


def architecture(name: str) -> Architecture:
    """The registered architecture called ``name``."""
    if name not in ARCHITECTURES:
        raise ModelError(f"unknown architecture {name!r}; glassnet knows {sorted(ARCHITECTURES)}")
    return ARCHITECTURES[name]


def architecture_of(model_or_config) -> Architecture:
    """The registered architecture of a model instance or of a model config."""
    for arch in ARCHITECTURES.values():
        if isinstance(model_or_config, (arch.model, arch.config)):
            return arch
    raise ModelError(f"{type(model_or_config).__name__} is not a registered architecture's model or "
                     f"config ({sorted(ARCHITECTURES)})")
