"""The model contract, the vocabulary of input tensors, and inference helpers every model shares.

A glassnet model is a :class:`GlassModel`: a ``torch.nn.Module`` built from a frozen config dataclass
(with at least ``n_outputs`` and ``r_cut`` in sigma) that

- builds its own inputs from a configuration: ``tensors(positions, types, box, inherent=None,
  device=None, temperature=None, times=None) -> dict`` (positions and box in sigma; ``inherent`` a
  :class:`~glassnet.core.InherentState` or None; ``temperature`` in epsilon/k_B for networks that read
  the state point; ``times`` in tau for networks that predict at any time, else refused);
- may fill data-dependent config fields before it is built: ``adapt_config(config, configurations,
  times) -> config`` (a classmethod; the default returns ``config``);
- maps them to per-particle outputs: ``forward(**tensors) -> (N, n_outputs)`` float tensor;
- rotates them: ``transform(tensors, m) -> dict`` applies a 3x3 orthogonal ``m`` to every vector input
  (used for cube-symmetry augmentation and averaging);
- says what it needs and guarantees: ``needs_inherent`` (its inputs read the inherent state, so a
  configuration must be quenched first) and ``invariant`` (its output is exactly invariant under rotations
  and reflections: no augmentation needed).

Input dictionaries use the keys below for the graph: ``edges`` (E, 3) float32 r_receiver - r_sender by
minimum image (sigma), ``senders`` and ``receivers`` (E,) int64. Every other key is a per-node tensor
whose first axis is the particle, so subgraphs and batches can be built without knowing the model.

A new architecture is one module in :mod:`glassnet.models` defining its model, its config and an
:class:`Architecture` (with its training recipe), plus one line in ``glassnet.models.ARCHITECTURES``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..core import ModelError
from ..graph import CUBE_SYMMETRIES

__all__ = ["EDGES", "SENDERS", "RECEIVERS", "EDGE_KEYS", "GlassModel", "Architecture", "pick_device",
           "predict_tensors", "symmetry_spread", "subset_inputs", "n_nodes", "predict_nodes",
           "build_config", "compiled"]

EDGES, SENDERS, RECEIVERS = "edges", "senders", "receivers"
#: the keys of a model's input dictionary that describe edges; every other key is per node
EDGE_KEYS = (EDGES, SENDERS, RECEIVERS)


def pick_device(device: str | None = None) -> torch.device:
    """The torch device to use: the given one, else CUDA when available, else the CPU."""
    if device:
        try:
            dev = torch.device(device)
        except RuntimeError as err:
            raise ModelError(f"device={device!r} is not a torch device (e.g. cpu, cuda, cuda:1, mps)") from err
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ModelError(f"device={device!r}: this machine has no CUDA device (torch {torch.__version__}); "
                             "use --device cpu or leave it out")
        if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ModelError(f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s)")
        if dev.type == "mps" and not torch.backends.mps.is_available():
            raise ModelError(f"device={device!r}: MPS is not available here")
        return dev
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class GlassModel(nn.Module):
    """Base class of glassnet's models; see the module docstring for the contract."""

    #: the model's inputs read the inherent state (quench configurations first)
    needs_inherent: bool = False
    #: the model's inputs read the forces of the given configuration (one force evaluation, no quench)
    needs_forces: bool = False
    #: outputs are exactly invariant under rotations and reflections (no augmentation needed)
    invariant: bool = False

    def tensors(self, positions, types, box, inherent=None, device=None, temperature=None,
                times=None, cache=None) -> dict[str, torch.Tensor]:
        """The input tensors of one configuration (positions and box in sigma; ``cache``: an
        :class:`~glassnet.models.inputs.InputCache` for inputs that are costly to compute)."""
        raise NotImplementedError

    @classmethod
    def adapt_config(cls, config, configurations, times):
        """``config`` with the fields the training data determine filled in (default: unchanged); ``times``
        are the label times (tau) of the outputs, None where the data record none."""
        return config

    @property
    def any_time(self) -> bool:
        """Whether the network predicts at any requested time (``tensors(..., times=...)``)."""
        return bool(getattr(self.config, "time_input", ""))

    def times_outside(self, times, temperature=None) -> list:
        """The requested times (tau) outside the range the network was trained on (a network that predicts at any
        time overrides this with its range)."""
        return []

    def check_time_range(self, times, temperature=None) -> None:
        """Refuse requested times (tau) the network was not trained to predict at (a network that predicts at any
        time must override this with its trained range)."""
        if not self.any_time:
            raise ModelError("this network predicts at the fixed times it was trained on; it takes no times")

    @staticmethod
    def transform(t: dict, m: torch.Tensor) -> dict:
        """The inputs with a 3x3 orthogonal map applied to every vector."""
        raise NotImplementedError

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def __repr__(self):
        return f"{type(self).__name__}({self.config!r})"


@dataclass(frozen=True)
class Architecture:
    """A registered architecture: its model class, config class and training recipe.

    Attributes:
        name: the name stored in checkpoints and chosen with ``glassnet train --model``.
        model: the :class:`GlassModel` subclass.
        config: its frozen config dataclass (the one home of the architecture's defaults).
        recipe: :class:`~glassnet.training.TrainConfig` fields of its training recipe.
        description: one line for ``--help``.
        options: config fields the recipe sets on top of the config's defaults (what ``glassnet train`` and
            :func:`glassnet.training.fit` build unless told otherwise; the config dataclass describes the plain
            architecture, so that checkpoints and tests keep their meaning when the recipe changes).
        aliases: command-line option -> config field, for the options every architecture shares under
            its own name (``mp_steps``: the number of message-passing steps).
    """

    name: str
    model: type
    config: type
    recipe: dict
    description: str = ""
    aliases: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)


def build_config(arch: Architecture, n_outputs: int, options: dict | None = None):
    """A config of ``arch`` with ``n_outputs`` and the given options; every other field keeps the
    default written in the config dataclass.

    Args:
        options: field name -> value; strings are converted to the field's type ('true'/'false' for
            booleans).

    Raises:
        ModelError: an option the architecture does not have, or a value of the wrong type.
    """
    fields = {f.name: f for f in dataclasses.fields(arch.config)}
    kwargs = {"n_outputs": n_outputs}
    for key, value in (options or {}).items():
        if key not in fields:
            known = ", ".join(f"{k}={f.default!r}" for k, f in fields.items() if k != "n_outputs")
            raise ModelError(f"the {arch.name} model has no option {key!r}; its options: {known}")
        kwargs[key] = _convert(key, value, fields[key].default)
    return arch.config(**kwargs)


def _convert(key, value, default):
    if not isinstance(value, str):
        return value
    try:
        if isinstance(default, bool):
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(value)
            return value.lower() in ("true", "1", "yes")
        if isinstance(default, tuple):                  # numbers separated by commas: "0.165,0.52"
            return tuple(float(x) for x in value.replace(",", " ").split())
        return type(default)(value)
    except ValueError:
        raise ModelError(f"option {key}={value!r}: expected a {type(default).__name__}") from None


def compiled(model: nn.Module):
    """``model`` compiled with ``torch.compile`` (inductor, dynamic shapes: every graph size reuses one
    compilation). The same function to float rounding, about 2.8x faster per training step for glassnet's
    model on this machine's CPU (benchmarks/equivariant.py), after a compilation of a minute or two on the
    first call. Needs a C++ compiler on the CPU; the returned module shares the model's parameters.
    """
    fn = torch.compile(model, dynamic=True)

    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as err:       # inductor raises many kinds (no compiler, unsupported op, ...)
            if isinstance(err, (KeyboardInterrupt, ModelError)):
                raise
            raise ModelError(f"torch.compile failed ({type(err).__name__}: {str(err).splitlines()[0][:200]}); "
                             "run without compiling") from err

    call.module = model
    return call


def predict_tensors(model: nn.Module, t: dict, symmetrize: bool = False, forward=None) -> np.ndarray:
    """(N, n_outputs) float64 predictions of a model on its input tensors, without gradients.

    With ``symmetrize=True`` the prediction is averaged over the 48 cube symmetries applied to every
    input vector (exactly invariant under them). ``forward`` replaces ``model``'s own call (e.g. its
    :func:`compiled` form).
    """
    fwd = forward or model
    was_training = model.training
    model.eval()
    with torch.no_grad():
        if symmetrize:
            mats = torch.as_tensor(CUBE_SYMMETRIES, dtype=torch.float32, device=t[EDGES].device)
            out = sum(fwd(**model.transform(t, m)).double() for m in mats) / len(mats)
        else:
            out = fwd(**t).double()
    model.train(was_training)
    return out.cpu().numpy()


def symmetry_spread(model: nn.Module, t: dict) -> float:
    """How far a model is from invariance under the 48 cube symmetries on one input.

    Returns:
        mean over particles and outputs of the std of predictions across the 48 symmetries, divided by
        the std across particles of the symmetry-averaged prediction (0 = invariant).
    """
    mats = torch.as_tensor(CUBE_SYMMETRIES, dtype=torch.float32, device=t[EDGES].device)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        preds = torch.stack([model(**model.transform(t, m)) for m in mats]).double()
    model.train(was_training)
    return float(preds.std(dim=0).mean() / preds.mean(dim=0).std(dim=0).mean())


def n_nodes(t: dict) -> int:
    """The number of particles of an input dictionary."""
    return len(next(v for k, v in t.items() if k not in EDGE_KEYS))


def subset_inputs(t: dict, keep: torch.Tensor) -> dict:
    """The inputs of the particles where ``keep`` (N,) bool is True: the induced subgraph, reindexed."""
    new_index = torch.cumsum(keep.long(), 0) - 1
    e = keep[t[SENDERS]] & keep[t[RECEIVERS]]
    out = {k: v[keep] for k, v in t.items() if k not in EDGE_KEYS}
    out[EDGES] = t[EDGES][e]
    out[SENDERS] = new_index[t[SENDERS][e]]
    out[RECEIVERS] = new_index[t[RECEIVERS][e]]
    return out


def predict_nodes(model, inputs: list[dict], nodes: list[int], max_edges: int = 700_000) -> np.ndarray:
    """Predictions (len(inputs), n_outputs) float64 for one node of each input graph.

    The graphs are batched as disjoint unions of at most ``max_edges`` edges (multi-GB unions
    page-fault more than they save).
    """
    out = np.empty((len(inputs), model.config.n_outputs))
    start = 0
    model.eval()
    while start < len(inputs):
        stop, edges = start, 0
        while stop < len(inputs) and (stop == start or edges + len(inputs[stop][SENDERS]) <= max_edges):
            edges += len(inputs[stop][SENDERS])
            stop += 1
        batch = inputs[start:stop]
        offsets = np.cumsum([0] + [n_nodes(t) for t in batch])
        union = {k: torch.cat([t[k] + int(o) if k in (SENDERS, RECEIVERS) else t[k]
                               for t, o in zip(batch, offsets)]) for k in batch[0]}
        with torch.no_grad():
            pred = model(**union).double().cpu().numpy()
        out[start:stop] = pred[offsets[:-1] + np.asarray(nodes[start:stop])]
        start = stop
    return out
