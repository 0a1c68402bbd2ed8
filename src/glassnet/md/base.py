"""The MD engine seam: what glassnet asks of a molecular-dynamics engine, written once.

An engine holds one Kob-Andersen system (the force field of :mod:`glassnet.forcefield`) in an orthorhombic
periodic box and is reused for many short runs. A new engine subclasses :class:`Engine`, implements the
abstract members below, and adds one line to :data:`glassnet.md.ENGINES`; everything built on MD
(propensity protocols, inherent states, the physics baselines, prediction) then works with it, and
``tests/test_md.py`` runs the same protocol checks against it.

What an engine implements (LJ units throughout):

- ``__init__(positions, types, box, dt=0.005, threads=1)``: validate with
  :func:`~glassnet.forcefield.check_configuration`, set up the KA system, zero velocities;
- ``positions`` (get/set, unwrapped, sigma), ``velocities`` (get/set, sigma/tau);
- ``run(steps, temperature=None, tdamp=0.5, report_every=None, chunk=1000)``: NVE (velocity Verlet) when
  ``temperature`` is None, else NVT with a Nose-Hoover chain; advances ``step``; raises
  :class:`~glassnet.core.SimulationError` naming the step when the energy stops being finite;
- ``minimize(etol, ftol, max_iter, style)``: local energy minimisation, returns max |F_i| after it;
- ``forces`` (N, 3), ``per_particle_energy`` (N,), ``potential_energy``, ``kinetic_energy``,
  ``temperature``, ``pressure`` of the current state;
- ``close()``, and the class methods ``available()`` and ``version()``;
- optionally ``voronoi_volumes`` (N,) sigma^3.

What comes for free from this class: :meth:`thermalize`, :meth:`trajectory`, :meth:`inherent_state`,
:meth:`from_scratch`, ``with`` blocks and ``time``.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np

from ..core import InherentState, SimulationError
from ..forcefield import lattice_configuration, maxwell_boltzmann

__all__ = ["Engine", "Thermo"]


@dataclass(frozen=True)
class Thermo:
    """Thermodynamics sampled during a run; every array has one entry per sample.

    Attributes:
        time: (S,) tau since the simulation was created.
        potential_energy, kinetic_energy, total_energy: (S,) per particle, epsilon.
        temperature: (S,) epsilon/k_B.
        pressure: (S,) epsilon/sigma^3.
    """

    time: np.ndarray
    potential_energy: np.ndarray
    kinetic_energy: np.ndarray
    total_energy: np.ndarray
    temperature: np.ndarray
    pressure: np.ndarray

    def drift(self) -> float:
        """Total-energy drift per particle over the run: least-squares slope times duration (epsilon)."""
        if len(self.time) < 2:
            return 0.0
        slope = np.polyfit(self.time, self.total_energy, 1)[0]
        return float(slope * (self.time[-1] - self.time[0]))


class Engine(abc.ABC):
    """One KA system in an MD engine (see the module docstring for the contract).

    Attributes every engine sets: ``n`` (particles), ``types`` (N,) int64, ``box`` (3,) sigma,
    ``dt`` (tau), ``threads``, ``step`` (time steps run since construction).
    """

    #: the registry name of the engine (``glassnet.md.ENGINES``)
    name: str = ""
    n: int
    types: np.ndarray
    box: np.ndarray
    dt: float
    threads: int
    step: int

    # ---- what an engine implements -----------------------------------------------------------
    @classmethod
    @abc.abstractmethod
    def available(cls) -> bool:
        """Whether the engine can run in this environment (its library is installed)."""

    @classmethod
    @abc.abstractmethod
    def version(cls) -> str:
        """The version of the engine's library (recorded in every dataset it makes)."""

    @property
    @abc.abstractmethod
    def positions(self) -> np.ndarray:
        """(N, 3) float64 unwrapped positions (sigma), in the order given at construction."""

    @positions.setter
    @abc.abstractmethod
    def positions(self, positions) -> None: ...

    @property
    @abc.abstractmethod
    def velocities(self) -> np.ndarray:
        """(N, 3) float64 velocities (sigma/tau)."""

    @velocities.setter
    @abc.abstractmethod
    def velocities(self, velocities) -> None: ...

    @abc.abstractmethod
    def run(self, steps: int, temperature: float | None = None, tdamp: float = 0.5,
            report_every: int | None = None, chunk: int = 1000) -> Thermo | None:
        """Advance by ``steps`` time steps: NVE if ``temperature`` is None, else Nose-Hoover NVT at T
        (epsilon/k_B) with damping time ``tdamp`` (tau). Returns :class:`Thermo` sampled every
        ``report_every`` steps (first sample now) when given, else None."""

    @abc.abstractmethod
    def minimize(self, etol: float = 0.0, ftol: float = 1e-8, max_iter: int = 10_000,
                 style: str = "fire") -> float:
        """Minimise the potential energy; return max_i |F_i| afterwards (epsilon/sigma). ``ftol`` bounds
        the 2-norm of the global 3N force vector (epsilon/sigma)."""

    @property
    @abc.abstractmethod
    def forces(self) -> np.ndarray:
        """(N, 3) float64 force on each particle (epsilon/sigma)."""

    @property
    @abc.abstractmethod
    def per_particle_energy(self) -> np.ndarray:
        """(N,) float64 potential energy of each particle (epsilon); pair energies split half-half."""

    @property
    @abc.abstractmethod
    def potential_energy(self) -> float:
        """Total potential energy (epsilon)."""

    @property
    @abc.abstractmethod
    def kinetic_energy(self) -> float:
        """Total kinetic energy (epsilon)."""

    @property
    @abc.abstractmethod
    def temperature(self) -> float:
        """Instantaneous kinetic temperature (epsilon/k_B), 3N-3 degrees of freedom."""

    @property
    @abc.abstractmethod
    def pressure(self) -> float:
        """Instantaneous pressure, virial plus kinetic (epsilon/sigma^3)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Free the engine's resources (idempotent)."""

    @property
    def voronoi_volumes(self) -> np.ndarray:
        """(N,) float64 Voronoi cell volume of each particle (sigma^3), periodic; optional."""
        raise SimulationError(f"the {self.name or type(self).__name__} engine has no Voronoi volumes")

    # ---- what every engine gets --------------------------------------------------------------
    @property
    def time(self) -> float:
        """Elapsed simulated time (tau) since this instance was created."""
        return self.step * self.dt

    def thermalize(self, temperature: float, seed: int) -> None:
        """Draw fresh Maxwell-Boltzmann velocities at T (epsilon/k_B), zero total momentum."""
        self.velocities = maxwell_boltzmann(self.n, temperature, seed)

    def trajectory(self, times) -> np.ndarray:
        """Run NVE and record unwrapped positions at the given times after now.

        Args:
            times: increasing (T,) times (tau) relative to the current time; each is rounded to the
                nearest multiple of dt (the times actually sampled are round(t / dt) * dt).

        Returns:
            (T, N, 3) float64 unwrapped positions (sigma).
        """
        t = np.asarray(times, dtype=np.float64).ravel()
        steps = np.round(t / self.dt).astype(np.int64)
        if np.any(steps < 0) or np.any(np.diff(steps) < 0):
            raise SimulationError(f"times must be non-negative and increasing, got {t.tolist()}")
        out = np.empty((len(t), self.n, 3))
        current = 0
        for k, s in enumerate(steps):
            if s > current:
                self.run(int(s - current), chunk=int(s - current))
                current = s
            out[k] = self.positions
        return out

    def inherent_state(self, ftol: float = 1e-6, max_iter: int = 100_000, style: str = "fire",
                       pre_ftol: float | None = None) -> InherentState:
        """Quench the current configuration to its inherent state (local potential-energy minimum).

        Minimisation (``style``: 'fire' by default, or 'cg') stopped when the 2-norm of the global 3N force
        vector falls below ``ftol`` (epsilon/sigma); with ``pre_ftol`` a FIRE quench to that looser
        tolerance comes first (FIRE's damped dynamics choose the basin, the second stage converges in
        it). The engine keeps the inherent state afterwards.

        Returns:
            :class:`~glassnet.core.InherentState`: positions unwrapped so that ``positions - start`` is
            each particle's displacement (sigma), per-particle energies there (epsilon), the forces of
            the configuration before the quench and the largest remaining force (epsilon/sigma).
        """
        forces = self.forces
        if pre_ftol is not None:
            self.minimize(etol=0.0, ftol=pre_ftol, max_iter=max_iter)
        max_force = self.minimize(etol=0.0, ftol=ftol, max_iter=max_iter, style=style)
        return InherentState(self.positions, self.per_particle_energy, forces, max_force, ftol)

    @classmethod
    def from_scratch(cls, n: int, density: float = 1.2, temperature: float = 0.8, seed: int = 0,
                     melt_temperature: float = 2.0, melt_time: float = 50.0, settle_time: float = 50.0,
                     **kwargs) -> "Engine":
        """Build an N-particle KA liquid: lattice start, minimise, melt at T_melt, settle at T.

        Times are in tau. The result is a liquid at T, not an equilibrated supercooled state: below
        T~0.6 equilibrate further for several tau_alpha with :meth:`run`.
        """
        sim = cls(*lattice_configuration(n, density, seed=seed), **kwargs)
        sim.minimize()
        sim.thermalize(melt_temperature, seed=seed)
        sim.run(int(round(melt_time / sim.dt)), temperature=melt_temperature)
        sim.run(int(round(settle_time / sim.dt)), temperature=temperature)
        return sim

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        return (f"{type(self).__name__}(n={self.n}, box={self.box.tolist()}, dt={self.dt}, "
                f"threads={self.threads}, step={self.step})")
