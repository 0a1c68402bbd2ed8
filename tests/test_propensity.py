"""Iso-configurational propensities: the published data, the noise ceiling, F_s, resumable generation."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from glassnet.io import read_dataset
from glassnet.propensity import (DatasetSpec, crossing_times, fs_isotropic, generate_dataset,
                                 noise_ceiling, run_replicas)
from glassnet.train import pearson_r


def test_propensities_match_published_T044(test_large):
    """30 fresh replicas from test_large to t=0.132 and 0.435 (its time indices 0 and 1): mean within 2%
    of the published targets and r >= 0.9 on A particles (two independent 30-replica estimates)."""
    times = np.asarray(test_large["time"])[test_large["time_indices"][:2]]
    seeds = np.arange(30) + 1000
    res = run_replicas(test_large["positions"], test_large["types"], test_large["box"], 0.44, times,
                       seeds, dt=0.003)
    assert np.allclose(res["times"], times)
    a = test_large["types"] == 0
    for k in range(2):
        ours, theirs = res["propensity"][k], test_large["targets"][k]
        assert ours.mean() == pytest.approx(theirs.mean(), rel=0.02)
        assert pearson_r(ours[a], theirs[a]) >= 0.9
    assert res["displacements"].dtype == np.float32 and res["displacements"].shape == (30, 2, 4096)
    assert np.allclose(res["displacements"].mean(axis=0), res["propensity"], atol=1e-6)


def test_noise_ceiling_of_published_data(test_large):
    start = test_large["positions"]
    disp = np.linalg.norm(np.asarray(test_large["trajectory_target_positions"][0]) - start, axis=-1)
    ceiling = noise_ceiling(disp[:, None, :], test_large["types"], n_splits=50)
    assert ceiling[0] == pytest.approx(0.97, abs=0.01)


def test_noise_ceiling_on_synthetic_data():
    # propensity p_i plus independent noise of known size: the ceiling is corr(p, p + mean noise)
    rng = np.random.default_rng(0)
    n, r, sigma = 5000, 20, 2.0
    p = rng.normal(size=n)
    reps = p[None, :] + rng.normal(scale=sigma, size=(r, n))
    expected = 1 / np.sqrt(1 + sigma ** 2 / r)
    assert noise_ceiling(reps[:, None, :])[0] == pytest.approx(expected, abs=0.01)


def test_fs_and_crossing_times():
    assert fs_isotropic(np.zeros((3, 10)))[0] == pytest.approx(1.0)
    r = np.full(5, 0.3)
    assert fs_isotropic(r, 7.25) == pytest.approx(np.sin(7.25 * 0.3) / (7.25 * 0.3))
    t = np.geomspace(0.01, 100, 200)
    fs = np.exp(-t / 3.0)
    tau = crossing_times(t, fs)
    assert tau[-1] == pytest.approx(3.0, rel=1e-3)
    assert tau[0] == pytest.approx(-3.0 * np.log(0.9), rel=1e-3)
    assert np.isnan(crossing_times(t[:10], fs[:10])[-1])


def test_spec_validation():
    with pytest.raises(ValueError, match="splits"):
        DatasetSpec(n_configs=3, splits=(1, 1, 2))
    with pytest.raises(ValueError, match="times"):
        DatasetSpec(times=(1.0, 0.5))
    with pytest.raises(ValueError, match="spacing_taus"):
        DatasetSpec(spacing_taus=0.5)


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
    with pytest.raises(ValueError, match="other parameters"):
        generate_dataset(resumed, DatasetSpec(n=400), progress=False)


def test_presets_and_overrides():
    from glassnet.propensity import PRESETS, with_overrides

    spec = with_overrides(PRESETS["ka-T0.64"], n_configs=5, n=500, times=[0.5, 5])
    assert spec.splits == (3, 1, 1) and spec.n == 500 and spec.times == (0.5, 5.0)
    assert PRESETS["ka-T0.56"].times[-1] == 165.0 and PRESETS["ka-T0.56-full"].times[-1] == 1650.0
    assert PRESETS["ka-T0.64"].times == (0.165, 0.52, 1.65, 5.2, 16.5, 52.0)
