"""What every long job shares: a Dask client (a running scheduler or a local cluster of single-threaded
worker processes) and a folder of finished pieces, each written atomically, from which a killed job
resumes."""
from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from ..core import ParameterError, atomic_write

__all__ = ["dask_client", "claim_parts", "save_npz", "remove_parts"]


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int):
    """A Dask client of ``scheduler`` ('tcp://host:8786') or of a LocalCluster of ``workers``
    single-threaded processes (one MD engine each: the fastest layout), closed on exit."""
    from dask.distributed import Client, LocalCluster

    cluster = None if scheduler else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                  dashboard_address=":0")
    client = Client(scheduler or cluster)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def claim_parts(parts, spec) -> Path:
    """The folder of a job's finished pieces, created for ``spec`` or checked to hold ``spec``'s."""
    parts = Path(parts)
    parts.mkdir(parents=True, exist_ok=True)
    spec_file = parts / "spec.json"
    if spec_file.exists():
        old = type(spec).from_json(spec_file.read_text())
        if old != spec:
            raise ParameterError(f"{parts} holds an unfinished job with different parameters ({old}); "
                                 "rerun with the same parameters to resume, or delete that folder")
    else:
        spec_file.write_text(spec.to_json())
    return parts


def save_npz(path: Path, **arrays) -> None:
    """``np.savez`` to ``path``, atomically."""
    with atomic_write(path, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)


def remove_parts(parts: Path) -> None:
    """Delete a finished job's folder of pieces."""
    for f in parts.iterdir():
        f.unlink()
    parts.rmdir()
