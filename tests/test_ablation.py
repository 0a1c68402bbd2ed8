"""The ablation table end to end on a tiny dataset."""
import csv
from dataclasses import replace

import pytest

from glassnet.ablation import VARIANTS, run_ablation
from glassnet.formats.hdf5 import write_dataset
from glassnet.training import load_checkpoint


def test_ablation_table_end_to_end(reference_configs, tmp_path):
    data = [replace(c, metadata={"split": s, "noise_ceiling": [0.9] * len(c.times)})
            for c, s in zip(reference_configs[:3], ["train", "valid", "test"])]
    path = tmp_path / "d.h5"
    write_dataset(path, data, reference_configs[0].times, {"temperature": 0.64})
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
