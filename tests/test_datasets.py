"""The dataset pipeline: a killed simulation resumes to a byte-identical file; the inherent-state pass is
resumable and atomic."""
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import glassnet.datasets as datasets
from glassnet.core import ParameterError
from glassnet.datasets import add_inherent_states, generate_dataset
from glassnet.formats.hdf5 import read_dataset, write_dataset
from glassnet.propensity import DatasetSpec

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference" / "ka-T0.64.h5"

SMALL = ["--n", "300", "--temperature", "1.0", "--configs", "3", "--replicas", "4", "--times", "0.165",
         "0.52", "1.65", "--equilibration-taus", "2", "--quiet"]


def _simulate(path, **kw):
    return subprocess.Popen([sys.executable, "-m", "glassnet.cli", "simulate", str(path), *SMALL],
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def test_killed_job_resumes_to_identical_file(tmp_path):
    whole = tmp_path / "whole.h5"
    assert _simulate(whole).wait(timeout=300) == 0
    resumed = tmp_path / "resumed.h5"
    proc = _simulate(resumed)
    parts = tmp_path / "resumed.h5.parts"
    deadline = time.time() + 120
    while time.time() < deadline and not list(parts.glob("replicas_*.npz")):
        time.sleep(0.05)
    assert list(parts.glob("replicas_*.npz")), "the job made no progress"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not resumed.exists()                     # nothing half-written is visible as complete
    assert _simulate(resumed).wait(timeout=300) == 0
    assert resumed.read_bytes() == whole.read_bytes()
    assert not parts.exists()
    ds = read_dataset(resumed, load_displacements=True)
    assert [c.metadata["split"] for c in ds.configurations] == ["train", "valid", "test"]
    c = ds.configurations[0]
    assert c.targets.shape == (3, 300) and c.metadata["displacements"].shape == (4, 3, 300)
    assert np.all(np.diff(c.targets.mean(axis=1)) > 0)
    assert ds.metadata["temperature"] == 1.0 and ds.metadata["lammps_version"]
    assert 0.5 < ds.metadata["tau_alpha"] < 5            # T=1.0 liquid: tau_alpha of order 1 tau
    # a finished file is not redone; different parameters are refused
    spec = DatasetSpec.from_json(__import__("json").dumps(ds.metadata["spec"]))
    assert generate_dataset(resumed, spec, progress=False) == resumed
    with pytest.raises(ParameterError, match="other parameters"):
        generate_dataset(resumed, DatasetSpec(n=400), progress=False)


def test_add_inherent_states_is_resumable_and_atomic(tmp_path, monkeypatch):
    configs = read_dataset(REFERENCE).configurations
    plain = [replace(c, inherent=None, metadata={"split": s})
             for c, s in zip(configs[:2], ["train", "test"])]
    path = tmp_path / "d.h5"
    write_dataset(path, plain, configs[0].times)
    assert all(c.inherent is None for c in read_dataset(path).configurations)   # files without them load
    real, calls = datasets.inherent_state, []

    def dies_second_time(*args, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kw)

    monkeypatch.setattr(datasets, "inherent_state", dies_second_time)
    with pytest.raises(KeyboardInterrupt):
        add_inherent_states(path, progress=False)
    assert all(c.inherent is None for c in read_dataset(path).configurations)   # file untouched
    assert len(list((tmp_path / "d.h5.inherent.parts").glob("*.npz"))) == 1
    calls.clear()
    monkeypatch.setattr(datasets, "inherent_state", lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    add_inherent_states(path, progress=False)
    assert len(calls) == 1                                   # the finished quench was not redone
    out = read_dataset(path).configurations
    assert all(c.inherent is not None for c in out)
    assert np.allclose(out[0].inherent.energies, configs[0].inherent.energies, atol=1e-6)
    assert not (tmp_path / "d.h5.inherent.parts").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.h5"]        # no temporary file left



def test_parallel_quench_matches_serial_and_redoes_foreign_pieces(tmp_path):
    """The Dask quench gives the serial file byte for byte; a leftover piece made with another tolerance is
    not reused (it used to be)."""
    configs = read_dataset(REFERENCE).configurations[:3]
    plain = [replace(c, inherent=None, metadata={"split": "train"}) for c in configs]
    serial, parallel = tmp_path / "s.h5", tmp_path / "p.h5"
    write_dataset(serial, plain, configs[0].times)
    write_dataset(parallel, plain, configs[0].times)
    parts = tmp_path / "p.h5.inherent.parts"
    parts.mkdir()
    loose = datasets.inherent_state(plain[1].positions, plain[1].types, plain[1].box, ftol=1e-1)
    datasets.save_npz(parts / "00001.npz", positions=loose.positions, energies=loose.energies,
                      forces=loose.forces, max_force=loose.max_force, ftol=loose.ftol)
    add_inherent_states(serial, progress=False)
    add_inherent_states(parallel, progress=False, workers=2, chunk=1)
    assert serial.read_bytes() == parallel.read_bytes()
    assert read_dataset(parallel).configurations[1].inherent.ftol == 1e-6
