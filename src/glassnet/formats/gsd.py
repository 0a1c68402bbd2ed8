"""HOOMD-blue GSD files (needs the ``gsd`` package)."""
from __future__ import annotations

import numpy as np

from ..core import Configuration, FormatError
from .base import Format

__all__ = ["FORMAT", "read"]


#: GSD type names -> glassnet types
TYPE_NAMES = {"A": 0, "B": 1}


def _types(frame, path) -> np.ndarray:
    """Types by name (a typeid indexes the frame's own list of names, which may be in any order)."""
    names = [str(n) for n in frame.particles.types]
    unknown = sorted(set(names) - set(TYPE_NAMES))
    typeid = np.asarray(frame.particles.typeid, np.int64)
    used = sorted({names[i] for i in np.unique(typeid)}) if len(typeid) else []
    if set(used) & set(unknown):
        raise FormatError(f"{path}: GSD type names {unknown}; glassnet knows A and B (the KA mixture)")
    return np.array([TYPE_NAMES[n] if n in TYPE_NAMES else -1 for n in names], np.int64)[typeid]


def read(path) -> list[Configuration]:
    """Every frame of a HOOMD GSD file (positions shifted from GSD's centred box to a corner at 0; types
    mapped by name, A -> 0 and B -> 1)."""
    try:
        import gsd.hoomd
    except ImportError as err:
        raise FormatError(f"reading {path} needs the `gsd` package: pip install gsd") from err
    out = []
    try:
        with gsd.hoomd.open(str(path), "r") as traj:
            for frame in traj:
                box = np.asarray(frame.configuration.box[:3], dtype=np.float64)
                pos = np.asarray(frame.particles.position, dtype=np.float64) + box / 2  # GSD is centred
                out.append(Configuration(pos, _types(frame, path), box, metadata={"source": str(path)}))
    except FormatError:
        raise
    except Exception as err:
        raise FormatError(f"cannot read GSD file {path}: {err}") from err
    return out


#: this module's entry in the registry of glassnet.formats
FORMAT = Format("gsd", (".gsd",), read=read, description="HOOMD GSD (needs gsd)")
