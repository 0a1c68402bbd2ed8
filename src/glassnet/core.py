"""Core types and errors of glassnet, imported by every other module and importing none of them.

- :class:`Configuration`, :class:`InherentState` and :class:`Dataset`: what flows through the pipeline.
- :func:`check_particles`: the one converter for particle arrays, with errors that say what was received
  and what was expected.
- The error classes: every failure glassnet reports to a user is a :class:`GlassnetError`.
- :func:`atomic_write`: how every file is written (a kill never leaves half a file).

Units: LJ reduced units of the Kob-Andersen A particles (sigma, epsilon, m, tau). Types are 0 (A), 1 (B).
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "N_TYPES", "SPLITS", "GlassnetError", "ParameterError", "SimulationError", "FormatError", "GraphError", "ModelError",
    "InherentState", "Configuration", "Dataset", "check_particles", "check_overlaps", "OVERLAP_DISTANCE",
    "check_neighbours", "check_targets", "number_density", "atomic_write",
]

#: particle types of the Kob-Andersen mixture: 0 (A) and 1 (B)
N_TYPES = 2
#: the splits of a dataset, in the order they are stored
SPLITS = ("train", "valid", "test")


class GlassnetError(Exception):
    """Base class of every error glassnet reports (the command line prints it as one line, exit 2)."""


class ParameterError(GlassnetError, ValueError):
    """A parameter out of range, or inconsistent with others or with what is already on disk."""


class SimulationError(GlassnetError, RuntimeError):
    """Bad input to an MD engine, or a simulation that failed (the engine's message passed on)."""


class FormatError(GlassnetError, ValueError):
    """A file that is missing, truncated, corrupt or not in the expected format."""


class GraphError(GlassnetError, ValueError):
    """Bad input to the graph construction."""


class ModelError(GlassnetError, ValueError):
    """A checkpoint, configuration or input that does not fit a model or its training."""


@dataclass
class InherentState:
    """The inherent state (local energy minimum) a configuration quenches to.

    Attributes:
        positions: (N, 3) float64 inherent-state positions (sigma), unwrapped so that
            ``positions - configuration.positions`` is each particle's displacement to it.
        energies: (N,) float64 per-particle potential energy in the inherent state (epsilon).
        forces: (N, 3) float64 forces on the particles of the *given* configuration (epsilon/sigma).
        max_force: largest remaining |F_i| after the quench (epsilon/sigma).
        ftol: the quench's stopping tolerance on the global force 2-norm (epsilon/sigma).
    """

    positions: np.ndarray
    energies: np.ndarray
    forces: np.ndarray
    max_force: float = float("nan")
    ftol: float = float("nan")


@dataclass
class Configuration:
    """One configuration of particles, optionally with measured propensities.

    Attributes:
        positions: (N, 3) float64 positions (sigma).
        types: (N,) int64 types, 0 (A) or 1 (B).
        box: (3,) float64 box lengths (sigma), corner at the origin.
        targets: (T, N) float64 propensities (sigma) at ``times`` or None.
        times: (T,) float64 times (tau) of the targets, or None.
        metadata: free-form dict (temperature, source file, split, ...).
        inherent: its :class:`InherentState`, or None where not computed.
    """

    positions: np.ndarray
    types: np.ndarray
    box: np.ndarray
    targets: np.ndarray | None = None
    times: np.ndarray | None = None
    metadata: dict = field(default_factory=dict)
    inherent: InherentState | None = None

    @property
    def n(self) -> int:
        return len(self.positions)


@dataclass
class Dataset:
    """A propensity dataset: configurations sharing one time grid and one state point.

    Attributes:
        configurations: list of :class:`Configuration` (``targets`` (T, N) propensities in sigma;
            ``metadata['split']`` is 'train', 'valid' or 'test').
        times: (T,) float64 times (tau) of the propensities.
        metadata: file-level attributes (temperature, density, seeds, versions, ...).
    """

    configurations: list
    times: np.ndarray
    metadata: dict = field(default_factory=dict)

    def split(self, name: str) -> list:
        """The configurations of one split ('train', 'valid' or 'test')."""
        if name not in SPLITS:
            raise FormatError(f"split={name!r}; expected one of {SPLITS}")
        return [c for c in self.configurations if c.metadata.get("split") == name]


def check_particles(positions, types, box, error=ValueError):
    """Validate and convert a configuration.

    Args:
        positions: (N, 3) positions (sigma); types: (N,) integers 0 (A) or 1 (B); box: scalar or (3,)
            positive lengths (sigma).
        error: the exception class to raise.

    Returns:
        (positions (N, 3) float64, types (N,) int64, box (3,) float64).
    """
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise error(f"positions.shape={pos.shape}; expected (N, 3)")
    if pos.shape[0] == 0:
        raise error("positions is empty; expected at least one particle")
    if not np.all(np.isfinite(pos)):
        bad = np.argwhere(~np.isfinite(pos).all(axis=1)).ravel()
        raise error(f"positions contain NaN or inf (particles {bad[:5].tolist()})")
    typ = np.asarray(types)
    if typ.shape != (pos.shape[0],):
        raise error(f"types.shape={typ.shape}; expected ({pos.shape[0]},) to match positions")
    if typ.dtype.kind == "f" and not np.all(typ == np.round(typ)):
        raise error("types must be integers 0 (A) or 1 (B)")
    typ = typ.astype(np.int64)
    unknown = np.setdiff1d(np.unique(typ), np.arange(N_TYPES))
    if unknown.size:
        raise error(f"unknown particle types {unknown.tolist()}; expected 0 (A) or 1 (B)")
    b = np.asarray(box, dtype=np.float64)
    b = np.full(3, float(b)) if b.ndim == 0 else b
    if b.shape != (3,):
        raise error(f"box.shape={b.shape}; expected a scalar or (3,) box lengths")
    if not np.all(np.isfinite(b)) or np.any(b <= 0):
        raise error(f"box={b.tolist()}; expected positive finite lengths")
    return pos, typ, b


#: pairs closer than this (sigma) are overlapping particles, not a KA configuration (its closest pairs,
#: B-B and A-B, sit near 0.7 sigma even in a quench from T = 2)
OVERLAP_DISTANCE = 0.5


def check_overlaps(positions, box, r_min: float = OVERLAP_DISTANCE, error=ValueError) -> None:
    """Refuse configurations with particles closer than ``r_min`` (sigma), naming the closest pairs.

    Args:
        positions: (N, 3) positions (sigma), any periodic image; box: (3,) lengths (sigma).
    """
    from scipy.spatial import cKDTree

    box = np.asarray(box, dtype=np.float64)
    wrapped = np.mod(np.asarray(positions, dtype=np.float64), box)
    wrapped[wrapped >= box] = 0.0
    pairs = cKDTree(wrapped, boxsize=box).query_pairs(r_min, output_type="ndarray")
    if len(pairs):
        d = wrapped[pairs[:, 1]] - wrapped[pairs[:, 0]]
        d -= box * np.round(d / box)
        r = np.linalg.norm(d, axis=1)
        order = np.argsort(r)[:3]
        named = ", ".join(f"{int(pairs[k, 0])} and {int(pairs[k, 1])} at {r[k]:.3g}" for k in order)
        raise error(f"{len(pairs)} pair(s) of particles closer than {r_min:g} sigma (overlapping: {named} sigma); "
                    "check the input (units must be sigma)")


def number_density(n: int, box) -> float:
    """N / V (sigma^-3) of N particles in an orthorhombic box of lengths ``box`` (sigma)."""
    return float(n / np.prod(np.asarray(box, dtype=np.float64)))


def check_targets(configurations, error=ValueError) -> None:
    """Refuse labelled configurations whose propensities hold NaN or inf, naming the first such configuration
    and its times: a label that is not a number would silently drop out of a loss or a correlation."""
    for k, c in enumerate(configurations):
        if c.targets is None:
            continue
        bad = ~np.isfinite(np.asarray(c.targets, dtype=np.float64))
        if bad.any():
            rows = np.flatnonzero(bad.any(axis=1))
            when = ", ".join(f"t = {float(c.times[j]):g}" if c.times is not None else f"row {j}" for j in rows[:4])
            name = c.metadata.get("name", k)
            source = c.metadata.get("source")
            raise error(f"{source + ': ' if source else ''}configuration {name} has {int(bad.sum())} NaN or inf "
                        f"propensities ({when}); remake or drop it")


def check_neighbours(positions, box, r_cut: float, error=ValueError) -> None:
    """Refuse configurations in which a particle has no neighbour within ``r_cut`` (sigma): a network reading
    a radius graph sees nothing around it (at density 1.2 every particle has about 40 within 2 sigma).

    Args:
        positions: (N, 3) positions (sigma), any periodic image; box: (3,) lengths (sigma).
    """
    from scipy.spatial import cKDTree

    box = np.asarray(box, dtype=np.float64)
    wrapped = np.mod(np.asarray(positions, dtype=np.float64), box)
    wrapped[wrapped >= box] = 0.0
    counts = cKDTree(wrapped, boxsize=box).query_ball_point(wrapped, r_cut, return_length=True) - 1
    alone = np.flatnonzero(counts == 0)
    if len(alone):
        rho = number_density(len(wrapped), box)
        raise error(f"{len(alone)} of {len(wrapped)} particles (e.g. {alone[:3].tolist()}) have no neighbour within "
                    f"the cutoff {r_cut:g} sigma at number density {rho:.3g} sigma^-3 (KA: 1.2); positions must "
                    "be in sigma (Angstrom would give ~0.03)")


@contextlib.contextmanager
def atomic_write(path, suffix: str = ""):
    """Write a file atomically: yields a temporary path beside ``path``, renamed over it on success.

    A kill or an exception never leaves a half-written ``path``; on an exception the temporary file is
    removed and ``path`` keeps what it had. ``suffix`` is appended to the temporary name for writers that
    insist on an extension (``np.savez`` adds ``.npz`` unless the name ends with it).

    Example:
        >>> with atomic_write("out.csv") as tmp:
        ...     tmp.write_text("a,b\\n")
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp" + suffix)
    try:
        yield tmp
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    tmp.replace(path)
