"""Baselines against brute-force computations and the simulator."""
import numpy as np
import pytest

from glassnet.baselines import (MLPBaseline, RidgeBaseline, baseline_rows, descriptor_baseline_table,
                                neighbour_count, physics_baseline_table, potential_energy, voronoi_volume)
from glassnet.core import Configuration
from glassnet.forcefield import lattice_configuration, reference_energy_forces


def _system(n=250, seed=0):
    pos, typ, box = lattice_configuration(n, 1.2, seed=seed)
    pos = pos + np.random.default_rng(seed).normal(0, 0.08, pos.shape)
    return pos, typ, box


def test_potential_energy_baseline_is_the_simulators():
    pos, typ, box = _system(seed=5)
    u_ref, _ = reference_energy_forces(pos, typ, box)
    assert np.allclose(potential_energy(Configuration(pos, typ, box)), u_ref, rtol=1e-10, atol=1e-10)


def test_voronoi_and_neighbours_on_fcc_lattice():
    a = 1.0 * np.sqrt(2)                               # nearest-neighbour distance 1.0
    cells = np.stack(np.meshgrid(*[np.arange(4)] * 3, indexing="ij"), -1).reshape(-1, 3)
    basis = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    pos = ((cells[:, None, :] + basis[None]) * a).reshape(-1, 3) + 0.1
    c = Configuration(pos, np.zeros(len(pos), int), np.full(3, 4 * a))
    assert np.allclose(voronoi_volume(c), a ** 3 / 4)
    assert np.all(neighbour_count(c) == 12)


def test_ridge_recovers_a_linear_law_and_mlp_a_nonlinear_one():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 5))
    y = np.stack([x @ [1, -2, 0, 0, 0.5], np.tanh(x[:, 0] * x[:, 1])], axis=1)
    ridge = RidgeBaseline().fit(x[:1500], y[:1500], x[1500:], y[1500:])
    p = ridge.predict(x[1500:])
    assert np.corrcoef(p[:, 0], y[1500:, 0])[0, 1] > 0.999
    assert abs(np.corrcoef(p[:, 1], y[1500:, 1])[0, 1]) < 0.2     # a product is not linear
    mlp = MLPBaseline(epochs=800).fit(x[:1500], y[:1500], x[1500:], y[1500:])
    assert np.corrcoef(mlp.predict(x[1500:])[:, 1], y[1500:, 1])[0, 1] > 0.8
    with pytest.raises(RuntimeError, match="not fitted"):
        RidgeBaseline().predict(x)


def test_mlp_baseline_is_reproducible_and_leaves_the_global_rng_alone():
    """Its seed fixes every layer (the hidden layers were once drawn from the global RNG, so two runs of the
    same table differed by 0.02 in r)."""
    import torch

    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, 8))
    y = np.tanh(x[:, :2] @ [[1.0, -1.0], [0.5, 2.0]])
    state = torch.random.get_rng_state()
    fits = []
    for _ in range(2):
        torch.rand(7)                                   # the global RNG moves between the two fits
        fits.append(MLPBaseline(epochs=50, seed=3).fit(x[:400], y[:400], x[400:], y[400:]).predict(x[400:]))
    assert np.array_equal(fits[0], fits[1])
    torch.random.set_rng_state(state)
    torch.rand(7)
    MLPBaseline(epochs=5).fit(x[:400], y[:400], x[400:], y[400:])
    after = torch.rand(7)
    torch.random.set_rng_state(state)
    torch.rand(7)
    assert torch.equal(after, torch.rand(7))            # fitting drew nothing from the global RNG


def test_tables_pick_the_sign_on_train_and_score_test():
    configs = []
    for s in range(4):
        pos, typ, box = _system(300, seed=10 + s)
        count = neighbour_count(Configuration(pos, typ, box))
        noise = np.random.default_rng(s).normal(0, 1, len(pos))
        configs.append(Configuration(pos, typ, box, np.stack([-count + noise, noise]), np.array([1.0, 2.0])))
    rows = physics_baseline_table(configs[:2], configs[2:], "toy", "test", names=["neighbour_count"])
    assert rows[0]["note"].startswith("sign -") and rows[0]["r_mean"] > 0.5
    assert abs(rows[1]["r_mean"]) < 0.2 and rows[0]["n_configurations"] == 2
    rows = descriptor_baseline_table(configs[:2], configs[2:3], configs[3:], "toy")
    assert {r["model"] for r in rows} == {"descriptors+ridge", "descriptors+mlp"}
    ridge_t0 = next(r for r in rows if r["model"] == "descriptors+ridge" and r["output"] == 0)
    assert ridge_t0["r_mean"] > 0.5          # structure predicts the structural target


def test_a_test_file_without_a_train_split_gets_physics_baselines_signed_on_valid(tmp_path, caplog):
    """Bug: `glassnet baselines` / `report` on glassnet's reference sets (valid + test splits only, e.g.
    data/reference/ka-T0.50.h5) stopped with "has no configurations in split 'train'"."""
    from glassnet.formats.hdf5 import write_dataset

    configs = []
    for s, split in enumerate(["valid", "test", "test"]):
        pos, typ, box = _system(300, seed=20 + s)
        count = neighbour_count(Configuration(pos, typ, box))
        noise = np.random.default_rng(s).normal(0, 1, len(pos))
        configs.append(Configuration(pos, typ, box, np.stack([-count + noise]), metadata={"split": split}))
    write_dataset(tmp_path / "ref.h5", configs, [1.0], {"temperature": 0.64})
    rows = baseline_rows(tmp_path / "ref.h5", "test")
    row = next(r for r in rows if r["model"] == "neighbour_count")
    assert row["note"] == "sign -; sign chosen on the valid split" and row["r_mean"] > 0.5
    assert row["n_configurations"] == 2 and not any(r["kind"] == "descriptor" for r in rows)
    assert "no train split, so no descriptor baselines" in caplog.text


def test_harmonic_baselines_rows_where_defined():
    """Issue 17: the Hessian baselines appear only at the times they are defined, with their r."""
    from glassnet.baselines import HARMONIC_T_MAX, physics_baseline_table
    from glassnet.formats import read_labelled

    c = read_labelled("data/reference/ka-T0.64.h5", "test")
    rows = physics_baseline_table(c, c, "ka-T0.64", "test",
                                  ["harmonic_propagator", "force", "vibrational_amplitude", "soft_modes"])
    harmonic = {r["time"]: r["r_mean"] for r in rows if r["model"] == "harmonic_propagator"}
    assert set(harmonic) == {t for t in c[0].times if t <= HARMONIC_T_MAX}
    force = {r["time"]: r["r_mean"] for r in rows if r["model"] == "force"}
    assert harmonic[0.165] > force[0.165] + 0.15 and len(force) == len(c[0].times)
    vib = {r["time"]: r["r_mean"] for r in rows if r["model"] == "vibrational_amplitude"}
    assert vib[52.0] > vib[0.165]            # basin softness speaks of the long times, not of the first ps
    assert {r["model"] for r in rows} == {"harmonic_propagator", "force", "vibrational_amplitude", "soft_modes"}


def test_multiscale_ridge_recovers_a_coarse_grained_inherent_state_law(reference_configs):
    """With inherent states the descriptor table adds ridge on the multi-scale inherent-state descriptors; a
    target built from the coarse-grained inherent-state energy is found by it."""
    from dataclasses import replace

    from glassnet.descriptors import multiscale_descriptors, multiscale_names

    col = multiscale_names().index("energyA_L2")
    configs = []
    for c in reference_configs[:4]:
        x = multiscale_descriptors(c.inherent.positions, c.types, c.box, c.inherent.energies)[:, col]
        configs.append(replace(c, targets=np.stack([x, -x]), times=np.array([1.0, 2.0])))
    rows = descriptor_baseline_table(configs[:2], configs[2:3], configs[3:], "toy")
    ms = [r for r in rows if r["model"] == "multiscale+ridge"]
    assert len(ms) == 2 and all(r["r_mean"] > 0.99 for r in ms)
    plain = next(r for r in rows if r["model"] == "descriptors+ridge" and r["output"] == 0)
    assert plain["r_mean"] < 0.9             # the given configuration's structure does not carry it exactly
