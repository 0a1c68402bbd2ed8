"""The report end to end: evaluation, baselines, ceiling, probe and figures in one HTML page."""
import numpy as np

from glassnet.cli import main
from glassnet.core import Configuration
from glassnet.formats.hdf5 import write_dataset
from glassnet.training import save_checkpoint

from conftest import random_system


def test_report_end_to_end(tmp_path, two_step_predictor, monkeypatch):
    import glassnet.formats.hdf5 as hdf5

    rng = np.random.default_rng(0)
    configs = []
    for split in ["train", "train", "valid", "test"]:
        pos, typ, box = random_system(300, seed=int(rng.integers(1000)))
        configs.append(Configuration(pos, typ, box, np.stack([pos[:, 0], pos[:, 1]]),
                                     metadata={"split": split, "noise_ceiling": [0.9, 0.8]}))
    write_dataset(tmp_path / "toy.h5", configs, [1.0, 10.0], {"temperature": 1.0})
    ckpt = tmp_path / "k2.pt"
    save_checkpoint(ckpt, two_step_predictor.model, dict(two_step_predictor.meta))
    reads, real = [], hdf5.read_dataset
    monkeypatch.setattr(hdf5, "read_dataset", lambda *a, **k: reads.append(a[0]) or real(*a, **k))
    assert main(["report", str(ckpt), str(tmp_path / "toy.h5"), "--out-dir", str(tmp_path / "rep"),
                 "--marked", "2", "--no-descriptors"]) == 0
    assert len(reads) == 1            # evaluation, baselines and probe share one read of the file
    html = (tmp_path / "rep" / "report.html").read_text()
    assert html.count("data:image/png;base64") == 5
    assert "noise ceiling" in html and "potential_energy" in html
    # one model x time table: a row per model, a column per time, the ceiling once, the network's r / ceiling
    assert html.count("<tr class='ceiling'>") == 1 and html.count("<th>t = 10 τ</th>") == 1
    assert html.count("<tr class='network'>") == 1 and "] </td>" not in html
    from glassnet import __version__

    # the page says what made it, and that this 2-step network's length is capped by its reach
    assert f"glassnet {__version__}" in html and "command: glassnet" in html
    import html as html_lib
    import json

    from glassnet.analysis import probe_warnings

    probe = json.loads((tmp_path / "rep" / "probe.json").read_text())
    assert probe["reach"] == 2 and probe["half_box"] > 3
    # the physical length beside the learned one: the toy targets (x, y coordinates) correlate over the box
    assert len(probe["field_length_measured"]) == 2 and "<th>xi measured</th>" in html
    assert html.count("<th>jacobian</th>") == 1 and "20 configurations" not in html
    assert "training data: " in html and "{'n_configurations'" not in html
    warnings = probe_warnings(probe)
    assert all(html_lib.escape(w) in html for w in warnings) and (bool(warnings) != ("neither caps" in html))
    assert (tmp_path / "rep" / "report.log").read_text().count("report: ") >= 4
    assert main(["figures", "--results", str(tmp_path / "rep" / "results.csv"), "--probe",
                 str(tmp_path / "rep" / "probe.json"), "--out-dir", str(tmp_path / "figs")]) == 0
    assert (tmp_path / "figs" / "r_vs_time.pdf").exists()


def test_the_mobility_figure_shows_the_last_time_network_and_data_share():
    """Bug: `glassnet report ka-T0.50 data/reference/ka-T0.50.h5` (a network to 520 tau, labels to 165) failed
    with an IndexError: the figure took the label row by the network's output position."""
    from types import SimpleNamespace

    from glassnet.report import _last_shared_time

    targets = np.arange(3 * 4, dtype=float).reshape(3, 4)
    config = Configuration(np.zeros((4, 3)), np.zeros(4, int), np.full(3, 9.0), targets, np.array([0.5, 5.0, 50.0]))
    net = SimpleNamespace(times=[0.5, 5.0, 50.0, 500.0], output_index=[0, 1, 2, 3])
    k, measured = _last_shared_time(net, config, 4)
    assert k == 2 and np.array_equal(measured, targets[2])
    net = SimpleNamespace(times=[5.0, 500.0], output_index=[0, 1])           # outputs at other positions
    k, measured = _last_shared_time(net, config, 2)
    assert k == 0 and np.array_equal(measured, targets[1])
    k, measured = _last_shared_time(SimpleNamespace(times=None, output_index=[2, 5]),
                                    Configuration(config.positions, config.types, config.box, targets), 2)
    assert k == 0 and np.array_equal(measured, targets[2])                 # by position where no times
