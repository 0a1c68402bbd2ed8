"""Shared fixtures: the published reference data in ../shared, skipped with a message when absent."""
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference_data" / "bapst2020"


def reference_file(name: str) -> Path:
    path = REFERENCE / name
    if not path.exists():
        pytest.skip(f"reference data {path} not found: put the shared/ folder beside the checkout")
    return path


@pytest.fixture(scope="session")
def test_large():
    from glassnet.io import load_bapst_pickle
    return load_bapst_pickle(reference_file("test_large.pickle"))


@pytest.fixture(scope="session")
def test_small():
    from glassnet.io import load_bapst_pickle
    return load_bapst_pickle(reference_file("test_small.pickle"))
