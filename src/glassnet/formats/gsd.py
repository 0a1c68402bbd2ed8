"""HOOMD-blue GSD files (needs the ``gsd`` package).

Read: every frame; types by name (a typeid indexes the frame's own list of names, in any order), mapped
by the type map (default A -> 0, B -> 1; :func:`~glassnet.formats.base.parse_type_map`); positions shifted
from GSD's centred box to a corner at 0.

Predictions are written as GSD frames that OVITO reads: positions, the input's type names (A/B where it had
none), and per-particle ``log/particles/prop_<time>`` (sigma), ``log/particles/ka_type`` (0 = A, 1 = B) and
``log/particles/id`` (the input's ids where known).
"""
from __future__ import annotations

import numpy as np

from ..core import FormatError, Configuration, atomic_write
from .base import Format, TYPE_NAMES, map_type_names, particle_ids, prediction_columns

__all__ = ["FORMAT", "read", "write_predictions"]


def _gsd(path):
    try:
        import gsd.hoomd
    except ImportError as err:
        raise FormatError(f"{path}: GSD files need the `gsd` package: pip install gsd") from err
    return gsd.hoomd


def read(path, type_map=None) -> list[Configuration]:
    """Every frame of a HOOMD GSD file (positions and box in sigma)."""
    hoomd = _gsd(path)
    out = []
    try:
        with hoomd.open(str(path), "r") as traj:
            for frame in traj:
                box = np.asarray(frame.configuration.box[:3], dtype=np.float64)
                if np.any(np.asarray(frame.configuration.box[3:]) != 0):
                    raise FormatError(f"{path}: tilted box; only orthorhombic boxes are supported")
                pos = np.asarray(frame.particles.position, dtype=np.float64) + box / 2  # GSD is centred
                names = np.asarray([str(n) for n in frame.particles.types])[
                    np.asarray(frame.particles.typeid, np.int64)]
                meta = {"source": str(path), "type_names": names}
                if "particles/id" in frame.log:
                    meta["ids"] = np.asarray(frame.log["particles/id"], np.int64)
                out.append(Configuration(pos, map_type_names(names, type_map, path), box, metadata=meta))
    except FormatError:
        raise
    except Exception as err:
        raise FormatError(f"cannot read GSD file {path}: {err}") from err
    return out


def _type_names(c: Configuration) -> tuple[list, np.ndarray]:
    """The frame's type names and (N,) typeids: the input's own names where it had them (``Ar``, ``Kr``), else
    A/B."""
    names = c.metadata.get("type_names")
    if names is None or len(names) != c.n:
        return list(TYPE_NAMES), np.asarray(c.types, np.uint32)
    unique, typeid = np.unique(np.asarray(names, str), return_inverse=True)
    return [str(u) for u in unique], typeid.ravel().astype(np.uint32)


def write_predictions(path, configurations, predictions, times=None) -> None:
    """One GSD frame per configuration with the predictions (sigma) as per-particle log arrays."""
    hoomd = _gsd(path)
    keys = prediction_columns(times, predictions[0].shape[1])
    with atomic_write(path, suffix=".gsd") as tmp:
        with hoomd.open(str(tmp), "w") as traj:
            for k, (c, p) in enumerate(zip(configurations, predictions)):
                frame = hoomd.Frame()
                frame.configuration.step = k
                frame.configuration.box = [*map(float, c.box), 0, 0, 0]
                frame.particles.N = c.n
                names, typeid = _type_names(c)
                frame.particles.types = names
                frame.particles.typeid = typeid
                frame.log["particles/ka_type"] = np.asarray(c.types, np.int64)
                wrapped = np.mod(c.positions, c.box)
                frame.particles.position = (wrapped - c.box / 2).astype(np.float32)
                frame.log["particles/id"] = particle_ids(c)
                for j, key in enumerate(keys):
                    frame.log[f"particles/{key}"] = np.asarray(p[:, j], np.float32)
                if times is not None:
                    frame.log["prediction_times"] = np.asarray(times, np.float64)
                if c.metadata.get("temperature") is not None:
                    frame.log["temperature"] = np.array([float(c.metadata["temperature"])])
                traj.append(frame)


#: this module's entry in the registry of glassnet.formats
FORMAT = Format("gsd", (".gsd",), read=read, write_predictions=write_predictions, named_types=True,
                description="HOOMD GSD (needs gsd)")
