"""The large datasets glassnet knows by name: where they live, how they are made, and their sha256.

Files over ~20 MB are not shipped; each is remade by a recorded ``simulate`` (+ ``inherent-states``) and
checked against the sha256 it had when first made. They live in one folder, ``$GLASSNET_DATA`` (default
``~/.cache/glassnet/data``); commands take a known name (``single-T0.64``) where they take a data file, and a
file found there is verified before a long job trusts it (:func:`resolve`).

    glassnet data list                 # known files, made or not, verified or not
    glassnet data make single-T0.64    # simulate + quench into $GLASSNET_DATA, then verify
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from .core import FormatError

__all__ = ["DataFile", "KNOWN", "data_dir", "sha256_of", "resolve", "verify", "make"]

_ENV = "GLASSNET_DATA"
_CG = {"style": "cg", "pre_ftol": 0.1}        # the recommended quench (data/reference/README.md)


@dataclass(frozen=True)
class DataFile:
    """A dataset glassnet can remake: ``glassnet simulate NAME.h5 --preset PRESET --seed SEED`` with ``overrides``
    (spec fields), then, if ``quench`` is given, ``glassnet inherent-states`` with those options; ``sha256`` is
    the finished file's as first made (LAMMPS 20250722, this repository's machine); ``about`` one line of what it
    holds and costs."""

    name: str
    preset: str
    seed: int
    sha256: str
    about: str = ""
    overrides: dict = field(default_factory=dict)
    quench: dict | None = field(default_factory=lambda: dict(_CG))

    @property
    def filename(self) -> str:
        return f"{self.name}.h5"

    def commands(self) -> list[str]:
        """The command lines that make it (what ``make`` runs), for a reader."""
        flags = {"n_origins": "--origins", "origin_spacing": "--origin-spacing", "n_configs": "--configs"}
        extra = "".join(f" {flags.get(k, '--' + k.replace('_', '-'))} {v}" for k, v in self.overrides.items())
        out = [f"glassnet simulate {self.filename} --preset {self.preset} --seed {self.seed}{extra}"]
        if self.quench is not None:
            q = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in self.quench.items())
            out.append(f"glassnet inherent-states {self.filename} {q}")
        return out


#: the single-run label sets of the shipped networks and the dense short-horizon set (data/reference/README.md
#: has their history)
KNOWN = {d.name: d for d in (
    DataFile("single-T0.64", "single-T0.64", 2,
             "b1c4c8df78114379695db5f280951b36de145b044c60bcb0f06dbcb3c320ff36",
             "T=0.64, 300 single-run configurations, t <= 52 tau (68 MB); ~6 min MD + ~21 min quench on one core"),
    DataFile("single-T0.64-s3", "single-T0.64", 3,
             "27ae382d30f506a358e866587d49444cf5f15028b6cbcefe3f9b961622bb26fc",
             "T=0.64, 300 more single-run configurations from 12 independent runs (68 MB)"),
    DataFile("single-T0.56", "single-T0.56", 2,
             "05155a5d178b53f3d76b3e27d1adddf1855be397f22bcf4a252f0d972d6de43a",
             "T=0.56, 300 single-run configurations, t <= 165 tau (74 MB); ~18 min MD + ~15 min quench"),
    DataFile("single-T0.50", "single-T0.50", 2,
             "3b439e9a69b5cbc2692da276f85d5407d3ec690255d9a49fc2547d61f1eb8a27",
             "T=0.50, 300 single-run configurations, t <= 520 tau (81 MB); ~25 CPU-min of MD + ~12 min quench"),
    DataFile("single-T0.80", "single-T0.80", 2,
             "3e4d4f670996163eb5d1da6b988209b51805fc22f5865068ab711db772379567",
             "T=0.8, 156 single-run configurations, t <= 16.5 tau (32 MB)", {"n_origins": 13}),
    DataFile("short-T0.64", "short-T0.64", 1,
             "7d283d0e9cf33e24e1c252002328aee342540d9e74f45096e76e186ceaf02500",
             "T=0.64, dense short-horizon labels: 200 configurations 4 tau apart x 8 replicas, t <= 1.65 tau "
             "(39 MB); ~20 min MD + ~10 min quench"),
    DataFile("short-T0.50", "short-T0.50", 1,
             "379dcd7df7dccfbbc1b295b301fdca522a27fab22209cc3c8abf5e1c31547e13",
             "T=0.50, dense short-horizon labels: 200 configurations 8 tau apart x 8 replicas, t <= 1.65 tau "
             "(39 MB); ~20 min MD + ~5 min quench"),
    DataFile("single-T1.00", "single-T1.00", 2,
             "67f6e83a9b0f49ffa646eb6c4721f19665a7714b335ffede7f2892d3d803cb59",
             "T=1.0, 300 single-run configurations, t <= 5.2 tau (55 MB)"),
)}


def data_dir() -> Path:
    """The folder of the large datasets: ``$GLASSNET_DATA``, else ``~/.cache/glassnet/data``."""
    return Path(os.environ.get(_ENV) or Path.home() / ".cache" / "glassnet" / "data").expanduser()


def sha256_of(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(name: str, path=None) -> Path:
    """The path of the known dataset ``name`` (in :func:`data_dir` unless ``path``), after checking its sha256.

    Raises:
        FormatError: unknown name, file missing (says how to make it) or not the recorded bytes.
    """
    entry = _entry(name)
    path = Path(path) if path is not None else data_dir() / entry.filename
    if not path.exists():
        raise FormatError(f"{entry.name} is not in {path.parent} (${_ENV}): make it with `glassnet data make "
                          f"{entry.name}` ({entry.about or 'see glassnet data list'})")
    digest = sha256_of(path)
    if digest != entry.sha256:
        raise FormatError(f"{path} is not the recorded {entry.name} (sha256 {digest[:12]}..., expected "
                          f"{entry.sha256[:12]}...): half-made, edited or made with another LAMMPS; remove it and "
                          f"`glassnet data make {entry.name}`")
    return path


def resolve(arg) -> Path:
    """A data argument as a path: an existing file as it is (verified if it is a known dataset in the store
    folder), else a known name (``single-T0.64`` or ``single-T0.64.h5``) looked up and verified in the store."""
    path = Path(arg)
    stem = path.name[:-3] if path.name.endswith(".h5") else path.name
    if path.exists():
        if stem in KNOWN and path.resolve().parent == data_dir().resolve():
            return verify(stem, path)
        return path
    if stem in KNOWN and path.parent == Path("."):
        return verify(stem)
    return path                     # the readers name a missing file


def make(name: str, workers: int = 1, progress: bool = True) -> Path:
    """Make the known dataset ``name`` in :func:`data_dir`, then verify it. Resumable: a rerun after a kill
    continues (a finished simulation or quench is not redone; a complete file is only verified)."""
    from .datasets import add_inherent_states, generate_dataset
    from .propensity import PRESETS, with_overrides

    entry = _entry(name)
    path = data_dir() / entry.filename
    path.parent.mkdir(parents=True, exist_ok=True)
    spec = with_overrides(PRESETS[entry.preset], seed=entry.seed, **entry.overrides)
    generate_dataset(path, spec, workers=workers, progress=progress)
    if entry.quench is not None:
        add_inherent_states(path, workers=workers, progress=progress, **entry.quench)
    return verify(name, path)


def _entry(name: str) -> DataFile:
    stem = name[:-3] if name.endswith(".h5") else name
    if stem not in KNOWN:
        raise FormatError(f"unknown dataset {name!r}; known: {', '.join(KNOWN)}")
    return KNOWN[stem]
