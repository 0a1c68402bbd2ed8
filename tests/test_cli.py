"""The command line: each subcommand end to end on small real inputs."""
import csv
import subprocess
import sys

import h5py
import numpy as np
import pytest

from glassnet.cli import main
from glassnet.io import Configuration, write_dataset

from conftest import reference_file


def test_version_and_help():
    out = subprocess.run([sys.executable, "-m", "glassnet.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("glassnet ")
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0


def test_md_prints_thermodynamics(capsys):
    assert main(["md", "--n", "300", "--time", "2", "--temperature", "1.0"]) == 0
    out = capsys.readouterr().out
    assert "NVE energy drift" in out and "U/N" in out


def test_import_evaluate_predict(tmp_path, capsys):
    ckpt = tmp_path / "bapst.pt"
    assert main(["import-bapst-checkpoint", str(reference_file("checkpoint_t044_s09")), str(ckpt)]) == 0
    data = str(reference_file("test_large.pickle"))
    assert main(["evaluate", str(ckpt), data, "--out", str(tmp_path / "r.csv")]) == 0
    row = next(csv.DictReader(open(tmp_path / "r.csv")))
    assert float(row["r_mean"]) == pytest.approx(0.935, abs=0.002) and float(row["time"]) == 0.132
    assert main(["predict", str(ckpt), data, "--out", str(tmp_path / "p.h5")]) == 0
    with h5py.File(tmp_path / "p.h5") as f:
        pred = f["00000/prediction"][()]
    assert pred.shape == (4096, 1) and 0.05 < pred.mean() < 0.2


def test_train_on_h5_splits_then_evaluate(tmp_path, capsys):
    rng = np.random.default_rng(0)
    configs = []
    for i, split in enumerate(["train", "train", "valid", "test"]):
        pos = rng.uniform(0, 5, (120, 3))
        configs.append(Configuration(pos, rng.integers(0, 2, 120), np.full(3, 5.0),
                                     np.stack([pos[:, 0], pos[:, 1]]), metadata={"split": split}))
    write_dataset(tmp_path / "toy.h5", configs, [1.0, 2.0], {"temperature": 1.0})
    out = tmp_path / "run"
    args = ["train", str(tmp_path / "toy.h5"), "--out", str(out), "--steps", "6", "--eval-every", "3",
            "--hidden", "8", "--mp-steps", "1", "--quiet"]
    assert main(args) == 0
    assert (out / "best.pt").exists() and (out / "last.pt").exists()
    assert main(["evaluate", str(out / "best.pt"), str(tmp_path / "toy.h5"), "--out",
                 str(tmp_path / "r.json")]) == 0
    assert "t (tau)" in capsys.readouterr().out


def test_errors_are_messages_not_tracebacks(tmp_path, capsys):
    (tmp_path / "bad.pt").write_bytes(b"junk")
    code = main(["predict", str(tmp_path / "bad.pt"), str(reference_file("test_small.pickle")),
                 "--out", str(tmp_path / "p.csv")])
    assert code == 2
    assert "truncated or corrupt" in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists()


def test_train_never_sees_the_test_split(tmp_path, capsys):
    rng = np.random.default_rng(1)
    configs = [Configuration(rng.uniform(0, 5, (100, 3)), rng.integers(0, 2, 100), np.full(3, 5.0),
                             rng.uniform(size=(1, 100)), metadata={"split": s})
               for s in ["train", "valid", "test", "test"]]
    write_dataset(tmp_path / "d.h5", configs, [1.0])
    out = tmp_path / "run"
    assert main(["train", str(tmp_path / "d.h5"), "--valid", str(tmp_path / "d.h5"), "--out", str(out),
                 "--steps", "2", "--eval-every", "2", "--hidden", "8", "--mp-steps", "1", "--quiet"]) == 0
    from glassnet.train import load_checkpoint
    assert load_checkpoint(out / "best.pt")[1]["training_data"]["n_configurations"] == 1
    code = main(["train", str(reference_file("test_small.pickle")), "--out", str(tmp_path / "x"), "--quiet"])
    assert code == 2 and "--valid" in capsys.readouterr().err
