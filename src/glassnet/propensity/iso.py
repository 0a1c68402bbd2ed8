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

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..core import Configuration, Dataset
from ..md import create_engine, engine_class
from ..observables import IS_VALUES, Q_PEAK, crossing_times, fs_isotropic, noise_ceiling
from .chain import run_chain, state_file, types_and_box
from .jobs import check_parts, claim_parts, dask_client
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
        self.types, self.box = types_and_box(self.spec)

    def chunks(self):
        r, step = self.spec.n_replicas, self.spec.replicas_per_task
        return [(a, min(a + step, r)) for a in range(0, r, step)]

    def replica_file(self, k: int, a: int, b: int) -> Path:
        return self.parts / f"replicas_{k:05d}_{a:03d}-{b:03d}.npz"



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

    parts = check_parts(parts, spec)   # written once the workers answer
    job = _Job(spec, parts, engine)
    n_rep_tasks = spec.n_configs * len(job.chunks())
    sample_t = spec.sample_times()

    def submit_replicas(k, state):
        out = []
        for a, b in job.chunks():
            f = job.replica_file(k, a, b)
            if f.exists():
                bar.update(1)
                continue
            seeds = [_replica_seed(spec.seed, k, r) for r in range(a, b)]
            out.append((f, client.submit(run_replicas, state["positions"], job.types, job.box,
                                         spec.temperature, sample_t, seeds, spec.dt, spec.q, engine,
                                         pure=False)))
        return out

    with dask_client(scheduler, workers) as client, tqdm(
            total=1 + spec.n_configs + n_rep_tasks, disable=not progress, desc="simulate", unit="task") as bar:
        claim_parts(parts, spec)
        run_chain(spec, parts, spec.n_configs, client, bar, submit_replicas, engine)
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
        state = np.load(state_file(parts, k + 1))
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
        "spec": spec.record(), "glassnet_version": __version__, f"{eng.name}_version": eng.version(),
        "q": spec.q, "fs_times": sample_t.tolist(), "fs_mean": fs_mean.tolist(),
        "is_values": IS_VALUES.tolist(), "is_times": is_times.tolist(),
        "tau_alpha": float(is_times[-1]), "tau_alpha_pilot": float(pilot["tau_alpha_pilot"]),
        "propensity_definition": "mean over replicas of |r_i(t) - r_i(0)| (unwrapped), sigma",
    }
    return Dataset(configs, sample_t[prop_idx], meta)
