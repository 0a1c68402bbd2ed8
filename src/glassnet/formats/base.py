"""What a file format declares to the registry of :mod:`glassnet.formats`, and the one type map.

Files from other tools name their species (``A``/``B``, ``Ar``/``Kr``, LAMMPS types ``1``/``2``). Every reader
that sees names maps them to glassnet's types 0 (A) and 1 (B) with :func:`map_type_names`; a user states other
names once with :func:`parse_type_map` (``--types A=Ar,B=Kr`` on the command line).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..core import FormatError

__all__ = ["Format", "DEFAULT_TYPE_MAP", "TYPE_NAMES", "parse_type_map", "map_type_names",
           "prediction_columns", "particle_ids"]

#: glassnet's type names, by type
TYPE_NAMES = ("A", "B")

#: names understood without a map: A/B, LAMMPS types 1/2, and H/He (what ASE makes of LAMMPS types 1/2)
DEFAULT_TYPE_MAP = {"A": 0, "B": 1, "1": 0, "2": 1, "H": 0, "He": 1}


@dataclass(frozen=True)
class Format:
    """One file format.

    Attributes:
        name: short name.
        suffixes: lower-case file suffixes it owns (with the dot).
        read: path -> list of :class:`~glassnet.core.Configuration` (None: not readable). Formats with
            ``named_types`` take a keyword ``type_map`` (name -> type, see :func:`parse_type_map`).
        write_predictions: (path, configurations, predictions (N, K) per configuration, times (K,) or
            None) -> None (None: cannot hold predictions).
        splits: the file records a train/valid/test split for each configuration.
        named_types: the file names its species (the type map applies).
        description: one line for messages.
    """

    name: str
    suffixes: tuple
    read: Callable | None = None
    write_predictions: Callable | None = None
    splits: bool = False
    named_types: bool = False
    description: str = ""


def parse_type_map(text: str | dict | None) -> dict:
    """``"A=Ar,B=Kr"`` (glassnet type = the file's name, comma-separated) -> {"Ar": 0, "Kr": 1}.

    A dict of the same form (``{"A": "Ar", "B": "Kr"}``) is accepted too; None gives the default map
    (:data:`DEFAULT_TYPE_MAP`). The names A and B keep their meaning unless the map gives them to the
    other type.
    """
    if text is None:
        return dict(DEFAULT_TYPE_MAP)
    if isinstance(text, str):
        pairs = []
        for item in filter(None, (s.strip() for s in text.split(","))):
            key, sep, value = item.partition("=")
            if not sep or not value.strip():
                raise FormatError(f"type map {text!r}: expected A=NAME,B=NAME (e.g. A=Ar,B=Kr)")
            pairs.append((key.strip(), value.strip()))
    else:
        pairs = [(str(k), str(v)) for k, v in dict(text).items()]
    mapping, named = {}, {}
    for key, value in pairs:
        if key not in TYPE_NAMES:
            raise FormatError(f"type map: {key!r} is not a glassnet type; use A and B (e.g. A=Ar,B=Kr)")
        if value in mapping and mapping[value] != TYPE_NAMES.index(key):
            raise FormatError(f"type map: {value!r} is given to both A and B")
        if named.setdefault(key, value) != value:
            raise FormatError(f"type map: {key} is given two names ({named[key]!r} and {value!r}); the map must be "
                              "one-to-one: one name per type (e.g. A=Ar,B=Kr)")
        mapping[value] = TYPE_NAMES.index(key)
    if not mapping:
        raise FormatError(f"type map {text!r} is empty; expected A=NAME,B=NAME")
    for name, t in zip(TYPE_NAMES, range(len(TYPE_NAMES))):
        mapping.setdefault(name, t)
    return mapping


def map_type_names(names, type_map: dict | None, path) -> np.ndarray:
    """Per-particle names (strings) -> (N,) int64 types 0/1 by ``type_map`` (default
    :data:`DEFAULT_TYPE_MAP`); names it does not know are refused, naming them and the map to use."""
    mapping = type_map if type_map is not None else DEFAULT_TYPE_MAP
    names = np.asarray([str(n) for n in names])
    unique, inverse = np.unique(names, return_inverse=True)
    unknown = [str(u) for u in unique if u not in mapping]
    if unknown:
        known = ", ".join(f"{k}->{TYPE_NAMES[v]}" for k, v in mapping.items())
        raise FormatError(f"{path}: unknown particle types {unknown[:6]}; known: {known}. Give a type map, "
                          f"e.g. --types A={unknown[0]}" + (f",B={unknown[1]}" if len(unknown) > 1 else ""))
    return np.array([mapping[u] for u in unique], np.int64)[inverse.ravel()]


def prediction_columns(times, k: int) -> list:
    """Names of the per-particle prediction columns: ``prop_t<time>`` (tau), or ``prop_<j>`` without times."""
    if times is None:
        return [f"prop_{j}" for j in range(k)]
    return [f"prop_t{float(t):g}" for t in times]


def particle_ids(config, first: int = 1) -> np.ndarray:
    """(N,) int64 ids of a configuration's particles: the input file's where it had them (``metadata['ids']``),
    else ``first``, ``first + 1``, ... (LAMMPS and OVITO count from 1)."""
    return np.asarray(config.metadata.get("ids", np.arange(first, config.n + first)), np.int64)
