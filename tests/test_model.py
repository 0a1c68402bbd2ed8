"""The Bapst graph network: the released weights, invariances, gradients, training, checkpoints."""
import numpy as np
import pytest
import torch

from glassnet.graph import build_graph
from glassnet.io import Configuration, bapst_propensities
from glassnet.model import BapstGN, ModelConfig, ModelError, graph_to_tensors
from glassnet.train import (Predictor, TrainConfig, Trainer, evaluate, import_bapst_checkpoint,
                            load_checkpoint, pearson_r, save_checkpoint, train)

from conftest import reference_file


@pytest.fixture(scope="module")
def bapst_checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("ckpt") / "bapst_t044_s09.pt"
    return import_bapst_checkpoint(reference_file("checkpoint_t044_s09"), out)


def _config_from(d):
    times, prop = bapst_propensities(d)
    return Configuration(d["positions"], d["types"], d["box"], prop, times)


def test_parameter_count_of_published_architecture():
    assert sum(p.numel() for p in BapstGN().parameters()) == 62_401


def test_released_weights_reproduce_published_correlation(bapst_checkpoint, test_large):
    """Applied to test_large, the imported network gives r = 0.935 +- 0.002 at time index 0."""
    res = evaluate(Predictor(bapst_checkpoint), [_config_from(test_large)], output_index=[0])
    assert res["mean"][0] == pytest.approx(0.935, abs=0.002)
    res1 = evaluate(Predictor(bapst_checkpoint), [_config_from(test_large)], output_index=[1])
    assert res1["mean"][0] == pytest.approx(0.39, abs=0.01)       # README: 0.39 at index 1


def _small_system(n=200, seed=0):
    rng = np.random.default_rng(seed)
    box = np.full(3, (n / 1.2) ** (1 / 3))
    return rng.uniform(0, 1, (n, 3)) * box, rng.integers(0, 2, n), box


def test_permutation_and_translation_invariance():
    torch.manual_seed(0)
    model = BapstGN(ModelConfig(steps=3, n_outputs=2))
    pos, typ, box = _small_system()
    base = model.predict_graph(build_graph(pos, typ, box))
    perm = np.random.default_rng(1).permutation(len(pos))
    permuted = model.predict_graph(build_graph(pos[perm], typ[perm], box))
    assert np.allclose(permuted, base[perm], atol=1e-5)
    shifted = pos + np.array([0.37, box[1] * 0.6, -1.3])       # across the periodic boundary
    moved = model.predict_graph(build_graph(shifted, typ, box))
    assert np.allclose(moved, base, atol=1e-5)
    # the prediction does depend on structure: a different configuration gives different outputs
    other = model.predict_graph(build_graph(*_small_system(seed=5)))
    assert not np.allclose(other, base, atol=1e-3)


def test_symmetrized_prediction_is_exactly_invariant_and_raw_is_not():
    torch.manual_seed(0)
    model = BapstGN(ModelConfig(steps=2))
    pos, typ, box = _small_system()
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
    t = graph_to_tensors(build_graph(*_small_system()), "cpu")
    with torch.no_grad():
        assert torch.allclose(model(**t), model.forward_literal(**t), atol=1e-5, rtol=1e-4)


def test_gradient_reaches_every_parameter():
    torch.manual_seed(0)
    model = BapstGN(ModelConfig(steps=2, n_outputs=3))
    t = graph_to_tensors(build_graph(*_small_system()), "cpu")
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


def test_overfit_test_small(tmp_path, test_small):
    """As in the published unit test: cutoff 5, 2 steps, MLP 32-32 fits test_small to r > 0.99."""
    c = _config_from(test_small)
    trainer = train([c], [c], tmp_path, ModelConfig(hidden=32, steps=2, r_cut=5.0, n_outputs=1),
                    TrainConfig(steps=400, lr=1e-3, eval_every=100, augment=False),
                    output_index=[9], progress=False)
    assert trainer.history[-1]["valid_r_mean"] > 0.99
    assert (tmp_path / "metrics.csv").read_text().startswith("step,train_loss,valid_r_mean")


def _toy_dataset(n_configs=3, seed=0):
    """Synthetic targets that depend on local structure (number of close neighbours)."""
    out = []
    for k in range(n_configs):
        pos, typ, box = _small_system(150, seed + k)
        g = build_graph(pos, typ, box, 1.2, self_edges=False)
        deg = np.bincount(g.receivers, minlength=len(pos)).astype(float)
        out.append(Configuration(pos, typ, box, np.stack([deg, deg ** 0.5]), np.array([1.0, 10.0])))
    return out


def test_training_resumes_to_the_same_result(tmp_path):
    data = _toy_dataset()
    mcfg = ModelConfig(hidden=16, steps=2, n_outputs=2)
    full = Trainer(data[:2], data[2:], mcfg, TrainConfig(steps=40, eval_every=10, lr=1e-3), tmp_path / "a")
    full.run(progress=False)
    first = Trainer(data[:2], data[2:], mcfg, TrainConfig(steps=20, eval_every=10, lr=1e-3), tmp_path / "b")
    first.run(progress=False)                       # stands for a run killed after step 20
    resumed = Trainer(data[:2], data[2:], mcfg, TrainConfig(steps=40, eval_every=10, lr=1e-3), tmp_path / "b")
    assert resumed.step == 20
    resumed.run(progress=False)
    for (n, a), (_, b) in zip(full.model.state_dict().items(), resumed.model.state_dict().items()):
        assert torch.equal(a, b), n
    model, meta = load_checkpoint(tmp_path / "b" / "last.pt")
    assert meta["step"] == 40 and meta["train_config"]["seed"] == 0
    assert meta["versions"]["glassnet"] and meta["training_data"]["n_configurations"] == 2


def test_resume_with_another_seed_is_refused(tmp_path):
    data = _toy_dataset()
    mcfg = ModelConfig(hidden=16, steps=1, n_outputs=2)
    Trainer(data[:2], data[2:], mcfg, TrainConfig(steps=10, eval_every=10), tmp_path).run(progress=False)
    with pytest.raises(ModelError, match="another model, outputs or seed"):
        Trainer(data[:2], data[2:], mcfg, TrainConfig(steps=20, eval_every=10, seed=1), tmp_path)


def test_checkpoint_errors(tmp_path, bapst_checkpoint):
    # another architecture: weights of a 32-wide net under a 64-wide config
    small = BapstGN(ModelConfig(hidden=32))
    save_checkpoint(tmp_path / "x.pt", small, {})
    payload = torch.load(tmp_path / "x.pt", weights_only=True)
    payload["model_config"]["hidden"] = 64
    torch.save(payload, tmp_path / "mismatch.pt")
    with pytest.raises(ModelError, match="do not fit the architecture"):
        load_checkpoint(tmp_path / "mismatch.pt")
    data = open(bapst_checkpoint, "rb").read()
    (tmp_path / "trunc.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="truncated or corrupt"):
        load_checkpoint(tmp_path / "trunc.pt")
    (tmp_path / "garbage.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="truncated or corrupt"):
        load_checkpoint(tmp_path / "garbage.pt")
    with pytest.raises(ModelError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


def test_tf_bundle_corruption_is_detected(tmp_path):
    from glassnet._tfbundle import read_tf_bundle
    from glassnet.io import FormatError

    src = reference_file("checkpoint_t044_s09")
    for f in src.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    data = tmp_path / "t044_s09.ckpt.data-00000-of-00001"
    original = data.read_bytes()
    raw = bytearray(original)
    raw[1000] ^= 0xFF
    data.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match="checksum mismatch"):
        read_tf_bundle(tmp_path)
    data.write_bytes(original[: len(original) // 2])
    with pytest.raises(FormatError, match="truncated"):
        read_tf_bundle(tmp_path)


def test_pearson_r():
    x = np.arange(10.0)
    assert pearson_r(x, 2 * x + 1) == pytest.approx(1.0)
    assert pearson_r(x, -x) == pytest.approx(-1.0)
    assert np.isnan(pearson_r(x, np.ones(10)))


def test_shipped_names_resolve(tmp_path, monkeypatch):
    from glassnet.train import resolve_checkpoint

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("GLASSNET_BAPST_CHECKPOINT", str(reference_file("checkpoint_t044_s09")))
    path = resolve_checkpoint("bapst-T0.44")
    assert path == tmp_path / "glassnet" / "bapst-T0.44.pt"
    model, meta = load_checkpoint("bapst-T0.44")
    assert meta["times"] == [0.132] and sum(p.numel() for p in model.parameters()) == 62_401
    with pytest.raises(ModelError, match="neither a file nor a shipped network"):
        resolve_checkpoint("no-such-network")
