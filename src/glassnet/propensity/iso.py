"""The iso-configurational protocol (the training data of Bapst et al. 2020).

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
at any point and rerun gives the same dataset as an uninterrupted run. Work fans out over Dask; MD goes
through :mod:`glassnet.md` only.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..core import Configuration, Dataset, ParameterError, SimulationError
from ..forcefield import lattice_configuration
from ..md import create_engine, engine_class
from ..observables import IS_VALUES, Q_PEAK, crossing_times, fs_isotropic, noise_ceiling
from .jobs import dask_client, save_npz
from .spec import DatasetSpec

__all__ = ["run_replicas", "simulate_iso", "split_names"]


# ------------------------------------------------------------------------------------------------
# Work units (run on Dask workers; each is a pure function of its arguments)
# ------------------------------------------------------------------------------------------------
def _replica_seed(seed: int, config: int, replica: int) -> int:
    return int(np.random.SeedSequence([seed, 1, config, replica]).generate_state(1)[0])


def run_replicas(positions, types, box, temperature: float, times, seeds, dt: float = 0.005,
                 q: float = Q_PEAK, engine: str | None = None) -> dict:
    """Run iso-configurational NVE replicas from one configuration.

    Args:
        positions: (N, 3) start positions (sigma); types (N,); box (3,) (sigma).
        temperature: T of the Maxwell-Boltzmann velocities (epsilon/k_B).
        times: (T,) increasing times (tau) at which to record |r_i(t) - r_i(0)|; rounded to steps of dt.
        seeds: one velocity seed per replica.
        dt: time step (tau).
        q: wave number of F_s (sigma^-1).
        engine: MD engine name (default: :data:`glassnet.md.DEFAULT_ENGINE`).

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
    with create_engine(positions, types, box, engine, dt=dt) as sim:
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


def _measure_tau_alpha(sim, spec: DatasetSpec):
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


def _pilot_task(spec: DatasetSpec, engine: str | None = None, max_rounds: int = 5) -> dict:
    """Melt, quench to T, and measure tau_alpha from F_s(q, t) along NVE trajectories.

    A freshly quenched liquid relaxes faster than an equilibrated one, so the measurement is repeated
    after equilibrating for 3 x the last estimate, until two estimates agree within 25%.
    """
    with create_engine(*lattice_configuration(spec.n, spec.density, seed=spec.seed), engine,
                       dt=spec.dt) as sim:
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


def _segment_task(spec: DatasetSpec, positions, velocities, duration: float,
                  engine: str | None = None) -> dict:
    """NVT at T for `duration` tau from a saved state; returns the new state (fresh engine instance)."""
    types, box = _types_and_box(spec)
    with create_engine(positions, types, box, engine, dt=spec.dt) as sim:
        sim.velocities = velocities
        sim.run(int(round(duration / spec.dt)), temperature=spec.temperature)
        return {"positions": sim.positions, "velocities": sim.velocities}


# ------------------------------------------------------------------------------------------------
# The job
# ------------------------------------------------------------------------------------------------
@dataclass
class _Job:
    spec: DatasetSpec
    parts: Path
    engine: str | None = None
    types: np.ndarray = field(init=False)
    box: np.ndarray = field(init=False)

    def __post_init__(self):
        self.types, self.box = _types_and_box(self.spec)

    def chunks(self):
        r, step = self.spec.n_replicas, self.spec.replicas_per_task
        return [(a, min(a + step, r)) for a in range(0, r, step)]

    def replica_file(self, k: int, a: int, b: int) -> Path:
        return self.parts / f"replicas_{k:05d}_{a:03d}-{b:03d}.npz"

    def state_file(self, k: int) -> Path:
        return self.parts / f"state_{k:05d}.npz"


def split_names(spec: DatasetSpec) -> list[str]:
    """The split of each configuration of a spec, in order: train, then valid, then test."""
    return ["train"] * spec.splits[0] + ["valid"] * spec.splits[1] + ["test"] * spec.splits[2]


def simulate_iso(spec: DatasetSpec, parts, scheduler: str | None = None, workers: int = 2,
                 progress: bool = True, engine: str | None = None) -> Dataset:
    """Run the iso-configurational protocol for ``spec``, resumable through the folder ``parts``.

    Every finished piece (the pilot, each NVT segment's end state, each chunk of replicas) is saved in
    ``parts`` atomically as it arrives; a rerun after a kill submits only what is missing and returns the
    same dataset as an uninterrupted run. The caller writes the dataset and then removes ``parts``
    (:func:`glassnet.datasets.generate_dataset` does both).

    Args:
        spec: :class:`~glassnet.propensity.spec.DatasetSpec`.
        parts: folder of finished pieces (created if missing; refused if it holds another spec's).
        scheduler: address of an existing Dask scheduler (e.g. 'tcp://host:8786'); None starts a
            LocalCluster of ``workers`` single-threaded processes.
        progress: show a progress bar with ETA.
        engine: MD engine name (default: :data:`glassnet.md.DEFAULT_ENGINE`).

    Returns:
        :class:`~glassnet.core.Dataset`: propensities, per-replica displacements, F_s, crossing times,
        noise ceilings, and the metadata (spec, seeds, versions) that made it.
    """
    from tqdm.auto import tqdm

    parts = Path(parts)
    parts.mkdir(parents=True, exist_ok=True)
    spec_file = parts / "spec.json"
    if spec_file.exists():
        old = DatasetSpec.from_json(spec_file.read_text())
        if old != spec:
            raise ParameterError(f"{parts} holds an unfinished job with different parameters ({old}); "
                                 "rerun with the same parameters to resume, or delete that folder")
    else:
        spec_file.write_text(spec.to_json())
    job = _Job(spec, parts, engine)
    n_rep_tasks = spec.n_configs * len(job.chunks())
    bar = tqdm(total=1 + spec.n_configs + n_rep_tasks, disable=not progress, desc="simulate",
               unit="task")
    client, cluster = dask_client(scheduler, workers)
    try:
        _run_job(job, client, bar)
    finally:
        bar.close()
        client.close()
        if cluster is not None:
            cluster.close()
    return _assemble(job)


def _assemble(job: _Job) -> Dataset:
    """The dataset from a complete folder of pieces (one process, deterministic)."""
    spec, parts = job.spec, job.parts
    pilot = np.load(parts / "pilot.npz")
    configs, fs_all = [], []
    split = split_names(spec)
    sample_t = spec.sample_times()
    prop_idx = np.searchsorted(sample_t, np.round(np.asarray(spec.times) / spec.dt) * spec.dt - 1e-9)
    for k in range(spec.n_configs):
        state = np.load(job.state_file(k + 1))
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
    eng = engine_class(job.engine)
    meta = {
        "temperature": spec.temperature, "density": spec.density, "n_particles": spec.n,
        "dt": spec.dt, "n_replicas": spec.n_replicas, "seed": spec.seed,
        "thermostat": "Nose-Hoover chain (LAMMPS fix nvt), Tdamp 0.5 tau, for sampling; NVE replicas",
        "spec": asdict(spec), "glassnet_version": __version__, f"{eng.name}_version": eng.version(),
        "q": spec.q, "fs_times": sample_t.tolist(), "fs_mean": fs_mean.tolist(),
        "is_values": IS_VALUES.tolist(), "is_times": is_times.tolist(),
        "tau_alpha": float(is_times[-1]), "tau_alpha_pilot": float(pilot["tau_alpha_pilot"]),
        "propensity_definition": "mean over replicas of |r_i(t) - r_i(0)| (unwrapped), sigma",
    }
    return Dataset(configs, sample_t[prop_idx], meta)


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
                                sample_t, seeds, spec.dt, spec.q, job.engine, pure=False)
            futures[fut] = ("replicas", k, a, b)
            pending.add(fut)

    def submit_segment(k, state, tau):
        duration = max(spec.equilibration_taus * tau, spec.min_equilibration) if k == 0 \
            else spec.spacing_taus * tau
        fut = client.submit(_segment_task, spec, state["positions"], state["velocities"], duration,
                            job.engine, pure=False)
        futures[fut] = ("segment", k + 1)
        pending.add(fut)

    pilot_file = parts / "pilot.npz"
    if not pilot_file.exists():
        res = client.submit(_pilot_task, spec, job.engine, pure=False).result()
        save_npz(pilot_file, **{k: (np.nan if v is None else v) for k, v in res.items()})
    pilot = dict(np.load(pilot_file))
    tau = float(pilot["tau_alpha_pilot"])
    bar.update(1)
    # walk the chain as far as it is saved
    state, k = pilot, 0
    while k < spec.n_configs and job.state_file(k + 1).exists():
        state = dict(np.load(job.state_file(k + 1)))
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
            save_npz(job.state_file(kk), positions=res["positions"], velocities=res["velocities"])
            bar.update(1)
            submit_replicas(kk - 1, res)
            if kk < spec.n_configs:
                submit_segment(kk, res, tau)
        else:
            _, kk, a, b = what
            save_npz(job.replica_file(kk, a, b), **res)
            bar.update(1)
