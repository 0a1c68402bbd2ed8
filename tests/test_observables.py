"""Observables: F_s, its crossing times, the noise ceiling (published data and synthetic), Pearson r."""
import numpy as np
import pytest

from glassnet.observables import crossing_times, fs_isotropic, noise_ceiling, pearson_r


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


def test_pearson_r():
    rng = np.random.default_rng(0)
    x = rng.normal(size=1000)
    assert pearson_r(x, 2 * x + 1) == pytest.approx(1.0)
    assert pearson_r(x, -x) == pytest.approx(-1.0)
    assert np.isnan(pearson_r(x, np.ones_like(x)))
    y = x + rng.normal(size=1000)
    assert pearson_r(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1], abs=1e-12)
