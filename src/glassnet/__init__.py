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
    "core": ["Configuration", "InherentState", "Dataset", "GlassnetError", "ParameterError",
             "SimulationError", "FormatError", "GraphError", "ModelError"],
    "observables": ["fs_isotropic", "crossing_times", "noise_ceiling", "pearson_r"],
    "forcefield": ["KA_PAIRS", "check_configuration", "lattice_configuration", "maxwell_boltzmann",
                   "reference_energy_forces"],
    "md": ["Engine", "Thermo", "create_engine", "engine_class", "available_engines", "inherent_state"],
    "md.lammps": ["LammpsEngine"],
    "propensity": ["DatasetSpec", "PRESETS", "run_replicas"],
    "formats": ["Splits", "read_configurations", "read_labelled", "write_predictions"],
    "formats.hdf5": ["read_dataset", "write_dataset"],
    "formats.bapst": ["load_bapst_pickle"],
    "formats.glassbench": ["load_glassbench_npz"],
    "datasets": ["generate_dataset", "add_inherent_states"],
    "graph": ["Graph", "build_graph"],
    "models": ["BapstGN", "ModelConfig", "EquivariantGN", "EquivariantConfig", "ARCHITECTURES"],
    "training": ["TrainConfig", "Trainer", "fit", "Predictor", "load_checkpoint", "import_bapst_checkpoint"],
    "evaluation": ["evaluate"],
    "baselines": ["physics_baseline_table", "descriptor_baseline_table", "structural_descriptors"],
    "analysis": ["ShellProbe", "shell_index", "learned_length"],
    "report": ["make_report"],
    "demo": ["run_demo"],
    "ablation": ["run_ablation"],
    "runtime": ["tune_allocator"],
}
#: ``glassnet.Simulation`` is the default MD engine (LAMMPS), kept under its 0.1 name
_ALIASES = {"Simulation": ("md.lammps", "LammpsEngine")}
_WHERE = {name: (module, name) for module, names in _EXPORTS.items() for name in names} | _ALIASES

__all__ = ["__version__", *_WHERE]


def __getattr__(name):
    if name in _WHERE:
        module, attr = _WHERE[name]
        value = getattr(import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
