"""Molecular dynamics behind one seam: the :class:`~glassnet.md.base.Engine` contract and a registry.

Everything in glassnet that needs MD (the propensity protocols, inherent states, the physics baselines,
prediction with models that read the inherent state) goes through :func:`create_engine`, never through a
particular engine. A new engine is one file in this package and one line in :data:`ENGINES`.
"""
from __future__ import annotations

from importlib import import_module

import numpy as np

from ..core import InherentState, SimulationError
from .base import Engine, Thermo

__all__ = ["ENGINES", "DEFAULT_ENGINE", "INHERENT_FTOL", "Engine", "Thermo", "engine_class", "unquenched_state",
           "create_engine", "available_engines", "inherent_state", "inherent_states"]

#: engine name -> "module:class" (imported on first use, so an engine's library loads only when needed)
ENGINES = {
    "lammps": "glassnet.md.lammps:LammpsEngine",
}
DEFAULT_ENGINE = "lammps"
#: default quench tolerance: 2-norm of the global 3N force vector (epsilon/sigma)
INHERENT_FTOL = 1e-6


def engine_class(name: str | None = None) -> type[Engine]:
    """The engine class registered under ``name`` (default :data:`DEFAULT_ENGINE`)."""
    name = name or DEFAULT_ENGINE
    if name not in ENGINES:
        raise SimulationError(f"unknown MD engine {name!r}; glassnet knows {sorted(ENGINES)}")
    module, cls = ENGINES[name].split(":")
    return getattr(import_module(module), cls)


def create_engine(positions, types, box, engine: str | None = None, **kwargs) -> Engine:
    """A new engine holding the given KA configuration.

    Args:
        positions: (N, 3) positions (sigma); types: (N,) 0 (A) or 1 (B); box: scalar or (3,) (sigma).
        engine: registry name (default :data:`DEFAULT_ENGINE`).
        kwargs: passed to the engine (``dt`` in tau, ``threads``).
    """
    return engine_class(engine)(positions, types, box, **kwargs)


def available_engines() -> list[str]:
    """Names of the registered engines whose libraries are installed here."""
    out = []
    for name in ENGINES:
        try:
            if engine_class(name).available():
                out.append(name)
        except ImportError:
            continue
    return out


def inherent_state(positions, types, box, ftol: float = INHERENT_FTOL, engine: str | None = None,
                   style: str = "fire", pre_ftol: float | None = None) -> InherentState:
    """Quench one configuration to its inherent state (see :meth:`Engine.inherent_state`).

    Args:
        positions: (N, 3) positions (sigma); types: (N,) 0/1; box: (3,) or scalar (sigma).
        ftol: stopping tolerance on the global force 2-norm (epsilon/sigma).
        engine: registry name of the MD engine (default :data:`DEFAULT_ENGINE`).
        style: minimiser ('fire' or 'cg'); pre_ftol: a FIRE quench to this tolerance first.
    """
    with create_engine(positions, types, box, engine) as sim:
        return sim.inherent_state(ftol=ftol, style=style, pre_ftol=pre_ftol)


def unquenched_state(positions, types, box, engine: str | None = None) -> InherentState:
    """The forces of a configuration without a quench, as an :class:`~glassnet.core.InherentState` whose positions
    and per-particle energies are the configuration's own (``ftol`` inf: not quenched), for models that read only
    the forces (epsilon/sigma)."""
    with create_engine(positions, types, box, engine) as sim:
        forces = np.asarray(sim.forces, np.float64)
        return InherentState(np.asarray(positions, np.float64), sim.per_particle_energy, forces,
                             float(np.linalg.norm(forces, axis=1).max()), float("inf"))


def inherent_states(configurations, ftol: float = INHERENT_FTOL, engine: str | None = None,
                    style: str = "fire", pre_ftol: float | None = None) -> list[dict]:
    """Quench several configurations in one process (a Dask work unit of the parallel quench).

    Args:
        configurations: list of (positions (N, 3), types (N,), box (3,)) tuples (sigma).

    Returns:
        one dict of :class:`~glassnet.core.InherentState` fields per configuration.
    """
    from dataclasses import asdict

    return [asdict(inherent_state(p, t, b, ftol, engine, style, pre_ftol)) for p, t, b in configurations]
