"""Bapst et al. (2020) pickle files (``test_large.pickle`` and the published training data): a dict of
numpy arrays. They are read with a restricted unpickler that admits numpy globals only; a bare
``pickle.load`` would run any code the file names. Positions and box in sigma, times in tau."""
from __future__ import annotations

import io as _io
import pickle
from pathlib import Path

import numpy as np

from ..core import Configuration, FormatError, atomic_write
from .base import Format
from ..observables import noise_ceiling

__all__ = ["FORMAT", "load_bapst_pickle", "save_bapst_pickle", "bapst_propensities", "read"]


_NUMPY_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the numpy globals needed to rebuild arrays."""

    def find_class(self, module, name):
        if (module, name) in _NUMPY_GLOBALS:
            return super().find_class(module, name)
        raise FormatError(f"refusing to unpickle global {module}.{name}: only numpy arrays are allowed")


def _restricted_load(path: Path):
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise FormatError(f"cannot read {path}: {err}") from err
    try:
        return _NumpyOnlyUnpickler(_io.BytesIO(data), encoding="latin1").load()
    except FormatError:
        raise
    except Exception as err:  # truncated or corrupt streams raise many different errors
        raise FormatError(f"{path} is not a readable pickle file (truncated or corrupt?): {err}") from err


def load_bapst_pickle(path) -> dict:
    """Load a Bapst et al. (2020) pickle file safely (numpy globals only).

    Returns the dict with keys ``positions`` (N, 3), ``types`` (N,), ``box`` (3,), ``time`` (list),
    ``time_indices`` (list), ``is_values`` (array), ``trajectory_target_positions`` and optional
    ``targets`` (list of (N,) arrays), ``metadata``.

    Raises:
        FormatError: the file is unreadable, not a pickle, not a dict or misses required keys.
    """
    d = _restricted_load(path)
    if not isinstance(d, dict):
        raise FormatError(f"{path}: expected a dict, found {type(d).__name__}")
    missing = {"positions", "types", "box"} - set(d)
    if missing:
        raise FormatError(f"{path}: missing keys {sorted(missing)}")
    pos = np.asarray(d["positions"])
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise FormatError(f"{path}: positions.shape={pos.shape}; expected (N, 3)")
    if np.asarray(d["types"]).shape != (len(pos),):
        raise FormatError(f"{path}: types.shape={np.asarray(d['types']).shape}; expected ({len(pos)},)")
    return d


def save_bapst_pickle(path, positions, types, box, time, time_indices, is_values,
                      trajectory_target_positions, targets=None, metadata=None) -> None:
    """Write a file in the Bapst et al. pickle layout (protocol 3), readable by their code."""
    d = {
        "positions": np.asarray(positions, dtype=np.float64),
        "types": np.asarray(types, dtype=np.int32),
        "box": np.asarray(box, dtype=np.float64),
        "time": [float(t) for t in time],
        "is_values": np.asarray(is_values, dtype=np.float64),
        "time_indices": [int(i) for i in time_indices],
        "trajectory_target_positions": trajectory_target_positions,
        "metadata": dict(metadata or {}),
    }
    if targets is not None:
        d["targets"] = [np.asarray(t, dtype=np.float64) for t in targets]
    with atomic_write(path) as tmp, open(tmp, "wb") as f:
        pickle.dump(d, f, protocol=3)


def bapst_propensities(d: dict) -> tuple[np.ndarray, np.ndarray]:
    """Propensities of a Bapst et al. pickle dict: its ``targets`` if present, else computed as the mean
    over trajectories of |r_i(t) - r_i(0)| from ``trajectory_target_positions``.

    Returns:
        (times (T,) float64 tau, propensities (T, N) float64 sigma).
    """
    times = np.asarray(d["time"], dtype=np.float64)[np.asarray(d["time_indices"])]
    if "targets" in d:
        return times, np.stack([np.asarray(t, dtype=np.float64) for t in d["targets"]])
    start = np.asarray(d["positions"], dtype=np.float64)
    traj = d["trajectory_target_positions"]
    prop = np.stack([np.mean([np.linalg.norm(np.asarray(x) - start, axis=-1) for x in per_t], axis=0)
                     for per_t in traj])
    return times[: len(prop)], prop


def read(path) -> list[Configuration]:
    """The one configuration of a Bapst et al. pickle, with its propensities and their noise ceiling."""
    d = load_bapst_pickle(path)
    targets = times = None
    meta = {"source": str(path), **dict(d.get("metadata", {}))}
    if "targets" in d or "trajectory_target_positions" in d:
        times, targets = bapst_propensities(d)
    traj = d.get("trajectory_target_positions")
    if traj is not None and targets is not None and len(traj) and len(traj[0]) >= 2:
        start = np.asarray(d["positions"], np.float64)
        ceiling = np.full(len(targets), np.nan)
        for k, per_t in enumerate(traj[: len(targets)]):
            disp = np.stack([np.linalg.norm(np.asarray(x) - start, axis=-1) for x in per_t])
            ceiling[k] = noise_ceiling(disp[:, None, :], d["types"])[0]
        meta["noise_ceiling"] = ceiling.tolist()
    return [Configuration(np.asarray(d["positions"], np.float64), np.asarray(d["types"], np.int64),
                          np.asarray(d["box"], np.float64), targets, times, meta)]


#: this module's entry in the registry of glassnet.formats
FORMAT = Format("bapst", (".pickle", ".pkl"), read=read,
           description="Bapst et al. (2020) pickle (one configuration, propensities)")
