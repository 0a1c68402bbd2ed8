"""Reading and writing configurations and published data files.

Formats:
- Bapst et al. (2020) pickle files (``test_large.pickle`` and the published training data): a dict of
  numpy arrays. They are read with a restricted unpickler that admits numpy globals only; a bare
  ``pickle.load`` would run any code the file names.
- Configurations for prediction: the published pickle, GSD (HOOMD), LAMMPS dump and extended XYZ (via
  ``ase``), and glassnet's own HDF5 files. All readers return a :class:`Configuration`.

Units: positions and box in sigma (LJ units). Types are 0 (A) and 1 (B).
"""
from __future__ import annotations

import io as _io
import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

__all__ = [
    "FormatError",
    "Configuration",
    "load_bapst_pickle",
    "save_bapst_pickle",
    "read_configurations",
    "read_labelled",
    "Dataset",
    "read_dataset",
    "write_dataset",
    "bapst_propensities",
    "write_predictions",
    "load_glassbench_npz",
    "save_glassbench_npz",
    "RESULT_COLUMNS",
    "write_results",
    "read_results",
    "ceiling_rows",
    "InherentState",
    "write_inherent",
    "result_rows",
]


class FormatError(ValueError):
    """A file that is missing, truncated, corrupt or not in the expected format."""


@dataclass
class InherentState:
    """The inherent state (local energy minimum) a configuration quenches to.

    Attributes:
        positions: (N, 3) float64 inherent-state positions (sigma), unwrapped so that
            ``positions - configuration.positions`` is each particle's displacement to it.
        energies: (N,) float64 per-particle potential energy in the inherent state (epsilon).
        forces: (N, 3) float64 forces on the particles of the *given* configuration (epsilon/sigma).
        max_force: largest remaining |F_i| after the quench (epsilon/sigma).
        ftol: the quench's stopping tolerance on the global force 2-norm (epsilon/sigma).
    """

    positions: np.ndarray
    energies: np.ndarray
    forces: np.ndarray
    max_force: float = float("nan")
    ftol: float = float("nan")


@dataclass
class Configuration:
    """One configuration of particles, optionally with measured propensities.

    Attributes:
        positions: (N, 3) float64 positions (sigma).
        types: (N,) int64 types, 0 (A) or 1 (B).
        box: (3,) float64 box lengths (sigma), corner at the origin.
        targets: (T, N) float64 propensities (sigma) at ``times`` or None.
        times: (T,) float64 times (tau) of the targets, or None.
        metadata: free-form dict (temperature, source file, ...).
        inherent: its :class:`InherentState`, or None where not computed.
    """

    positions: np.ndarray
    types: np.ndarray
    box: np.ndarray
    targets: np.ndarray | None = None
    times: np.ndarray | None = None
    metadata: dict = field(default_factory=dict)
    inherent: InherentState | None = None

    @property
    def n(self) -> int:
        return len(self.positions)


_NUMPY_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the numpy globals needed to rebuild arrays."""

    def find_class(self, module, name):
        if (module, name) in _NUMPY_GLOBALS:
            return super().find_class(module, name)
        raise FormatError(f"refusing to unpickle global {module}.{name}: only numpy arrays are allowed")


def _restricted_load(path: Path):
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise FormatError(f"cannot read {path}: {err}") from err
    try:
        return _NumpyOnlyUnpickler(_io.BytesIO(data), encoding="latin1").load()
    except FormatError:
        raise
    except Exception as err:  # truncated or corrupt streams raise many different errors
        raise FormatError(f"{path} is not a readable pickle file (truncated or corrupt?): {err}") from err


def load_bapst_pickle(path) -> dict:
    """Load a Bapst et al. (2020) pickle file safely (numpy globals only).

    Returns the dict with keys ``positions`` (N, 3), ``types`` (N,), ``box`` (3,), ``time`` (list),
    ``time_indices`` (list), ``is_values`` (array), ``trajectory_target_positions`` and optional
    ``targets`` (list of (N,) arrays), ``metadata``.

    Raises:
        FormatError: the file is unreadable, not a pickle, not a dict or misses required keys.
    """
    d = _restricted_load(path)
    if not isinstance(d, dict):
        raise FormatError(f"{path}: expected a dict, found {type(d).__name__}")
    missing = {"positions", "types", "box"} - set(d)
    if missing:
        raise FormatError(f"{path}: missing keys {sorted(missing)}")
    pos = np.asarray(d["positions"])
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise FormatError(f"{path}: positions.shape={pos.shape}; expected (N, 3)")
    if np.asarray(d["types"]).shape != (len(pos),):
        raise FormatError(f"{path}: types.shape={np.asarray(d['types']).shape}; expected ({len(pos)},)")
    return d


def save_bapst_pickle(path, positions, types, box, time, time_indices, is_values,
                      trajectory_target_positions, targets=None, metadata=None) -> None:
    """Write a file in the Bapst et al. pickle layout (protocol 3), readable by their code."""
    d = {
        "positions": np.asarray(positions, dtype=np.float64),
        "types": np.asarray(types, dtype=np.int32),
        "box": np.asarray(box, dtype=np.float64),
        "time": [float(t) for t in time],
        "is_values": np.asarray(is_values, dtype=np.float64),
        "time_indices": [int(i) for i in time_indices],
        "trajectory_target_positions": trajectory_target_positions,
        "metadata": dict(metadata or {}),
    }
    if targets is not None:
        d["targets"] = [np.asarray(t, dtype=np.float64) for t in targets]
    tmp = Path(str(path) + ".tmp")
    with open(tmp, "wb") as f:
        pickle.dump(d, f, protocol=3)
    tmp.replace(path)


def _from_bapst(path) -> list[Configuration]:
    d = load_bapst_pickle(path)
    targets = times = None
    meta = {"source": str(path), **dict(d.get("metadata", {}))}
    if "targets" in d or "trajectory_target_positions" in d:
        times, targets = bapst_propensities(d)
    traj = d.get("trajectory_target_positions")
    if traj is not None and targets is not None and len(traj) and len(traj[0]) >= 2:
        from .propensity import noise_ceiling

        start = np.asarray(d["positions"], np.float64)
        ceiling = np.full(len(targets), np.nan)
        for k, per_t in enumerate(traj[: len(targets)]):
            disp = np.stack([np.linalg.norm(np.asarray(x) - start, axis=-1) for x in per_t])
            ceiling[k] = noise_ceiling(disp[:, None, :], d["types"])[0]
        meta["noise_ceiling"] = ceiling.tolist()
    return [Configuration(np.asarray(d["positions"], np.float64), np.asarray(d["types"], np.int64),
                          np.asarray(d["box"], np.float64), targets, times, meta)]


def load_glassbench_npz(path, density: float = 1.2, times=None) -> Configuration:
    """Read one GlassBench configuration (Jung et al. 2023, 3D KA): an .npz with ``types`` (1/2 for A/B;
    0/1 is accepted too), ``initial_positions`` (N, 3), ``md_prop`` (10 times x N, either orientation),
    optionally ``initial_positions_inherent``/``_cage`` (kept in metadata). The box is not stored in
    these files: it is the cube of volume N / density (sigma).

    Args:
        times: optional (T,) times (tau) of md_prop, which the files do not record.
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except Exception as err:
        raise FormatError(f"{path} is not a readable .npz file (truncated or corrupt?): {err}") from err
    missing = {"types", "initial_positions"} - set(data)
    if missing:
        raise FormatError(f"{path}: missing GlassBench keys {sorted(missing)}")
    pos = np.asarray(data["initial_positions"], np.float64)
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise FormatError(f"{path}: initial_positions.shape={pos.shape}; expected (N, 3)")
    n = len(pos)
    types = np.asarray(data["types"]).astype(np.int64).ravel()
    if types.shape != (n,):
        raise FormatError(f"{path}: types.shape={types.shape}; expected ({n},)")
    if types.min() >= 1:
        types = types - 1
    if np.setdiff1d(types, [0, 1]).size:
        raise FormatError(f"{path}: unknown types {np.unique(types).tolist()}; expected 1/2 (or 0/1)")
    targets = None
    if "md_prop" in data:
        prop = np.asarray(data["md_prop"], np.float64)
        targets = prop if prop.shape[-1] == n else prop.T
        if targets.ndim != 2 or targets.shape[1] != n:
            raise FormatError(f"{path}: md_prop.shape={prop.shape}; expected (T, {n}) or ({n}, T)")
    meta = {"source": str(path)}
    for key in ("initial_positions_inherent", "initial_positions_cage"):
        if key in data:
            meta[key] = np.asarray(data[key], np.float64)
    box = np.full(3, (n / density) ** (1 / 3))
    t = None if times is None else np.asarray(times, np.float64)
    return Configuration(pos, types, box, targets, t, meta)


def save_glassbench_npz(path, config: Configuration) -> None:
    """Write a configuration as a GlassBench-style .npz (types 1/2, initial_positions, md_prop (T, N))."""
    arrays = {"types": np.asarray(config.types, np.int64) + 1,
              "initial_positions": np.asarray(config.positions, np.float64)}
    if config.targets is not None:
        arrays["md_prop"] = np.asarray(config.targets, np.float64)
    path = Path(path)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)


def read_labelled(path, split: str | None = None, allow_empty: bool = False) -> list[Configuration]:
    """Configurations with propensities from a glassnet dataset (one split, or all) or a Bapst pickle.

    ``path`` may also be a list of files: their configurations are concatenated (a file may lack the
    split as long as one of them has it).
    """
    if isinstance(path, (list, tuple)):
        configs = [c for p in path for c in read_labelled(p, split, allow_empty=True)]
        if not configs:
            raise FormatError(f"none of {[str(p) for p in path]} has configurations in split {split!r}")
        return configs
    path = Path(path)
    if path.suffix.lower() in (".h5", ".hdf5"):
        ds = read_dataset(path)
        configs = ds.split(split) if split else ds.configurations
        for c in configs:
            c.metadata.setdefault("source", str(path))
        if not configs and not allow_empty:
            raise FormatError(f"{path} has no configurations in split {split!r}")
    else:
        configs = read_configurations(path)
    missing = [i for i, c in enumerate(configs) if c.targets is None]
    if missing:
        raise FormatError(f"{path}: configurations {missing[:5]} have no propensities")
    return configs


def _from_ase(path) -> list[Configuration]:
    try:
        import ase.io
    except ImportError as err:
        raise FormatError(f"reading {path} needs the `ase` package: pip install ase") from err
    fmt = "lammps-dump-text" if str(path).endswith((".dump", ".lammpstrj")) else None
    try:
        frames = ase.io.read(str(path), index=":", format=fmt)
    except Exception as err:
        raise FormatError(f"cannot read {path} with ase: {err}") from err
    out = []
    for atoms in frames:
        cell = np.asarray(atoms.cell)
        if not np.allclose(cell, np.diag(np.diag(cell))):
            raise FormatError(f"{path}: only orthorhombic boxes are supported, got cell {cell.tolist()}")
        # LAMMPS types 1/2 come back from ase as atomic numbers 1/2 (H/He); in xyz files write A as H
        # and B as He.
        types = atoms.get_atomic_numbers() - 1
        unknown = np.setdiff1d(types, [0, 1])
        if unknown.size:
            raise FormatError(f"{path}: unknown particle types {(unknown + 1).tolist()}; expected LAMMPS "
                              "types 1 (A) and 2 (B), or species H (A) and He (B) in xyz files")
        out.append(Configuration(atoms.get_positions(), types.astype(np.int64), np.diag(cell).copy(),
                                 metadata={"source": str(path)}))
    return out


def _from_gsd(path) -> list[Configuration]:
    try:
        import gsd.hoomd
    except ImportError as err:
        raise FormatError(f"reading {path} needs the `gsd` package: pip install gsd") from err
    out = []
    try:
        with gsd.hoomd.open(str(path), "r") as traj:
            for frame in traj:
                box = np.asarray(frame.configuration.box[:3], dtype=np.float64)
                pos = np.asarray(frame.particles.position, dtype=np.float64) + box / 2  # GSD is centred
                out.append(Configuration(pos, np.asarray(frame.particles.typeid, np.int64), box,
                                         metadata={"source": str(path)}))
    except FormatError:
        raise
    except Exception as err:
        raise FormatError(f"cannot read GSD file {path}: {err}") from err
    return out


def read_configurations(path) -> list[Configuration]:
    """Read every configuration in a file, picking the reader from the extension.

    Supported: ``.pickle``/``.pkl`` (Bapst et al.), ``.gsd``, ``.xyz``/``.extxyz``, ``.dump``/
    ``.lammpstrj`` (LAMMPS dump), ``.h5``/``.hdf5`` (glassnet datasets).
    """
    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path} does not exist")
    suffix = path.suffix.lower()
    if suffix in (".pickle", ".pkl"):
        return _from_bapst(path)
    if suffix == ".gsd":
        return _from_gsd(path)
    if suffix in (".xyz", ".extxyz", ".dump", ".lammpstrj"):
        return _from_ase(path)
    if suffix in (".h5", ".hdf5"):
        return read_dataset(path).configurations
    if suffix == ".npz":
        return [load_glassbench_npz(path)]
    raise FormatError(f"{path}: unknown file type {suffix!r}; expected .pickle, .gsd, .xyz, .dump, "
                      ".npz (GlassBench) or .h5")


def bapst_propensities(d: dict) -> tuple[np.ndarray, np.ndarray]:
    """Propensities of a Bapst et al. pickle dict: its ``targets`` if present, else computed as the mean
    over trajectories of |r_i(t) - r_i(0)| from ``trajectory_target_positions``.

    Returns:
        (times (T,) float64 tau, propensities (T, N) float64 sigma).
    """
    times = np.asarray(d["time"], dtype=np.float64)[np.asarray(d["time_indices"])]
    if "targets" in d:
        return times, np.stack([np.asarray(t, dtype=np.float64) for t in d["targets"]])
    start = np.asarray(d["positions"], dtype=np.float64)
    traj = d["trajectory_target_positions"]
    prop = np.stack([np.mean([np.linalg.norm(np.asarray(x) - start, axis=-1) for x in per_t], axis=0)
                     for per_t in traj])
    return times[: len(prop)], prop


# ------------------------------------------------------------------------------------------------
# glassnet HDF5 datasets
# ------------------------------------------------------------------------------------------------
FORMAT_NAME = "glassnet.propensity"
FORMAT_VERSION = 1
SPLITS = ("train", "valid", "test")


@dataclass
class Dataset:
    """A propensity dataset: configurations sharing one time grid and one state point.

    Attributes:
        configurations: list of :class:`Configuration` (``targets`` (T, N) propensities in sigma;
            ``metadata['split']`` is 'train', 'valid' or 'test').
        times: (T,) float64 times (tau) of the propensities.
        metadata: file-level attributes (temperature, density, seeds, versions, ...).
    """

    configurations: list
    times: np.ndarray
    metadata: dict = field(default_factory=dict)

    def split(self, name: str) -> list:
        """The configurations of one split ('train', 'valid' or 'test')."""
        if name not in SPLITS:
            raise FormatError(f"split={name!r}; expected one of {SPLITS}")
        return [c for c in self.configurations if c.metadata.get("split") == name]


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
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    times = np.asarray(times, dtype=np.float64)
    with h5py.File(tmp, "w", track_order=True) as f:
        f.attrs["format"] = FORMAT_NAME
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["units"] = "LJ reduced units: sigma_AA, epsilon_AA, m, tau"
        for k, v in (metadata or {}).items():
            f.attrs[k] = _attr(v)
        f.create_dataset("times", data=times, track_times=False)
        grp = f.create_group("configurations", track_order=True)
        for i, c in enumerate(configurations):
            _write_configuration(grp, f"{i:05d}", c, len(times))
    tmp.replace(path)


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
    fs = extra.pop("fs", None)
    if fs is not None:
        g.create_dataset("fs", data=np.asarray(fs, np.float64), **kw)
    for k, v in extra.items():
        g.attrs[k] = _attr(v)
    if c.inherent is not None:
        write_inherent(g, c.inherent, c.n)


def write_inherent(group, state: InherentState, n: int) -> None:
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
    g.attrs["method"] = "LAMMPS FIRE minimisation of the KA potential"


def _read_inherent(group) -> InherentState | None:
    if "inherent" not in group:
        return None
    g = group["inherent"]
    return InherentState(g["positions"][()], g["energies"][()], g["forces"][()],
                         float(g.attrs.get("max_force", np.nan)), float(g.attrs.get("ftol", np.nan)))


def read_dataset(path, load_displacements: bool = False) -> Dataset:
    """Read a glassnet HDF5 dataset.

    Args:
        path: the .h5 file.
        load_displacements: also load the per-replica displacements (R, T, N) into
            ``metadata['displacements']`` (large).

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
                targets = g["propensity"][()] if "propensity" in g else None
                configs.append(Configuration(g["positions"][()], g["types"][()].astype(np.int64),
                                             g["box"][()], targets, times if targets is not None else None,
                                             cmeta, _read_inherent(g)))
        except (KeyError, OSError) as err:
            raise FormatError(f"{path}: damaged configuration record: {err}") from err
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
    """Write per-particle predictions: ``.csv`` (one row per particle) or ``.h5``.

    Args:
        configurations: the list of :class:`Configuration` that was predicted.
        predictions: list of (N, K) arrays, one per configuration (sigma).
        times: optional (K,) times (tau) of the outputs.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    if path.suffix.lower() == ".csv":
        k = predictions[0].shape[1]
        names = [f"t={t:g}" for t in times] if times else [f"output_{j}" for j in range(k)]
        with open(tmp, "w") as f:
            f.write("configuration,particle,type," + ",".join(names) + "\n")
            for ci, (c, p) in enumerate(zip(configurations, predictions)):
                for i in range(c.n):
                    f.write(f"{ci},{i},{int(c.types[i])}," + ",".join(f"{v:.6g}" for v in p[i]) + "\n")
    elif path.suffix.lower() in (".h5", ".hdf5"):
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = "glassnet.predictions"
            f.attrs["units"] = "propensity in sigma, times in tau (LJ units)"
            if times:
                f.create_dataset("times", data=np.asarray(times, np.float64))
            for ci, (c, p) in enumerate(zip(configurations, predictions)):
                g = f.create_group(f"{ci:05d}")
                g.create_dataset("prediction", data=np.asarray(p, np.float64))
                g.create_dataset("types", data=np.asarray(c.types, np.int8))
                g.attrs["source"] = str(c.metadata.get("source", ""))
    else:
        raise FormatError(f"{path}: unknown predictions format {path.suffix!r}; use .csv or .h5")
    tmp.replace(path)


# ------------------------------------------------------------------------------------------------
# Result tables (network, baselines and noise ceiling side by side)
# ------------------------------------------------------------------------------------------------
#: Columns of every result table glassnet writes (`glassnet evaluate`, `glassnet baselines`).
RESULT_COLUMNS = ["model", "kind", "data", "split", "output", "time", "r_mean", "r_std",
                  "n_configurations", "note"]


def write_results(path, rows) -> None:
    """Write result rows (dicts with :data:`RESULT_COLUMNS`) as .csv or .json."""
    import csv

    path = Path(path)
    rows = [{k: row.get(k, "") for k in RESULT_COLUMNS} for row in rows]
    tmp = path.with_name(path.name + ".tmp")
    if path.suffix.lower() == ".json":
        tmp.write_text(json.dumps(rows, indent=1))
    elif path.suffix.lower() == ".csv":
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=RESULT_COLUMNS)
            w.writeheader()
            w.writerows(rows)
    else:
        raise FormatError(f"{path}: results go to .csv or .json, not {path.suffix!r}")
    tmp.replace(path)


def read_results(path) -> list[dict]:
    """Read a result table written by :func:`write_results` (numbers parsed)."""
    import csv

    path = Path(path)
    if path.suffix.lower() == ".json":
        return json.loads(path.read_text())
    rows = list(csv.DictReader(open(path)))
    for row in rows:
        for k in ("output", "n_configurations"):
            row[k] = int(row[k]) if row[k] not in ("", None) else None
        for k in ("time", "r_mean", "r_std"):
            row[k] = float(row[k]) if row[k] not in ("", None) else None
    return rows


def result_rows(model, kind, data, split, times, r, note="") -> list[dict]:
    """Result rows from a (C, K) array of Pearson r per configuration and output: mean, std, count.

    NaN entries (an output missing for some configurations) are left out of that output's statistics.
    """
    r = np.asarray(r, dtype=float)
    rows = []
    for k in range(r.shape[1]):
        col = r[:, k][np.isfinite(r[:, k])]
        if col.size == 0:
            continue
        rows.append({"model": str(model), "kind": kind, "data": str(data), "split": split, "output": k,
                     "time": None if times is None else float(times[k]), "r_mean": float(col.mean()),
                     "r_std": float(col.std()), "n_configurations": int(col.size), "note": note})
    return rows


def ceiling_rows(configurations, data="", split="") -> list[dict]:
    """Result rows for the noise ceiling stored with each configuration (mean and std over them)."""
    vals = [c.metadata.get("noise_ceiling") for c in configurations]
    vals = [np.asarray(v, float) for v in vals if v is not None]
    if not vals:
        return []
    return result_rows("noise ceiling", "ceiling", data, split, configurations[0].times, np.stack(vals),
                       "sqrt of Spearman-Brown split-half reliability, A particles")
