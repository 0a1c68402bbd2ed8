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


def test_spec_errors_are_parameter_errors():
    with pytest.raises(ParameterError, match="n_replicas=1"):
        DatasetSpec(n_replicas=1)
    assert PROTOCOLS["iso"] is simulate_iso
    assert DatasetSpec.from_json(DatasetSpec(n=500).to_json()) == DatasetSpec(n=500)
