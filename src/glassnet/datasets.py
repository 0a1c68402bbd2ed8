"""The dataset pipeline: label protocols and quenches run into glassnet dataset files, resumably.

:func:`generate_dataset` runs a protocol of :mod:`glassnet.propensity` and writes its result with
:mod:`glassnet.formats.hdf5`; :func:`add_inherent_states` quenches every configuration of a file through
:mod:`glassnet.md` and stores the inherent states in it. Both resume after a kill and never leave a
damaged or half-written file. Units: LJ (sigma, tau, epsilon).
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np

from .core import InherentState, ParameterError, atomic_write
from .formats.hdf5 import read_dataset, write_dataset, write_inherent
from .md import INHERENT_FTOL, inherent_state
from .propensity import PROTOCOLS, DatasetSpec
from .propensity.jobs import remove_parts, save_npz

__all__ = ["generate_dataset", "add_inherent_states"]


def generate_dataset(path, spec: DatasetSpec, scheduler: str | None = None, workers: int = 2,
                     progress: bool = True, engine: str | None = None, protocol: str = "iso") -> Path:
    """Simulate a propensity dataset and write it to one HDF5 file; resumable.

    Finished pieces go to ``<path>.parts/`` (written atomically); rerunning the same command after a
    kill continues from them, and the final file is identical to an uninterrupted run. The file is
    written only when everything is done, by this process alone.

    Args:
        path: the .h5 file to write.
        spec: :class:`~glassnet.propensity.DatasetSpec`.
        scheduler: address of an existing Dask scheduler (e.g. 'tcp://host:8786'); None starts a
            LocalCluster of ``workers`` single-threaded processes.
        progress: show a progress bar with ETA and print a summary.
        engine: MD engine name (default: :data:`glassnet.md.DEFAULT_ENGINE`).
        protocol: label protocol, a key of :data:`glassnet.propensity.PROTOCOLS`.

    Returns:
        the path written.
    """
    path = Path(path)
    if protocol not in PROTOCOLS:
        raise ParameterError(f"unknown protocol {protocol!r}; glassnet knows {sorted(PROTOCOLS)}")
    parts = path.with_name(path.name + ".parts")
    if path.exists() and not parts.exists():
        done = read_dataset(path).metadata.get("spec")
        if done is not None and DatasetSpec.from_json(json.dumps(done)) == spec:
            if progress:
                print(f"{path} is already complete for these parameters")
            return path
        raise ParameterError(f"{path} exists and was made with other parameters; choose another path")
    t0 = time.perf_counter()
    ds = PROTOCOLS[protocol](spec, parts, scheduler=scheduler, workers=workers, progress=progress,
                             engine=engine)
    write_dataset(path, ds.configurations, ds.times, ds.metadata)
    elapsed = time.perf_counter() - t0
    if progress:
        n_rep = spec.n_configs * spec.n_replicas
        print(f"wrote {path}: {spec.n_configs} configurations x {spec.n_replicas} replicas, N={spec.n}, "
              f"T={spec.temperature}; tau_alpha (F_s = 1/e) = {ds.metadata['tau_alpha']:.4g} tau; "
              f"{elapsed:.0f} s this run, {n_rep / elapsed:.2f} replicas/s")
    remove_parts(parts)
    return path


def add_inherent_states(path, ftol: float = INHERENT_FTOL, progress: bool = True,
                        engine: str | None = None) -> Path:
    """Add the inherent state of every configuration to a glassnet dataset file (resumable).

    Each quench is saved in ``<file>.inherent.parts/`` as it finishes; a rerun after a kill continues
    from there. The file is then copied, the ``inherent`` groups added to the copy and the copy renamed
    over the original, so an interruption never damages the existing file. Configurations that
    already have an inherent state are left as they are.

    Args:
        ftol: quench tolerance on the global force 2-norm (epsilon/sigma).
        engine: MD engine name (default: :data:`glassnet.md.DEFAULT_ENGINE`).
    """
    import h5py
    from tqdm.auto import tqdm

    path = Path(path)
    ds = read_dataset(path)
    todo = [c for c in ds.configurations if c.inherent is None]
    if not todo:
        return path
    parts = path.with_name(path.name + ".inherent.parts")
    parts.mkdir(exist_ok=True)
    states = {}
    for c in tqdm(todo, desc="inherent states", unit="config", disable=not progress):
        f = parts / f"{c.metadata['name']}.npz"
        if f.exists():
            z = np.load(f)
            states[c.metadata["name"]] = InherentState(z["positions"], z["energies"], z["forces"],
                                                       float(z["max_force"]), float(z["ftol"]))
            continue
        s = inherent_state(c.positions, c.types, c.box, ftol, engine)
        save_npz(f, positions=s.positions, energies=s.energies, forces=s.forces,
                 max_force=s.max_force, ftol=s.ftol)
        states[c.metadata["name"]] = s
    with atomic_write(path) as tmp:            # edit a copy, then rename it over the file
        shutil.copyfile(path, tmp)
        with h5py.File(tmp, "r+") as h:
            for name, s in states.items():
                write_inherent(h["configurations"][name], s, len(s.energies))
            h.attrs["inherent_ftol"] = float(ftol)
    remove_parts(parts)
    if progress:
        worst = max(s.max_force for s in states.values())
        print(f"added {len(states)} inherent states to {path}; largest remaining force {worst:.2e} "
              "epsilon/sigma")
    return path
