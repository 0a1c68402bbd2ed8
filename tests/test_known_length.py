"""The shell probe against a known answer (issue 31): a network learns targets whose range R is set by
construction (the local B fraction within R), and the Jacobian's learned length must grow with R and land within
one shell of the exact target's. Slow: it trains a 5-layer network (~10 CPU-minutes)."""
import numpy as np
import pytest

from conftest import DATA


@pytest.mark.slow
def test_jacobian_length_follows_a_known_range(tmp_path):
    from glassnet.formats import read_configurations
    from studies.known_length import study

    configs = read_configurations(DATA / "iso4-T0.64-s5.h5") + read_configurations(DATA / "iso4-T0.64.h5")
    probe = read_configurations(DATA / "ka4096-T0.64.h5")[:1]
    rows = study(configs[:-5], configs[-5:], probe, [1.0, 3.0], layers=5, steps=1000, out=tmp_path / "run",
                 n_marked=12, compile=True, progress=lambda *_: None)
    assert all(row["r_valid"] > 0.85 for row in rows)
    shells = [row["jacobian"]["shell"] for row in rows]
    exact = [row["exact"]["shell"] for row in rows]
    assert shells[0] <= shells[1] and all(abs(s - e) <= 1 for s, e in zip(shells, exact)), (shells, exact)
    assert exact == [1, 2]
    assert np.isfinite(rows[1]["jacobian"]["length"])
