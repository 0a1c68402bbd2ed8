"""The shell probe: shells against breadth-first search, the reach of k-step networks, the learned length."""
from collections import deque

import numpy as np
import pytest
import torch

from glassnet.analysis import ShellProbe, learned_length, shell_index
from glassnet.core import Configuration, ParameterError
from glassnet.graph import build_graph
from glassnet.models import EquivariantConfig, EquivariantGN
from glassnet.training import Predictor, save_checkpoint

from conftest import random_system


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
    pos, typ, box = random_system(400)
    g = build_graph(pos, typ, box, 1.3)
    shells = shell_index(g, [0, 7, 99])
    for row, start in zip(shells, [0, 7, 99]):
        assert np.array_equal(row, _bfs(g, start))
    assert shells.max() >= 3


def test_k_step_network_feels_nothing_beyond_shell_k(two_step_predictor):
    pos, typ, box = random_system(500, seed=1)
    probe = ShellProbe(two_step_predictor, n_shells=5, pushes=(0.1, 0.2), n_marked=6).compute(
        Configuration(pos, typ, box))
    abl, pert = probe.ablation, probe.perturbation
    assert abl.shape == (6, 5, 2) and pert.shape == (2, 6, 5, 2)
    assert np.all(abl[:, 2:] == 0.0)             # shells > 2 removed: exactly no change
    assert np.all(pert[:, :, 2:] == 0.0)         # shells > 2 pushed: exactly no change
    assert np.all(abl[:, :2].max(axis=2) > 0)    # closer shells matter
    jac = probe.jacobian                          # issue 31: the third measure, by autograd
    assert jac.shape == (6, 5, 2) and np.all(jac[:, 3:] == 0.0)     # no derivative beyond shell 2 (+ its pairs)
    assert np.all(jac[:, 1].max(axis=1) > 0) and probe.lengths("jacobian")[0]["shell"] <= 3
    assert np.all(pert[1, :, 0].mean(0) > pert[0, :, 0].mean(0))   # a larger push changes more
    lengths = probe.lengths()
    assert all(x["shell"] <= 2 for x in lengths)
    d = probe.to_dict([1.0, 10.0], "toy")
    assert np.isfinite(d["shell_distance"][1]) and d["shell_distance"][1] < d["shell_distance"][2]
    assert d["reach"] == 2 and d["half_box"] == box.min() / 2


def test_length_table_puts_each_measure_and_the_field_lengths_at_the_same_time():
    from glassnet.analysis import LENGTH_COLUMNS, format_columns, length_table

    nan = float("nan")
    probe = {"times": [1.0, 10.0], "data_times": [1.0, 5.0],
             "length_ablation": [{"shell": 2, "length": 2.5}, {"shell": 9, "length": nan}],
             "length_perturbation": [{"shell": 1, "length": 1.4}, {"shell": 3, "length": 3.9}],
             "length_jacobian": [{"shell": 2, "length": 2.6}, {"shell": 2, "length": 2.7}],
             "field_length_measured": [{"xi": 0.5, "xi_err": 0.1}, {"xi": 4.0, "xi_err": 1.0, "capped": True}],
             "field_length_predicted": [{"xi": 0.4, "xi_err": 0.05}, {"xi": 2.0, "xi_err": 0.2}]}
    rows = length_table(probe)
    assert rows[0] == ("1", "2 (2.50)", "1 (1.40)", "2 (2.60)", "0.50 +- 0.10", "0.40 +- 0.05")
    # no measured field at t = 10 (the data stop at 5): blank, not the t = 5 value; a shell past every probed
    # one has no distance
    assert rows[1] == ("10", "9", "3 (3.90)", "2 (2.70)", "", "2.00 +- 0.20")
    probe["data_times"] = [1.0, 10.0]
    assert length_table(probe)[1][4] == "4.00 +- 1.00*"          # the box does not resolve it
    text = format_columns(LENGTH_COLUMNS, rows).splitlines()
    assert len(text) == 3 and len({len(line) for line in text}) == 1 and "xi measured" in text[0]


def test_probe_warnings_name_what_caps_a_length():
    from glassnet.analysis import probe_warnings

    probe = {"times": [1.0, 10.0], "half_box": 4.7, "reach": 3,
             "length_ablation": [{"shell": 1, "length": 1.1}, {"shell": 3, "length": 4.5}],
             "length_perturbation": [{"shell": 1, "length": 1.0}, {"shell": 2, "length": float("nan")}]}
    w = probe_warnings(probe)
    assert len(w) == 2 and all(x.startswith("ablation at t=10") for x in w)
    assert "4.50 sigma" in w[0] and "half the box (4.70 sigma)" in w[0] and "reach (3 message-passing steps)" in w[1]
    # one line per cause: the same cause at several times is named once, with its times
    probe["length_ablation"][0] = {"shell": 3, "length": 4.6}
    probe["length_perturbation"] = [{"shell": 3, "length": 4.4}, {"shell": 3, "length": 4.4}]
    w = probe_warnings(probe)
    assert len(w) == 4 and w[1] == ("ablation at every time: the learned shell reaches the network's reach "
                                    "(3 message-passing steps): the architecture caps it")
    assert w[0].startswith("ablation at t=1 (4.60 sigma), t=10 (4.50 sigma): the learned length reaches")
    assert w[2].startswith("perturbation at every time (4.40 sigma): the learned length reaches")


def test_probe_properties_need_compute(two_step_predictor):
    with pytest.raises(RuntimeError, match="Call compute first"):
        ShellProbe(two_step_predictor).ablation
    with pytest.raises(ParameterError, match="n_shells"):
        ShellProbe(two_step_predictor, n_shells=1)


def test_learned_length_on_known_curves():
    change = np.tile([1.0, 0.5, 0.2, 0.05, 0.01], (20, 1))
    dist = np.tile([0.0, 1.5, 3.0, 4.6, 6.3], (20, 1))
    res = learned_length(change, dist, fraction=0.1)
    assert res["shell"] == 3 and res["length"] == pytest.approx(4.6) and res["shell_err"] == 0
    never = learned_length(np.ones((5, 4)), dist[:5, :4], fraction=0.1)
    assert never["shell"] == 4 and np.isnan(never["length"])
    # a per-shell sum (the Jacobian): 86% of it by shell 1, 97% by shell 2; the threshold rule reads the slow
    # fall of the sum over ever larger shells as range (shell 4); the cumulative rule stops at shell 2
    summed = np.tile([1.0, 5.0, 0.8, 0.15, 0.02], (20, 1))
    assert learned_length(summed, dist, fraction=0.1)["shell"] == 4
    cum = learned_length(summed, dist, fraction=0.1, cumulative=True)
    assert cum["shell"] == 2 and cum["criterion"] == "cumulative" and cum["length"] == pytest.approx(3.0)


def test_probe_of_a_two_layer_model_stops_at_shell_two(reference_configs, tmp_path):
    torch.manual_seed(2)
    model = EquivariantGN(EquivariantConfig(hidden=16, layers=2, n_outputs=1))
    save_checkpoint(tmp_path / "m.pt", model, {})
    probe = ShellProbe(Predictor(tmp_path / "m.pt"), n_shells=4, pushes=(), n_marked=3)
    abl = probe.compute(reference_configs[0]).ablation
    assert np.all(abl[:, 0, 0] > 1e-4)
    assert np.abs(abl[:, 2:, :]).max() < 1e-5


def test_probe_of_a_network_that_reads_the_temperature(reference_configs, tmp_path):
    """`glassnet probe ka-all` failed: the pushed configurations lost the temperature. A push of zero must
    give back the unperturbed prediction (the same temperature and, after a fresh quench, the same inherent
    state), and a real push must move it."""
    from dataclasses import replace

    c = replace(reference_configs[0], metadata={**reference_configs[0].metadata, "temperature": 0.64,
                                                 "tau_alpha": 8.0})
    torch.manual_seed(0)
    cfg = EquivariantGN.adapt_config(EquivariantConfig(hidden=16, layers=2, n_outputs=2, temperature_input=True,
                                                       time_input="absolute"), [c], [0.165, 1.65])
    save_checkpoint(tmp_path / "t.pt", EquivariantGN(cfg), {"times": [0.165, 1.65]})
    probe = ShellProbe(Predictor(tmp_path / "t.pt"), n_shells=2, pushes=(0.0, 0.1), n_marked=1, seed=3)
    pert = probe.compute(c).perturbation                    # (P, M, S, K)
    assert np.abs(pert[0]).max() < 1e-4 * np.abs(pert[1, :, 0]).max()
    assert np.all(pert[1, :, 0] > 1e-5)


def test_field_length_of_measured_and_shuffled_propensity(test_large, reference_configs):
    """Measured propensities correlate over sigma-scale distances after tau_alpha and hardly at the shortest
    time, the more so the longer the time; shuffling the field among particles destroys the correlation."""
    from dataclasses import replace

    from glassnet.analysis import field_length

    from conftest import bapst_configuration

    c = bapst_configuration(test_large)                  # T=0.44, N=4096
    xi = [x["xi"] for x in field_length([c], [c.targets[[0, -1]].T])]       # t = 0.132 and tau_alpha
    assert xi[0] < 0.4 and 1.5 < xi[-1] < 8.0, xi
    rng = np.random.default_rng(0)
    shuffled = [replace(c, targets=np.array([rng.permutation(c.targets[-1]) for _ in range(3)]))]
    assert all(x["xi"] < 0.4 for x in field_length(shuffled))
    few = reference_configs[:4]                                               # T=0.64, N=1000
    t064 = field_length(few, [x.targets[[2, 5]].T for x in few])             # t = 1.65 and 52 tau
    assert t064[0]["n_configs"] == len(few) and all(np.isfinite(x["xi_err"]) for x in t064)
    assert t064[1]["xi"] > 1.5 * t064[0]["xi"], [x["xi"] for x in t064]


def test_one_default_number_of_shells(two_step_predictor):
    """Issue 32: ShellProbe defaulted to 10 shells, the CLI and the report to 9."""
    import inspect

    from glassnet.analysis import DEFAULT_SHELLS
    from glassnet.cli import build_parser
    from glassnet.report import make_report

    assert ShellProbe(two_step_predictor).n_shells == DEFAULT_SHELLS
    assert build_parser().parse_args(["probe", "c.pt", "d.h5", "--out", "o"]).shells == DEFAULT_SHELLS
    assert inspect.signature(make_report).parameters["n_shells"].default == DEFAULT_SHELLS


def test_learned_length_at_an_empty_shell_is_nan_without_a_warning():
    """A bootstrap sample whose threshold shell holds no particle has no distance (the demo warned 'Mean of
    empty slice')."""
    import warnings

    from glassnet.analysis import learned_length

    change = np.array([[1.0, 0.5, 0.01], [1.0, 0.5, 0.01]])
    dist = np.array([[0.0, 1.5, np.nan], [0.0, 1.5, np.nan]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = learned_length(change, dist)
    assert out["shell"] == 2 and np.isnan(out["length"])
