"""glassnet: predict the long-time dynamics of glasses from their static structure with graph networks.

Units: LJ reduced units of the Kob-Andersen A particles throughout (sigma, epsilon, m, tau).
The public API is re-exported here; submodules load on first use (so the command line starts fast).
"""
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("glassnet")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

_EXPORTS = {
    "simulation": ["Simulation", "SimulationError", "Thermo", "check_configuration",
                   "lattice_configuration", "maxwell_boltzmann", "reference_energy_forces"],
    "propensity": ["DatasetSpec", "PRESETS", "generate_dataset", "run_replicas", "noise_ceiling",
                   "fs_isotropic", "crossing_times", "inherent_state", "add_inherent_states"],
    "io": ["Configuration", "InherentState", "Dataset", "FormatError", "read_configurations", "read_dataset",
           "read_labelled", "write_dataset", "load_bapst_pickle", "load_glassbench_npz"],
    "graph": ["Graph", "GraphError", "build_graph"],
    "model": ["BapstGN", "ModelConfig", "EquivariantGN", "EquivariantConfig", "ModelError"],
    "train": ["TrainConfig", "Trainer", "train", "Predictor", "evaluate", "load_checkpoint",
              "import_bapst_checkpoint", "pearson_r"],
    "baselines": ["physics_baseline_table", "descriptor_baseline_table", "structural_descriptors"],
    "analysis": ["ShellProbe", "shell_index", "learned_length"],
    "report": ["make_report", "run_demo"],
    "ablation": ["run_ablation"],
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = ["__version__", *_WHERE]


def __getattr__(name):
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
