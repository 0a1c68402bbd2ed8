"""The KA simulator: force field against an independent NumPy reference, validation, physics."""
import numpy as np
import pytest

from glassnet.simulation import (
    KA_PAIRS, Simulation, SimulationError, check_configuration, lattice_configuration,
    maxwell_boltzmann, reference_energy_forces,
)


def _disordered(n=300, seed=0, jitter=0.08):
    pos, typ, box = lattice_configuration(n, density=1.2, seed=seed)
    pos = pos + np.random.default_rng(seed).normal(0, jitter, pos.shape)
    return pos, typ, box


def test_reference_pair_energy_by_hand():
    # Two particles of each pair type at r = 1.1 sigma_ab, far from everything else.
    box = 10.0
    for (ti, tj), (eps, sig) in KA_PAIRS.items():
        r = 1.1 * sig
        pos = np.array([[1.0, 1.0, 1.0], [1.0 + r, 1.0, 1.0]])
        u, f = reference_energy_forces(pos, [ti, tj], box)
        lj = lambda x: 4 * eps * ((sig / x) ** 12 - (sig / x) ** 6)
        assert u.sum() == pytest.approx(lj(r) - lj(2.5 * sig), rel=1e-12)
        # the shift makes U continuous at 2.5 sigma_ab: just inside, U is ~0
        pos[1, 0] = 1.0 + 2.5 * sig - 1e-9
        assert abs(reference_energy_forces(pos, [ti, tj], box)[0].sum()) < 1e-8


@pytest.mark.parametrize("pair", [(0, 0), (0, 1), (1, 1)])
def test_lammps_matches_numpy_reference_per_pair_type(pair):
    pos, typ, box = _disordered(300, seed=3)
    # keep only the pair type under test (all A, all B, or A/B mixed)
    typ = np.full(len(pos), pair[0])
    if pair[0] != pair[1]:
        typ[::2] = pair[1]
    u_ref, f_ref = reference_energy_forces(pos, typ, box)
    with Simulation(pos, typ, box) as sim:
        u = sim.per_particle_energy
        f = sim._gather("f", 1, 3)
        assert sim.potential_energy == pytest.approx(u_ref.sum(), rel=1e-10)
    assert np.abs(u - u_ref).max() <= 1e-10 * np.abs(u_ref).max()
    assert np.abs(f - f_ref).max() <= 1e-10 * np.abs(f_ref).max()


def test_unwrapped_positions_survive_boundary_crossing():
    pos, typ, box = _disordered(300, seed=1)
    pos[:5] += box * np.array([-1, 1, 2])          # periodic images outside the box
    with Simulation(pos, typ, box) as sim:
        assert np.allclose(sim.positions, pos, atol=1e-12)
        sim.minimize(max_iter=200)
        sim.thermalize(2.0, seed=0)
        traj = sim.trajectory([0.0, 1.0, 5.0])
    step = np.abs(np.diff(traj, axis=0))
    # no jumps of a box length: in 4 tau at T=2 a particle moves a few sigma at most
    assert step.max() < box[0] / 2
    assert traj.shape == (3, 300, 3)


def test_maxwell_boltzmann():
    v = maxwell_boltzmann(20000, 0.5, seed=3)
    assert np.allclose(v.sum(axis=0), 0, atol=1e-9)
    assert v.var() == pytest.approx(0.5, rel=0.02)
    assert np.array_equal(v, maxwell_boltzmann(20000, 0.5, seed=3))


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


def test_nan_positions_rejected():
    pos, typ, box = _disordered(300)
    pos[7, 1] = np.nan
    with pytest.raises(SimulationError, match="NaN"):
        Simulation(pos, typ, box)


def test_blow_up_is_reported_with_step():
    pos, typ, box = _disordered(300)
    with Simulation(pos, typ, box, dt=0.5) as sim:      # absurd time step
        sim.thermalize(1.0, seed=0)
        with pytest.raises(SimulationError, match="step"):
            sim.run(2000, chunk=100)


def test_run_rejects_non_integer_steps():
    pos, typ, box = _disordered(300)
    with Simulation(pos, typ, box) as sim:
        with pytest.raises(TypeError, match="float"):
            sim.run(10.0)


def test_nvt_reaches_target_temperature():
    with Simulation.from_scratch(500, temperature=1.0, seed=2, melt_time=10, settle_time=10) as sim:
        th = sim.run(4000, temperature=1.0, report_every=20)
    assert th.temperature.mean() == pytest.approx(1.0, abs=0.03)
    assert np.all(np.isfinite(th.pressure))


def test_nve_energy_conservation_T08_N1000():
    """Drift of E/N over 10,000 NVE steps after NVT equilibration, below 2e-4 (issue 9)."""
    with Simulation.from_scratch(1000, temperature=0.8, seed=7, melt_time=20, settle_time=30) as sim:
        th = sim.run(10_000, report_every=50)
    assert abs(th.drift()) < 2e-4
    assert th.temperature.mean() == pytest.approx(0.8, abs=0.05)


def test_static_energy_of_published_snapshot(test_large):
    with Simulation(test_large["positions"], test_large["types"], test_large["box"]) as sim:
        assert sim.potential_energy / sim.n == pytest.approx(-7.0439, abs=1e-4)


@pytest.mark.slow
def test_pressure_and_energy_of_published_snapshot_T044(test_large):
    """NVT at T=0.44 from test_large (2,000 + 20,000 steps): <P> = 3.03 +- 0.03 (issue 9).

    U/N is held to -7.044 +- 0.006, not +- 0.003: over 100 tau at T=0.44 the 15-tau block means of U/N
    wander between -7.053 and -7.041 (structural relaxation is far slower than the run), and four
    velocity seeds gave -7.047 to -7.049 here. A 310 tau run averaged -7.045. The classic wrong cutoff
    (2.5 for every pair) gives -7.21 and P = 2.87, far outside both bounds.
    """
    with Simulation(test_large["positions"], test_large["types"], test_large["box"]) as sim:
        sim.thermalize(0.44, seed=1)
        sim.run(2000, temperature=0.44)
        th = sim.run(20_000, temperature=0.44, report_every=50)
    assert th.pressure[1:].mean() == pytest.approx(3.03, abs=0.03)
    assert th.potential_energy[1:].mean() == pytest.approx(-7.044, abs=0.006)
    assert th.temperature[1:].mean() == pytest.approx(0.44, abs=0.002)
