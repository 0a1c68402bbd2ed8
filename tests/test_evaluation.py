"""Evaluation: Pearson r per configuration and timescale, result rows, the result files."""
import warnings

import numpy as np
import pytest

from glassnet.core import Configuration, FormatError, ModelError
from glassnet.evaluation import (RESULT_COLUMNS, ceiling_rows, evaluate, evaluation_rows, format_table,
                                 read_results, result_rows, write_results)


class _Oracle:
    """A predictor that returns the targets themselves (plus noise of a chosen size) for its rows."""

    def __init__(self, rows, noise=0.0, seed=0):
        self.output_index, self.noise, self.rng = list(rows), noise, np.random.default_rng(seed)

    def predict(self, c):
        t = np.asarray(c.targets)[self.output_index].T
        return t + self.noise * self.rng.normal(size=t.shape)


def _configs(n=3, n_particles=400, seed=0):
    rng = np.random.default_rng(seed)
    return [Configuration(rng.uniform(0, 8, (n_particles, 3)), rng.integers(0, 2, n_particles), np.full(3, 8.0),
                          rng.normal(size=(3, n_particles)), np.array([0.1, 1.0, 10.0]),
                          {"noise_ceiling": [0.9, 0.8, 0.7]}) for _ in range(n)]


def test_evaluate_scores_the_matching_target_rows():
    configs = _configs()
    perfect = evaluate(_Oracle([2, 0]), configs)
    assert np.allclose(perfect["r"], 1.0) and perfect["times"] == [10.0, 0.1]
    noisy = evaluate(_Oracle([0], noise=1.0), configs)
    assert 0.6 < noisy["mean"][0] < 0.8                     # r = 1/sqrt(2) for unit noise
    with pytest.raises(ModelError, match="target rows \\[5\\]"):
        evaluate(_Oracle([5]), configs)


def test_evaluation_rows_carry_the_matching_ceilings():
    rows = evaluation_rows(_Oracle([2]), _configs(), data="d.h5", split="test", name="oracle")
    kinds = {(r["kind"], r["output"]): r["r_mean"] for r in rows}
    assert kinds == {("network", 0): pytest.approx(1.0), ("ceiling", 0): pytest.approx(0.7)}
    assert "oracle" in format_table(rows) and "t (tau)" in format_table(rows)


def test_result_rows_skip_missing_outputs():
    r = np.array([[0.5, np.nan], [0.7, np.nan]])
    rows = result_rows("m", "network", "d", "test", [1.0, 2.0], r)
    assert len(rows) == 1 and rows[0]["r_mean"] == pytest.approx(0.6) and rows[0]["n_configurations"] == 2
    assert ceiling_rows([Configuration(np.zeros((1, 3)), np.zeros(1), np.ones(3))]) == []


def test_results_round_trip_and_close_their_files(tmp_path):
    """Bug (issue 15): read_results left its csv file open (csv.DictReader(open(path)))."""
    rows = evaluation_rows(_Oracle([0, 1]), _configs(), data="d.h5", split="test")
    for suffix in (".csv", ".json"):
        write_results(tmp_path / f"r{suffix}", rows)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            back = read_results(tmp_path / f"r{suffix}")
        assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
        assert [set(r) for r in back] == [set(RESULT_COLUMNS)] * len(rows)
        assert [r["r_mean"] for r in back] == pytest.approx([r["r_mean"] for r in rows])
    with pytest.raises(FormatError, match="results go to .csv or .json"):
        write_results(tmp_path / "r.txt", rows)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.json"]


class _Timed(_Oracle):
    def __init__(self, times, rows):
        super().__init__(rows)
        self.times = times


def test_outputs_are_matched_to_targets_by_time_not_position():
    """Issue 18: a network for t = 0.165 ... was scored against whatever targets came first."""
    configs = _configs()                                            # targets at t = 0.1, 1, 10
    res = evaluate(_Timed([1.01, 10.0], [1, 2]), configs)           # within 2%: rows 1 and 2
    assert res["output_index"] == [1, 2] and res["times"] == [1.0, 10.0] and np.allclose(res["r"], 1.0)
    part = evaluate(_Timed([0.5, 10.0], [0, 2]), configs)           # 0.5 tau is not in the data: left out
    assert part["outputs"] == [1] and part["output_index"] == [2]
    with pytest.raises(ModelError, match="none within 2%.*--output-index"):
        evaluate(_Timed([0.165, 0.52], [0, 1]), configs)
    forced = evaluate(_Timed([0.165, 0.52], [0, 1]), configs, output_index=[0, 1])   # by position, as asked
    assert forced["output_index"] == [0, 1]
    rows = evaluation_rows(_Timed([1.01, 10.0], [1, 2]), configs)
    net = [r for r in rows if r["kind"] == "network"]
    assert [r["output"] for r in net] == [0, 1] and "network output t=1.01" in net[0]["note"]
    assert [r["r_mean"] for r in rows if r["kind"] == "ceiling"] == pytest.approx([0.8, 0.7])


def test_network_names_keep_their_dots():
    """Issue 18: 'ka-T0.64' and 'ka-T0.64-bapst' both became 'ka-T0' in figures and tables."""
    from glassnet.evaluation import network_name

    assert network_name("ka-T0.64") == "ka-T0.64" and network_name("ka-T0.64-bapst") == "ka-T0.64-bapst"
    assert network_name("/x/bapst_t044.pt") == "bapst_t044" and network_name("runs/seed1/best.pt") == "seed1/best"
    assert network_name(["ka-T0.56", "ka-T0.56-seed1"]) == "ensemble of 2: ka-T0.56 + ka-T0.56-seed1"
    assert network_name(["ka-T0.56"]) == "ka-T0.56"
