"""glassnet: predict the long-time dynamics of glasses from their static structure with graph networks.

Units: LJ reduced units of the Kob-Andersen A particles throughout (sigma, epsilon, m, tau).
"""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("glassnet")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

from .simulation import (
    Simulation, SimulationError, Thermo, check_configuration, lattice_configuration,
    maxwell_boltzmann, reference_energy_forces,
)

__all__ = [
    "__version__",
    "Simulation", "SimulationError", "Thermo", "check_configuration", "lattice_configuration",
    "maxwell_boltzmann", "reference_energy_forces",
]
