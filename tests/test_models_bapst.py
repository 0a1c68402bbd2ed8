"""The Bapst graph network: the published architecture, invariances, the literal form, gradients, reach."""
import numpy as np
import torch

from glassnet.graph import build_graph
from glassnet.models import BapstGN, ModelConfig, graph_to_tensors

from conftest import random_system


def test_parameter_count_of_published_architecture():
    assert sum(p.numel() for p in BapstGN().parameters()) == 62_401


def test_permutation_and_translation_invariance():
    torch.manual_seed(0)
    model = BapstGN(ModelConfig(steps=3, n_outputs=2))
    pos, typ, box = random_system(200)
    base = model.predict_graph(build_graph(pos, typ, box))
    perm = np.random.default_rng(1).permutation(len(pos))
    permuted = model.predict_graph(build_graph(pos[perm], typ[perm], box))
    assert np.allclose(permuted, base[perm], atol=1e-5)
    shifted = pos + np.array([0.37, box[1] * 0.6, -1.3])       # across the periodic boundary
    moved = model.predict_graph(build_graph(shifted, typ, box))
    assert np.allclose(moved, base, atol=1e-5)
    # the prediction does depend on structure: a different configuration gives different outputs
    other = model.predict_graph(build_graph(*random_system(200, seed=5)))
    assert not np.allclose(other, base, atol=1e-3)


def test_symmetrized_prediction_is_exactly_invariant_and_raw_is_not():
    torch.manual_seed(0)
    model = BapstGN(ModelConfig(steps=2))
    pos, typ, box = random_system(200)
    g = build_graph(pos, typ, box)
    # a cube symmetry of the whole system: swap x and y, flip z
    rot = pos[:, [1, 0, 2]] * np.array([1, 1, -1]) + np.array([0, 0, box[2]])
    g_rot = build_graph(rot, typ, box)
    raw, raw_rot = model.predict_graph(g), model.predict_graph(g_rot)
    assert not np.allclose(raw, raw_rot, atol=1e-5)
    sym, sym_rot = model.predict_graph(g, True), model.predict_graph(g_rot, True)
    assert np.allclose(sym, sym_rot, atol=1e-5)


def test_fast_path_equals_literal_architecture():
    torch.manual_seed(3)
    model = BapstGN(ModelConfig(steps=3, n_outputs=2))
    t = graph_to_tensors(build_graph(*random_system(200)), "cpu")
    with torch.no_grad():
        assert torch.allclose(model(**t), model.forward_literal(**t), atol=1e-5, rtol=1e-4)


def test_gradient_reaches_every_parameter():
    torch.manual_seed(0)
    model = BapstGN(ModelConfig(steps=2, n_outputs=3))
    t = graph_to_tensors(build_graph(*random_system(200)), "cpu")
    model(**t).pow(2).mean().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_k_steps_see_only_k_shells():
    """A network with k core steps cannot feel a particle more than k graph steps away."""
    torch.manual_seed(0)
    model = BapstGN(ModelConfig(steps=2))
    pos = np.array([[1.0 + 1.5 * i, 5.0, 5.0] for i in range(6)])   # a chain, neighbours 1.5 apart
    typ = np.zeros(6, dtype=int)
    base = model.predict_graph(build_graph(pos, typ, 12.0))
    moved = pos.copy()
    moved[3] += [0.0, 0.3, 0.0]                     # 3 steps from particle 0
    out = model.predict_graph(build_graph(moved, typ, 12.0))
    assert out[0, 0] == base[0, 0]
    assert out[1, 0] != base[1, 0]                   # 2 steps away: affected
