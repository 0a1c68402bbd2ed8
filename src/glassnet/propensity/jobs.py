"""What every long job shares: a Dask client (a running scheduler or a local cluster of single-threaded
worker processes) and a folder of finished pieces, each written atomically, from which a killed job
resumes."""
from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from ..core import ParameterError, SimulationError, atomic_write

__all__ = ["dask_client", "check_parts", "claim_parts", "save_npz", "remove_parts"]

#: how long to wait for a Dask scheduler given by address before giving up (s)
CONNECT_TIMEOUT = 10


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int):
    """A Dask client of ``scheduler`` ('tcp://host:8786') or of a LocalCluster of ``workers``
    single-threaded processes (one MD engine each: the fastest layout), closed on exit."""
    from dask.distributed import Client, LocalCluster

    if workers < 1:
        raise ParameterError(f"workers={workers}; expected at least 1")
    cluster = None if scheduler else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                  dashboard_address=":0")
    try:
        client = Client(scheduler or cluster, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as err:
        if cluster is not None:
            cluster.close()
        raise SimulationError(f"cannot reach the Dask scheduler {scheduler or 'of the local cluster'} "
                              f"within {CONNECT_TIMEOUT} s ({type(err).__name__}: {str(err).splitlines()[0]})"
                              ) from err
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def check_parts(parts, spec) -> Path:
    """Refuse a folder of finished pieces that holds another spec's job (reads only)."""
    parts = Path(parts)
    spec_file = parts / "spec.json"
    if spec_file.exists():
        old = type(spec).from_json(spec_file.read_text())
        if old != spec:
            changed = [f"{k}={getattr(old, k)!r} (now {getattr(spec, k)!r})" for k in old.__dataclass_fields__
                       if getattr(old, k) != getattr(spec, k)]
            raise ParameterError(f"{parts} holds an unfinished job with other parameters: {', '.join(changed)}; "
                                 "rerun with the same parameters to resume, or delete that folder")
    return parts


def claim_parts(parts, spec) -> Path:
    """The folder of a job's finished pieces, created for ``spec`` or checked to hold ``spec``'s."""
    parts = check_parts(parts, spec)
    parts.mkdir(parents=True, exist_ok=True)
    if not (parts / "spec.json").exists():
        (parts / "spec.json").write_text(spec.to_json())
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
