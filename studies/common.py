"""What the research scripts in studies/ share: loading label files and scoring networks on test splits.

Run a study from the repository's top folder as a module: ``python -m studies.NAME ...``.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from glassnet.evaluation import evaluate
from glassnet.formats import read_labelled
from glassnet.formats.hdf5 import read_dataset
from glassnet.training import Predictor

ROOT = Path(__file__).resolve().parents[1]
#: glassnet's committed reference data
REFERENCE = ROOT / "data" / "reference"
#: the single-run training file of each temperature (in $GLASSNET_DATA: `glassnet data make NAME`) and the
#: 30-replica files whose valid and test splits go with it
SINGLE = {1.0: "single-T1.00.h5", 0.8: "single-T0.80.h5", 0.64: "single-T0.64.h5", 0.56: "single-T0.56.h5",
          0.5: "single-T0.50.h5"}
ISO = {1.0: [REFERENCE / "ka-T1.00.h5"], 0.8: [REFERENCE / "ka-T0.80.h5"],
       0.64: [REFERENCE / "ka-T0.64.h5", REFERENCE / "ka-T0.64-b.h5"],
       0.56: [REFERENCE / "ka-T0.56.h5", REFERENCE / "ka-T0.56-b.h5"],
       0.5: [REFERENCE / "ka-T0.50.h5"]}
BAPST_T044 = ROOT.parent / "shared/reference_data/bapst2020/test_large.pickle"


def bapst_tau_alpha(path=BAPST_T044) -> float:
    """tau_alpha (tau) of the published T = 0.44 configuration: its last labelled time, the 1/e crossing of F_s."""
    from glassnet.formats.bapst import load_bapst_pickle

    d = load_bapst_pickle(path)
    return float(np.asarray(d["time"])[d["time_indices"][-1]])


def single_run_configurations(paths, displacements: bool = False) -> list:
    """The labelled configurations of single-run label files, pooled, as training configurations (each records
    its file, run, temperature and source, so runs of different files stay apart); ``displacements``: with their
    displacement vectors (pair-level labels)."""
    out = []
    for path in paths:
        d = read_dataset(path, load_displacements=displacements)
        if d.metadata.get("protocol") != "single-run":
            raise SystemExit(f"{path} is not a single-run label file")
        for c in d.configurations:
            c.metadata["run"] = (str(path), c.metadata["run"])
            c.metadata.setdefault("temperature", d.metadata["temperature"])
            c.metadata.setdefault("source", str(path))
            c.metadata["split"] = "train"
            out.append(c)
    return out


class Scorer:
    """Pearson r (A particles) of networks on a fixed set of test configurations, next to the data's noise
    ceiling and as a paired difference (+- SE over configurations) to a reference network."""

    def __init__(self, test_files, reference=None):
        self.test = read_labelled(list(test_files), "test")
        self.times = [float(t) for t in self.test[0].times]
        self.ceiling = np.mean([c.metadata["noise_ceiling"] for c in self.test], axis=0)
        self.reference = None if reference is None else self.score(reference)

    def score(self, checkpoints) -> dict:
        """``evaluate`` of a checkpoint or an ensemble (list) on the test configurations."""
        return evaluate(Predictor(checkpoints), self.test)

    def cells(self, res) -> str:
        """'r [r / ceiling]' per time of the test data ('-' where the network has no output), then the paired
        difference to the reference network at the times both predict."""
        at = {round(float(t), 9): k for k, t in enumerate(res["times"])}
        text = " | ".join(f"{res['mean'][at[round(t, 9)]]:.3f} [{res['mean'][at[round(t, 9)]] / c:.2f}]"
                          if round(t, 9) in at else "-" for t, c in zip(self.times, self.ceiling))
        if self.reference is not None and res is not self.reference:
            ref = {round(float(t), 9): k for k, t in enumerate(self.reference["times"])}
            both = [t for t in at if t in ref]
            d = res["r"][:, [at[t] for t in both]] - self.reference["r"][:, [ref[t] for t in both]]
            se = d.std(axis=0, ddof=1) / np.sqrt(len(d))
            text += " | " + " ".join(f"{m:+.3f}+-{e:.3f}" for m, e in zip(d.mean(axis=0), se))
        return text


def append_rows(path, header: list[str], rows) -> None:
    """Append rows to a CSV file, writing the header if the file is new."""
    path = Path(path)
    new = not path.exists()
    with open(path, "a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(header)
        w.writerows(rows)


def single_run_with_tau(path):
    """A single-run file whose configurations carry T and tau_alpha: the 1/e crossing of F_s averaged over
    all its origins (at the label times, interpolated in log t), which is much closer to the 30-replica
    value than the file's pilot estimate (one short run: 21.6 against 28.1 tau at T=0.56)."""
    from glassnet.formats.hdf5 import read_dataset
    from glassnet.observables import crossing_times

    ds = read_dataset(path)
    if ds.metadata.get("protocol") != "single-run":
        raise SystemExit(f"{path} is not a single-run label file")
    fs = np.mean([c.metadata["fs"] for c in ds.configurations], axis=0)
    tau = float(crossing_times(ds.times, fs, [np.exp(-1.0)])[0])
    ds.metadata["tau_alpha_labels"] = tau
    print(f"{Path(path).name}: T = {ds.metadata['temperature']:g}, tau_alpha = {tau:.4g} tau from the labels' "
          f"F_s (pilot {ds.metadata['tau_alpha_pilot']:.4g})", flush=True)
    for c in ds.configurations:
        c.metadata.update(temperature=ds.metadata["temperature"], tau_alpha=tau, source=str(path))
    return ds


def valid_configurations(temps, data=None):
    from glassnet.formats import read_labelled

    return [c for t in temps for c in read_labelled(ISO[t], "valid")]
