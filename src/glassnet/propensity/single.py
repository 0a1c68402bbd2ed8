"""The single-run protocol: labels from long NVE trajectories with many time origins (issue 16).

From each equilibrated state of the chain (:mod:`~glassnet.propensity.chain`) one NVE run starts with fresh
Maxwell-Boltzmann velocities. The configuration at each time origin s_j is labelled with its own
displacements d_i(t) = |r_i(s_j + t) - r_i(s_j)| at the label times: one trajectory per configuration
(R = 1), so a label is a noisy but unbiased estimate of the propensity, at a small fraction of the MD of
30 replicas. The displacement vectors are kept too (relative-motion targets need them). Units: LJ
(sigma, tau, epsilon/k_B).
"""
from __future__ import annotations


import numpy as np

from .. import __version__
from ..core import Configuration, Dataset
from ..md import create_engine, engine_class
from ..observables import Q_PEAK, fs_isotropic
from .chain import run_chain, types_and_box
from .jobs import check_parts, claim_parts, dask_client
from .spec import SingleRunSpec

__all__ = ["run_origins", "simulate_single"]


def _run_seed(seed: int, run: int) -> int:
    return int(np.random.SeedSequence([seed, 2, run]).generate_state(1)[0])


def run_origins(positions, types, box, temperature: float, origins, times, seed: int, dt: float = 0.005,
                q: float = Q_PEAK, engine: str | None = None) -> dict:
    """One NVE run from a configuration, labelled at every time origin.

    Args:
        positions: (N, 3) start positions (sigma); types (N,); box (3,) (sigma).
        temperature: T of the Maxwell-Boltzmann velocities (epsilon/k_B).
        origins: (O,) increasing time origins (tau) after the start; times: (T,) label times (tau).
        seed: velocity seed.
        dt: time step (tau); q: wave number of F_s (sigma^-1).
        engine: MD engine name.

    Returns:
        dict with ``positions`` (O, N, 3) float64 unwrapped positions at the origins (sigma),
        ``propensity`` (O, T, N) float64 single-run displacements |r(s + t) - r(s)| (sigma),
        ``vectors`` (O, T, N, 3) float32 displacement vectors (sigma), ``fs`` (O, T) F_s of the A particles.
    """
    types = np.asarray(types)
    s_steps = np.round(np.asarray(origins, float) / dt).astype(np.int64)
    t_steps = np.round(np.asarray(times, float) / dt).astype(np.int64)
    grid = np.unique(np.concatenate([s_steps, (s_steps[:, None] + t_steps[None, :]).ravel()]))
    with create_engine(positions, types, box, engine, dt=dt) as sim:
        sim.thermalize(temperature, seed=int(seed))
        traj = sim.trajectory(grid * dt)                       # (G, N, 3)
    at = {int(s): k for k, s in enumerate(grid)}
    start = traj[[at[int(s)] for s in s_steps]]                                        # (O, N, 3)
    later = traj[[[at[int(s + t)] for t in t_steps] for s in s_steps]]                # (O, T, N, 3)
    vec = later - start[:, None]
    disp = np.linalg.norm(vec, axis=-1)
    return {"positions": start, "propensity": disp, "vectors": vec.astype(np.float32),
            "fs": fs_isotropic(disp[:, :, types == 0], q)}


def simulate_single(spec: SingleRunSpec, parts, scheduler: str | None = None, workers: int = 2,
                    progress: bool = True, engine: str | None = None) -> Dataset:
    """Run the single-run protocol for ``spec``, resumable through the folder ``parts``.

    One Dask task per run; the chain of starting states overlaps with the runs on the workers. Returns the
    dataset (``n_runs`` x ``n_origins`` configurations in ``spec.split``); the caller writes it.
    """
    from tqdm.auto import tqdm

    parts = check_parts(parts, spec)   # written once the workers answer
    types, box = types_and_box(spec)
    origins, times = spec.origins(), np.asarray(spec.times, float)

    def run_file(k):
        return parts / f"run_{k:05d}.npz"


    def submit_run(k, state):
        if run_file(k).exists():
            bar.update(1)
            return []
        return [(run_file(k), client.submit(run_origins, state["positions"], types, box, spec.temperature,
                                            origins, times, _run_seed(spec.seed, k), spec.dt, spec.q,
                                            engine, pure=False))]

    with dask_client(scheduler, workers) as client, tqdm(
            total=1 + 2 * spec.n_runs, disable=not progress, desc="simulate", unit="task") as bar:
        claim_parts(parts, spec)
        run_chain(spec, parts, spec.n_runs, client, bar, submit_run, engine)
    pilot = np.load(parts / "pilot.npz")
    configs = []
    for k in range(spec.n_runs):
        run = np.load(run_file(k))
        for j, s in enumerate(origins):
            configs.append(Configuration(
                np.mod(run["positions"][j], box), types, box, run["propensity"][j], times,
                {"split": spec.split, "index": len(configs), "run": k, "origin": j, "origin_time": float(s),
                 "velocity_seed": _run_seed(spec.seed, k),
                 "displacements": run["propensity"][j][None].astype(np.float32),
                 "displacement_vectors": run["vectors"][j], "fs": run["fs"][j]}))
    eng = engine_class(engine)
    meta = {
        "temperature": spec.temperature, "density": spec.density, "n_particles": spec.n,
        "dt": spec.dt, "n_replicas": 1, "seed": spec.seed, "protocol": spec.protocol,
        "n_runs": spec.n_runs, "n_origins": spec.n_origins, "origin_spacing": spec.origin_spacing,
        "thermostat": "Nose-Hoover chain (LAMMPS fix nvt), Tdamp 0.5 tau, for the starting states; NVE runs",
        "spec": spec.record(), "glassnet_version": __version__, f"{eng.name}_version": eng.version(),
        "q": spec.q, "tau_alpha": float(pilot["tau_alpha_pilot"]),
        "tau_alpha_pilot": float(pilot["tau_alpha_pilot"]),
        "md_time_per_run": spec.md_time(),
        "propensity_definition": "single-run label |r_i(s + t) - r_i(s)| (unwrapped) along one NVE run from "
                                 "the time origin s, sigma; its mean over velocities is the propensity",
    }
    return Dataset(configs, times, meta)
