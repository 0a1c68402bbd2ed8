"""Iso-configurational propensity datasets (the training data of Bapst et al. 2020).

Protocol, in LJ units (sigma, tau, epsilon/k_B):

1. Melt a Kob-Andersen system and quench it to T; measure tau_alpha from the self-intermediate
   scattering function F_s(q=7.25, t) of the A particles along one NVE trajectory (a pilot).
2. Equilibrate at T (NVT, Nose-Hoover) for ``equilibration_taus`` x tau_alpha, then take C configurations
   spaced by ``spacing_taus`` x tau_alpha (>= 1).
3. From each configuration run R iso-configurational NVE replicas with fresh Maxwell-Boltzmann velocities
   at T (zero total momentum), recording unwrapped positions on the time grid.
4. Propensity of particle i at time t: the mean over replicas of |r_i(t) - r_i(0)| (the published
   definition). Per-replica |r_i(t) - r_i(0)| (float32) and the iso-configurational F_s(q, t) of the A
   particles are kept, and the times where F_s reaches 0.9, 0.8, ..., 0.1 and 1/e (tau_alpha).

Every piece is a deterministic function of the seed and of saved double-precision states, so a job killed
at any point and rerun writes the same file as an uninterrupted run. Work fans out over Dask.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from . import __version__
from .simulation import Simulation, SimulationError, lattice_configuration

__all__ = [
    "DatasetSpec", "PRESETS", "IS_VALUES", "fs_isotropic", "crossing_times", "noise_ceiling",
    "run_replicas", "generate_dataset", "inherent_state", "add_inherent_states", "INHERENT_FTOL",
]

#: F_s values whose crossing times are recorded, as in the published data (the last is 1/e = tau_alpha).
IS_VALUES = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, np.exp(-1.0)])
Q_PEAK = 7.25


def _half_decades(t0: float, t1: float) -> list[float]:
    """The published half-decade grid 0.165, 0.52, 1.65, 5.2, ... between t0 and t1 (tau)."""
    grid = [float(f"{0.165 * 10 ** (k // 2):.6g}") if k % 2 == 0 else float(f"{0.52 * 10 ** (k // 2):.6g}")
            for k in range(-4, 12)]
    return [g for g in grid if t0 * 0.9999 <= g <= t1 * 1.0001]


@dataclass(frozen=True)
class DatasetSpec:
    """Everything that determines a propensity dataset (recorded in the file).

    Attributes:
        temperature: T (epsilon/k_B).
        n: particles.
        density: number density (sigma^-3).
        n_configs: configurations C, split as ``splits`` = (train, valid, test) counts.
        n_replicas: iso-configurational replicas R per configuration.
        times: propensity times (tau), increasing.
        dt: time step (tau).
        seed: base seed; every random choice derives from it.
        equilibration_taus: NVT equilibration before the first configuration, in units of tau_alpha.
        spacing_taus: NVT time between configurations, in units of tau_alpha (>= 1).
        tau_alpha: tau_alpha (tau) to use instead of measuring it in the pilot (None: measure).
        min_equilibration: lower bound on the equilibration time (tau).
        q: wave number of F_s (sigma^-1), at the first peak of S(q) for the A particles.
        fs_points_per_decade: density of the extra log grid on which F_s is sampled.
        replicas_per_task: replicas per Dask task.
    """

    temperature: float = 0.64
    n: int = 1000
    density: float = 1.2
    n_configs: int = 4
    splits: tuple = (2, 1, 1)
    n_replicas: int = 30
    times: tuple = tuple(_half_decades(0.165, 16.5))
    dt: float = 0.005
    seed: int = 0
    equilibration_taus: float = 10.0
    spacing_taus: float = 1.0
    tau_alpha: float | None = None
    min_equilibration: float = 50.0
    q: float = Q_PEAK
    fs_points_per_decade: int = 8
    replicas_per_task: int = 10

    def __post_init__(self):
        t = np.asarray(self.times, dtype=float)
        if t.ndim != 1 or len(t) == 0 or np.any(t <= 0) or np.any(np.diff(t) <= 0):
            raise ValueError(f"times={list(self.times)}; expected increasing positive times (tau)")
        if sum(self.splits) != self.n_configs or len(self.splits) != 3 or min(self.splits) < 0:
            raise ValueError(f"splits={self.splits} must be (train, valid, test) counts summing to "
                             f"n_configs={self.n_configs}")
        if self.n_replicas < 2:
            raise ValueError(f"n_replicas={self.n_replicas}; expected >= 2 (the noise ceiling needs two halves)")
        if self.spacing_taus < 1:
            raise ValueError(f"spacing_taus={self.spacing_taus}; configurations must be >= 1 tau_alpha apart")
        if self.temperature <= 0 or self.n < 2 or self.density <= 0 or self.dt <= 0:
            raise ValueError(f"invalid state point or time step in {self}")

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "DatasetSpec":
        d = json.loads(text)
        d["times"] = tuple(d["times"])
        d["splits"] = tuple(d["splits"])
        return cls(**d)

    def sample_times(self) -> np.ndarray:
        """Every time (tau) positions are recorded: the propensity grid and the denser F_s grid."""
        t_max = max(self.times)
        dense = np.geomspace(self.dt, t_max, int(np.ceil(np.log10(t_max / self.dt) * self.fs_points_per_decade)) + 1)
        steps = np.unique(np.round(np.concatenate([dense, self.times]) / self.dt).astype(np.int64))
        return np.round(steps[steps > 0] * self.dt, 10)


#: Named presets following the published grids (density 1.2). Sizes are chosen for a small cluster or a
#: patient workstation; override n, n_configs, n_replicas on the command line.
PRESETS: dict[str, DatasetSpec] = {
    "small": DatasetSpec(),
    # the reference datasets in data/reference (~0.5 and ~1.3 CPU-hours here); tau_alpha 8.2 and 28.1 tau
    "ka-T0.64": DatasetSpec(temperature=0.64, n=1000, n_configs=8, splits=(6, 1, 1),
                            times=tuple(_half_decades(0.165, 52))),
    "ka-T0.56": DatasetSpec(temperature=0.56, n=1000, n_configs=6, splits=(4, 1, 1),
                            times=tuple(_half_decades(0.165, 165))),
    # the published grids up to 520 and 1650 tau, N=4096 (cluster scale)
    "ka-T0.64-full": DatasetSpec(temperature=0.64, n=4096, n_configs=20, splits=(14, 3, 3),
                                 times=tuple(_half_decades(0.165, 520))),
    "ka-T0.56-full": DatasetSpec(temperature=0.56, n=4096, n_configs=20, splits=(14, 3, 3),
                                 times=tuple(_half_decades(0.165, 1650))),
    "ka-T0.44-bapst": DatasetSpec(temperature=0.44, n=4096, n_configs=10, splits=(6, 2, 2),
                                  times=(0.132, 0.435), dt=0.003, equilibration_taus=0.0,
                                  tau_alpha=5890.0, min_equilibration=0.0),
}


# ------------------------------------------------------------------------------------------------
# Pure functions on arrays
# ------------------------------------------------------------------------------------------------
def fs_isotropic(displacement: np.ndarray, q: float = Q_PEAK) -> np.ndarray:
    """Isotropic self-intermediate scattering function <sin(q r) / (q r)> over particles.

    Args:
        displacement: (..., N) |r_i(t) - r_i(0)| (sigma).
        q: wave number (sigma^-1).

    Returns:
        (...) the average over the last axis.
    """
    return np.mean(np.sinc(q * np.asarray(displacement) / np.pi), axis=-1)


def crossing_times(times, fs, levels=IS_VALUES) -> np.ndarray:
    """Times (tau) where a decaying F_s(t) first falls to each level, interpolated linearly in log t.

    Returns:
        (len(levels),) float64, NaN where F_s never reaches the level on the grid.
    """
    t = np.asarray(times, float)
    f = np.asarray(fs, float)
    out = np.full(len(levels), np.nan)
    for k, level in enumerate(levels):
        below = np.nonzero(f <= level)[0]
        if below.size == 0:
            continue
        j = below[0]
        if j == 0:
            out[k] = t[0]
            continue
        f0, f1 = f[j - 1], f[j]
        w = (f0 - level) / (f0 - f1) if f0 != f1 else 0.0
        out[k] = float(np.exp(np.log(t[j - 1]) + w * (np.log(t[j]) - np.log(t[j - 1]))))
    return out


def noise_ceiling(displacements: np.ndarray, types=None, n_splits: int = 100, seed: int = 0) -> np.ndarray:
    """The highest Pearson r any model can reach against the measured propensities.

    The propensity measured with R replicas is the true propensity plus sampling noise. Split the replicas
    at random into two halves, correlate the two half-propensities (r_half, averaged over ``n_splits``
    random splits), and step up to R replicas with the Spearman-Brown formula:
    rho_R = 2 r_half / (1 + r_half), the correlation between two independent R-replica measurements.
    A perfect model (the true propensity) correlates with a measurement at sqrt(rho_R): that is the ceiling.

    Args:
        displacements: (R, T, N) per-replica |r_i(t) - r_i(0)|.
        types: (N,) types; only A particles (0) count when given.
        n_splits: random half splits to average over.
        seed: seed of the splits.

    Returns:
        (T,) float64 ceiling per time.
    """
    d = np.asarray(displacements, dtype=np.float64)
    if d.ndim != 3 or d.shape[0] < 2:
        raise ValueError(f"displacements.shape={d.shape}; expected (R >= 2, T, N)")
    if types is not None:
        d = d[:, :, np.asarray(types) == 0]
    rng = np.random.default_rng(seed)
    r_count, half = d.shape[0], d.shape[0] // 2
    rs = np.zeros(d.shape[1])
    for _ in range(n_splits):
        perm = rng.permutation(r_count)
        a = d[perm[:half]].mean(axis=0)
        b = d[perm[half: 2 * half]].mean(axis=0)
        a -= a.mean(axis=1, keepdims=True)
        b -= b.mean(axis=1, keepdims=True)
        rs += (a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1))
    r_half = rs / n_splits
    rho = 2 * r_half / (1 + r_half)
    return np.sqrt(np.clip(rho, 0.0, 1.0))


# ------------------------------------------------------------------------------------------------
# Work units (run on Dask workers; each is a pure function of its arguments)
# ------------------------------------------------------------------------------------------------
def _replica_seed(seed: int, config: int, replica: int) -> int:
    return int(np.random.SeedSequence([seed, 1, config, replica]).generate_state(1)[0])


def run_replicas(positions, types, box, temperature: float, times, seeds, dt: float = 0.005,
                 q: float = Q_PEAK) -> dict:
    """Run iso-configurational NVE replicas from one configuration.

    Args:
        positions: (N, 3) start positions (sigma); types (N,); box (3,) (sigma).
        temperature: T of the Maxwell-Boltzmann velocities (epsilon/k_B).
        times: (T,) increasing times (tau) at which to record |r_i(t) - r_i(0)|; rounded to steps of dt.
        seeds: one velocity seed per replica.
        dt: time step (tau).
        q: wave number of F_s (sigma^-1).

    Returns:
        dict with ``displacements`` (R, T, N) float32 (sigma), ``propensity`` (T, N) float64 (mean over
        replicas of the float64 displacements), ``fs`` (R, T) float64 F_s of the A particles per replica,
        ``times`` (T,) the times actually sampled (tau).
    """
    types = np.asarray(types)
    t = np.asarray(times, dtype=np.float64)
    disp = np.empty((len(seeds), len(t), len(types)), dtype=np.float32)
    total = np.zeros((len(t), len(types)))
    fs = np.empty((len(seeds), len(t)))
    with Simulation(positions, types, box, dt=dt) as sim:
        start = sim.positions
        for r, s in enumerate(seeds):
            sim.positions = start
            sim.thermalize(temperature, seed=int(s))
            traj = sim.trajectory(t)
            d = np.linalg.norm(traj - start, axis=-1)
            disp[r] = d
            total += d
            fs[r] = fs_isotropic(d[:, types == 0], q)
    return {"displacements": disp, "propensity": total / len(seeds), "fs": fs,
            "times": np.round(np.round(t / dt) * dt, 10)}


def _state_file(parts: Path, k: int) -> Path:
    return parts / f"state_{k:05d}.npz"


def _save_npz(path: Path, **arrays) -> None:
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)


def _measure_tau_alpha(sim: Simulation, spec: DatasetSpec):
    """tau_alpha (tau) from F_s(q, t) of the A particles along one NVE trajectory from the current state."""
    t_max = 10.0
    while True:
        start = sim.positions
        grid = np.geomspace(spec.dt, t_max, 60)
        traj = sim.trajectory(grid)
        d = np.linalg.norm(traj - start, axis=-1)[:, sim.types == 0]
        fs_t, fs = np.round(grid / spec.dt) * spec.dt, fs_isotropic(d, spec.q)
        tau = crossing_times(fs_t, fs, [np.exp(-1.0)])[0]
        if np.isfinite(tau):
            return float(tau), fs_t, fs
        if t_max >= 1e5:
            raise SimulationError(f"F_s did not reach 1/e within {t_max:g} tau at T={spec.temperature}")
        t_max *= 4


def _pilot_task(spec: DatasetSpec, max_rounds: int = 5) -> dict:
    """Melt, quench to T, and measure tau_alpha from F_s(q, t) along NVE trajectories.

    A freshly quenched liquid relaxes faster than an equilibrated one, so the measurement is repeated
    after equilibrating for 3 x the last estimate, until two estimates agree within 25%.
    """
    sim = Simulation(*lattice_configuration(spec.n, spec.density, seed=spec.seed), dt=spec.dt)
    with sim:
        sim.minimize()
        sim.thermalize(2.0, seed=spec.seed)
        sim.run(int(round(20.0 / spec.dt)), temperature=2.0)
        sim.run(int(round(max(spec.min_equilibration, 20.0) / spec.dt)), temperature=spec.temperature)
        history = []
        fs_t = fs = None
        if spec.tau_alpha is not None:
            history = [float(spec.tau_alpha)]
        else:
            for _ in range(max_rounds):
                tau, fs_t, fs = _measure_tau_alpha(sim, spec)
                history.append(tau)
                if len(history) > 1 and abs(history[-1] / history[-2] - 1) < 0.25:
                    break
                sim.run(int(round(3 * tau / spec.dt)), temperature=spec.temperature)
        return {"tau_alpha_pilot": history[-1], "tau_alpha_history": np.asarray(history),
                "positions": sim.positions, "velocities": sim.velocities,
                "pilot_fs_times": fs_t, "pilot_fs": fs}


def _types_and_box(spec: DatasetSpec):
    """The particle types (fixed by the seed) and box lengths (sigma) of a dataset's system."""
    _, types, box = lattice_configuration(spec.n, spec.density, seed=spec.seed)
    return types, box


def _segment_task(spec: DatasetSpec, positions, velocities, duration: float) -> dict:
    """NVT at T for `duration` tau from a saved state; returns the new state (fresh LAMMPS instance)."""
    types, box = _types_and_box(spec)
    with Simulation(positions, types, box, dt=spec.dt) as sim:
        sim.velocities = velocities
        sim.run(int(round(duration / spec.dt)), temperature=spec.temperature)
        return {"positions": sim.positions, "velocities": sim.velocities}


# ------------------------------------------------------------------------------------------------
# The job
# ------------------------------------------------------------------------------------------------
@dataclass
class _Job:
    spec: DatasetSpec
    path: Path
    parts: Path
    types: np.ndarray = field(init=False)
    box: np.ndarray = field(init=False)

    def __post_init__(self):
        self.types, self.box = _types_and_box(self.spec)

    def chunks(self):
        r, step = self.spec.n_replicas, self.spec.replicas_per_task
        return [(a, min(a + step, r)) for a in range(0, r, step)]

    def replica_file(self, k: int, a: int, b: int) -> Path:
        return self.parts / f"replicas_{k:05d}_{a:03d}-{b:03d}.npz"


def _split_names(spec: DatasetSpec) -> list[str]:
    return ["train"] * spec.splits[0] + ["valid"] * spec.splits[1] + ["test"] * spec.splits[2]


def _client(scheduler: str | None, workers: int):
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=":0")
    return Client(cluster), cluster


def generate_dataset(path, spec: DatasetSpec, scheduler: str | None = None, workers: int = 2,
                     progress: bool = True) -> Path:
    """Simulate a propensity dataset and write it to one HDF5 file; resumable.

    Finished pieces go to ``<path>.parts/`` (written atomically); rerunning the same command after a
    kill continues from them, and the final file is identical to an uninterrupted run. The file is
    written only when everything is done, by this process alone.

    Args:
        path: the .h5 file to write.
        spec: :class:`DatasetSpec`.
        scheduler: address of an existing Dask scheduler (e.g. 'tcp://host:8786'); None starts a
            LocalCluster of ``workers`` single-threaded processes.
        progress: show a progress bar with ETA and print a summary.

    Returns:
        the path written.
    """
    from tqdm.auto import tqdm

    from .io import Configuration, write_dataset

    path = Path(path)
    parts = path.with_name(path.name + ".parts")
    if path.exists() and not parts.exists():
        from .io import read_dataset
        done = read_dataset(path).metadata.get("spec")
        if done is not None and DatasetSpec.from_json(json.dumps(done)) == spec:
            if progress:
                print(f"{path} is already complete for these parameters")
            return path
        raise ValueError(f"{path} exists and was made with other parameters; choose another path")
    parts.mkdir(parents=True, exist_ok=True)
    spec_file = parts / "spec.json"
    if spec_file.exists():
        old = DatasetSpec.from_json(spec_file.read_text())
        if old != spec:
            raise ValueError(f"{parts} holds an unfinished job with different parameters ({old}); "
                             "rerun with the same parameters to resume, or delete that folder")
    else:
        spec_file.write_text(spec.to_json())
    job = _Job(spec, path, parts)
    t0 = time.perf_counter()
    n_rep_tasks = spec.n_configs * len(job.chunks())
    bar = tqdm(total=1 + spec.n_configs + n_rep_tasks, disable=not progress, desc="simulate",
               unit="task")
    client, cluster = _client(scheduler, workers)
    try:
        _run_job(job, client, bar)
    finally:
        bar.close()
        client.close()
        if cluster is not None:
            cluster.close()
    # assemble (one writer)
    pilot = np.load(parts / "pilot.npz")
    configs, fs_all = [], []
    split = _split_names(spec)
    sample_t = spec.sample_times()
    prop_idx = np.searchsorted(sample_t, np.round(np.asarray(spec.times) / spec.dt) * spec.dt - 1e-9)
    for k in range(spec.n_configs):
        state = np.load(_state_file(parts, k + 1))
        reps = [np.load(job.replica_file(k, a, b)) for a, b in job.chunks()]
        disp_all = np.concatenate([r["displacements"] for r in reps])            # (R, T_sample, N)
        total = sum(r["propensity"] * len(r["displacements"]) for r in reps) / spec.n_replicas
        fs = np.concatenate([r["fs"] for r in reps]).mean(axis=0)
        fs_all.append(fs)
        configs.append(Configuration(
            np.mod(state["positions"], job.box), job.types, job.box, total[prop_idx], sample_t[prop_idx],
            {"split": split[k], "index": k,
             "replica_seeds": [_replica_seed(spec.seed, k, r) for r in range(spec.n_replicas)],
             "displacements": disp_all[:, prop_idx], "fs": fs,
             "is_times": crossing_times(sample_t, fs).tolist(),
             "noise_ceiling": noise_ceiling(disp_all[:, prop_idx], job.types).tolist()}))
    fs_mean = np.mean(fs_all, axis=0)
    is_times = crossing_times(sample_t, fs_mean)
    meta = {
        "temperature": spec.temperature, "density": spec.density, "n_particles": spec.n,
        "dt": spec.dt, "n_replicas": spec.n_replicas, "seed": spec.seed,
        "thermostat": "Nose-Hoover chain (LAMMPS fix nvt), Tdamp 0.5 tau, for sampling; NVE replicas",
        "spec": asdict(spec), "glassnet_version": __version__, "lammps_version": _lammps_version(),
        "q": spec.q, "fs_times": sample_t.tolist(), "fs_mean": fs_mean.tolist(),
        "is_values": IS_VALUES.tolist(), "is_times": is_times.tolist(),
        "tau_alpha": float(is_times[-1]), "tau_alpha_pilot": float(pilot["tau_alpha_pilot"]),
        "propensity_definition": "mean over replicas of |r_i(t) - r_i(0)| (unwrapped), sigma",
    }
    write_dataset(path, configs, sample_t[prop_idx], meta)
    elapsed = time.perf_counter() - t0
    if progress:
        n_rep = spec.n_configs * spec.n_replicas
        print(f"wrote {path}: {spec.n_configs} configurations x {spec.n_replicas} replicas, N={spec.n}, "
              f"T={spec.temperature}; tau_alpha (F_s = 1/e) = {meta['tau_alpha']:.4g} tau; "
              f"{elapsed:.0f} s this run, {n_rep / elapsed:.2f} replicas/s")
    _cleanup(parts)
    return path


def _lammps_version() -> str:
    from .simulation import lammps_version
    return lammps_version()


def _cleanup(parts: Path) -> None:
    for f in parts.iterdir():
        f.unlink()
    parts.rmdir()


def _run_job(job: _Job, client, bar) -> None:
    """Submit what is missing; the chain of configurations and the replicas overlap on the workers."""
    from dask.distributed import as_completed

    spec, parts = job.spec, job.parts
    sample_t = spec.sample_times()
    pending = as_completed([])
    futures = {}

    def submit_replicas(k, state):
        for a, b in job.chunks():
            f = job.replica_file(k, a, b)
            if f.exists():
                bar.update(1)
                continue
            seeds = [_replica_seed(spec.seed, k, r) for r in range(a, b)]
            fut = client.submit(run_replicas, state["positions"], job.types, job.box, spec.temperature,
                                sample_t, seeds, spec.dt, spec.q, pure=False)
            futures[fut] = ("replicas", k, a, b)
            pending.add(fut)

    def submit_segment(k, state, tau):
        duration = max(spec.equilibration_taus * tau, spec.min_equilibration) if k == 0 \
            else spec.spacing_taus * tau
        fut = client.submit(_segment_task, spec, state["positions"], state["velocities"], duration,
                            pure=False)
        futures[fut] = ("segment", k + 1)
        pending.add(fut)

    pilot_file = parts / "pilot.npz"
    if not pilot_file.exists():
        res = client.submit(_pilot_task, spec, pure=False).result()
        _save_npz(pilot_file, **{k: (np.nan if v is None else v) for k, v in res.items()})
    pilot = dict(np.load(pilot_file))
    tau = float(pilot["tau_alpha_pilot"])
    bar.update(1)
    # walk the chain as far as it is saved
    state, k = pilot, 0
    while k < spec.n_configs and _state_file(parts, k + 1).exists():
        state = dict(np.load(_state_file(parts, k + 1)))
        bar.update(1)
        submit_replicas(k, state)
        k += 1
    if k < spec.n_configs:
        submit_segment(k, state, tau)
    for fut in pending:
        what = futures.pop(fut)
        res = fut.result()
        if what[0] == "segment":
            kk = what[1]
            _save_npz(_state_file(parts, kk), positions=res["positions"], velocities=res["velocities"])
            bar.update(1)
            submit_replicas(kk - 1, res)
            if kk < spec.n_configs:
                submit_segment(kk, res, tau)
        else:
            _, kk, a, b = what
            _save_npz(job.replica_file(kk, a, b), **res)
            bar.update(1)


def with_overrides(spec: DatasetSpec, **kwargs) -> DatasetSpec:
    """A copy of a spec with the non-None keyword values replaced (splits rescaled if C changes)."""
    kw = {k: v for k, v in kwargs.items() if v is not None}
    if "n_configs" in kw and "splits" not in kw:
        c = kw["n_configs"]
        n_valid = max(1, round(c * spec.splits[1] / spec.n_configs)) if c >= 3 else 0
        n_test = max(1, round(c * spec.splits[2] / spec.n_configs)) if c >= 3 else 0
        kw["splits"] = (c - n_valid - n_test, n_valid, n_test)
    if "times" in kw:
        kw["times"] = tuple(float(t) for t in kw["times"])
    return replace(spec, **kw)


# ----------------------------------------------------------------------------------------------
# Inherent states
# ----------------------------------------------------------------------------------------------
#: default quench tolerance: 2-norm of the global 3N force vector (epsilon/sigma)
INHERENT_FTOL = 1e-6


def inherent_state(positions, types, box, ftol: float = INHERENT_FTOL):
    """Quench one configuration to its inherent state with LAMMPS FIRE (see :class:`InherentState`).

    Args:
        positions: (N, 3) positions (sigma); types: (N,) 0/1; box: (3,) or scalar (sigma).
        ftol: stopping tolerance on the global force 2-norm (epsilon/sigma).
    """
    from .io import InherentState

    with Simulation(positions, types, box) as sim:
        r = sim.inherent_state(ftol=ftol)
    return InherentState(r["positions"], r["energies"], r["forces"], r["max_force"], ftol)


def add_inherent_states(path, ftol: float = INHERENT_FTOL, progress: bool = True) -> Path:
    """Add the inherent state of every configuration to a glassnet dataset file (resumable).

    Each quench is saved in ``<file>.inherent.parts/`` as it finishes; a rerun after a kill continues
    from there. The file is then copied, the ``inherent`` groups added to the copy and the copy renamed
    over the original, so an interruption never damages the existing file. Configurations that
    already have an inherent state are left as they are.
    """
    import shutil

    import h5py
    from tqdm.auto import tqdm

    from .io import InherentState, read_dataset, write_inherent

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
        s = inherent_state(c.positions, c.types, c.box, ftol)
        _save_npz(f, positions=s.positions, energies=s.energies, forces=s.forces,
                  max_force=s.max_force, ftol=s.ftol)
        states[c.metadata["name"]] = s
    tmp = path.with_name(path.name + ".inherent.tmp")
    shutil.copyfile(path, tmp)
    with h5py.File(tmp, "r+") as h:
        for name, s in states.items():
            write_inherent(h["configurations"][name], s, len(s.energies))
        h.attrs["inherent_ftol"] = float(ftol)
    tmp.replace(path)
    _cleanup(parts)
    if progress:
        worst = max(s.max_force for s in states.values())
        print(f"added {len(states)} inherent states to {path}; largest remaining force {worst:.2e} "
              "epsilon/sigma")
    return path
