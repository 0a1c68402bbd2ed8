"""GlassBench configurations (Jung et al. 2023, 3D KA): one ``.npz`` per configuration."""
from __future__ import annotations

import numpy as np

from ..core import Configuration, FormatError, atomic_write
from .base import Format

__all__ = ["FORMAT", "load_glassbench_npz", "save_glassbench_npz", "read"]


def load_glassbench_npz(path, density: float = 1.2, times=None) -> Configuration:
    """Read one GlassBench configuration (Jung et al. 2023, 3D KA): an .npz with ``types`` (1/2 for A/B;
    0/1 is accepted too), ``initial_positions`` (N, 3), ``md_prop`` (10 times x N, either orientation),
    optionally ``initial_positions_inherent``/``_cage`` (kept in metadata). The box is not stored in
    these files: it is the cube of volume N / density (sigma).

    Args:
        times: optional (T,) times (tau) of md_prop, which the files do not record.
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except Exception as err:
        raise FormatError(f"{path} is not a readable .npz file (truncated or corrupt?): {err}") from err
    missing = {"types", "initial_positions"} - set(data)
    if missing:
        raise FormatError(f"{path}: missing GlassBench keys {sorted(missing)}")
    pos = np.asarray(data["initial_positions"], np.float64)
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise FormatError(f"{path}: initial_positions.shape={pos.shape}; expected (N, 3)")
    n = len(pos)
    types = np.asarray(data["types"]).astype(np.int64).ravel()
    if types.shape != (n,):
        raise FormatError(f"{path}: types.shape={types.shape}; expected ({n},)")
    if types.min() >= 1:
        types = types - 1
    if np.setdiff1d(types, [0, 1]).size:
        raise FormatError(f"{path}: unknown types {np.unique(types).tolist()}; expected 1/2 (or 0/1)")
    targets = None
    if "md_prop" in data:
        prop = np.asarray(data["md_prop"], np.float64)
        targets = prop if prop.shape[-1] == n else prop.T
        if targets.ndim != 2 or targets.shape[1] != n:
            raise FormatError(f"{path}: md_prop.shape={prop.shape}; expected (T, {n}) or ({n}, T)")
    meta = {"source": str(path)}
    for key in ("initial_positions_inherent", "initial_positions_cage"):
        if key in data:
            meta[key] = np.asarray(data[key], np.float64)
    box = np.full(3, (n / density) ** (1 / 3))
    t = None if times is None else np.asarray(times, np.float64)
    return Configuration(pos, types, box, targets, t, meta)


def save_glassbench_npz(path, config: Configuration) -> None:
    """Write a configuration as a GlassBench-style .npz (types 1/2, initial_positions, md_prop (T, N))."""
    arrays = {"types": np.asarray(config.types, np.int64) + 1,
              "initial_positions": np.asarray(config.positions, np.float64)}
    if config.targets is not None:
        arrays["md_prop"] = np.asarray(config.targets, np.float64)
    with atomic_write(path, suffix=".npz") as tmp:
        np.savez_compressed(tmp, **arrays)


def read(path) -> list[Configuration]:
    """The configuration of a GlassBench .npz (box from density 1.2)."""
    return [load_glassbench_npz(path)]


#: this module's entry in the registry of glassnet.formats
FORMAT = Format("glassbench", (".npz",), read=read, description="GlassBench .npz (Jung et al. 2023)")
