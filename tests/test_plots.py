"""Figures: axes, labels and files, and no global matplotlib state."""
import subprocess
import sys

from glassnet import plots

from conftest import random_system


def test_figures_render_with_expected_axes(tmp_path):
    pos, typ, box = random_system(400)
    fig = plots.mobility_slice(pos, box, pos[:, 0], pos[:, 1], typ, time=5.2, temperature=0.64)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "x (σ)" and ax.get_ylabel() == "y (σ)"
    # measured and predicted side by side, each with its colour bar; time and temperature in the title
    assert [a.get_title() for a in fig.axes[:2]] == ["measured", "predicted"]
    assert {a.get_ylabel() for a in fig.axes[2:]} == {"measured propensity (σ)", "predicted propensity (σ)"}
    assert "T = 0.64" in fig.get_suptitle() and "t = 5.2 τ" in fig.get_suptitle()
    # the colour scale is set on the A particles: B particles with huge values do not stretch it
    pred = pos[:, 0].copy()
    pred[typ == 1] = 1e3
    sc = plots.mobility_slice(pos, box, pred, types=typ).axes[0].collections[0]
    assert sc.norm.vmax < 10
    paths = plots.save(fig, tmp_path / "slice")
    assert all(p.stat().st_size > 1000 for p in paths) and {p.suffix for p in paths} == {".png", ".pdf"}
    rows = [{"model": m, "kind": k, "data": "d.h5", "time": t, "r_mean": r, "r_std": 0.01}
            for m, k, r0 in (("net", "network", 0.9), ("noise ceiling", "ceiling", 0.95))
            for t, r in ((1.0, r0), (10.0, r0 - 0.2))]
    fig = plots.correlation_vs_time(rows)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "Pearson r (A particles)"
    assert ax.get_legend() is None and len(fig.legends[0].get_texts()) == 2    # beside the panel, not on it
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    assert fig.legends[0].get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    probe = {"label": "T=1", "times": [1.0], "shells": [0, 1, 2], "ablation_mean": [[1, 0.1, 0.0]],
             "ablation_sem": [[0, 0, 0]], "perturbation_mean": [[[1, 0.1, 0]]],
             "perturbation_sem": [[[0, 0, 0]]], "length_ablation": [{"length": 1.5, "length_err": 0.1}]}
    ax = plots.shell_change([probe]).axes[0]
    assert ax.get_xlabel() == "shell index n"
    # an exact zero is drawn at zero (symlog), not at a 1e-12 floor
    assert ax.get_yscale() == "symlog" and ax.lines[0].get_ydata()[2] == 0.0
    probe["shell_distance"] = [0.0, 1.1, 2.0]
    fig = plots.shell_change([probe])
    assert any(getattr(a, "get_xlabel", lambda: "")() == "mean distance of shell n (σ)" for a in fig.axes[0].child_axes)
    assert plots.length_vs_time([probe]).axes[0].get_ylabel() == "learned length (σ)"
    # the physical length beside it, in units of tau_alpha; a length the box does not resolve is ringed
    field = {"label": "T=0.5", "tau_alpha": 10.0, "data_times": [1.0, 10.0, 100.0],
             "field_length_measured": [{"xi": 0.5, "xi_err": 0.1}, {"xi": 1.0, "xi_err": 0.1},
                                       {"xi": 3.0, "xi_err": 0.5, "capped": True}]}
    ax = plots.length_vs_time([probe, field], scaled=True).axes[0]
    assert ax.get_xlabel() == "t / τ_α" and ax.get_ylabel() == "length (σ)"
    assert list(ax.lines[-1].get_xdata()) == [10.0] and list(ax.lines[-1].get_ydata()) == [3.0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["T=1 learned", "T=0.5 measured field"]



def test_learned_length_study_figure():
    """Issue 19's figure: learned length against t / tau_alpha from ablation and perturbation, one curve per
    temperature, and the relative change against shell at the shortest and longest time of the end temperatures."""
    def probe(label, tau, decay):      # change falling as decay**n, faster at the first time
        pert = [[[decay ** (n * (k + 1) / 2) for n in range(4)] for k in (1, 0)]]
        length = [{"shell": s, "length": 1.5 * s, "length_err": 0.1} for s in (1, 3)]
        return {"label": label, "tau_alpha": tau, "times": [1.0, 10.0], "shells": [0, 1, 2, 3],
                "perturbation_mean": pert, "perturbation_sem": [[[0.0] * 4] * 2],
                "length_ablation": length, "length_perturbation": length,
                "data_times": [1.0, 10.0], "field_length_measured": [{"xi": 0.3, "xi_err": 0.1},
                                                                     {"xi": 1.2, "xi_err": 0.2}]}
    fig = plots.learned_length_study([probe("T=1", 1.0, 0.1), probe("T=0.8", 2.0, 0.3), probe("T=0.6", 10.0, 0.5)])
    abl, pert, shells = fig.axes[:3]
    assert abl.get_xlabel() == pert.get_xlabel() == "t / τ_α" and abl.get_ylabel() == "length (σ)"
    # time scaled by each temperature's tau_alpha: T=0.6's two times sit at 0.1 and 1
    learned = [line for line in abl.lines if line.get_linestyle() == "-" and line.get_marker() == "o"]
    assert list(learned[2].get_xdata()) == [0.1, 1.0] and list(learned[2].get_ydata()) == [1.5, 4.5]
    # relative change: 1 at shell 0, the highest and the lowest temperature at both ends of the time range
    curves = [line for line in shells.lines if line.get_marker() == "o"]
    assert len(curves) == 4 and all(line.get_ydata()[0] == 1.0 for line in curves)
    assert [t.get_text() for t in shells.get_legend().get_texts()] == [
        "T=1 t=1 τ", "T=1 t=10 τ", "T=0.6 t=1 τ", "T=0.6 t=10 τ"]
    assert curves[0].get_ydata()[2] == 0.1 ** 2 and curves[1].get_ydata()[2] == 0.1 and shells.get_yscale() == "symlog"

def test_figures_change_no_global_state(tmp_path):
    """Issue 15: importing or using glassnet.plots sets no backend and no rcParams, and opens no pyplot figure."""
    code = ("import matplotlib; raw = lambda: dict(dict.items(matplotlib.rcParams)); before = raw(); import glassnet.plots as p, numpy as np; "
            "assert raw() == before, 'import'; "
            "x = np.random.default_rng(0).uniform(0, 6, (200, 3)); "
            f"p.save(p.mobility_slice(x, [6, 6, 6], x[:, 0]), {str(tmp_path / 's')!r}); "
            "assert raw() == before, 'use'; import sys; assert 'matplotlib.pyplot' not in sys.modules")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "s.png").stat().st_size > 1000
