"""One network over state points: the tau_alpha(T) law, label grids pooled across temperatures, the
temperature input and the time-conditioned decoder, trained on real data at two temperatures."""
from dataclasses import replace

import numpy as np
import pytest
import torch

from glassnet.cli import main
from glassnet.core import ModelError
from glassnet.evaluation import evaluate
from glassnet.formats import read_labelled
from glassnet.models import EquivariantConfig, EquivariantGN, predict_tensors
from glassnet.observables import fit_tau_alpha, tau_alpha_at
from glassnet.training import Predictor, TrainConfig, Trainer, label_times

from conftest import DATA


def test_vft_law_is_recovered_and_refuses_its_divergence():
    temps = np.array([1.0, 0.8, 0.64, 0.56, 0.5])
    tau = 10 ** (-1.2 + 0.9 / (temps - 0.3))
    a, b, t0 = fit_tau_alpha(temps, tau)
    assert (a, b, t0) == pytest.approx((-1.2, 0.9, 0.3), rel=1e-3)
    assert tau_alpha_at((a, b, t0), 0.44) == pytest.approx(10 ** (-1.2 + 0.9 / 0.14), rel=1e-3)
    # two temperatures: the Arrhenius line through both, exactly
    law = fit_tau_alpha([1.0, 0.5], [1.0, 100.0])
    assert law[2] == 0.0 and tau_alpha_at(law, [1.0, 0.5]) == pytest.approx([1.0, 100.0])
    with pytest.raises(ValueError, match="divergence"):
        tau_alpha_at((a, b, t0), 0.25)
    with pytest.raises(ValueError, match="distinct"):
        fit_tau_alpha([0.64, 0.64], [8.0, 9.0])


def test_label_grid_is_the_union_of_the_files_times():
    t064 = read_labelled(DATA / "ka-T0.64.h5", "train")[:1]
    t056 = read_labelled(DATA / "ka-T0.56.h5", "train")[:1]
    grid = label_times(t064 + t056)
    assert np.allclose(grid, [0.165, 0.52, 1.65, 5.2, 16.5, 52, 165])
    assert label_times(t064) == pytest.approx(t064[0].times)
    assert label_times([replace(t064[0], times=None)]) is None


def _time_model(c, mode="scaled", **kw):
    torch.manual_seed(0)
    cfg = EquivariantConfig(hidden=16, layers=2, n_outputs=3, temperature_input=True, time_input=mode,
                            **kw)
    c = replace(c, metadata={**c.metadata, "temperature": 0.64, "tau_alpha": 8.0})
    cfg = EquivariantGN.adapt_config(cfg, [c], [0.165, 1.65, 16.5])
    return EquivariantGN(cfg)


def test_time_conditioned_decoder_predicts_at_any_time_and_holds_its_range(reference_configs):
    c = reference_configs[0]
    model = _time_model(c)
    cfg = model.config
    assert cfg.times == (0.165, 1.65, 16.5)
    # tau_alpha of one state point is a constant law; the time range is what the labels span, in t/tau_alpha
    assert tau_alpha_at(cfg.tau_alpha_law, [0.64, 0.9]) == pytest.approx([8.0, 8.0])
    assert cfg.time_range == pytest.approx(np.log10([min(c.times) / 8.0, max(c.times) / 8.0]))
    t = model.tensors(c.positions, c.types, c.box, c.inherent, temperature=0.64)
    base = predict_tensors(model, t)
    assert base.shape == (c.n, 3) and base.std() > 1e-4
    # the same times asked explicitly, one of them alone, and far outside the range: refused, or with
    # clamp_times held at the ends
    with pytest.raises(ModelError, match=r"t = 0.0001, 1e\+06 tau lies outside"):
        model.tensors(c.positions, c.types, c.box, c.inherent, temperature=0.64, times=[1.65, 1e-4, 1e6])
    asked = predict_tensors(model, model.tensors(c.positions, c.types, c.box, c.inherent, temperature=0.64,
                                                 times=[1.65, 1e-4, 1e6], clamp_times=True))
    assert np.allclose(asked[:, 0], base[:, 1], atol=1e-6)
    lo = predict_tensors(model, model.tensors(c.positions, c.types, c.box, c.inherent, temperature=0.64,
                                              times=[min(c.times)]))
    hi = predict_tensors(model, model.tensors(c.positions, c.types, c.box, c.inherent, temperature=0.64,
                                              times=[max(c.times)]))
    assert np.allclose(asked[:, 1], lo[:, 0], atol=1e-6) and np.allclose(asked[:, 2], hi[:, 0], atol=1e-6)
    # the temperature changes the prediction; without it the network refuses
    warm = predict_tensors(model, model.tensors(c.positions, c.types, c.box, c.inherent, temperature=0.9))
    assert np.abs(warm - base).max() > 1e-4
    with pytest.raises(ModelError, match="temperature"):
        model.tensors(c.positions, c.types, c.box, c.inherent)
    # still exactly invariant under rotations and reflections
    q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(3, 3)))
    rotated = predict_tensors(model, model.transform(t, torch.as_tensor(q, dtype=torch.float32)))
    assert np.abs(rotated - base).max() < 1e-4 * np.abs(base).max()


def test_time_conditioned_decoder_blends_the_harmonic_inputs_at_each_configurations_temperature():
    """Issue 29 for pooled networks: the harmonic estimates at fixed times reach a time-conditioned decoder with
    weights set by its time input, computed at each configuration's own temperature; still invariant."""
    c = read_labelled(DATA / "ka-T0.64.h5", "test")[0]
    model = _time_model(c, harmonic_times=(0.165,), harmonic_method="sparse", harmonic_trunk=False)
    assert model.config.harmonic_temperature == 0.64           # one training temperature: recorded
    pooled = EquivariantGN(replace(model.config, harmonic_temperature=0.0))
    cold, warm = (pooled.tensors(c.positions, c.types, c.box, c.inherent, temperature=t)["scalars"][:, -2].numpy()
                  for t in (0.5, 1.0))
    assert np.corrcoef(cold, warm)[0, 1] < 0.999                   # the estimate depends on the temperature
    t = model.tensors(c.positions, c.types, c.box, c.inherent, temperature=0.64)
    h = t["scalars"][:, -2].numpy()                                # the estimate (the temperature is last)
    with torch.no_grad():
        model.decode_h.weight.zero_()
        model.decode_h.bias.zero_()
        without = predict_tensors(model, t)
        model.decode_h.bias[0] = 1.0                               # type A: + the estimate, at every time
        with_h = predict_tensors(model, t)
        model.decode_h.weight[0, 0] = 5.0                          # weights that change with the time
        varying = predict_tensors(model, t)
    a = c.types == 0
    assert np.allclose(with_h[a] - without[a], h[a, None], atol=1e-5)
    assert np.allclose(with_h[~a], without[~a], atol=1e-6)
    gain = [np.polyfit(h[a], varying[a, k] - without[a, k], 1)[0] for k in range(3)]
    assert np.ptp(gain) > 0.1, gain
    q, _ = np.linalg.qr(np.random.default_rng(2).normal(size=(3, 3)))
    rotated = predict_tensors(model, model.transform(t, torch.as_tensor(q, dtype=torch.float32)))
    assert np.abs(rotated - varying).max() < 1e-4 * np.abs(varying).max()
    with pytest.raises(ModelError, match="temperature_input=True"):
        EquivariantGN(EquivariantConfig(n_outputs=2, harmonic_times=(0.165,)))


def test_fixed_head_networks_refuse_times(reference_configs):
    c = reference_configs[0]
    model = EquivariantGN(EquivariantConfig(hidden=8, layers=1, n_outputs=2))
    with pytest.raises(ModelError, match="fixed times"):
        model.tensors(c.positions, c.types, c.box, c.inherent, times=[1.0])
    with pytest.raises(ModelError, match="time_input"):
        EquivariantGN(EquivariantConfig(n_outputs=2, time_input="relative"))
    with pytest.raises(ModelError, match="n_outputs=2 times"):
        EquivariantGN(EquivariantConfig(n_outputs=2, time_input="absolute", time_range=(0, 1)))


def test_temperature_input_is_what_tells_two_state_points_apart(reference_configs, tmp_path):
    """The same structures at two temperatures with opposite labels: only a network that reads T can fit
    both (without it, r at one temperature is minus r at the other)."""
    base = [c for c in reference_configs if c.metadata["split"] == "train"][:3]
    sets = []
    for temp, sign in ((0.64, 1.0), (0.9, -1.0)):
        for c in base:
            y = sign * np.linalg.norm(c.inherent.forces, axis=1)
            sets.append(replace(c, targets=y[None], times=np.array([1.0]),
                                metadata={**c.metadata, "temperature": temp, "tau_alpha": 8.0 * temp}))
    tcfg = TrainConfig(steps=100, lr=3e-3, eval_every=100, normalize="per-config", loss_types=(0, 1), seed=0)
    scores = {}
    for t_input in (True, False):
        mcfg = EquivariantConfig(hidden=16, layers=1, n_outputs=1, temperature_input=t_input,
                                 time_input="absolute")
        trainer = Trainer(sets, sets[:1], mcfg, tcfg, tmp_path / str(t_input))
        trainer.run(progress=False)
        p = Predictor(tmp_path / str(t_input) / "last.pt")
        scores[t_input] = [evaluate(p, [s for s in sets if s.metadata["temperature"] == t])["mean"][0]
                           for t in (0.64, 0.9)]
    assert min(scores[True]) > 0.6, scores
    assert min(scores[False]) < 0.3, scores


def test_pooled_training_over_two_time_grids(tmp_path):
    """T=0.64 (6 times) and T=0.56 (7 times) train one scaled-time network on the union grid; it is scored at
    each file's own times, and predicts the T=0.64 short-time propensity after a few dozen steps."""
    train = read_labelled([DATA / "ka-T0.64.h5", DATA / "ka-T0.56.h5"], "train")
    valid = read_labelled([DATA / "ka-T0.64.h5", DATA / "ka-T0.56.h5"], "valid")
    mcfg = EquivariantConfig(n_outputs=7, temperature_input=True, time_input="scaled")
    tcfg = TrainConfig(steps=60, lr=1e-3, eval_every=30, normalize="per-config", loss_types=(0, 1), seed=0)
    trainer = Trainer(train, valid, mcfg, tcfg, tmp_path)
    trainer.run(progress=False)
    law = trainer.model_config.tau_alpha_law
    assert tau_alpha_at(law, 0.64) == pytest.approx(8.17, rel=0.01)      # the two files' recorded tau_alpha
    assert tau_alpha_at(law, 0.56) == pytest.approx(28.1, rel=0.01)
    p = Predictor(tmp_path / "best.pt")
    assert p.any_time and p.times == pytest.approx([0.165, 0.52, 1.65, 5.2, 16.5, 52, 165])
    # it interpolates between its temperatures without a warning, and warns outside them
    at = lambda t: replace(valid[0], metadata={**valid[0].metadata, "temperature": t})  # noqa: E731
    assert p.state_point_warnings(at(0.60)) == []
    assert "outside the training data's 0.56 ... 0.64" in p.state_point_warnings(at(0.44))[0]
    test = read_labelled(DATA / "ka-T0.64.h5", "test")
    res = evaluate(p, test)
    assert res["times"] == pytest.approx(list(test[0].times)) and res["mean"][0] > 0.3, res["mean"]
    assert np.isfinite(trainer.history[-1]["valid_r_6"])     # 165 tau: labelled at T=0.56 only

    # the command line: predict at other times; the CSV records the temperature each prediction assumed
    out = tmp_path / "p.csv"
    one = tmp_path / "one.h5"
    from glassnet.formats.hdf5 import write_dataset
    write_dataset(one, test[:1], test[0].times, {"temperature": 0.64})
    assert main(["predict", str(tmp_path / "best.pt"), str(one), "--times", "0.3", "30", "--out", str(out),
                 "-q"]) == 0
    head = out.read_text().splitlines()
    assert head[0] == "configuration,particle,type,temperature,t=0.3,t=30" and head[1].split(",")[3] == "0.64"
    # 300 tau is 37 tau_alpha at T = 0.64: past every label (5.9 tau_alpha at most)
    assert main(["predict", str(tmp_path / "best.pt"), str(one), "--times", "300", "--out", str(tmp_path / "r.csv"),
                 "-q"]) == 2
    assert main(["predict", "ka-T0.64", str(one), "--times", "0.3", "--out", str(tmp_path / "q.csv"), "-q"]) == 2
    assert not (tmp_path / "q.csv").exists()
