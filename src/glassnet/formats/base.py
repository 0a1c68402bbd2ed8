"""What a file format declares to the registry of :mod:`glassnet.formats`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

__all__ = ["Format"]


@dataclass(frozen=True)
class Format:
    """One file format.

    Attributes:
        name: short name.
        suffixes: lower-case file suffixes it owns (with the dot).
        read: path -> list of :class:`~glassnet.core.Configuration` (None: not readable).
        write_predictions: (path, configurations, predictions (N, K) per configuration, times (K,) or
            None) -> None (None: cannot hold predictions).
        splits: the file records a train/valid/test split for each configuration.
        description: one line for messages.
    """

    name: str
    suffixes: tuple
    read: Callable | None = None
    write_predictions: Callable | None = None
    splits: bool = False
    description: str = ""
