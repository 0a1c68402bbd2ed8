"""The chain of equilibrated states every protocol starts from, and the job loop that runs it.

A pilot melts a KA system, quenches it to T and measures tau_alpha from F_s(q, t) of the A particles;
then NVT (Nose-Hoover) segments of ``equilibration_taus`` x tau_alpha (the first, at least
``min_equilibration`` tau) and ``spacing_taus`` x tau_alpha (the others; or ``spacing`` tau) give C states, each a pure
function of the seed and the saved double-precision state before it. A protocol turns each state into
labels with its own work units; :func:`run_chain` submits whatever is missing, overlapping the chain
with the protocol's work on the workers, and saves every finished piece atomically so a killed job
resumes. Units: LJ (sigma, tau, epsilon/k_B).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from ..core import SimulationError
from ..forcefield import lattice_configuration
from ..md import create_engine
from ..observables import crossing_times, fs_isotropic
from .jobs import save_npz

__all__ = ["types_and_box", "state_file", "run_chain"]


def _measure_tau_alpha(sim, spec):
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


def _pilot_task(spec, engine: str | None = None, max_rounds: int = 5) -> dict:
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


def types_and_box(spec):
    """The particle types (fixed by the seed) and box lengths (sigma) of a dataset's system."""
    _, types, box = lattice_configuration(spec.n, spec.density, seed=spec.seed)
    return types, box


def _segment_task(spec, positions, velocities, duration: float,
                  engine: str | None = None) -> dict:
    """NVT at T for `duration` tau from a saved state; returns the new state (fresh engine instance)."""
    types, box = types_and_box(spec)
    with create_engine(positions, types, box, engine, dt=spec.dt) as sim:
        sim.velocities = velocities
        sim.run(int(round(duration / spec.dt)), temperature=spec.temperature)
        return {"positions": sim.positions, "velocities": sim.velocities}


def state_file(parts: Path, k: int) -> Path:
    """Where the k-th state of the chain is saved (k = 1 ... C; the pilot is ``pilot.npz``)."""
    return Path(parts) / f"state_{k:05d}.npz"


def run_chain(spec, parts: Path, n_states: int, client, bar, submit_work: Callable, engine=None) -> None:
    """Run the chain of ``n_states`` equilibrated states and the protocol's work on them.

    Args:
        spec: a protocol spec (temperature, n, density, dt, seed, q, equilibration_taus, spacing_taus,
            min_equilibration, tau_alpha).
        parts: the job's folder of finished pieces.
        client: a Dask client; bar: a progress bar (one tick per pilot, state and work piece).
        submit_work: ``submit_work(k, state) -> [(path, future), ...]``: the protocol's work units on the
            k-th state (0-based; ``state`` has ``positions`` and ``velocities``), already submitted to
            ``client``, each to be saved at its path; it skips (and ticks ``bar`` for) pieces already saved.
        engine: MD engine name.
    """
    from dask.distributed import as_completed

    pending = as_completed([])
    futures = {}

    def submit(k, state):
        for path, fut in submit_work(k, state):
            futures[fut] = ("work", path)
            pending.add(fut)

    def submit_segment(k, state, tau):
        duration = max(spec.equilibration_taus * tau, spec.min_equilibration) if k == 0 \
            else spec.state_spacing(tau)
        fut = client.submit(_segment_task, spec, state["positions"], state["velocities"], duration,
                            engine, pure=False)
        futures[fut] = ("segment", k + 1)
        pending.add(fut)

    pilot_file = Path(parts) / "pilot.npz"
    if not pilot_file.exists():
        res = client.submit(_pilot_task, spec, engine, pure=False).result()
        save_npz(pilot_file, **{k: (np.nan if v is None else v) for k, v in res.items()})
    pilot = dict(np.load(pilot_file))
    tau = float(pilot["tau_alpha_pilot"])
    bar.update(1)
    # walk the chain as far as it is saved
    state, k = pilot, 0
    while k < n_states and state_file(parts, k + 1).exists():
        state = dict(np.load(state_file(parts, k + 1)))
        bar.update(1)
        submit(k, state)
        k += 1
    if k < n_states:
        submit_segment(k, state, tau)
    for fut in pending:
        what = futures.pop(fut)
        res = fut.result()
        if what[0] == "segment":
            kk = what[1]
            save_npz(state_file(parts, kk), positions=res["positions"], velocities=res["velocities"])
            bar.update(1)
            submit(kk - 1, res)
            if kk < n_states:
                submit_segment(kk, res, tau)
        else:
            save_npz(what[1], **res)
            bar.update(1)
