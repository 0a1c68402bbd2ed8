"""LAMMPS text dump files (``dump ... custom``), read and written here (no extra package needed).

Read: every frame's orthorhombic box, ``id``, ``type`` (or ``element``) and positions (``x y z``, unwrapped
``xu yu zu`` or scaled ``xs ys zs``), ordered by id; types are mapped by the type map (default LAMMPS types
1 -> A, 2 -> B; :func:`~glassnet.formats.base.parse_type_map`). The ids are kept as the original ids.

Predictions are written as a dump that OVITO reads: ``id type x y z`` and one column ``prop_<time>`` per
output time (sigma); the types are the input's where it named them by LAMMPS number, else 1 (A), 2 (B).
"""
from __future__ import annotations

import numpy as np

from ..core import Configuration, FormatError, atomic_write
from .base import Format, map_type_names, particle_ids, prediction_columns

__all__ = ["FORMAT", "read", "write_predictions"]


def _frames(lines, path):
    k = 0
    while k < len(lines):
        if not lines[k].startswith("ITEM: TIMESTEP"):
            raise FormatError(f"{path}: line {k + 1}: expected 'ITEM: TIMESTEP', got {lines[k][:40]!r}")
        try:
            step = int(lines[k + 1])
            n = int(lines[k + 3])
            bounds = lines[k + 4]
            lo_hi = np.array([lines[k + 5 + d].split()[:2] for d in range(3)], np.float64)
            header = lines[k + 8]
            rows = [lines[k + 9 + i].split() for i in range(n)]
        except (ValueError, IndexError) as err:
            raise FormatError(f"{path}: not a LAMMPS text dump (frame at line {k + 1}: {err})") from err
        if "xy" in bounds.split():
            raise FormatError(f"{path}: triclinic box; only orthorhombic boxes are supported")
        if not header.startswith("ITEM: ATOMS"):
            raise FormatError(f"{path}: line {k + 9}: expected 'ITEM: ATOMS ...'")
        yield step, lo_hi, header.split()[2:], rows
        k += 9 + n


def read(path, type_map=None) -> list[Configuration]:
    """Every frame of a LAMMPS text dump (positions and box in sigma, corner of the box at 0)."""
    out = []
    for step, lo_hi, names, rows in _frames(open(path).read().splitlines(), path):
        if any(len(r) != len(names) for r in rows):
            raise FormatError(f"{path}: timestep {step}: rows do not match the columns {names}")
        table = np.array(rows, dtype=object).reshape(len(rows), len(names))
        col = {name: table[:, j] for j, name in enumerate(names)}
        box = lo_hi[:, 1] - lo_hi[:, 0]
        try:
            if all(f"{a}s" in col for a in "xyz"):
                pos = np.stack([col[f"{a}s"].astype(float) for a in "xyz"], axis=1) * box
            else:
                keys = next(([f"{a}{u}" for a in "xyz"] for u in ("", "u") if all(f"{a}{u}" in col for a in "xyz")),
                            None)
                if keys is None:
                    raise FormatError(f"{path}: no x y z (or xu yu zu, xs ys zs) columns in {names}")
                pos = np.stack([col[k].astype(float) for k in keys], axis=1) - lo_hi[:, 0]
            ids = col["id"].astype(np.int64) if "id" in col else np.arange(1, len(rows) + 1)
        except ValueError as err:
            raise FormatError(f"{path}: timestep {step}: {err}") from err
        name_col = "element" if "element" in col else "type" if "type" in col else None
        if name_col is None:
            raise FormatError(f"{path}: no type (or element) column in {names}")
        order = np.argsort(ids, kind="stable")
        type_names = col[name_col].astype(str)[order]
        out.append(Configuration(pos[order], map_type_names(type_names, type_map, path), box,
                                 metadata={"source": str(path), "ids": ids[order], "type_names": type_names,
                                           "timestep": step}))
    if not out:
        raise FormatError(f"{path}: no frames")
    return out


def write_predictions(path, configurations, predictions, times=None) -> None:
    """One dump frame per configuration (timestep = its index) with a column per predicted time (sigma)."""
    keys = prediction_columns(times, predictions[0].shape[1])
    with atomic_write(path) as tmp, open(tmp, "w") as f:
        for k, (c, p) in enumerate(zip(configurations, predictions)):
            names = c.metadata.get("type_names")
            lammps_types = [str(n) for n in names] if names is not None and all(str(n).isdigit() for n in names) \
                else [str(t + 1) for t in c.types]
            ids = particle_ids(c)
            f.write(f"ITEM: TIMESTEP\n{k}\nITEM: NUMBER OF ATOMS\n{c.n}\nITEM: BOX BOUNDS pp pp pp\n")
            f.writelines(f"0 {b:.10g}\n" for b in c.box)
            f.write("ITEM: ATOMS id type x y z " + " ".join(keys) + "\n")
            for i in range(c.n):
                x, y, z = c.positions[i]
                f.write(f"{ids[i]} {lammps_types[i]} {x:.10g} {y:.10g} {z:.10g} "
                        + " ".join(f"{v:.6g}" for v in p[i]) + "\n")


#: this module's entry in the registry of glassnet.formats
FORMAT = Format("lammps-dump", (".dump", ".lammpstrj"), read=read, write_predictions=write_predictions,
                named_types=True, description="LAMMPS text dump")
