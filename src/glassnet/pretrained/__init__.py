"""Networks shipped with glassnet, found by name (see README.md in this folder).

``bapst-T0.44`` is not redistributed: it is converted on first use from the released TensorFlow
checkpoint, looked up at ``$GLASSNET_BAPST_CHECKPOINT`` or at
``shared/reference_data/bapst2020/checkpoint_t044_s09`` beside the working directory or the source
checkout, into ``$XDG_CACHE_HOME/glassnet/`` (default ``~/.cache/glassnet/``).
"""
from __future__ import annotations

import os
from pathlib import Path

from ..core import ModelError

__all__ = ["PRETRAINED_DIR", "names", "resolve"]

PRETRAINED_DIR = Path(__file__).parent
_RELEASED = "bapst-T0.44"


def names() -> list[str]:
    """Every shipped name."""
    return sorted(p.stem for p in PRETRAINED_DIR.glob("*.pt")) + [_RELEASED]


def _released_checkpoint() -> Path:
    from ..training.checkpoint import import_bapst_checkpoint

    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "glassnet" / f"{_RELEASED}.pt"
    if not cache.exists():
        rel = "shared/reference_data/bapst2020/checkpoint_t044_s09"
        candidates = [os.environ.get("GLASSNET_BAPST_CHECKPOINT"), Path.cwd().parent / rel,
                      Path(__file__).resolve().parents[4] / rel]
        src = next((Path(c) for c in candidates if c and Path(c).exists()), None)
        if src is None:
            raise ModelError(f"{_RELEASED} needs the released checkpoint: set GLASSNET_BAPST_CHECKPOINT "
                             "to its folder (checkpoint_t044_s09)")
        cache.parent.mkdir(parents=True, exist_ok=True)
        import_bapst_checkpoint(src, cache)
    return cache


def resolve(name_or_path) -> Path:
    """A checkpoint path from a path or the name of a shipped network."""
    path = Path(name_or_path)
    if path.exists():
        return path
    shipped = PRETRAINED_DIR / f"{name_or_path}.pt"
    if shipped.exists():
        return shipped
    if str(name_or_path) == _RELEASED:
        return _released_checkpoint()
    if path.suffix in (".pt", ".pth"):
        return path
    raise ModelError(f"{name_or_path!r} is neither a file nor a shipped network ({', '.join(names())})")
