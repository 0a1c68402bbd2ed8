"""HOOMD-blue GSD files (needs the ``gsd`` package)."""
from __future__ import annotations

import numpy as np

from ..core import Configuration, FormatError
from .base import Format

__all__ = ["FORMAT", "read"]


def read(path) -> list[Configuration]:
    """Every frame of a HOOMD GSD file (positions shifted from GSD's centred box to a corner at 0)."""
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
                out.append(Configuration(pos, np.asarray(frame.particles.typeid, np.int64), box,
                                         metadata={"source": str(path)}))
    except FormatError:
        raise
    except Exception as err:
        raise FormatError(f"cannot read GSD file {path}: {err}") from err
    return out


#: this module's entry in the registry of glassnet.formats
FORMAT = Format("gsd", (".gsd",), read=read, description="HOOMD GSD (needs gsd)")
