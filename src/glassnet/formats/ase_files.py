"""Extended XYZ and LAMMPS text dump files, read with ASE (needs the ``ase`` package)."""
from __future__ import annotations

import numpy as np

from ..core import Configuration, FormatError
from .base import Format

__all__ = ["FORMAT", "read"]


def read(path) -> list[Configuration]:
    """Every frame of an (extended) XYZ file or LAMMPS text dump, read with ASE."""
    try:
        import ase.io
    except ImportError as err:
        raise FormatError(f"reading {path} needs the `ase` package: pip install ase") from err
    fmt = "lammps-dump-text" if str(path).endswith((".dump", ".lammpstrj")) else None
    try:
        frames = ase.io.read(str(path), index=":", format=fmt)
    except Exception as err:
        raise FormatError(f"cannot read {path} with ase: {err}") from err
    out = []
    for atoms in frames:
        cell = np.asarray(atoms.cell)
        if not np.allclose(cell, np.diag(np.diag(cell))):
            raise FormatError(f"{path}: only orthorhombic boxes are supported, got cell {cell.tolist()}")
        # LAMMPS types 1/2 come back from ase as atomic numbers 1/2 (H/He); in xyz files write A as H
        # and B as He.
        types = atoms.get_atomic_numbers() - 1
        unknown = np.setdiff1d(types, [0, 1])
        if unknown.size:
            raise FormatError(f"{path}: unknown particle types {(unknown + 1).tolist()}; expected LAMMPS "
                              "types 1 (A) and 2 (B), or species H (A) and He (B) in xyz files")
        out.append(Configuration(atoms.get_positions(), types.astype(np.int64), np.diag(cell).copy(),
                                 metadata={"source": str(path)}))
    return out


#: this module's entry in the registry of glassnet.formats
FORMAT = Format("ase", (".xyz", ".extxyz", ".dump", ".lammpstrj"), read=read,
           description="extended XYZ or LAMMPS dump (needs ase)")
