"""glassnet's model: exact invariances, the inherent state it needs, bounded outputs; the registry."""
from dataclasses import replace

import numpy as np
import pytest
import torch

from glassnet.core import ModelError
from glassnet.models import (ARCHITECTURES, EquivariantConfig, EquivariantGN, ModelConfig, architecture,
                             architecture_of, build_config, predict_tensors, symmetry_spread)


def _random_orthogonal(seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return torch.as_tensor(q @ np.diag([1, 1, -1]), dtype=torch.float32)   # a rotation times a reflection


def test_model_is_invariant_under_rotation_permutation_translation(reference_configs):
    torch.manual_seed(0)
    c = reference_configs[0]
    model = EquivariantGN(EquivariantConfig(hidden=16, layers=2, n_outputs=3))
    t = model.tensors(c.positions, c.types, c.box, c.inherent)
    base = predict_tensors(model, t)
    assert base.shape == (c.n, 3) and base.std() > 1e-3
    rotated = predict_tensors(model, model.transform(t, _random_orthogonal(1)))
    assert np.abs(rotated - base).max() < 1e-4 * np.abs(base).max()
    assert symmetry_spread(model, t) < 1e-5      # the faithful network: 0.137 (README)
    perm = np.random.default_rng(2).permutation(c.n)
    inh = replace(c.inherent, positions=c.inherent.positions[perm], energies=c.inherent.energies[perm],
                  forces=c.inherent.forces[perm])
    permuted = predict_tensors(model, model.tensors(c.positions[perm], c.types[perm], c.box, inh))
    assert np.allclose(permuted, base[perm], atol=1e-5)
    shift = np.array([1.3, -4.0, 2.2])
    moved = replace(c.inherent, positions=c.inherent.positions + shift)
    shifted = predict_tensors(model, model.tensors(c.positions + shift, c.types, c.box, moved))
    assert np.allclose(shifted, base, atol=1e-5)
    # without the inherent state the model refuses
    with pytest.raises(ModelError, match="inherent state"):
        model.tensors(c.positions, c.types, c.box, None)


def test_outputs_stay_bounded_for_huge_forces(reference_configs):
    """Vector inputs saturate: forces 20x beyond the training range move the output by O(1), not 1e20."""
    torch.manual_seed(3)
    c = reference_configs[0]
    model = EquivariantGN(EquivariantConfig(hidden=32, layers=3, n_outputs=2))
    base = predict_tensors(model, model.tensors(c.positions, c.types, c.box, c.inherent))
    wild = replace(c.inherent, forces=c.inherent.forces * 20, positions=c.positions + 3 * (c.inherent.positions
                                                                                        - c.positions))
    out = predict_tensors(model, model.tensors(c.positions, c.types, c.box, wild))
    assert np.isfinite(out).all() and np.abs(out).max() < 100 * np.abs(base).max()


def test_registry_and_configs():
    assert set(ARCHITECTURES) == {"bapst", "equivariant"}
    for arch in ARCHITECTURES.values():
        assert architecture_of(arch.config()) is arch and {"lr", "normalize"} <= set(arch.recipe)
    cfg = build_config(architecture("equivariant"), 6, {"hidden": "48", "inherent": "false"})
    assert cfg == EquivariantConfig(n_outputs=6, hidden=48, inherent=False)
    assert build_config(architecture("bapst"), 2) == ModelConfig(n_outputs=2)     # defaults live in the config
    with pytest.raises(ModelError, match="has no option 'vectors'"):
        build_config(architecture("bapst"), 1, {"vectors": False})
    with pytest.raises(ModelError, match="expected a int"):
        build_config(architecture("bapst"), 1, {"hidden": "wide"})
    with pytest.raises(ModelError, match="invalid model config"):
        EquivariantGN(build_config(architecture("equivariant"), 1, {"hidden": 0}))
    with pytest.raises(ModelError, match="unknown architecture 'transformer'"):
        architecture("transformer")


def test_harmonic_inputs_are_invariant_and_reach_the_heads(tmp_path):
    """Issue 17: the harmonic short-time estimate as an input (trunk and heads); the model stays exactly
    invariant, a checkpoint round-trips its times, and --option parses them."""
    from glassnet.formats import read_labelled
    from glassnet.training import load_checkpoint, save_checkpoint

    c = read_labelled("data/reference/ka-T0.64.h5", "test")[0]
    cfg = build_config(architecture("equivariant"), 2, {"hidden": "8", "layers": "1",
                                                         "harmonic_times": "0.165,0.52", "harmonic_temperature": "0.64"})
    assert cfg.harmonic_times == (0.165, 0.52)
    torch.manual_seed(0)
    model = EquivariantGN(cfg)
    t = model.tensors(c.positions, c.types, c.box, c.inherent)
    assert t["scalars"].shape == (c.n, 2 + 3 + 2)
    h = t["scalars"][:, -2:].numpy()
    assert np.allclose(h.mean(axis=0), 0, atol=1e-5) and np.allclose(h.std(axis=0), 1, atol=1e-3)
    assert symmetry_spread(model, t) < 1e-5
    with torch.no_grad():
        model.head_h.weight.zero_()
        model.head_h.weight[0, 0] = 1.0                         # output 0 of type A = trunk + estimate at 0.165
        base = predict_tensors(model, t)
        model.head_h.weight[0, 0] = 0.0
        without = predict_tensors(model, t)
    a = c.types == 0
    assert np.allclose(base[a, 0] - without[a, 0], h[a, 0], atol=1e-5)
    save_checkpoint(tmp_path / "h.pt", model, {})
    loaded, _ = load_checkpoint(tmp_path / "h.pt")
    assert tuple(loaded.config.harmonic_times) == (0.165, 0.52)
    with pytest.raises(ModelError, match="harmonic_temperature"):
        EquivariantGN(EquivariantConfig(harmonic_times=(0.165,)))
    # issue 29: the sparse propagator gives the same standardised inputs up to sampling
    sparse = EquivariantGN(replace(cfg, harmonic_method="sparse")).tensors(c.positions, c.types, c.box, c.inherent)
    hs = sparse["scalars"][:, -2:].numpy()
    assert all(np.corrcoef(hs[:, k], h[:, k])[0, 1] > 0.95 for k in range(2))
    with pytest.raises(ModelError, match="harmonic_method='lanczos'"):
        EquivariantGN(replace(cfg, harmonic_method="lanczos"))


def test_input_cache_folder_is_read_instead_of_recomputing(tmp_path, monkeypatch):
    """$GLASSNET_INPUT_CACHE keeps the costly physics inputs between processes: the second process reads the
    file (the propagator is not called), a different temperature is another entry, a corrupt file is remade."""
    from glassnet.formats import read_labelled
    from glassnet.models import InputCache
    from glassnet.models import inputs as inputs_module

    c = read_labelled("data/reference/ka-T0.64.h5", "test")[0]
    cfg = EquivariantConfig(hidden=8, layers=1, n_outputs=2, harmonic_times=(0.165,), harmonic_temperature=0.64,
                            harmonic_method="sparse")
    monkeypatch.setenv("GLASSNET_INPUT_CACHE", str(tmp_path / "cache"))
    calls = []
    real = inputs_module.harmonic_displacement_sparse
    monkeypatch.setattr(inputs_module, "harmonic_displacement_sparse",
                        lambda *a, **k: calls.append(1) or real(*a, **k))

    def inputs(config):                           # a new cache, as a new process would have
        return EquivariantGN(config).tensors(c.positions, c.types, c.box, c.inherent,
                                             cache=InputCache())["scalars"][:, -1].numpy()

    first = inputs(cfg)
    files = list((tmp_path / "cache").glob("harmonic-*.npy"))
    assert len(calls) == 1 and len(files) == 1
    assert np.array_equal(inputs(cfg), first) and len(calls) == 1
    warmer = inputs(replace(cfg, harmonic_temperature=0.8))
    assert len(calls) == 2 and not np.allclose(warmer, first)
    files[0].write_bytes(b"not a numpy file")
    assert np.array_equal(inputs(cfg), first) and len(calls) == 3


def test_physics_inputs_are_invariant_and_only_the_short_time_physics_reaches_the_heads():
    """Issue 17: multi-scale inherent-state descriptors, basin measures, the harmonic estimate and log |F| as
    inputs, with the temperature input on too: exactly invariant, standardised, and the linear head path reads
    the harmonic and force columns, never the temperature (it once read the last columns of the inputs)."""
    from glassnet.md.lammps import LammpsEngine

    with LammpsEngine.from_scratch(256, temperature=0.8, seed=3, melt_time=2, settle_time=2) as sim:
        pos, typ, box = sim.positions, sim.types, sim.box
        inh = sim.inherent_state()
    cfg = EquivariantConfig(hidden=8, layers=1, n_outputs=2, multiscale=True, basin=True, force_heads=True,
                            harmonic_times=(0.1,), harmonic_temperature=0.64, temperature_input=True)
    torch.manual_seed(0)
    model = EquivariantGN(cfg)
    t = model.tensors(pos, typ, box, inh, temperature=0.6)
    assert t["scalars"].shape == (256, 2 + 3 + 27 + 2 + 1 + 1 + 1)
    physics = t["scalars"][:, 5:-1].numpy()                     # every added column is standardised
    assert np.allclose(physics.mean(axis=0), 0, atol=1e-5) and np.allclose(physics.std(axis=0), 1, atol=1e-3)
    assert symmetry_spread(model, t) < 1e-5
    with torch.no_grad():
        model.head[-1].weight.zero_()
        model.head[-1].bias.zero_()
        model.head_h.weight.fill_(1.0)
        cold = predict_tensors(model, t)
        hot = predict_tensors(model, model.tensors(pos, typ, box, inh, temperature=0.9))
    assert np.allclose(cold, hot)                                # the temperature does not reach the heads
    assert np.allclose(cold[:, 0], physics[:, -2:].sum(axis=1), atol=1e-5)   # harmonic + log |F|
    with pytest.raises(ModelError, match="need inherent=True"):
        EquivariantGN(EquivariantConfig(inherent=False, vectors=False, multiscale=True))


def test_harmonic_temperature_comes_from_the_training_data(reference_configs):
    cfg = EquivariantConfig(n_outputs=6, harmonic_times=(0.165,))
    configs = [replace(c, metadata={**c.metadata, "temperature": 0.64}) for c in reference_configs[:2]]
    assert EquivariantGN.adapt_config(cfg, configs, None).harmonic_temperature == 0.64
    assert EquivariantGN.adapt_config(replace(cfg, harmonic_temperature=0.5), configs, None).harmonic_temperature == 0.5
    mixed = [configs[0], replace(configs[1], metadata={**configs[1].metadata, "temperature": 0.56})]
    with pytest.raises(ModelError, match="the data.s temperature"):
        EquivariantGN.adapt_config(cfg, mixed, None)


def test_harmonic_inputs_to_the_heads_only_leave_the_trunk_alone(reference_configs):
    """harmonic_trunk=False: the trunk (and so every head's nonlinear part) does not see the harmonic columns."""
    from glassnet.formats import read_labelled

    c = read_labelled("data/reference/ka-T0.64.h5", "test")[0]
    cfg = EquivariantConfig(hidden=8, layers=1, n_outputs=2, harmonic_times=(0.165,), harmonic_temperature=0.64,
                            harmonic_trunk=False)
    torch.manual_seed(0)
    model = EquivariantGN(cfg)
    t = model.tensors(c.positions, c.types, c.box, c.inherent)
    with torch.no_grad():
        model.head_h.weight.zero_()
        before = predict_tensors(model, t)
        shuffled = {**t, "scalars": t["scalars"].clone()}
        shuffled["scalars"][:, -1] = shuffled["scalars"][torch.randperm(c.n), -1]
        assert np.allclose(predict_tensors(model, shuffled), before)       # the trunk ignores the estimate
        model.head_h.weight.fill_(1.0)
        assert not np.allclose(predict_tensors(model, shuffled), predict_tensors(model, t))
    assert sum(p.numel() for p in model.embed[0].parameters()) == 8 * (2 + 3) + 8


def test_input_cache_is_owned_by_its_user(monkeypatch):
    """The costly inputs live in the cache of whoever builds them (a predictor, a trainer, a cache passed to
    both), not in the process: a second prediction reuses them, a new predictor computes its own, the oldest
    go first beyond the cache's size."""
    from glassnet.formats import read_labelled
    from glassnet.models import InputCache
    from glassnet.models import inputs as inputs_module
    from glassnet.training import Predictor

    monkeypatch.delenv("GLASSNET_INPUT_CACHE", raising=False)
    calls = []
    real = inputs_module.harmonic_displacement_sparse
    monkeypatch.setattr(inputs_module, "harmonic_displacement_sparse",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    c = read_labelled("data/reference/ka-T0.64.h5", "test")[0]
    first = Predictor("ka-T0.64")                 # the shipped recipe: harmonic inputs by the sparse propagator
    a = first.predict(c)
    assert np.array_equal(first.predict(c), a) and len(calls) == 1 and len(first.cache) == 1
    shared = InputCache()
    assert np.array_equal(Predictor("ka-T0.64", cache=shared).predict(c), a) and len(calls) == 2
    Predictor("ka-T0.64-seed1", cache=shared).predict(c)
    assert len(calls) == 2 and len(shared) == 1
    small = InputCache(max_items=2)
    for k in range(3):
        small.get("x", (k,), (np.zeros(1),), lambda: np.full(1, k))
    assert len(small) == 2 and small.get("x", (0,), (np.zeros(1),), lambda: np.full(1, 7))[0] == 7
