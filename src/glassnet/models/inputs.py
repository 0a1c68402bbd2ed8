"""The node inputs of glassnet's model, built from a configuration and its inherent state (LJ units), and the
cache of the costly ones.

An :class:`InputSpec` says which inputs a network reads (the input half of an
:class:`~glassnet.models.EquivariantConfig`, :attr:`~glassnet.models.EquivariantConfig.inputs`);
:func:`node_inputs` builds them as arrays; an :class:`InputCache`, owned by whoever builds inputs many times
(a :class:`~glassnet.training.Trainer`, a :class:`~glassnet.training.Predictor`, an ablation), keeps the
physics inputs that cost seconds per configuration (harmonic estimates, basin measures, multiscale
descriptors) so that seeds, rows and predictions on the same configuration compute them once.
"""
from __future__ import annotations

import hashlib
import os
import warnings
from collections import OrderedDict
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from ..core import ModelError
from ..descriptors import multiscale_descriptors, multiscale_names
from ..hessian import basin_measures, harmonic_displacement, harmonic_displacement_sparse, hessian, normal_modes

__all__ = ["InputSpec", "InputCache", "node_inputs", "standardise", "saturate"]

#: scale of the force inputs (epsilon/sigma) and offset of the energies (epsilon): O(1) inputs
FORCE_SCALE = 20.0
ENERGY_OFFSET = 7.0
#: vector inputs saturate at these lengths (in units of the scaled input)
FORCE_SATURATION = 5.0
DISPLACEMENT_SATURATION = 1.0
#: the temperature input is (T - T_CENTER) / T_SCALE (epsilon/k_B): O(1) over the supercooled range
T_CENTER, T_SCALE = 0.7, 0.15
#: with ``$GLASSNET_INPUT_CACHE`` set to a folder, costly inputs are also kept there as .npy files, so that the
#: next process (another seed, a later prediction) reads them instead of recomputing (the harmonic propagator:
#: ~3 s per N = 1000 configuration). Bump a kind's version when its computation changes.
CACHE_ENV = "GLASSNET_INPUT_CACHE"
INPUT_VERSIONS = {"harmonic": 1, "multiscale": 1, "basin": 1}


@dataclass(frozen=True)
class InputSpec:
    """Which node inputs a network reads: the input half of an :class:`~glassnet.models.EquivariantConfig`
    (which extends it with the architecture; field meanings are documented there)."""

    n_types: int = 2
    inherent: bool = True
    multiscale: bool = False
    basin: bool = False
    harmonic_times: tuple = ()
    harmonic_temperature: float = 0.0
    harmonic_method: str = "dense"
    force_heads: bool = False
    temperature_input: bool = False

    @classmethod
    def of(cls, config) -> "InputSpec":
        """The input fields of a model config."""
        return cls(**{f.name: getattr(config, f.name) for f in fields(cls)})

    @property
    def n_head(self) -> int:
        """Inputs that also reach the heads linearly: the harmonic estimates and log |F|."""
        return len(self.harmonic_times) + int(self.force_heads)

    @property
    def n_scalar(self) -> int:
        """Columns of the scalar inputs (the head inputs, then the temperature, last)."""
        return (self.n_types + (3 if self.inherent else 1) + len(multiscale_names()) * int(self.multiscale)
                + 2 * int(self.basin) + self.n_head + int(self.temperature_input))

    @property
    def n_vector(self) -> int:
        """Vector inputs per particle: the displacement to the inherent state (with ``inherent``) and the force."""
        return 2 if self.inherent else 1

    @property
    def needs_inherent(self) -> bool:
        """Whether the inputs read the quenched state (else only the given configuration's forces)."""
        return bool(self.inherent or self.multiscale or self.basin)


class InputCache:
    """Costly inputs already computed, by (kind, parameters, digest of the arrays they come from).

    Each entry is an (N, k) array (16-216 KB at N = 1000); the oldest go first beyond ``max_items``. With a
    ``folder`` (default ``$GLASSNET_INPUT_CACHE``, none if unset) entries are also read from and written to
    .npy files there, shared between processes (an unreadable file is recomputed and replaced).
    """

    def __init__(self, max_items: int = 1024, folder=None):
        self.max_items = max_items
        folder = folder if folder is not None else os.environ.get(CACHE_ENV)
        self.folder = Path(folder) if folder else None
        self._memo: OrderedDict = OrderedDict()

    def __len__(self):
        return len(self._memo)

    def __repr__(self):
        return f"InputCache({len(self)} entries, folder={str(self.folder) if self.folder else None})"

    def clear(self) -> None:
        """Forget what this cache holds in memory (its folder is left as it is)."""
        self._memo.clear()

    def get(self, kind: str, params: tuple, arrays, compute) -> np.ndarray:
        """``compute()``, or the value kept for the same kind, parameters and input arrays."""
        h = hashlib.sha1()
        for a in arrays:
            a = np.ascontiguousarray(a)
            h.update(f"{a.dtype}{a.shape}".encode())
            h.update(a.tobytes())
        key = (kind, params, h.hexdigest())
        if self.max_items <= 0:
            return self._stored(key, compute)
        if key not in self._memo:
            if len(self._memo) >= self.max_items:
                self._memo.popitem(last=False)
            self._memo[key] = self._stored(key, compute)
        return self._memo[key]

    def _stored(self, key: tuple, compute) -> np.ndarray:
        if self.folder is None:
            return np.asarray(compute())
        kind = key[0]
        name = hashlib.sha1(repr((key, INPUT_VERSIONS.get(kind, 0))).encode()).hexdigest()
        path = self.folder / f"{kind}-{name}.npy"
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            pass
        value = np.asarray(compute())
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                np.save(f, value, allow_pickle=False)
            os.replace(tmp, path)
        except OSError as err:         # a read-only or full cache costs time, not the result
            warnings.warn(f"{CACHE_ENV}={self.folder}: could not write {path.name} ({err.strerror or err})",
                          stacklevel=4)
        return value


def standardise(x: np.ndarray) -> np.ndarray:
    """Columns of x (N, k) shifted and scaled to mean 0, std 1 over the particles (a constant column: 0)."""
    x = np.asarray(x, float)
    return (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-12)


def saturate(x: np.ndarray, c: float) -> np.ndarray:
    """Vectors x (N, 3) shrunk to x / (1 + |x| / c): linear for |x| << c, length < c always.

    The vector channels of a PaiNN trunk multiply each other, so its output grows like a power of the input
    lengths; bounded inputs keep configurations far outside the training range (overlapping particles, forces
    of hundreds) from giving astronomically large predictions.
    """
    return x / (1.0 + np.linalg.norm(x, axis=-1, keepdims=True) / c)


def harmonic_inputs(spec: InputSpec, positions, types, box, forces, temperature=None,
                    cache: InputCache | None = None) -> np.ndarray:
    """(N, len(harmonic_times)) harmonic displacement estimates (sigma, standardised within the configuration)
    at ``spec.harmonic_temperature``, else at the configuration's ``temperature`` (epsilon/k_B)."""
    temp = float(spec.harmonic_temperature or temperature)
    times = [float(t) for t in spec.harmonic_times]

    def compute():
        if spec.harmonic_method == "sparse":
            return harmonic_displacement_sparse(positions, types, box, forces, temp, times).T
        w2, e = normal_modes(hessian(positions, types, box))
        return harmonic_displacement(w2, e, forces, temp, times).T

    params = (spec.harmonic_method, temp, tuple(times))
    cache = cache if cache is not None else InputCache(max_items=0)
    return standardise(cache.get("harmonic", params, (positions, types, box, forces), compute))


def node_inputs(spec: InputSpec, positions, types, box, inherent, temperature=None,
                cache: InputCache | None = None):
    """The node inputs of one configuration: (scalars (N, n_scalar), vectors (N, 3, n_vector), shift (N, 3)).

    Scalars: type one-hot; with ``inherent`` the inherent-state energy (epsilon, offset), and the lengths of the
    saturated displacement to the inherent state and force (else the force's only); the multiscale descriptors
    and basin measures (standardised); the head inputs (harmonic estimates, log |F|); the temperature. Vectors:
    the saturated displacement (sigma) and force (scaled). Shift: inherent minus given positions (sigma), zero
    without ``inherent``. ``cache`` keeps the costly inputs (none: computed every call, or read from
    ``$GLASSNET_INPUT_CACHE``).
    """
    if inherent is None:
        raise ModelError("this model needs the inherent state of the configuration (forces come "
                         "with it): glassnet.md.inherent_state")
    cache = cache if cache is not None else InputCache(max_items=0)
    types = np.asarray(types)
    onehot = np.eye(spec.n_types)[types]
    forces = np.asarray(inherent.forces, np.float64)
    f = saturate(forces / FORCE_SCALE, FORCE_SATURATION)
    shift = np.zeros((len(types), 3))
    if spec.inherent:
        shift = np.asarray(inherent.positions, np.float64) - np.asarray(positions, np.float64)
        d = saturate(shift, DISPLACEMENT_SATURATION)
        scal = np.column_stack([onehot, np.asarray(inherent.energies) + ENERGY_OFFSET,
                                np.linalg.norm(d, axis=1), np.linalg.norm(f, axis=1)])
        vec = np.stack([d, f], axis=-1)
    else:
        scal = np.column_stack([onehot, np.linalg.norm(f, axis=1)])
        vec = f[..., None]
    if spec.multiscale:
        ms = cache.get("multiscale", (), (inherent.positions, types, box, inherent.energies),
                       lambda: multiscale_descriptors(inherent.positions, types, box, inherent.energies))
        scal = np.column_stack([scal, standardise(ms)])
    if spec.basin:
        bm = cache.get("basin", (), (inherent.positions, types, box),
                       lambda: basin_measures(inherent.positions, types, box))
        scal = np.column_stack([scal, standardise(np.log(np.maximum(bm, 1e-30)))])
    if spec.harmonic_times:
        scal = np.column_stack([scal, harmonic_inputs(spec, positions, types, box, inherent.forces, temperature,
                                                      cache)])
    if spec.force_heads:
        scal = np.column_stack([scal, standardise(np.log(np.linalg.norm(forces, axis=1) + 1e-3)[:, None])])
    if spec.temperature_input:
        scal = np.column_stack([scal, np.full(len(types), (float(temperature) - T_CENTER) / T_SCALE)])
    return scal, vec, shift
