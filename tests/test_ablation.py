"""The ablation table end to end on a tiny dataset."""
import csv
from dataclasses import replace

import pytest

from glassnet.ablation import PHYSICS_VARIANTS, VARIANTS, run_ablation
from glassnet.formats.hdf5 import write_dataset
from glassnet.training import load_checkpoint


def _tiny_dataset(reference_configs, path):
    data = [replace(c, metadata={"split": s, "noise_ceiling": [0.9] * len(c.times)})
            for c, s in zip(reference_configs[:3], ["train", "valid", "test"])]
    write_dataset(path, data, reference_configs[0].times, {"temperature": 0.64})
    return path


def test_ablation_table_end_to_end(reference_configs, tmp_path):
    path = _tiny_dataset(reference_configs, tmp_path / "d.h5")
    variants = [VARIANTS[0], VARIANTS[3], VARIANTS[6]]
    md = run_ablation(path, tmp_path / "ab", steps=3, faithful_steps=2, variants=variants, baselines=False,
                      progress=lambda *a: None)
    text = md.read_text()
    assert "faithful published network" in text and "noise ceiling" in text and "EIGNN" in text
    with open(tmp_path / "ab" / "ablation.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 * len(reference_configs[0].times)
    for r in rows:
        assert -1 <= float(r["r"]) <= 1 and float(r["r_se"]) > 0
        assert float(r["r_over_ceiling"]) == pytest.approx(float(r["r"]) / 0.9)
        if r["model"] == "faithful":
            assert float(r["diff_vs_faithful"]) == 0.0
    meta = load_checkpoint(tmp_path / "ab" / "runs" / "equivariant-seed2" / "best.pt")[1]
    assert meta["training_data"]["n_configurations"] == 1 and meta["train_config"]["seed"] == 2


def test_an_added_input_is_paired_with_the_row_it_adds_to(reference_configs, tmp_path):
    """Issue 17's rows: each physics input is scored against the ensemble it is added to (paired over the
    same test configurations), with its prediction cost per configuration."""
    path = _tiny_dataset(reference_configs, tmp_path / "d.h5")
    force = next(v for v in PHYSICS_VARIANTS if v.key == "force-heads")
    assert force.reference == "ensemble" and force.seeds == (0, 1, 2)
    md = run_ablation(path, tmp_path / "ab", steps=3, variants=[VARIANTS[5], force], baselines=False,
                      progress=lambda *a: None)
    assert "| + log force magnitude of the given configuration to the heads (ensemble) | ensemble (" in md.read_text()
    with open(tmp_path / "ab" / "ablation.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    by = {(r["model"], float(r["time"])): r for r in rows}
    for t in reference_configs[0].times:
        added, ref = by[("force-heads", float(t))], by[("ensemble", float(t))]
        assert added["reference"] == "ensemble" and ref["reference"] == ""
        # one test configuration: the paired difference is the difference of the two r
        assert float(added["diff_vs_reference"]) == pytest.approx(float(added["r"]) - float(ref["r"]), abs=1e-12)
        assert float(added["diff_vs_reference_se"]) > 0
        assert float(added["predict_seconds_per_configuration"]) > 0
    assert load_checkpoint(tmp_path / "ab" / "runs" / "force-heads-seed1" / "best.pt")[0].config.force_heads
