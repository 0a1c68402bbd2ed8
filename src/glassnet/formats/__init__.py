"""File formats behind one registry: a file's suffix picks its reader (and predictions writer).

Every command reads configurations with :func:`read_configurations` / :func:`read_labelled` and writes
predictions with :func:`write_predictions`; none tests a suffix itself. A format is one module in this
package with a module constant ``FORMAT``, its :class:`~glassnet.formats.base.Format`, and one name in :data:`MODULES`.

Units: positions and box in sigma, times in tau (LJ units). Types are 0 (A) and 1 (B); files that name
their species (GSD, extended XYZ, LAMMPS dump) are read through one type map (``types=``, see
:func:`~glassnet.formats.base.parse_type_map`). Positions outside the box are wrapped where a graph is built.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

import numpy as np

from ..core import Configuration, FormatError, check_particles, check_targets
from .base import DEFAULT_TYPE_MAP, Format, map_type_names, parse_type_map

__all__ = ["Format", "MODULES", "DEFAULT_TYPE_MAP", "Splits", "parse_type_map", "as_configuration", "formats",
           "format_for", "has_splits", "read_configurations", "read_labelled", "write_predictions"]

#: the format modules of this package, one line each
MODULES = (
    "hdf5",
    "bapst",
    "glassbench",
    "gsd",
    "xyz",
    "lammps_dump",
    "csvfile",
)


_REGISTRY: dict[str, Format] = {}


def formats() -> dict[str, Format]:
    """suffix -> :class:`Format`, for every registered format."""
    if not _REGISTRY:
        for module in MODULES:
            fmt = import_module(f".{module}", __name__).FORMAT
            for suffix in fmt.suffixes:
                _REGISTRY[suffix] = fmt
    return _REGISTRY


def _known(what: str) -> str:
    return ", ".join(f"{s} ({f.name})" for s, f in formats().items() if getattr(f, what) is not None)


def format_for(path, need: str = "read") -> Format:
    """The format of a file by its suffix, able to do ``need`` ('read' or 'write_predictions')."""
    suffix = Path(path).suffix.lower()
    fmt = formats().get(suffix)
    if fmt is None or getattr(fmt, need) is None:
        verb = "read" if need == "read" else "write predictions to"
        raise FormatError(f"{path}: glassnet cannot {verb} {suffix or 'files without a suffix'!r}; "
                          f"known: {_known(need)}")
    return fmt


def has_splits(path) -> bool:
    """Whether a file's format records train/valid/test splits (glassnet datasets do)."""
    fmt = formats().get(Path(path).suffix.lower())
    return bool(fmt and fmt.splits)


def read_configurations(path, types=None) -> list[Configuration]:
    """Read every configuration in a file, picking the reader from the suffix (see :data:`MODULES`).

    Args:
        types: type map for files that name their species: ``"A=Ar,B=Kr"`` or ``{"A": "Ar", "B": "Kr"}``
            (default: A/B, LAMMPS types 1/2, H/He); ignored by formats with numeric types.
    """
    fmt = format_for(path)
    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path} does not exist")
    if path.is_dir():
        raise FormatError(f"{path} is a folder, not a file")
    if fmt.named_types:
        return fmt.read(path, type_map=parse_type_map(types))
    return fmt.read(path)


def read_labelled(path, split: str | None = None, allow_empty: bool = False, types=None,
                  displacements: bool = False) -> list[Configuration]:
    """Configurations with propensities: one split (or all) of a dataset, or every configuration of a file
    without splits (``split`` is then ignored).

    ``path`` may also be a list of files: their configurations are concatenated (a file may lack the
    split as long as one of them has it). ``types`` is the type map of :func:`read_configurations`. Each configuration's metadata gets the file as ``source`` and
    the file's ``temperature``, ``density`` and ``tau_alpha`` (tau) where it records them. ``displacements``:
    also the per-replica displacements and displacement vectors glassnet files keep (for pair-level labels).
    """
    if isinstance(path, (list, tuple)):
        configs = [c for p in path for c in read_labelled(p, split, allow_empty=True, types=types,
                                                          displacements=displacements)]
        if not configs:
            raise FormatError(f"none of {[str(p) for p in path]} has configurations in split {split!r}")
        return configs
    path = Path(path)
    if has_splits(path):
        from .hdf5 import read_dataset

        ds = read_dataset(path, load_displacements=displacements)
        configs = ds.split(split) if split else ds.configurations
        for c in configs:
            c.metadata.setdefault("source", str(path))
        if not configs and not allow_empty:
            raise FormatError(f"{path} has no configurations in split {split!r}")
    else:
        configs = read_configurations(path, types)
    missing = [i for i, c in enumerate(configs) if c.targets is None]
    if missing:
        raise FormatError(f"{path}: configurations {missing[:5]} have no propensities")
    check_targets(configs, FormatError)
    return configs


@dataclass
class Splits:
    """Labelled configurations of one or several files, read once, by split.

    Every command that scores, probes or trains on a dataset takes one of these (or a path, read into one):
    the files are read once however many splits and baselines use them. A glassnet .h5 records
    train/valid/test splits; a file without splits (a Bapst pickle, extended XYZ, ...) is one evaluation set,
    whose configurations are what every split name asks for.

    Attributes:
        name: the files, joined by " + " (the ``data`` column of result tables).
        configurations: every configuration (``metadata['split']``: 'train', 'valid', 'test', or absent for a file
            without splits; ``metadata['source']``: its file).
        has_splits: every file records splits (train/valid/test are then disjoint).
        sources: the files read.
    """

    name: str
    configurations: list
    has_splits: bool
    sources: tuple = field(default_factory=tuple)

    @classmethod
    def read(cls, data, types=None, displacements: bool = False) -> "Splits":
        """Read a file or a list of files (``types``: type map of files that name their species;
        ``displacements``: also the per-replica displacements, for pair labels)."""
        paths = [Path(p) for p in (data if isinstance(data, (list, tuple)) else [data])]
        if not paths:
            raise FormatError("no data files given")
        configs = [c for p in paths for c in read_labelled(p, None, types=types, displacements=displacements)]
        return cls(" + ".join(str(p) for p in paths), configs, all(has_splits(p) for p in paths),
                   tuple(str(p) for p in paths))

    @classmethod
    def of(cls, data, types=None) -> "Splits":
        """``data`` itself if it is a :class:`Splits`, else the file(s) read."""
        return data if isinstance(data, cls) else cls.read(data, types)

    def get(self, split: str | None, allow_empty: bool = False) -> list:
        """The configurations of ``split`` ('train', 'valid', 'test'; None: all). A file without splits gives
        all of its configurations to every split."""
        if split is None:
            return list(self.configurations)
        if split not in ("train", "valid", "test"):
            raise FormatError(f"split={split!r}; expected 'train', 'valid' or 'test'")
        out = [c for c in self.configurations if c.metadata.get("split", split) == split]
        if not out and not allow_empty:
            raise FormatError(f"{self.name} has no configurations in split {split!r}")
        return out

    @property
    def train(self) -> list:
        return self.get("train")

    @property
    def valid(self) -> list:
        return self.get("valid")

    @property
    def test(self) -> list:
        return self.get("test")

    def split_name(self, split: str) -> str:
        """``split`` as result tables record it: '' for data without splits (the whole file was scored)."""
        return split if self.has_splits else ""

    @property
    def temperature(self) -> float | None:
        """The one temperature (epsilon/k_B) the configurations record, else None (none or several)."""
        temps = {round(float(c.metadata["temperature"]), 9) for c in self.configurations
                 if c.metadata.get("temperature") is not None}
        return temps.pop() if len(temps) == 1 else None

    def __repr__(self):
        counts = ", ".join(f"{s} {len(self.get(s, True))}" for s in ("train", "valid", "test")) \
            if self.has_splits else f"{len(self.configurations)} configurations, no splits"
        return f"Splits({self.name!r}: {counts})"


def write_predictions(path, configurations, predictions, times=None) -> None:
    """Write per-particle predictions (list of (N, K) arrays, sigma), format by suffix (.csv, .h5, .extxyz,
    .dump, .gsd)."""
    format_for(path, "write_predictions").write_predictions(Path(path), configurations, predictions, times)


def as_configuration(obj, types=None) -> Configuration:
    """A :class:`Configuration` from what a user holds in Python.

    Accepts a :class:`Configuration` (returned as is), an ``ase.Atoms`` (orthorhombic periodic cell;
    species mapped by the type map ``types``, default A/B, H/He, or the integer array of types), or a
    freud ``(box, points)`` pair (freud's box is centred at 0: points are shifted to a corner at 0;
    ``types`` must then be the (N,) integer types, freud has none). Units: sigma.
    """
    if isinstance(obj, Configuration):
        check_particles(obj.positions, obj.types, obj.box, FormatError)
        return obj
    explicit = types is not None and not isinstance(types, (str, dict))
    if hasattr(obj, "get_positions") and hasattr(obj, "cell"):           # ase.Atoms
        cell = np.asarray(obj.cell)
        if not np.allclose(cell, np.diag(np.diag(cell))) or not np.all(np.diag(cell) > 0):
            raise FormatError(f"ase.Atoms: expected an orthorhombic periodic cell, got {cell.tolist()}")
        if not np.all(getattr(obj, "pbc", True)):
            raise FormatError(f"ase.Atoms: not periodic in every direction (pbc={np.asarray(obj.pbc).tolist()}); "
                              "glassnet's networks describe periodic bulk systems only")
        typ = np.asarray(types) if explicit else map_type_names(obj.get_chemical_symbols(),
                                                                 parse_type_map(types), "ase.Atoms")
        pos, typ, box = check_particles(obj.get_positions(), typ, np.diag(cell), FormatError)
        return Configuration(pos, typ, box, metadata={"source": "ase.Atoms",
                                                      "type_names": np.asarray(obj.get_chemical_symbols())})
    if isinstance(obj, tuple) and len(obj) == 2 and hasattr(obj[0], "Lx"):   # freud (box, points)
        fbox, points = obj
        if getattr(fbox, "is2D", False) or any(getattr(fbox, k, 0) for k in ("xy", "xz", "yz")):
            raise FormatError("freud box: expected a 3D orthorhombic box (no tilt)")
        if not explicit:
            raise FormatError("a freud (box, points) pair has no types: pass types=(N,) integers 0 (A) / 1 (B)")
        box = np.array([fbox.Lx, fbox.Ly, fbox.Lz], np.float64)
        pos, typ, box = check_particles(np.asarray(points, np.float64) + box / 2, types, box, FormatError)
        return Configuration(pos, typ, box, metadata={"source": "freud"})
    raise FormatError(f"cannot make a configuration of {type(obj).__name__}; give a Configuration, an "
                      "ase.Atoms or a freud (box, points) pair")
