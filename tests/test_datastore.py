"""Large datasets by name (issue 30): one folder ($GLASSNET_DATA), made by their recorded commands, and trusted
only with their recorded sha256."""
import pytest

from glassnet import datastore
from glassnet.cli import main
from glassnet.core import FormatError
from glassnet.datastore import DataFile, make, resolve, sha256_of, verify
from glassnet.formats.hdf5 import read_dataset
from glassnet.propensity import PRESETS

#: a dataset small enough to make in a test: N = 300 at T = 1.0, 2 configurations x 2 replicas, one time
TINY = dict(preset="small", seed=5, overrides={"n": 300, "temperature": 1.0, "n_configs": 2, "splits": (1, 1, 0),
                                                "n_replicas": 2, "times": (0.165,), "equilibration_taus": 2})


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path / "store"))
    return tmp_path / "store"


def test_a_known_dataset_is_made_by_its_recipe_and_trusted_only_with_its_sha256(store, monkeypatch):
    wrong = DataFile("tiny", sha256="0" * 64, **TINY)
    monkeypatch.setitem(datastore.KNOWN, "tiny", wrong)
    with pytest.raises(FormatError, match="tiny is not in .*glassnet data make tiny"):
        resolve("tiny")
    with pytest.raises(FormatError, match="not the recorded tiny"):
        make("tiny", progress=False)                 # made, quenched, but not the recorded bytes
    path = store / "tiny.h5"
    ds = read_dataset(path)
    assert len(ds.configurations) == 2 and all(c.inherent is not None for c in ds.configurations)
    assert ds.metadata["temperature"] == 1.0 and ds.metadata["spec"]["seed"] == 5
    digest = sha256_of(path)
    monkeypatch.setitem(datastore.KNOWN, "tiny", DataFile("tiny", sha256=digest, **TINY))
    assert make("tiny", progress=False) == path and sha256_of(path) == digest     # complete: only verified
    assert resolve("tiny") == resolve("tiny.h5") == resolve(str(path)) == path == verify("tiny")
    with open(path, "r+b") as f:                      # one flipped byte near the end
        f.seek(-100, 2)
        byte = f.read(1)
        f.seek(-100, 2)
        f.write(bytes([byte[0] ^ 1]))
    with pytest.raises(FormatError, match="not the recorded tiny"):
        resolve(str(path))


def test_other_paths_pass_through_and_unknown_names_are_named(store, tmp_path):
    mine = tmp_path / "single-T0.64.h5"                # a known name, but not in the store: the user's file
    mine.write_bytes(b"x")
    assert resolve(str(mine)) == mine
    assert resolve("no-such-file.h5").name == "no-such-file.h5"     # the readers say it does not exist
    with pytest.raises(FormatError, match="unknown dataset 'nope'; known: single-T0.64"):
        verify("nope")
    assert datastore.KNOWN["single-T0.80"].commands()[0] == \
        "glassnet simulate single-T0.80.h5 --preset single-T0.80 --seed 2 --origins 13"
    assert all(d.preset in PRESETS and len(d.sha256) == 64 for d in datastore.KNOWN.values())


def test_data_command(store, capsys):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert str(store) in out and "single-T0.56       not made" in out
    assert "glassnet inherent-states single-T0.64.h5 --style cg --pre-ftol 0.1" in out
    assert main(["data", "verify", "single-T0.64"]) == 2
    assert "glassnet data make single-T0.64" in capsys.readouterr().err
    assert main(["data", "make"]) == 2
    assert "needs a dataset name" in capsys.readouterr().err
    # a command that reads data takes the name, and refuses before any work while the file is missing
    assert main(["evaluate", "ka-T0.64", "single-T0.64"]) == 2
    assert "single-T0.64 is not in" in capsys.readouterr().err
