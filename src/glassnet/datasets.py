"""The dataset pipeline: label protocols and quenches run into glassnet dataset files, resumably.

:func:`generate_dataset` runs a protocol of :mod:`glassnet.propensity` and writes its result with
:mod:`glassnet.formats.hdf5`; :func:`add_inherent_states` quenches every configuration of a file through
:mod:`glassnet.md` and stores the inherent states in it. Both resume after a kill and never leave a
damaged or half-written file. Units: LJ (sigma, tau, epsilon).
"""
from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path

import numpy as np

from .core import InherentState, ParameterError, atomic_write
from .formats.hdf5 import read_dataset, write_dataset, write_inherent
from .md import INHERENT_FTOL, inherent_state, inherent_states
from .propensity import PROTOCOLS, spec_from_json
from .propensity.jobs import dask_client, job_lock, remove_parts, save_npz

__all__ = ["generate_dataset", "add_inherent_states"]

log = logging.getLogger(__name__)


def generate_dataset(path, spec, scheduler: str | None = None, workers: int = 2,
                     progress: bool = True, engine: str | None = None) -> Path:
    """Simulate a propensity dataset and write it to one HDF5 file; resumable.

    Finished pieces go to ``<path>.parts/`` (written atomically); rerunning the same command after a
    kill continues from them, and the final file is identical to an uninterrupted run. The file is
    written only when everything is done, by this process alone.

    Args:
        path: the .h5 file to write.
        spec: the protocol's spec: :class:`~glassnet.propensity.DatasetSpec` (iso-configurational
            replicas) or :class:`~glassnet.propensity.SingleRunSpec` (single-run labels).
        scheduler: address of an existing Dask scheduler (e.g. 'tcp://host:8786'); None starts a
            LocalCluster of ``workers`` single-threaded processes.
        progress: show a progress bar with ETA and print a summary.
        engine: MD engine name (default: :data:`glassnet.md.DEFAULT_ENGINE`).

    Returns:
        the path written.
    """
    path = Path(path)
    if spec.protocol not in PROTOCOLS:
        raise ParameterError(f"unknown protocol {spec.protocol!r}; glassnet knows {sorted(PROTOCOLS)}")
    with job_lock(path):           # one job per file: a second one would share the pieces' temporary names
        return _generate(path, spec, scheduler, workers, progress, engine)


def _generate(path: Path, spec, scheduler, workers, progress, engine) -> Path:
    parts = path.with_name(path.name + ".parts")
    if path.exists() and not parts.exists():
        meta = read_dataset(path).metadata
        done, protocol = meta.get("spec"), meta.get("protocol", "iso")
        if done is not None and protocol == spec.protocol and spec_from_json(json.dumps(done), protocol) == spec:
            log.info(f"{path} is already complete for these parameters")
            return path
        raise ParameterError(f"{path} exists and was made with other parameters; choose another path")
    t0 = time.perf_counter()
    ds = PROTOCOLS[spec.protocol](spec, parts, scheduler=scheduler, workers=workers, progress=progress,
                                  engine=engine)
    write_dataset(path, ds.configurations, ds.times, ds.metadata)
    elapsed = time.perf_counter() - t0
    runs = ds.metadata["n_replicas"] * len(ds.configurations) if spec.protocol == "iso" else spec.n_runs
    log.info(f"wrote {path} ({spec.protocol}): {len(ds.configurations)} configurations x "
             f"{ds.metadata['n_replicas']} replicas, N={spec.n}, T={spec.temperature}; tau_alpha (F_s = 1/e) "
             f"= {ds.metadata['tau_alpha']:.4g} tau; {elapsed:.0f} s this run, {runs / elapsed:.2f} runs/s")
    remove_parts(parts)
    return path


def _method(style: str, pre_ftol: float | None) -> str:
    if style == "fire" and pre_ftol is None:
        return "LAMMPS FIRE minimisation of the KA potential"      # the 0.1 wording, kept for identical files
    first = f"FIRE to a force norm of {pre_ftol:g}, then " if pre_ftol is not None else ""
    return f"{first}{style.upper()} minimisation of the KA potential"


def add_inherent_states(path, ftol: float = INHERENT_FTOL, progress: bool = True,
                        engine: str | None = None, workers: int = 1, scheduler: str | None = None,
                        style: str = "fire", pre_ftol: float | None = None, chunk: int = 4) -> Path:
    """Add the inherent state of every configuration to a glassnet dataset file (resumable).

    Each quench is saved in ``<file>.inherent.parts/`` as it finishes; a rerun after a kill continues
    from there (pieces made with another tolerance or method are redone). The file is then copied, the
    ``inherent`` groups added to the copy and the copy renamed over the original, so an interruption
    never damages the existing file. Configurations that already have an inherent state are left as
    they are.

    Args:
        ftol: quench tolerance on the global force 2-norm (epsilon/sigma).
        engine: MD engine name (default: :data:`glassnet.md.DEFAULT_ENGINE`).
        workers: local worker processes (1: quench in this process); scheduler: a running Dask
            scheduler's address instead.
        style: minimiser ('fire' or 'cg'); pre_ftol: a FIRE quench to this looser tolerance first.
        chunk: configurations per Dask task.
    """
    path = Path(path)
    with job_lock(path):
        return _add_inherent(path, ftol, progress, engine, workers, scheduler, style, pre_ftol, chunk)


def _add_inherent(path: Path, ftol, progress, engine, workers, scheduler, style, pre_ftol, chunk) -> Path:
    import h5py
    from tqdm.auto import tqdm

    ds = read_dataset(path)
    todo = [c for c in ds.configurations if c.inherent is None]
    if not todo:
        return path
    parts = path.with_name(path.name + ".inherent.parts")
    parts.mkdir(exist_ok=True)
    method = _method(style, pre_ftol)
    states, missing = {}, []
    for c in todo:
        f = parts / f"{c.metadata['name']}.npz"
        if f.exists():
            z = np.load(f)
            if float(z["ftol"]) == ftol and str(z.get("method", _method("fire", None))) == method:
                states[c.metadata["name"]] = InherentState(z["positions"], z["energies"], z["forces"],
                                                           float(z["max_force"]), float(z["ftol"]))
                continue
        missing.append(c)
    bar = tqdm(total=len(todo), initial=len(todo) - len(missing), desc="inherent states", unit="config",
               disable=not progress)

    def keep(c, s: InherentState):
        save_npz(parts / f"{c.metadata['name']}.npz", positions=s.positions, energies=s.energies,
                 forces=s.forces, max_force=s.max_force, ftol=s.ftol, method=method)
        states[c.metadata["name"]] = s
        bar.update(1)

    try:
        if workers <= 1 and scheduler is None:
            for c in missing:
                keep(c, inherent_state(c.positions, c.types, c.box, ftol, engine, style, pre_ftol))
        elif missing:
            _quench_parallel(missing, keep, ftol, engine, style, pre_ftol, chunk, workers, scheduler)
    finally:
        bar.close()
    with atomic_write(path) as tmp:            # edit a copy, then rename it over the file
        shutil.copyfile(path, tmp)
        with h5py.File(tmp, "r+") as h:
            for c in todo:                        # file order, whatever order the quenches finished in
                s = states[c.metadata["name"]]
                write_inherent(h["configurations"][c.metadata["name"]], s, len(s.energies), method)
            h.attrs["inherent_ftol"] = float(ftol)
    remove_parts(parts)
    worst = max(s.max_force for s in states.values())
    log.info(f"added {len(states)} inherent states to {path}; largest remaining force {worst:.2e} epsilon/sigma")
    return path


def _quench_parallel(configs, keep, ftol, engine, style, pre_ftol, chunk, workers, scheduler) -> None:
    """Quench over Dask, ``chunk`` configurations per task, keeping each result as its task finishes."""
    from dask.distributed import as_completed

    with dask_client(scheduler, workers) as client:
        futures = {}
        for a in range(0, len(configs), chunk):
            batch = configs[a: a + chunk]
            fut = client.submit(inherent_states, [(c.positions, c.types, c.box) for c in batch], ftol,
                                engine, style, pre_ftol, pure=False)
            futures[fut] = batch
        for fut in as_completed(futures):
            for c, s in zip(futures.pop(fut), fut.result()):
                keep(c, InherentState(**s))
