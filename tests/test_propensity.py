"""Label protocols: the iso-configurational replicas against the published data, specs and presets."""
import numpy as np
import pytest

from glassnet.core import ParameterError
from glassnet.observables import pearson_r
from glassnet.propensity import PROTOCOLS, DatasetSpec, run_replicas, simulate_iso


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


def test_spec_validation():
    with pytest.raises(ValueError, match="splits"):
        DatasetSpec(n_configs=3, splits=(1, 1, 2))
    with pytest.raises(ValueError, match="times"):
        DatasetSpec(times=(1.0, 0.5))
    with pytest.raises(ValueError, match="spacing_taus"):
        DatasetSpec(spacing_taus=0.5)


def test_presets_and_overrides():
    from glassnet.propensity import PRESETS, with_overrides

    spec = with_overrides(PRESETS["ka-T0.64"], n_configs=5, n=500, times=[0.5, 5])
    assert spec.splits == (3, 1, 1) and spec.n == 500 and spec.times == (0.5, 5.0)
    assert PRESETS["ka-T0.56"].times[-1] == 165.0 and PRESETS["ka-T0.56-full"].times[-1] == 1650.0
    assert PRESETS["ka-T0.64"].times == (0.165, 0.52, 1.65, 5.2, 16.5, 52.0)
    assert PRESETS["single-T0.50"].temperature == 0.5 and PRESETS["single-T0.50"].times[-1] == 520.0


def test_spec_errors_are_parameter_errors():
    with pytest.raises(ParameterError, match="n_replicas=1"):
        DatasetSpec(n_replicas=1)
    assert PROTOCOLS["iso"] is simulate_iso
    assert DatasetSpec.from_json(DatasetSpec(n=500).to_json()) == DatasetSpec(n=500)


def test_single_run_labels_share_the_chain_and_resume(tmp_path):
    """Single-run labels start from the iso protocol's own equilibrated states (same seed, same chain), the
    label at origin 0 is one replica of the iso propensity, the labels grow with time and the vectors
    match them; a run removed from the folder of pieces is redone to the same numbers."""
    from glassnet.propensity import SingleRunSpec, simulate_single

    common = dict(temperature=1.0, n=300, times=(0.165, 0.52, 1.65), equilibration_taus=2.0, seed=3)
    iso = simulate_iso(DatasetSpec(n_configs=2, splits=(1, 1, 0), n_replicas=8, **common), tmp_path / "iso",
                       workers=1, progress=False)
    spec = SingleRunSpec(n_runs=2, n_origins=4, origin_spacing=2.0, **common)
    single = simulate_single(spec, tmp_path / "single", workers=1, progress=False)
    assert len(single.configurations) == 8 and single.metadata["n_replicas"] == 1
    for k in range(2):
        first = single.configurations[4 * k]
        assert first.metadata["run"] == k and first.metadata["origin_time"] == 0.0
        assert np.array_equal(first.positions, iso.configurations[k].positions)   # the same chain
        a = first.types == 0
        r = [pearson_r(first.targets[j][a], iso.configurations[k].targets[j][a]) for j in range(3)]
        assert 0.3 < r[0] < 0.95                     # one noisy replica of an 8-replica mean
    labels = np.array([c.targets.mean(axis=1) for c in single.configurations])   # (configs, T)
    iso_means = np.array([c.targets.mean(axis=1) for c in iso.configurations])
    assert np.all(np.diff(labels, axis=1) > 0)
    # the same liquid: the mean label agrees with the iso mean displacement within the origins' spread
    se = labels.std(axis=0, ddof=1) / np.sqrt(len(labels))
    assert np.all(np.abs(labels.mean(axis=0) - iso_means.mean(axis=0)) < 3 * se + 0.01 * iso_means.mean(axis=0))
    c = single.configurations[5]
    assert np.allclose(np.linalg.norm(c.metadata["displacement_vectors"], axis=-1), c.targets, atol=1e-5)
    assert c.metadata["origin_time"] == 2.0 and not np.array_equal(c.positions, single.configurations[4].positions)
    (tmp_path / "single" / "run_00001.npz").unlink()
    again = simulate_single(spec, tmp_path / "single", workers=1, progress=False)
    assert all(np.array_equal(a.targets, b.targets) for a, b in zip(single.configurations, again.configurations))
    with pytest.raises(ParameterError, match=r"other parameters: n_runs=2 \(now 3\)"):
        simulate_single(SingleRunSpec(n_runs=3, n_origins=4, origin_spacing=2.0, **common), tmp_path / "single",
                        workers=1, progress=False)


def test_states_spaced_in_tau_for_short_horizon_labels(tmp_path):
    """``spacing`` (tau) sets the NVT time between states instead of tau_alpha multiples: states 1 tau apart
    at T=1 have moved far less than states 6 tau apart (the same chain start), and a file records the field
    only when it is set (files made without it keep their bytes)."""
    from glassnet.propensity.chain import state_file
    from glassnet.propensity.spec import MIN_SPACING, PRESETS

    common = dict(temperature=1.0, n=300, times=(0.165,), n_configs=2, splits=(2, 0, 0), n_replicas=2,
                  tau_alpha=1.2, equilibration_taus=2.0, min_equilibration=5.0, seed=3)
    msd = {}
    for spacing in (1.0, 6.0):
        spec = DatasetSpec(spacing=spacing, **common)
        assert spec.record()["spacing"] == spacing and spec.state_spacing(1.2) == spacing
        simulate_iso(spec, tmp_path / str(spacing), workers=1, progress=False)
        a, b = (np.load(state_file(tmp_path / str(spacing), k))["positions"] for k in (1, 2))
        assert np.array_equal(a, np.load(state_file(tmp_path / "1.0", 1))["positions"])   # same first state
        box = (300 / 1.2) ** (1 / 3)
        d = (b - a + box / 2) % box - box / 2
        msd[spacing] = float((d ** 2).sum(axis=1).mean())
    assert 0.05 < msd[1.0] < msd[6.0] / 3          # diffusive at T=1: D ~ 0.1 sigma^2/tau per dimension
    assert "spacing" not in DatasetSpec(**{**common, "n_configs": 2}).record()
    assert DatasetSpec(**common).state_spacing(1.2) == pytest.approx(1.2)
    assert PRESETS["short-T0.64"].spacing == 4.0 and max(PRESETS["short-T0.64"].times) == 1.65
    assert PRESETS["short-T0.50"].spacing == 8.0 and PRESETS["short-T0.50"].temperature == 0.5
    assert max(PRESETS["short-T0.50"].times) == 1.65
    with pytest.raises(ParameterError, match="spacing=0.5"):
        DatasetSpec(spacing=MIN_SPACING / 2, **{k: v for k, v in common.items()})
