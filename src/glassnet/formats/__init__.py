"""File formats behind one registry: a file's suffix picks its reader (and predictions writer).

Every command reads configurations with :func:`read_configurations` / :func:`read_labelled` and writes
predictions with :func:`write_predictions`; none tests a suffix itself. A format is one module in this
package with a module constant ``FORMAT``, its :class:`~glassnet.formats.base.Format`, and one name in :data:`MODULES`.

Units: positions and box in sigma, times in tau (LJ units). Types are 0 (A) and 1 (B).
"""
from __future__ import annotations

from importlib import import_module
from pathlib import Path

from ..core import Configuration, FormatError
from .base import Format

__all__ = ["Format", "MODULES", "formats", "format_for", "has_splits", "read_configurations",
           "read_labelled", "write_predictions"]

#: the format modules of this package, one line each
MODULES = (
    "hdf5",
    "bapst",
    "glassbench",
    "gsd",
    "ase_files",
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


def read_configurations(path) -> list[Configuration]:
    """Read every configuration in a file, picking the reader from the suffix (see :data:`MODULES`)."""
    fmt = format_for(path)
    if not Path(path).exists():
        raise FormatError(f"{path} does not exist")
    return fmt.read(Path(path))


def read_labelled(path, split: str | None = None, allow_empty: bool = False) -> list[Configuration]:
    """Configurations with propensities: one split (or all) of a dataset, or every configuration of a file
    without splits (``split`` is then ignored).

    ``path`` may also be a list of files: their configurations are concatenated (a file may lack the
    split as long as one of them has it). Each configuration's metadata gets the file as ``source`` and
    the file's ``temperature`` and ``density`` where it records them.
    """
    if isinstance(path, (list, tuple)):
        configs = [c for p in path for c in read_labelled(p, split, allow_empty=True)]
        if not configs:
            raise FormatError(f"none of {[str(p) for p in path]} has configurations in split {split!r}")
        return configs
    path = Path(path)
    if has_splits(path):
        from .hdf5 import read_dataset

        ds = read_dataset(path)
        configs = ds.split(split) if split else ds.configurations
        for c in configs:
            c.metadata.setdefault("source", str(path))
            for key in ("temperature", "density"):
                if key in ds.metadata:
                    c.metadata.setdefault(key, ds.metadata[key])
        if not configs and not allow_empty:
            raise FormatError(f"{path} has no configurations in split {split!r}")
    else:
        configs = read_configurations(path)
    missing = [i for i, c in enumerate(configs) if c.targets is None]
    if missing:
        raise FormatError(f"{path}: configurations {missing[:5]} have no propensities")
    return configs


def write_predictions(path, configurations, predictions, times=None) -> None:
    """Write per-particle predictions (list of (N, K) arrays, sigma), format by suffix (.csv or .h5)."""
    format_for(path, "write_predictions").write_predictions(Path(path), configurations, predictions, times)
