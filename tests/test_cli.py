"""The command line: each subcommand end to end on small real inputs."""
import argparse
import csv
import inspect
from dataclasses import replace
import subprocess
import sys

import h5py
import numpy as np
import pytest

from glassnet.cli import main
from glassnet.core import Configuration
from glassnet.formats.hdf5 import write_dataset
from glassnet.training import load_checkpoint

from conftest import random_system, reference_file


def test_version_and_help():
    out = subprocess.run([sys.executable, "-m", "glassnet.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("glassnet ")
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0


def test_help_shows_defaults_and_every_option_has_help():
    """Issue 18: --help shows defaults, and no option lacks help text; one --marked default everywhere."""
    from glassnet.analysis import ShellProbe
    from glassnet.cli import N_MARKED, build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = [f"{name} {opt.option_strings or opt.dest}" for name, p in sub.choices.items() for opt in p._actions
               if not opt.help and not isinstance(opt, argparse._HelpAction)]
    assert not missing
    assert "(default: 1000)" in sub.choices["train"].format_help()
    marked = {name: next(a.default for a in p._actions if a.dest == "marked")
              for name, p in sub.choices.items() if any(a.dest == "marked" for a in p._actions)}
    assert set(marked) == {"demo", "probe", "report"} and set(marked.values()) == {N_MARKED}
    assert inspect.signature(ShellProbe).parameters["n_marked"].default == N_MARKED


def test_quiet_and_log_file(tmp_path, capsys):
    data = _toy_h5(tmp_path / "d.h5")
    assert main(["train", "--model", "bapst", str(data), "--out", str(tmp_path / "run"), "--steps", "2", "--eval-every", "1",
                 "--hidden", "8", "--mp-steps", "1", "-q"]) == 0
    assert capsys.readouterr().out == ""
    log = (tmp_path / "run" / "train.log").read_text()
    assert "command: glassnet" in log and "trained 2 steps" in log


def test_md_prints_thermodynamics(capsys):
    assert main(["md", "--n", "300", "--time", "2", "--temperature", "1.0"]) == 0
    out = capsys.readouterr().out
    assert "NVE energy drift" in out and "U/N" in out


def test_import_evaluate_predict(tmp_path, capsys):
    ckpt = tmp_path / "bapst.pt"
    assert main(["import-bapst-checkpoint", str(reference_file("checkpoint_t044_s09")), str(ckpt)]) == 0
    data = str(reference_file("test_large.pickle"))
    assert main(["evaluate", str(ckpt), data, "--out", str(tmp_path / "r.csv")]) == 0
    with open(tmp_path / "r.csv", newline="") as f:
        row = next(csv.DictReader(f))
    assert float(row["r_mean"]) == pytest.approx(0.935, abs=0.002) and float(row["time"]) == 0.132
    assert main(["predict", str(ckpt), data, "--out", str(tmp_path / "p.h5")]) == 0
    with h5py.File(tmp_path / "p.h5") as f:
        pred = f["00000/prediction"][()]
    assert pred.shape == (4096, 1) and 0.05 < pred.mean() < 0.2


def test_train_on_h5_splits_then_evaluate(tmp_path, capsys):
    _toy_h5(tmp_path / "toy.h5")
    out = tmp_path / "run"
    args = ["train", "--model", "bapst", str(tmp_path / "toy.h5"), "--out", str(out), "--steps", "6", "--eval-every", "3",
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
    assert main(["train", "--model", "bapst", str(tmp_path / "d.h5"), "--valid", str(tmp_path / "d.h5"), "--out", str(out),
                 "--steps", "2", "--eval-every", "2", "--hidden", "8", "--mp-steps", "1", "--quiet"]) == 0
    assert load_checkpoint(out / "best.pt")[1]["training_data"]["n_configurations"] == 1
    code = main(["train", "--model", "bapst", str(reference_file("test_small.pickle")), "--out", str(tmp_path / "x"), "--quiet"])
    assert code == 2 and "--valid" in capsys.readouterr().err


def test_cli_inherent_states_train_evaluate(reference_configs, tmp_path, capsys):
    data = [replace(c, inherent=None, metadata={"split": s, "noise_ceiling": [0.9] * len(c.times)})
            for c, s in zip(reference_configs[:3], ["train", "valid", "test"])]
    path = tmp_path / "d.h5"
    write_dataset(path, data, reference_configs[0].times, {"temperature": 0.64})
    out = tmp_path / "run"
    train = ["train", str(path), "--model", "equivariant", "--out", str(out), "--steps", "4",
             "--eval-every", "2", "--hidden", "8", "--mp-steps", "1", "--quiet"]
    assert main(train) == 2
    assert "glassnet inherent-states" in capsys.readouterr().err
    # a forces-only model needs no quench: one force call per configuration (issue 29)
    assert main(train[:5] + [str(tmp_path / "forces")] + train[6:] + ["--no-inherent"]) == 0
    forces_only = load_checkpoint(tmp_path / "forces" / "best.pt")[1]
    assert forces_only["model_config"]["inherent"] is False and forces_only["step"] > 0
    assert main(["inherent-states", str(path), "--quiet"]) == 0
    assert main(train) == 0
    meta = load_checkpoint(out / "best.pt")[1]
    assert meta["architecture"] == "equivariant" and meta["train_config"]["normalize"] == "per-config"
    assert meta["train_seconds"] > 0
    assert main(["evaluate", str(out / "best.pt"), str(path)]) == 0
    def network_rows(text):           # the numbers of each network row (names may hold spaces)
        return [line.split(" network ")[1].split() for line in text.splitlines() if " network " in line]

    single = capsys.readouterr().out
    assert "noise ceiling" in single and len(network_rows(single)) == len(reference_configs[0].times)
    # an ensemble of a network with itself is that network; with another seed it differs
    assert main(["evaluate", str(out / "best.pt"), str(path), "--ensemble", str(out / "best.pt")]) == 0
    assert network_rows(capsys.readouterr().out) == network_rows(single)
    assert main(train[:5] + [str(tmp_path / "run1")] + train[6:] + ["--seed", "1"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(out / "best.pt"), str(path), "--ensemble", str(tmp_path / "run1" / "best.pt")]) == 0
    assert network_rows(capsys.readouterr().out) != network_rows(single)
    assert main(["predict", str(path), "--model", str(out / "best.pt"), "--out", str(tmp_path / "p.csv")]) == 0
    assert len((tmp_path / "p.csv").read_text().splitlines()) == 1 + 3 * reference_configs[0].n
    assert main(["predict", str(path), "--out", str(tmp_path / "q.csv")]) == 2


def _toy_h5(path, n=125, splits=("train", "train", "valid", "test"), temperature=1.0):
    configs = []
    for k, split in enumerate(splits):
        pos, typ, box = random_system(n, seed=k, density=n / 125)              # a 5 sigma box
        configs.append(Configuration(pos, typ, box, np.stack([pos[:, 0], pos[:, 1]]), metadata={"split": split}))
    write_dataset(path, configs, [1.0, 2.0], {"temperature": temperature})
    return path


def test_value_errors_are_one_line_messages(tmp_path, capsys):
    """Bug (issue 15): plain ValueErrors escaped cli.main as tracebacks."""
    assert main(["demo", "--preset", "nope", "--out", str(tmp_path / "d")]) == 2
    assert "unknown preset 'nope'" in capsys.readouterr().err
    assert main(["simulate", str(tmp_path / "x.h5"), "--replicas", "1"]) == 2
    assert "n_replicas=1" in capsys.readouterr().err
    assert main(["probe", "ka-T0.64", str(_toy_h5(tmp_path / "t.h5")), "--shells", "1",
                 "--out", str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err
    assert "n_shells=1" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert main(["train", "--model", "bapst", str(tmp_path / "t.h5"), "--out", str(tmp_path / "r"), "--hidden", "0", "--quiet"]) == 2
    assert "invalid model config" in capsys.readouterr().err
    assert main(["train", "--model", "bapst", str(tmp_path / "t.h5"), "--out", str(tmp_path / "r"), "--option", "vectors=false",
                 "--quiet"]) == 2
    assert "has no option 'vectors'" in capsys.readouterr().err


def test_simulate_onto_a_file_made_with_other_parameters(tmp_path, capsys):
    path = _toy_h5(tmp_path / "d.h5")
    assert main(["simulate", str(path), "--n", "300", "--quiet"]) == 2
    assert "made with other parameters" in capsys.readouterr().err


def test_probe_of_a_dataset_names_its_temperature(tmp_path, capsys, two_step_predictor):
    """Bug (issue 15): `glassnet probe` on a .h5 labelled its output "T=None"."""
    import json

    from glassnet.training import save_checkpoint

    ckpt = tmp_path / "k2.pt"
    save_checkpoint(ckpt, two_step_predictor.model, dict(two_step_predictor.meta))
    data = _toy_h5(tmp_path / "d.h5", n=150, temperature=0.64)
    assert main(["probe", str(ckpt), str(data), "--marked", "2", "--shells", "3", "--pushes", "0.1",
                 "--out", str(tmp_path / "p.json")]) == 0
    result = json.loads((tmp_path / "p.json").read_text())
    assert result["label"] == "T=0.64"
    # the physical length beside the learned one: one per data time and one per network output
    assert len(result["field_length_measured"]) == len(result["data_times"])
    assert len(result["field_length_predicted"]) == len(result["times"])
    out = capsys.readouterr().out.splitlines()
    # one table, a row per network output: the three learned shells beside the field lengths
    head = next(i for i, line in enumerate(out) if "xi measured" in line)
    assert out[head].split()[:4] == ["t", "(tau)", "ablation", "perturbation"]
    rows = [line.split()[0] for line in out[head + 1: head + 1 + len(result["times"])]]
    assert [float(t) for t in rows] == result["times"]



def test_predict_refuses_to_overwrite_its_input(tmp_path, capsys):
    """Issue 18: `predict --out` equal to the input replaced the input dataset with the predictions."""
    data = _toy_h5(tmp_path / "d.h5")
    before = data.read_bytes()
    assert main(["predict", "ka-T0.64-bapst", str(data), "--out", str(data)]) == 2
    assert "is an input file" in capsys.readouterr().err and data.read_bytes() == before


def test_evaluate_pools_the_test_splits_of_several_files(tmp_path, capsys, reference_configs):
    files = []
    for name, c in (("a.h5", reference_configs[0]), ("b.h5", reference_configs[1])):
        write_dataset(tmp_path / name, [replace(c, metadata={"split": "test"})], c.times, {"temperature": 0.64})
        files.append(str(tmp_path / name))
    assert main(["evaluate", "ka-T0.64-bapst", *files, "--out", str(tmp_path / "r.csv")]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if " network " in line]
    assert len(rows) == 6 and all(r[-1] == "2" for r in rows)      # one test configuration from each file


def test_train_defaults_to_glassnets_model(tmp_path, capsys):
    """`glassnet train` trains glassnet's model with its recipe: on a file without inherent states it says
    how to add them, in one line."""
    data = _toy_h5(tmp_path / "d.h5")
    assert main(["train", str(data), "--out", str(tmp_path / "run"), "--steps", "1", "-q"]) == 2
    err = capsys.readouterr().err
    assert "glassnet inherent-states" in err and len(err.strip().splitlines()) == 1
    from glassnet.cli import build_parser

    train = build_parser()._subparsers._group_actions[0].choices["train"]
    assert train.parse_args(["d.h5", "--out", "r"]).model == "equivariant"
