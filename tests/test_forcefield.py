"""The KA force field and the pure functions on configurations: the NumPy reference by hand,
velocities, lattice starts, validation."""
import numpy as np
import pytest

from glassnet.core import SimulationError
from glassnet.forcefield import (KA_PAIRS, MAX_CUTOFF, check_configuration, lattice_configuration,
                                 maxwell_boltzmann, reference_energy_forces)


def test_reference_pair_energy_by_hand():
    # Two particles of each pair type at r = 1.1 sigma_ab, far from everything else.
    box = 10.0
    for (ti, tj), (eps, sig) in KA_PAIRS.items():
        r = 1.1 * sig
        pos = np.array([[1.0, 1.0, 1.0], [1.0 + r, 1.0, 1.0]])
        u, f = reference_energy_forces(pos, [ti, tj], box)
        lj = lambda x: 4 * eps * ((sig / x) ** 12 - (sig / x) ** 6)
        assert u.sum() == pytest.approx(lj(r) - lj(2.5 * sig), rel=1e-12)
        # Newton's third law, and the force along the pair axis
        assert np.allclose(f[0], -f[1]) and np.allclose(f[:, 1:], 0)
        # the shift makes U continuous at 2.5 sigma_ab: just inside, U is ~0
        pos[1, 0] = 1.0 + 2.5 * sig - 1e-9
        assert abs(reference_energy_forces(pos, [ti, tj], box)[0].sum()) < 1e-8
    assert MAX_CUTOFF == pytest.approx(2.5)


def test_maxwell_boltzmann():
    v = maxwell_boltzmann(20000, 0.5, seed=3)
    assert np.allclose(v.sum(axis=0), 0, atol=1e-9)
    assert v.var() == pytest.approx(0.5, rel=0.02)
    assert np.array_equal(v, maxwell_boltzmann(20000, 0.5, seed=3))


def test_lattice_configuration_composition_and_density():
    pos, typ, box = lattice_configuration(1000, density=1.2, seed=5)
    assert (typ == 0).sum() == 800 and pos.shape == (1000, 3)
    assert 1000 / np.prod(box) == pytest.approx(1.2)
    assert pos.min() > 0 and np.all(pos.max(axis=0) < box)


@pytest.mark.parametrize("bad, match", [
    (dict(positions=np.zeros((10, 2))), r"positions.shape=\(10, 2\)"),
    (dict(types=np.zeros(9)), r"types.shape=\(9,\)"),
    (dict(types=np.full(10, 2)), "unknown particle types \\[2\\]"),
    (dict(box=4.0), "smaller than twice the cutoff"),
    (dict(box=np.ones(2) * 9), r"box.shape=\(2,\)"),
])
def test_bad_input_is_named(bad, match):
    args = dict(positions=np.random.default_rng(0).uniform(0, 9, (10, 3)), types=np.zeros(10), box=9.0)
    args.update(bad)
    with pytest.raises(SimulationError, match=match):
        check_configuration(args["positions"], args["types"], args["box"])
