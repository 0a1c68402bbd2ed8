"""What every long job shares: a Dask client (a running scheduler or a local cluster of single-threaded
worker processes) and a folder of finished pieces, each written atomically, from which a killed job
resumes."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core import atomic_write

__all__ = ["dask_client", "save_npz", "remove_parts"]


def dask_client(scheduler: str | None, workers: int):
    """(client, cluster or None): connect to ``scheduler`` ('tcp://host:8786') or start a LocalCluster of
    ``workers`` single-threaded processes (one MD engine each: the fastest layout)."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=":0")
    return Client(cluster), cluster


def save_npz(path: Path, **arrays) -> None:
    """``np.savez`` to ``path``, atomically."""
    with atomic_write(path, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)


def remove_parts(parts: Path) -> None:
    """Delete a finished job's folder of pieces."""
    for f in parts.iterdir():
        f.unlink()
    parts.rmdir()
