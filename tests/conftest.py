"""Shared fixtures: the published reference data in ../shared (skipped with a message when absent), the
committed reference dataset, a small two-step network."""
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference_data" / "bapst2020"
#: glassnet's own committed reference data (data/reference)
DATA = Path(__file__).resolve().parents[1] / "data" / "reference"


def random_system(n: int = 400, seed: int = 0, density: float = 1.2):
    """(positions (N, 3), types (N,), box (3,)): a disordered toy configuration, N particles on random sites
    of a simple cubic lattice, each moved by up to 0.2 sigma, types 80:20 at random (no two particles
    closer than ~0.5 sigma, so predictors accept it)."""
    import numpy as np

    from glassnet.forcefield import lattice_configuration

    pos, typ, box = lattice_configuration(n, density, seed=seed)
    return pos + np.random.default_rng(seed).uniform(-0.2, 0.2, pos.shape), typ, box


def bapst_configuration(d):
    """A labelled Configuration from a Bapst et al. pickle dict."""
    from glassnet.core import Configuration
    from glassnet.formats.bapst import bapst_propensities

    times, prop = bapst_propensities(d)
    return Configuration(d["positions"], d["types"], d["box"], prop, times)


def reference_file(name: str) -> Path:
    path = REFERENCE / name
    if not path.exists():
        pytest.skip(f"reference data {path} not found: put the shared/ folder beside the checkout")
    return path


@pytest.fixture(scope="session")
def test_large():
    from glassnet.formats.bapst import load_bapst_pickle
    return load_bapst_pickle(reference_file("test_large.pickle"))


@pytest.fixture(scope="session")
def test_small():
    from glassnet.formats.bapst import load_bapst_pickle
    return load_bapst_pickle(reference_file("test_small.pickle"))


@pytest.fixture(scope="session")
def reference_configs():
    """The configurations (with inherent states) of data/reference/ka-T0.64.h5."""
    from glassnet.formats.hdf5 import read_dataset
    return read_dataset(DATA / "ka-T0.64.h5").configurations


@pytest.fixture(scope="session")
def bapst_checkpoint(tmp_path_factory):
    """The released T=0.44 network, converted to a glassnet checkpoint."""
    from glassnet.training import import_bapst_checkpoint
    out = tmp_path_factory.mktemp("ckpt") / "bapst_t044_s09.pt"
    return import_bapst_checkpoint(reference_file("checkpoint_t044_s09"), out)


@pytest.fixture(scope="session")
def two_step_predictor(tmp_path_factory):
    """An untrained two-step Bapst network with a recorded normalisation (outputs at t = 1 and 10 tau)."""
    import torch

    from glassnet.models import BapstGN, ModelConfig
    from glassnet.training import Predictor, save_checkpoint

    torch.manual_seed(0)
    model = BapstGN(ModelConfig(hidden=16, steps=2, n_outputs=2))
    path = tmp_path_factory.mktemp("probe") / "k2.pt"
    save_checkpoint(path, model, {"target_mean": [0.3, 0.5], "target_std": [0.1, 0.2],
                                  "times": [1.0, 10.0], "output_index": [0, 1]})
    return Predictor(path)
