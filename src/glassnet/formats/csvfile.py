"""Predictions as CSV: one row per particle (configuration, original id, type, one column per time)."""
from __future__ import annotations

from ..core import atomic_write
from .base import Format, TYPE_NAMES, particle_ids

__all__ = ["FORMAT", "write_predictions"]


def write_predictions(path, configurations, predictions, times=None) -> None:
    """Write per-particle predictions (sigma); columns ``t=<time>`` (tau) when times are known.

    ``particle`` is the particle's id in the input file where the file has ids (LAMMPS dump, extended XYZ
    with an ``id`` column), else its 0-based index; ``type`` is A or B; ``temperature`` (epsilon/k_B) the
    state point the prediction assumed, a column only when some configuration records one.
    """
    k = predictions[0].shape[1]
    names = [f"t={t:g}" for t in times] if times is not None else [f"output_{j}" for j in range(k)]
    # the temperature each prediction assumed, where the configuration records one
    temps = [c.metadata.get("temperature") for c in configurations]
    t_col = any(t is not None for t in temps)
    with atomic_write(path) as tmp, open(tmp, "w") as f:
        f.write("configuration,particle,type," + ("temperature," if t_col else "") + ",".join(names) + "\n")
        for ci, (c, p) in enumerate(zip(configurations, predictions)):
            ids = particle_ids(c, first=0)
            t = (f"{float(temps[ci]):g}," if temps[ci] is not None else ",") if t_col else ""
            for i in range(c.n):
                f.write(f"{ci},{ids[i]},{TYPE_NAMES[int(c.types[i])]},{t}" + ",".join(f"{v:.6g}" for v in p[i])
                        + "\n")


#: this module's entry in the registry of glassnet.formats
FORMAT = Format("csv", (".csv",), write_predictions=write_predictions, description="predictions table")
