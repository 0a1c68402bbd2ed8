"""Core types and helpers: the particle-array converter, datasets' splits, atomic writes, the errors."""
import numpy as np
import pytest

from glassnet.core import (Configuration, Dataset, FormatError, GlassnetError, GraphError, ModelError,
                           ParameterError, SimulationError, atomic_write, check_particles)


def test_every_error_is_a_glassnet_error():
    for cls in (FormatError, GraphError, ModelError, ParameterError, SimulationError):
        assert issubclass(cls, GlassnetError)
    assert issubclass(FormatError, ValueError) and issubclass(SimulationError, RuntimeError)


def test_check_particles_converts_and_names_problems():
    pos, typ, box = check_particles([[0, 0, 0], [1, 1, 1]], [0.0, 1.0], 3)
    assert pos.dtype == np.float64 and typ.dtype == np.int64 and box.tolist() == [3.0, 3.0, 3.0]
    with pytest.raises(GraphError, match="types must be integers"):
        check_particles(np.zeros((2, 3)), [0.5, 1], 3, GraphError)
    with pytest.raises(ValueError, match="positions is empty"):
        check_particles(np.zeros((0, 3)), [], 3)
    with pytest.raises(ValueError, match="expected positive finite lengths"):
        check_particles(np.zeros((1, 3)), [0], [3, 3, -1])


def test_dataset_split():
    configs = [Configuration(np.zeros((1, 3)), np.zeros(1), np.ones(3), metadata={"split": s})
               for s in ("train", "test", "train")]
    ds = Dataset(configs, np.array([1.0]))
    assert len(ds.split("train")) == 2 and len(ds.split("valid")) == 0
    with pytest.raises(FormatError, match="expected one of"):
        ds.split("validation")


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert path.read_text() == "old" and list(tmp_path.iterdir()) == [path]
    with atomic_write(path) as tmp:
        tmp.write_text("new")
    assert path.read_text() == "new" and list(tmp_path.iterdir()) == [path]


def test_check_neighbours_refuses_isolated_particles():
    from conftest import random_system
    from glassnet.core import check_neighbours, number_density

    pos, typ, box = random_system(400)
    check_neighbours(pos, box, 2.0)                       # density 1.2: ~40 neighbours each
    scale = (1.2 / 0.03) ** (1 / 3)                       # the same in Angstrom-like units
    assert abs(number_density(400, box * scale) - 0.03) < 1e-9
    with pytest.raises(ValueError, match=r"no neighbour within the cutoff 2 sigma at number density 0.03"):
        check_neighbours(pos * scale, box * scale, 2.0)
