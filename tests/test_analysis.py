"""Shell analysis, figures and the report."""
from collections import deque

import numpy as np
import pytest
import torch

from glassnet import plots
from glassnet.analysis import ShellProbe, learned_length, shell_index
from glassnet.graph import build_graph
from glassnet.io import Configuration, write_dataset
from glassnet.model import BapstGN, ModelConfig
from glassnet.train import Predictor, save_checkpoint


def _system(n=400, seed=0):
    rng = np.random.default_rng(seed)
    box = np.full(3, (n / 1.2) ** (1 / 3))
    return rng.uniform(0, 1, (n, 3)) * box, rng.integers(0, 2, n), box


def _bfs(graph, start):
    nbrs = [[] for _ in range(graph.n_nodes)]
    for s, r in zip(graph.senders, graph.receivers):
        if s != r:
            nbrs[s].append(r)
    dist = np.full(graph.n_nodes, -1)
    dist[start] = 0
    queue = deque([start])
    while queue:
        i = queue.popleft()
        for j in nbrs[i]:
            if dist[j] < 0:
                dist[j] = dist[i] + 1
                queue.append(j)
    return dist


def test_shells_match_breadth_first_search():
    pos, typ, box = _system()
    g = build_graph(pos, typ, box, 1.3)
    shells = shell_index(g, [0, 7, 99])
    for row, start in zip(shells, [0, 7, 99]):
        assert np.array_equal(row, _bfs(g, start))
    assert shells.max() >= 3


@pytest.fixture(scope="module")
def two_step_predictor(tmp_path_factory):
    torch.manual_seed(0)
    model = BapstGN(ModelConfig(hidden=16, steps=2, n_outputs=2))
    path = tmp_path_factory.mktemp("probe") / "k2.pt"
    save_checkpoint(path, model, {"target_mean": [0.3, 0.5], "target_std": [0.1, 0.2],
                                  "times": [1.0, 10.0], "output_index": [0, 1]})
    return Predictor(path)


def test_k_step_network_feels_nothing_beyond_shell_k(two_step_predictor):
    pos, typ, box = _system(500, seed=1)
    probe = ShellProbe(two_step_predictor, n_shells=5, pushes=(0.1, 0.2), n_marked=6).compute(
        Configuration(pos, typ, box))
    abl, pert = probe.ablation, probe.perturbation
    assert abl.shape == (6, 5, 2) and pert.shape == (2, 6, 5, 2)
    assert np.all(abl[:, 2:] == 0.0)             # shells > 2 removed: exactly no change
    assert np.all(pert[:, :, 2:] == 0.0)         # shells > 2 pushed: exactly no change
    assert np.all(abl[:, :2].max(axis=2) > 0)    # closer shells matter
    assert np.all(pert[1, :, 0].mean(0) > pert[0, :, 0].mean(0))   # a larger push changes more
    lengths = probe.lengths()
    assert all(x["shell"] <= 2 for x in lengths)
    d = probe.to_dict([1.0, 10.0], "toy")
    assert np.isfinite(d["shell_distance"][1]) and d["shell_distance"][1] < d["shell_distance"][2]


def test_probe_properties_need_compute(two_step_predictor):
    with pytest.raises(RuntimeError, match="Call compute first"):
        ShellProbe(two_step_predictor).ablation
    with pytest.raises(ValueError, match="n_shells"):
        ShellProbe(two_step_predictor, n_shells=1)


def test_learned_length_on_known_curves():
    change = np.tile([1.0, 0.5, 0.2, 0.05, 0.01], (20, 1))
    dist = np.tile([0.0, 1.5, 3.0, 4.6, 6.3], (20, 1))
    res = learned_length(change, dist, fraction=0.1)
    assert res["shell"] == 3 and res["length"] == pytest.approx(4.6) and res["shell_err"] == 0
    never = learned_length(np.ones((5, 4)), dist[:5, :4], fraction=0.1)
    assert never["shell"] == 4 and np.isnan(never["length"])


def test_figures_render_with_expected_axes(tmp_path):
    pos, typ, box = _system()
    fig = plots.mobility_slice(pos, box, pos[:, 0], pos[:, 1], typ)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "x (σ)" and ax.get_ylabel() == "y (σ)"
    assert fig.axes[1].get_ylabel() == "predicted propensity (σ)"
    paths = plots.save(fig, tmp_path / "slice")
    assert all(p.stat().st_size > 1000 for p in paths) and {p.suffix for p in paths} == {".png", ".pdf"}
    rows = [{"model": m, "kind": k, "data": "d.h5", "time": t, "r_mean": r, "r_std": 0.01}
            for m, k, r0 in (("net", "network", 0.9), ("noise ceiling", "ceiling", 0.95))
            for t, r in ((1.0, r0), (10.0, r0 - 0.2))]
    fig = plots.correlation_vs_time(rows)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "Pearson r (A particles)"
    assert len(ax.get_legend().get_texts()) == 2
    probe = {"label": "T=1", "times": [1.0], "shells": [0, 1, 2], "ablation_mean": [[1, 0.1, 0.0]],
             "ablation_sem": [[0, 0, 0]], "perturbation_mean": [[[1, 0.1, 0]]],
             "perturbation_sem": [[[0, 0, 0]]], "length_ablation": [{"length": 1.5, "length_err": 0.1}]}
    assert plots.shell_change([probe]).axes[0].get_xlabel() == "shell index n"
    assert plots.length_vs_time([probe]).axes[0].get_ylabel() == "learned length (σ)"


def test_report_end_to_end(tmp_path, two_step_predictor):
    from glassnet.cli import main

    rng = np.random.default_rng(0)
    configs = []
    for split in ["train", "train", "valid", "test"]:
        pos, typ, box = _system(300, seed=int(rng.integers(1000)))
        configs.append(Configuration(pos, typ, box, np.stack([pos[:, 0], pos[:, 1]]),
                                     metadata={"split": split, "noise_ceiling": [0.9, 0.8]}))
    write_dataset(tmp_path / "toy.h5", configs, [1.0, 10.0], {"temperature": 1.0})
    ckpt = tmp_path / "k2.pt"
    save_checkpoint(ckpt, two_step_predictor.model, dict(two_step_predictor.meta))
    assert main(["report", str(ckpt), str(tmp_path / "toy.h5"), "--out-dir", str(tmp_path / "rep"),
                 "--marked", "2", "--no-descriptors"]) == 0
    html = (tmp_path / "rep" / "report.html").read_text()
    assert html.count("data:image/png;base64") == 5
    assert "noise ceiling" in html and "potential_energy" in html
    assert main(["figures", "--results", str(tmp_path / "rep" / "results.csv"), "--probe",
                 str(tmp_path / "rep" / "probe.json"), "--out-dir", str(tmp_path / "figs")]) == 0
    assert (tmp_path / "figs" / "r_vs_time.pdf").exists()
