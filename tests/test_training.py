"""Training: overfitting the published unit-test system, resuming to the same weights, refusing a
foreign run, per-configuration normalisation, seeding without global state."""
from dataclasses import replace

import numpy as np
import pytest
import torch

from glassnet.core import Configuration, ModelError
from glassnet.graph import build_graph
from glassnet.models import EquivariantConfig, ModelConfig
from glassnet.observables import pearson_r
from glassnet.training import Predictor, TrainConfig, Trainer, fit, load_checkpoint

from conftest import DATA, bapst_configuration, random_system


def test_overfit_test_small(tmp_path, test_small):
    """As in the published unit test: cutoff 5, 2 steps, MLP 32-32 fits test_small to r > 0.99."""
    c = bapst_configuration(test_small)
    trainer = fit([c], [c], tmp_path, "bapst", {"hidden": 32, "steps": 2, "r_cut": 5.0}, output_index=[9],
                  progress=False, steps=400, lr=1e-3, eval_every=100, augment=False)
    assert trainer.history[-1]["valid_r_mean"] > 0.99
    assert (tmp_path / "metrics.csv").read_text().startswith("step,train_loss,valid_r_mean")


def _toy_dataset(n_configs=3, seed=0):
    """Synthetic targets that depend on local structure (number of close neighbours)."""
    out = []
    for k in range(n_configs):
        pos, typ, box = random_system(150, seed + k)
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
    with pytest.raises(ModelError, match=r"another model \(other outputs or seed\)"):
        Trainer(data[:2], data[2:], mcfg, TrainConfig(steps=20, eval_every=10, seed=1), tmp_path)


def test_model_learns_a_neighbour_count_with_per_config_normalisation(reference_configs, tmp_path):
    """A target only message passing can know: the number of neighbours within 1.3 sigma."""
    def labelled(c):
        d = c.positions[None] - c.positions[:, None]
        d -= c.box * np.round(d / c.box)
        count = ((np.linalg.norm(d, axis=-1) < 1.3).sum(1) - 1).astype(float)
        return replace(c, targets=np.stack([count, count ** 2]), times=np.array([1.0, 2.0]))

    train_set, valid_set = [labelled(c) for c in reference_configs[:2]], [labelled(reference_configs[2])]
    trainer = Trainer(train_set, valid_set, EquivariantConfig(hidden=16, layers=1, n_outputs=2),
                      TrainConfig(steps=150, lr=3e-3, schedule="cosine", warmup=10, eval_every=50,
                                  normalize="per-config", loss_types=(0, 1)), tmp_path)
    trainer.run(progress=False)
    assert trainer.best_r > 0.8
    # predictions come back in target units: per-type averages of the training configurations
    pred = Predictor(tmp_path / "best.pt").predict(valid_set[0])
    a = valid_set[0].types == 0
    assert pearson_r(pred[a, 0], valid_set[0].targets[0][a]) > 0.8
    assert abs(pred[a, 0].mean() - valid_set[0].targets[0][a].mean()) < 2.0


def test_training_leaves_the_global_rng_alone(tmp_path):
    """Seeding is per run (issue 15): the trainer draws its weights without touching torch's global RNG,
    and two runs with one seed start from the same weights."""
    data = _toy_dataset()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = Trainer(data[:2], data[2:], ModelConfig(hidden=8, steps=1, n_outputs=2), TrainConfig(steps=1), tmp_path / "a")
    assert torch.equal(torch.rand(3), expected)
    b = Trainer(data[:2], data[2:], ModelConfig(hidden=8, steps=1, n_outputs=2), TrainConfig(steps=1), tmp_path / "b")
    for x, y in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(x, y)


@pytest.mark.slow
def test_compiled_training_takes_the_same_steps(reference_configs, tmp_path):
    """TrainConfig(compile=True) (torch.compile, ~3x faster on this CPU) trains the same network to float
    rounding: 5 steps of glassnet's model from one seed, eager against compiled."""
    data = [replace(c, metadata={"split": "train"}) for c in reference_configs[:3]]
    mcfg = EquivariantConfig(hidden=16, layers=2, n_outputs=len(data[0].times))
    runs = {}
    for flag in (False, True):
        tcfg = TrainConfig(steps=5, eval_every=5, lr=1e-3, normalize="per-config", loss_types=(0, 1),
                           compile=flag)
        runs[flag] = Trainer(data[:2], data[2:], mcfg, tcfg, tmp_path / str(flag))
        runs[flag].run(progress=False)
    for (name, a), (_, b) in zip(runs[False].model.state_dict().items(), runs[True].model.state_dict().items()):
        assert torch.allclose(a, b, atol=1e-5, rtol=1e-4), name
    pred = Predictor(tmp_path / "True" / "best.pt", compile=True).predict(data[2])
    assert np.allclose(pred, Predictor(tmp_path / "True" / "best.pt").predict(data[2]), atol=1e-5)


def test_training_stops_early_once_validation_stops_rising(tmp_path):
    """patience: a run whose validation r cannot rise (lr 0) stops after `patience` validations past its best,
    and a resumed run stays stopped."""
    data = _toy_dataset()
    mcfg = ModelConfig(hidden=8, steps=1, n_outputs=2)
    cfg = TrainConfig(steps=100, eval_every=10, lr=0.0, patience=2)
    trainer = Trainer(data[:2], data[2:], mcfg, cfg, tmp_path)
    trainer.run(progress=False)
    assert trainer.step == 30 and trainer.stopped_early and (tmp_path / "best.pt").exists()
    assert Trainer(data[:2], data[2:], mcfg, cfg, tmp_path).stopped_early
    assert Trainer(data[:2], data[2:], mcfg, TrainConfig(steps=40, eval_every=10, lr=1e-3), tmp_path / "b").run(
        progress=False)["step"] == 40
    with pytest.raises(ModelError, match="patience"):
        TrainConfig(patience=-1)


def test_pair_level_supervision_on_single_run_labels(tmp_path, capsys):
    """Issue 29, item 2: a network with an edge head trains on the change of every neighbour pair's distance
    (from the single-run displacement vectors) beside the particles' labels, and learns it: the short-time
    pair labels are predictable from structure. A file without displacement vectors is refused for it."""
    from glassnet.cli import main
    from glassnet.datasets import generate_dataset
    from glassnet.formats import read_labelled
    from glassnet.observables import pair_distance_change, pearson_r
    from glassnet.propensity import SingleRunSpec

    spec = SingleRunSpec(temperature=1.0, n=300, times=(0.165, 0.52), n_runs=2, n_origins=3, origin_spacing=2.0,
                         equilibration_taus=2.0, seed=5)
    path = generate_dataset(tmp_path / "single.h5", spec, workers=1, progress=False)
    configs = read_labelled(path, displacements=True)
    assert configs[0].metadata["displacement_vectors"].shape == (2, 300, 3)
    run = tmp_path / "run"
    args = ["train", str(path), "--valid", str(DATA / "ka-T1.00.h5"), "--model", "equivariant", "--option", "edge_head=true",
            "--option", "inherent=false", "--hidden", "16", "--mp-steps", "1", "--steps", "150", "--eval-every",
            "150", "--out", str(run), "-q"]
    assert main(args) == 0
    model, meta = load_checkpoint(run / "best.pt")
    assert meta["model_config"]["edge_head"] is True and meta["train_config"]["edge_weight"] == 1.0
    trainer = Trainer(configs[:1], configs[:1], model.config, TrainConfig(steps=0), tmp_path / "probe")
    t = trainer.train_samples[0].tensors
    y = pair_distance_change(t["edges"].numpy(), t["senders"].numpy(), t["receivers"].numpy(),
                             configs[0].metadata["displacement_vectors"])

    def r_pairs():
        with torch.no_grad():
            return pearson_r(trainer.model(**t, with_edges=True)[1][:, 0].numpy(), y[0])

    untrained = r_pairs()
    trainer.model.load_state_dict(model.state_dict())
    # t = 0.165: the pair forces part close pairs; one run's velocities are the noise around it
    assert r_pairs() > max(0.3, untrained + 0.2), (untrained, r_pairs())
    capsys.readouterr()
    iso = ["train", str(DATA / "ka-T0.64.h5"), "--model", "equivariant", "--option", "edge_head=true",
           "--option", "inherent=false",
           "--hidden", "8", "--mp-steps", "1", "--steps", "2", "--out", str(tmp_path / "x"), "-q"]
    assert main(iso) == 2                            # 30-replica files keep displacement lengths only
    assert "edge_head needs the displacement vectors" in capsys.readouterr().err


def test_a_run_started_before_a_config_field_existed_resumes(tmp_path, reference_configs):
    """A last.pt written before a model config field was added (as edge_head in 0.3) resumes: the missing field
    takes its default."""
    data = reference_configs[:3]
    mcfg = EquivariantConfig(hidden=8, layers=1, n_outputs=len(data[0].times))
    Trainer(data[:2], data[2:], mcfg, TrainConfig(steps=10, eval_every=10), tmp_path).run(progress=False)
    payload = torch.load(tmp_path / "last.pt", weights_only=True)
    del payload["model_config"]["edge_head"], payload["weights_sha256"]
    torch.save(payload, tmp_path / "last.pt")
    assert Trainer(data[:2], data[2:], mcfg, TrainConfig(steps=20, eval_every=10), tmp_path).step == 10
    with pytest.raises(ModelError, match=r"another model \(hidden=8 there, 16 here\)"):
        Trainer(data[:2], data[2:], replace(mcfg, hidden=16), TrainConfig(steps=20, eval_every=10), tmp_path)


def test_fit_builds_the_architecture_with_its_recipe(tmp_path, reference_configs):
    """Issue 32: one way to build a trainer: the architecture's recipe (training fields and model options) with
    the caller's options and overrides on top; ``plain`` starts from the config's defaults (train() once fell
    back to the published recipe for glassnet's model)."""
    from glassnet.models import ARCHITECTURES

    eq, bapst = ARCHITECTURES["equivariant"], ARCHITECTURES["bapst"]
    one, other = reference_configs[:1], reference_configs[1:2]
    trainer = fit(one, other, tmp_path / "eq", options={"hidden": 8, "layers": 1}, steps=2, progress=False)
    cfg = trainer.model_config
    assert trainer.step == 2 and trainer.config.lr == eq.recipe["lr"] != bapst.recipe["lr"]
    assert trainer.config.schedule == "cosine" and trainer.config.normalize == "per-config" and cfg.hidden == 8
    assert cfg.harmonic_times == (0.165, 0.52) == eq.options["harmonic_times"] and not cfg.harmonic_trunk
    assert cfg.harmonic_temperature == one[0].metadata["temperature"] == 0.64     # from the data
    plain = Trainer.from_architecture(one, other, tmp_path / "plain", options={"hidden": 8}, plain=True, lr=3e-4)
    assert plain.model_config.harmonic_times == () and plain.config.lr == 3e-4 and plain.config.warmup == 100
    off = Trainer.from_architecture(one, other, tmp_path / "off", options={"hidden": 8, "harmonic_times": ""})
    assert off.model_config.harmonic_times == () and off.model_config.harmonic_method == "sparse"  # --option X=
    b = Trainer.from_architecture(one, other, tmp_path / "b", "bapst", {"hidden": 8, "steps": "1"}, output_index=[0])
    assert b.config.lr == bapst.recipe["lr"] and b.config.normalize == "global" and b.model_config.n_outputs == 1
    with pytest.raises(ModelError, match="no option 'harmonic_times'"):
        Trainer.from_architecture(one, other, tmp_path / "b2", "bapst", {"harmonic_times": "0.1"})
