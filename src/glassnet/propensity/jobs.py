"""What every long job shares: a Dask client (a running scheduler or a local cluster of single-threaded
worker processes) and a folder of finished pieces, each written atomically, from which a killed job
resumes."""
from __future__ import annotations

import contextlib
import logging
import signal
import threading
from pathlib import Path

import numpy as np

from ..core import ParameterError, SimulationError, atomic_write

__all__ = ["dask_client", "job_lock", "check_parts", "claim_parts", "save_npz", "remove_parts"]

#: how long to wait for a Dask scheduler given by address before giving up (s)
CONNECT_TIMEOUT = 10


def _local_cluster(factory, workers: int):
    """A LocalCluster whose worker processes ignore SIGINT (inherited from the parent while they start): a Ctrl-C
    in the terminal reaches the whole process group, and the main process alone should answer it (it stops
    the workers; each would otherwise print its own traceback)."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        return factory(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int):
    """A Dask client of ``scheduler`` ('tcp://host:8786') or of a LocalCluster of ``workers``
    single-threaded processes (one MD engine each: the fastest layout), closed on exit."""
    from dask.distributed import Client, LocalCluster

    if workers < 1:
        raise ParameterError(f"workers={workers}; expected at least 1")
    cluster = None if scheduler else _local_cluster(LocalCluster, workers)
    try:
        client = Client(scheduler or cluster, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as err:
        if cluster is not None:
            cluster.close()
        raise SimulationError(f"cannot reach the Dask scheduler {scheduler or 'of the local cluster'} "
                              f"within {CONNECT_TIMEOUT} s ({type(err).__name__}: {str(err).splitlines()[0]})"
                              ) from err
    interrupted = False
    try:
        yield client
    except KeyboardInterrupt:
        # Ctrl-C: the command says so in one line; the cluster's shutdown warnings would add dozens
        interrupted = True
        logging.disable(logging.CRITICAL)
        with contextlib.suppress(Exception):
            client.run(logging.disable, logging.CRITICAL)    # the workers' cancelled tasks' warnings too
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
        if interrupted:
            logging.disable(logging.NOTSET)


@contextlib.contextmanager
def job_lock(path):
    """Hold ``<path>.lock`` (an advisory lock with this process's PID) while a job makes ``path``: a second job
    on the same file is refused, naming the first's PID. The lock dies with its process, so a killed job never
    leaves a stale one; the file is removed on exit."""
    import fcntl
    import os

    lock = Path(path).with_name(Path(path).name + ".lock")
    try:
        handle = open(lock, "a+")
    except OSError as err:
        raise ParameterError(f"cannot create the job's lock file {lock}: {err.strerror}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise ParameterError(f"{path} is being made by another glassnet process (PID {holder}); wait for it to "
                             f"finish or stop it, then rerun to resume") from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        lock.unlink(missing_ok=True)
        handle.close()


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
