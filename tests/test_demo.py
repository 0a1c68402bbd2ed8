"""The main job end to end on a tiny preset: simulate, quench, train, report, summary table; a rerun
resumes from what is on disk."""
import glassnet.demo as demo
from glassnet.evaluation import read_results
from glassnet.propensity import DatasetSpec


def test_demo_end_to_end_and_resume(tmp_path, monkeypatch):
    tiny = DatasetSpec(temperature=1.0, n=300, n_configs=4, splits=(2, 1, 1), n_replicas=4,
                       times=(0.165, 1.65), equilibration_taus=2.0)
    monkeypatch.setitem(demo.PRESETS, "tiny", tiny)
    lines = []
    report = demo.run_demo(tmp_path / "d", "tiny", steps=20, workers=1, n_marked=2, progress=lines.append)
    assert report.exists() and report.read_text().count("data:image/png;base64") == 5
    table = lines[lines.index("") + 1:]
    assert table[0].split() == ["t", "(tau)", "network", "best", "baseline", "ceiling"]
    assert len(table) == 2 + len(tiny.times)                 # header, one row per time, "demo done"
    rows = read_results(tmp_path / "d" / "report" / "results.csv")
    assert {r["kind"] for r in rows} >= {"network", "physics", "descriptor", "ceiling"}
    mtime = (tmp_path / "d" / "tiny.h5").stat().st_mtime
    demo.run_demo(tmp_path / "d", "tiny", steps=20, workers=1, n_marked=2, progress=lines.append)
    assert (tmp_path / "d" / "tiny.h5").stat().st_mtime == mtime        # nothing simulated twice
