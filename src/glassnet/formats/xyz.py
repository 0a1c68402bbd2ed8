"""Extended XYZ files (read here, written with ASE; the ``ase`` package is needed for both).

Read: every frame's ``Lattice`` (orthorhombic), positions, and the species (``species`` column, or a
``type`` column), mapped to glassnet types by the type map (:func:`~glassnet.formats.base.parse_type_map`);
an ``id`` column is kept as the particles' original ids. Species need not be chemical elements (``A``/``B``
work), which is why frames are parsed here rather than by ASE, whose reader refuses them.

Predictions are written as extended XYZ that ASE and OVITO read: species (the input's names where they are
elements, else H for A and He for B), ``id``, ``ka_type`` (A/B) and one column ``prop_<time>`` per output
time (sigma), the times (tau) in the frame's ``prediction_times``.
"""
from __future__ import annotations

import numpy as np

from ..core import Configuration, FormatError, atomic_write
from .base import Format, TYPE_NAMES, map_type_names, particle_ids, prediction_columns

__all__ = ["FORMAT", "read", "write_predictions"]


def _ase(path):
    try:
        import ase.io.extxyz
    except ImportError as err:
        raise FormatError(f"{path}: extended XYZ needs the `ase` package: pip install ase") from err
    return ase.io.extxyz


def _columns(properties: str, path) -> dict:
    """``species:S:1:pos:R:3`` -> {name: (first column, width, kind)}."""
    items = properties.split(":")
    if len(items) % 3:
        raise FormatError(f"{path}: bad Properties={properties!r}")
    cols, start = {}, 0
    for name, kind, width in zip(items[::3], items[1::3], items[2::3]):
        cols[name] = (start, int(width), kind.upper())
        start += int(width)
    return cols


def read(path, type_map=None) -> list[Configuration]:
    """Every frame of an extended XYZ file (positions and box in sigma)."""
    extxyz = _ase(path)
    lines = open(path).read().splitlines()
    out, k = [], 0
    while k < len(lines):
        if not lines[k].strip():
            k += 1
            continue
        try:
            n = int(lines[k])
            info = extxyz.key_val_str_to_dict(lines[k + 1])
            rows = [lines[k + 2 + i].split() for i in range(n)]
        except (ValueError, IndexError) as err:
            raise FormatError(f"{path}: not an extended XYZ file (frame at line {k + 1}: {err})") from err
        k += n + 2
        if "Lattice" not in info:
            raise FormatError(f"{path}: frame {len(out)} has no Lattice=...: glassnet needs the periodic box")
        pbc = np.atleast_1d(np.asarray(info.get("pbc", True), dtype=bool))
        if not pbc.all():
            raise FormatError(f"{path}: frame {len(out)} is not periodic in every direction (pbc={pbc.tolist()}); "
                              "glassnet's networks describe periodic bulk systems only")
        if n == 0:
            raise FormatError(f"{path}: frame {len(out)} has no particles (positions is empty)")
        cell = np.asarray(info["Lattice"], dtype=np.float64).reshape(3, 3)
        if not np.allclose(cell, np.diag(np.diag(cell))):
            raise FormatError(f"{path}: only orthorhombic boxes are supported, got Lattice {cell.tolist()}")
        cols = _columns(info.get("Properties", "species:S:1:pos:R:3"), path)
        if "pos" not in cols:
            raise FormatError(f"{path}: no pos column in Properties")
        if any(len(r) != len(rows[0]) for r in rows):
            raise FormatError(f"{path}: frame {len(out)} has rows of different lengths")
        table = np.array(rows, dtype=object)
        try:
            s, w, _ = cols["pos"]
            pos = table[:, s:s + w].astype(np.float64)
        except (ValueError, IndexError) as err:
            raise FormatError(f"{path}: frame {len(out)}: bad positions ({err})") from err
        name_col = "species" if "species" in cols else "type" if "type" in cols else None
        if name_col is None:
            raise FormatError(f"{path}: no species or type column in Properties")
        names = table[:, cols[name_col][0]].astype(str)
        meta = {"source": str(path), "type_names": names}
        if "id" in cols:
            meta["ids"] = table[:, cols["id"][0]].astype(np.int64)
        out.append(Configuration(pos, map_type_names(names, type_map, path), np.diag(cell).copy(),
                                 metadata=meta))
    if not out:
        raise FormatError(f"{path}: no frames")
    return out


def _element_names(c: Configuration) -> list:
    """The input's species where they are chemical elements (ASE and OVITO show them), else H (A)/He (B)."""
    from ase.data import atomic_numbers

    names = c.metadata.get("type_names")
    if names is not None and all(str(n) in atomic_numbers for n in names):
        return [str(n) for n in names]
    return [("H", "He")[t] for t in c.types]


def write_predictions(path, configurations, predictions, times=None) -> None:
    """One extended XYZ frame per configuration with the predictions (sigma) as per-particle columns."""
    _ase(path)
    import ase
    import ase.io

    keys = prediction_columns(times, predictions[0].shape[1])
    frames = []
    for c, p in zip(configurations, predictions):
        atoms = ase.Atoms(_element_names(c), positions=c.positions, cell=np.diag(c.box), pbc=True)
        atoms.new_array("id", particle_ids(c))
        atoms.new_array("ka_type", np.array([TYPE_NAMES[t] for t in c.types]))
        for j, key in enumerate(keys):
            atoms.new_array(key, np.asarray(p[:, j], np.float64))
        if times is not None:
            atoms.info["prediction_times"] = np.asarray(times, np.float64)
        if c.metadata.get("temperature") is not None:
            atoms.info["temperature"] = float(c.metadata["temperature"])
        frames.append(atoms)
    with atomic_write(path, suffix=".extxyz") as tmp:
        ase.io.write(str(tmp), frames, format="extxyz")


#: this module's entry in the registry of glassnet.formats
FORMAT = Format("extxyz", (".xyz", ".extxyz"), read=read, write_predictions=write_predictions,
                named_types=True, description="extended XYZ (needs ase)")
