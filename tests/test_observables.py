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


def _exponential_field(n, box_length, xi, seed):
    """Uniform random particles carrying a Gaussian field with covariance exp(-r / xi) (minimum image)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, box_length, (n, 3))
    d = x[:, None] - x[None]
    d -= box_length * np.round(d / box_length)
    w, v = np.linalg.eigh(np.exp(-np.linalg.norm(d, axis=-1) / xi))
    return x, v @ (np.sqrt(np.clip(w, 0, None)) * rng.normal(size=n))


@pytest.mark.parametrize("xi", [0.7, 1.4])
def test_correlation_length_of_a_field_with_a_known_length(xi):
    from glassnet.observables import correlation_length, spatial_correlation

    box = np.full(3, 13.0)
    curves = []
    for seed in range(3):
        x, f = _exponential_field(1200, box[0], xi, seed)
        r, c, pairs = spatial_correlation(f, x - 20.0, box, dr=0.25)     # any periodic image
        curves.append(c)
    assert r.max() < box[0] / 2 and pairs.sum() > 0
    fit = correlation_length(r, np.mean(curves, axis=0), r_min=0.5, box_length=box[0])
    assert abs(fit["xi"] - xi) < 0.15 * xi, fit
    assert fit["offset"] < 0.005 and not fit["capped"]      # the mean subtraction lowers C at every r


def test_correlation_length_of_uncorrelated_noise_and_of_a_box_filling_field():
    from glassnet.observables import correlation_length, spatial_correlation

    rng = np.random.default_rng(1)
    x = rng.uniform(0, 12.0, (1500, 3))
    r, c, _ = spatial_correlation(rng.normal(size=1500), x, np.full(3, 12.0), dr=0.25)
    assert np.nanmax(np.abs(c[r > 1])) < 0.1
    assert correlation_length(r, c)["xi"] < 0.35
    r = np.arange(0.1, 4.5, 0.2)
    fit = correlation_length(r, 0.8 * np.exp(-r / 2.0) - 0.05, box_length=9.4)
    assert fit["xi"] == pytest.approx(2.0, rel=1e-3) and fit["offset"] == pytest.approx(-0.05, abs=1e-3)
    assert fit["capped"]                                   # 3 xi > L / 2: the box does not hold the decay


def test_spatial_correlation_names_bad_input():
    from glassnet.observables import spatial_correlation

    x = np.random.default_rng(0).uniform(0, 5, (50, 3))
    with pytest.raises(ValueError, match="NaN"):
        spatial_correlation(np.full(50, np.nan), x, np.full(3, 5.0))
    with pytest.raises(ValueError, match="cubic box"):
        spatial_correlation(np.zeros(50), x, [5.0, 5.0, 6.0])
    with pytest.raises(ValueError, match=r"values \(N,\)"):
        spatial_correlation(np.zeros(49), x, np.full(3, 5.0))


def test_pair_distance_change_is_blind_to_shared_motion():
    """A rigid translation changes no pair distance; moving one particle by a vector along a pair changes that
    pair's distance by its length and leaves pairs it is not in alone."""
    from glassnet.observables import pair_distance_change

    edges = np.array([[1.0, 0, 0], [0, 1.2, 0], [0, 0, 0.9]])
    senders, receivers = np.array([0, 0, 1]), np.array([1, 2, 2])
    d = np.zeros((2, 3, 3))
    d[0] += [0.3, -0.2, 0.5]                         # every particle moved alike
    d[1, 1] = [0.25, 0.0, 0.0]                        # particle 1 moves away from 0 along their pair
    out = pair_distance_change(edges, senders, receivers, d)
    assert out.shape == (2, 3) and np.allclose(out[0], 0, atol=1e-12)
    assert out[1, 0] == pytest.approx(0.25) and out[1, 1] == 0
    assert out[1, 2] == pytest.approx(np.hypot(0.25, 0.9) - 0.9)


def _oz_fields(x, box, xi, k, seed, n_cut=5):
    """k random fields on the points x with the Ornstein-Zernike spectrum 1 / (1 + q^2 xi^2): sums of plane waves
    of the box's wave vectors (|n| <= n_cut) with Gaussian amplitudes and random phases."""
    rng = np.random.default_rng(seed)
    r = np.arange(-n_cut, n_cut + 1)
    n = np.stack(np.meshgrid(r, r, r, indexing="ij"), -1).reshape(-1, 3)
    n = n[((n ** 2).sum(1) > 0) & ((n ** 2).sum(1) <= n_cut ** 2)]
    q = 2 * np.pi * n / box
    amp = 1 / np.sqrt(1 + (q ** 2).sum(1) * xi ** 2)
    phase = q @ x.T                                            # (n_q, N)
    return np.array([(amp * rng.normal(size=len(q))) @ np.cos(phase + rng.uniform(0, 2 * np.pi, (len(q), 1)))
                     for _ in range(k)])


def test_four_point_functions_of_fields_with_known_structure():
    """Uncorrelated mobile particles (probability p): chi_4 = S_4(q) = p (1 - p), no length; fields with an
    Ornstein-Zernike spectrum of length xi: xi_4 = xi; a decay faster than any such form: no length (capped)."""
    from glassnet.observables import four_point, four_point_length, overlap

    rng = np.random.default_rng(0)
    box = 20.0
    x = rng.uniform(0, box, (3000, 3))
    noise = four_point(x, np.full(3, box), (rng.uniform(size=(300, 3000)) < 0.3).astype(float))
    assert noise["chi4"] == pytest.approx(0.21, rel=0.15) and noise["s4_self"] == pytest.approx(0.21, rel=0.02)
    assert np.allclose(noise["s4"], 0.21, rtol=0.2) and noise["n_vectors"][0] == 6
    assert four_point_length(noise["q"], noise["s4"], noise["n_vectors"])["xi4"] < 0.3
    for xi in (1.0, 2.5):
        res = four_point(x, np.full(3, box), _oz_fields(x, box, xi, 60, seed=int(10 * xi), n_cut=7))
        fit = four_point_length(res["q"], res["s4"], res["n_vectors"], res["s4_self"], box_length=box)
        assert fit["xi4"] == pytest.approx(xi, rel=0.15) and not fit["capped"]
        short = four_point_length(res["q"], res["s4"], res["n_vectors"], box_length=box)["xi4"]
        assert short < fit["xi4"]                # the self part ignored flattens the decay
    steep = 1 / (1 + (noise["q"] * 3) ** 2) ** 3          # falls like q^-6: no Ornstein-Zernike length fits
    assert four_point_length(noise["q"], steep, box_length=box)["capped"]
    np.testing.assert_array_equal(overlap([0.1, 0.3, 0.5]), [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="NaN"):
        four_point(x, np.full(3, box), np.full((2, 3000), np.nan))
