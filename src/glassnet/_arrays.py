"""The one converter for particle arrays: shapes, finiteness, types and box, with errors that say what
was received and what was expected. Used by the simulator and the graph builder alike."""
from __future__ import annotations

import numpy as np

N_TYPES = 2


def check_particles(positions, types, box, error=ValueError):
    """Validate and convert a configuration.

    Args:
        positions: (N, 3) positions (sigma); types: (N,) integers 0 (A) or 1 (B); box: scalar or (3,)
            positive lengths (sigma).
        error: the exception class to raise.

    Returns:
        (positions (N, 3) float64, types (N,) int64, box (3,) float64).
    """
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise error(f"positions.shape={pos.shape}; expected (N, 3)")
    if pos.shape[0] == 0:
        raise error("positions is empty; expected at least one particle")
    if not np.all(np.isfinite(pos)):
        bad = np.argwhere(~np.isfinite(pos).all(axis=1)).ravel()
        raise error(f"positions contain NaN or inf (particles {bad[:5].tolist()})")
    typ = np.asarray(types)
    if typ.shape != (pos.shape[0],):
        raise error(f"types.shape={typ.shape}; expected ({pos.shape[0]},) to match positions")
    if typ.dtype.kind == "f" and not np.all(typ == np.round(typ)):
        raise error("types must be integers 0 (A) or 1 (B)")
    typ = typ.astype(np.int64)
    unknown = np.setdiff1d(np.unique(typ), np.arange(N_TYPES))
    if unknown.size:
        raise error(f"unknown particle types {unknown.tolist()}; expected 0 (A) or 1 (B)")
    b = np.asarray(box, dtype=np.float64)
    b = np.full(3, float(b)) if b.ndim == 0 else b
    if b.shape != (3,):
        raise error(f"box.shape={b.shape}; expected a scalar or (3,) box lengths")
    if not np.all(np.isfinite(b)) or np.any(b <= 0):
        raise error(f"box={b.tolist()}; expected positive finite lengths")
    return pos, typ, b
