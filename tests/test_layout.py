"""The package layout: every import of glassnet by glassnet (top-level or inside a function) goes from a
module to one in a lower layer, so no module imports one that imports it back, directly or lazily."""
import ast
from pathlib import Path

import pytest

import glassnet

SRC = Path(glassnet.__file__).parent

#: layers, lowest first (the README's module section and STYLE.md's order); a module may import only from
#: its own or a lower layer, and within a layer only in the listed order
LAYERS = [
    ["glassnet", "glassnet.core", "glassnet.runtime"],
    ["glassnet.observables", "glassnet.forcefield", "glassnet.hessian"],
    ["glassnet.md.base", "glassnet.md", "glassnet.md.lammps"],
    ["glassnet.propensity.jobs", "glassnet.propensity.spec", "glassnet.propensity.chain", "glassnet.propensity.iso",
     "glassnet.propensity.single", "glassnet.propensity"],
    ["glassnet.formats.base", "glassnet.formats.tfbundle", "glassnet.formats.hdf5", "glassnet.formats.bapst",
     "glassnet.formats.glassbench", "glassnet.formats.gsd", "glassnet.formats.xyz", "glassnet.formats.lammps_dump",
     "glassnet.formats.csvfile", "glassnet.formats"],
    ["glassnet.datasets", "glassnet.datastore"],
    ["glassnet.graph", "glassnet.descriptors"],
    ["glassnet.models.base", "glassnet.models.inputs", "glassnet.models.bapst", "glassnet.models.equivariant",
     "glassnet.models"],
    ["glassnet.training.checkpoint", "glassnet.pretrained", "glassnet.training.predictor",
     "glassnet.training.trainer", "glassnet.training"],
    ["glassnet.evaluation"],
    ["glassnet.baselines"],
    ["glassnet.analysis"],
    ["glassnet.plots"],
    ["glassnet.report"],
    ["glassnet.ablation", "glassnet.demo"],
    ["glassnet.cli.common", "glassnet.cli.simulate", "glassnet.cli.train", "glassnet.cli.evaluate",
     "glassnet.cli.analysis", "glassnet.cli", "glassnet.cli.__main__"],
]
RANK = {m: i for i, layer in enumerate(LAYERS) for m in layer}
ORDER = {m: (i, j) for i, layer in enumerate(LAYERS) for j, m in enumerate(layer)}


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every glassnet module a file imports, at the top or inside functions."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("glassnet"):
                continue
            for alias in node.names:       # `from . import x` may name a submodule
                sub = f"{mod}.{alias.name}"
                out.add(sub if sub in RANK else mod)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("glassnet")}
    out.discard(name)
    return out


MODULES = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def test_every_module_has_a_layer():
    assert sorted(set(MODULES) - set(RANK)) == []
    assert sorted(set(RANK) - set(MODULES)) == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_go_down(name):
    up = [m for m in _imports(MODULES[name]) if ORDER[m] >= ORDER[name]]
    assert up == [], f"{name} imports {up}, which are not below it"


def test_core_imports_nothing_of_glassnet():
    assert _imports(MODULES["glassnet.core"]) == set()
