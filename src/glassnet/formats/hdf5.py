"""glassnet's own HDF5 files: propensity datasets (layout in docs/dataset-format.md), their inherent
states, and prediction files. Positions and box in sigma, times in tau, energies in epsilon."""
from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from ..core import Configuration, Dataset, FormatError, InherentState, atomic_write
from .base import Format

__all__ = ["FORMAT", "FORMAT_NAME", "FORMAT_VERSION", "write_dataset", "read_dataset", "write_inherent",
           "write_predictions", "read"]

FORMAT_NAME = "glassnet.propensity"
FORMAT_VERSION = 1


def _attr(value):
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True)
    return value


def write_dataset(path, configurations, times, metadata=None) -> None:
    """Write configurations with their propensities to a glassnet HDF5 file (atomically).

    Each configuration's ``metadata`` may carry ``split`` and ``seed``; per-replica displacements
    (R, T, N) go in ``metadata['displacements']`` and F_s(q, t) in ``metadata['fs']`` when known.
    The layout is documented in docs/dataset-format.md.
    """
    times = np.asarray(times, dtype=np.float64)
    with atomic_write(path) as tmp, h5py.File(tmp, "w", track_order=True) as f:
        f.attrs["format"] = FORMAT_NAME
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["units"] = "LJ reduced units: sigma_AA, epsilon_AA, m, tau"
        for k, v in (metadata or {}).items():
            f.attrs[k] = _attr(v)
        f.create_dataset("times", data=times, track_times=False)
        grp = f.create_group("configurations", track_order=True)
        for i, c in enumerate(configurations):
            _write_configuration(grp, f"{i:05d}", c, len(times))


def _write_configuration(parent, name, c: Configuration, n_times: int) -> None:
    g = parent.create_group(name)
    kw = dict(track_times=False)
    g.create_dataset("positions", data=np.asarray(c.positions, np.float64), **kw)
    g.create_dataset("types", data=np.asarray(c.types, np.int8), **kw)
    g.create_dataset("box", data=np.asarray(c.box, np.float64), **kw)
    if c.targets is not None:
        t = np.asarray(c.targets, np.float64)
        if t.shape != (n_times, c.n):
            raise FormatError(f"targets.shape={t.shape}; expected ({n_times}, {c.n})")
        g.create_dataset("propensity", data=t, **kw)
    extra = dict(c.metadata)
    disp = extra.pop("displacements", None)
    if disp is not None:
        disp = np.asarray(disp, np.float32)
        g.create_dataset("displacements", data=disp, chunks=(1,) + disp.shape[1:],
                         compression="gzip", compression_opts=4, shuffle=True, **kw)
    vectors = extra.pop("displacement_vectors", None)
    if vectors is not None:
        vectors = np.asarray(vectors, np.float32)
        g.create_dataset("displacement_vectors", data=vectors, chunks=(1,) + vectors.shape[1:],
                         compression="gzip", compression_opts=4, shuffle=True, **kw)
    fs = extra.pop("fs", None)
    if fs is not None:
        g.create_dataset("fs", data=np.asarray(fs, np.float64), **kw)
    for k, v in extra.items():
        g.attrs[k] = _attr(v)
    if c.inherent is not None:
        write_inherent(g, c.inherent, c.n)


def write_inherent(group, state: InherentState, n: int,
                   method: str = "LAMMPS FIRE minimisation of the KA potential") -> None:
    """Store an :class:`InherentState` as the ``inherent`` subgroup of a configuration group."""
    arrays = {"positions": (np.asarray(state.positions, np.float64), (n, 3)),
              "energies": (np.asarray(state.energies, np.float64), (n,)),
              "forces": (np.asarray(state.forces, np.float64), (n, 3))}
    for name, (a, shape) in arrays.items():
        if a.shape != shape:
            raise FormatError(f"inherent {name}.shape={a.shape}; expected {shape}")
    if "inherent" in group:
        del group["inherent"]
    g = group.create_group("inherent")
    for name, (a, _) in arrays.items():
        g.create_dataset(name, data=a, track_times=False)
    g.attrs["max_force"] = float(state.max_force)
    g.attrs["ftol"] = float(state.ftol)
    g.attrs["method"] = method


def _read_inherent(group) -> InherentState | None:
    if "inherent" not in group:
        return None
    g = group["inherent"]
    return InherentState(g["positions"][()], g["energies"][()], g["forces"][()],
                         float(g.attrs.get("max_force", np.nan)), float(g.attrs.get("ftol", np.nan)))


def read_dataset(path, load_displacements: bool = False) -> Dataset:
    """Read a glassnet HDF5 dataset (each configuration gets the file's state point, :func:`with_state_point`).

    Args:
        path: the .h5 file.
        load_displacements: also load the per-replica displacements (R, T, N) into
            ``metadata['displacements']``, and the displacement vectors (T, N, 3) of single-run labels
            into ``metadata['displacement_vectors']`` (large).

    Raises:
        FormatError: not an HDF5 file, truncated, or not a glassnet dataset (the message says which).
    """
    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path} does not exist")
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise FormatError(f"{path} is not a readable HDF5 file (truncated or corrupt?): {err}") from err
    with f:
        if f.attrs.get("format") != FORMAT_NAME:
            raise FormatError(f"{path} is not a glassnet dataset (attribute format="
                              f"{f.attrs.get('format')!r}, expected {FORMAT_NAME!r})")
        version = int(f.attrs.get("format_version", 0))
        if version > FORMAT_VERSION:
            raise FormatError(f"{path} has format_version {version}; this glassnet reads <= {FORMAT_VERSION}")
        meta = {k: _from_attr(v) for k, v in f.attrs.items()}
        for required in ("times", "configurations"):
            if required not in f:
                raise FormatError(f"{path} claims the glassnet format but has no {required!r} dataset "
                                  "(damaged or written by another tool)")
        times = f["times"][()]
        configs = []
        try:
            for name, g in f["configurations"].items():
                cmeta = {k: _from_attr(v) for k, v in g.attrs.items()}
                cmeta["name"] = name
                if "fs" in g:
                    cmeta["fs"] = g["fs"][()]
                if load_displacements and "displacements" in g:
                    cmeta["displacements"] = g["displacements"][()]
                if load_displacements and "displacement_vectors" in g:
                    cmeta["displacement_vectors"] = g["displacement_vectors"][()]
                targets = g["propensity"][()] if "propensity" in g else None
                if targets is not None and targets.shape[0] != len(times):
                    raise FormatError(f"{path}: configuration {name} has propensities at {targets.shape[0]} "
                                      f"times but the file lists {len(times)}")
                configs.append(Configuration(g["positions"][()], g["types"][()].astype(np.int64),
                                             g["box"][()], targets, times if targets is not None else None,
                                             cmeta, _read_inherent(g)))
        except (KeyError, OSError) as err:
            raise FormatError(f"{path}: damaged configuration record: {str(err).splitlines()[0]}") from err
    with_state_point(configs, meta)
    return Dataset(configs, times, meta)


def _from_attr(v):
    if isinstance(v, bytes):
        v = v.decode()
    if isinstance(v, str) and v[:1] in "[{":
        try:
            return json.loads(v)
        except ValueError:
            return v
    if isinstance(v, np.generic):
        return v.item()
    return v

def write_predictions(path, configurations, predictions, times=None) -> None:
    """Write per-particle predictions (sigma) to an HDF5 file: one group per configuration with
    ``prediction`` (N, K) and ``types`` (N,); ``times`` (K,) in tau when known."""
    with atomic_write(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = "glassnet.predictions"
        f.attrs["units"] = "propensity in sigma, times in tau (LJ units)"
        if times is not None:
            f.create_dataset("times", data=np.asarray(times, np.float64))
        for ci, (c, p) in enumerate(zip(configurations, predictions)):
            g = f.create_group(f"{ci:05d}")
            g.create_dataset("prediction", data=np.asarray(p, np.float64))
            g.create_dataset("types", data=np.asarray(c.types, np.int8))
            g.attrs["source"] = str(c.metadata.get("source", ""))
            if c.metadata.get("temperature") is not None:     # the state point the prediction assumed
                g.attrs["temperature"] = float(c.metadata["temperature"])


def read(path) -> list[Configuration]:
    """Every configuration of a glassnet dataset file, each with the file's ``temperature``, ``density`` and
    ``tau_alpha`` in its metadata where the file records them."""
    return read_dataset(path).configurations


def with_state_point(configurations, file_metadata) -> None:
    """Give each configuration the file's ``temperature``, ``density`` and ``tau_alpha`` where the file
    records them (keeping any the configuration has)."""
    for c in configurations:
        for key in ("temperature", "density", "tau_alpha"):
            if key in file_metadata:
                c.metadata.setdefault(key, file_metadata[key])


#: this module's entry in the registry of glassnet.formats
FORMAT = Format("glassnet-hdf5", (".h5", ".hdf5"), read=read, write_predictions=write_predictions,
           splits=True, description="glassnet dataset (HDF5, docs/dataset-format.md)")
