"""Make trained runs shipped networks: each run's best.pt copied into src/glassnet/pretrained/ under a name, with
the training data's file names, sha256 and validation recorded in its ``training_data`` (weights unchanged).

    python -m studies.ship --data ../data/single-T0.64.h5 --valid "valid split of data/reference/ka-T0.64.h5" \\
        --runs RUN0 RUN1 RUN2 --names ka-T0.64 ka-T0.64-seed1 ka-T0.64-seed2

A known large dataset (glassnet.datastore) is recorded with the command that remakes it. The first 64 particles'
predictions of each shipped network on the first test configuration of its reference file are then recorded in
tests/data/shipped_predictions.npz (what tests/test_pretrained.py checks every shipped file against).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from glassnet.core import atomic_write
from glassnet.datastore import KNOWN, sha256_of
from glassnet.training.checkpoint import read_payload, weights_digest

ROOT = Path(__file__).resolve().parents[1]
PRETRAINED = ROOT / "src" / "glassnet" / "pretrained"
RECORD = ROOT / "tests" / "data" / "shipped_predictions.npz"


def ship(run: Path, name: str, data: list[Path], valid: str) -> Path:
    """Copy ``run/best.pt`` to the package as ``name``.pt with its data recorded; returns the new file."""
    payload = read_payload(run / "best.pt")
    digest = {p.name: sha256_of(p) for p in data}
    sources = []
    for p in data:
        entry = KNOWN.get(p.name[:-3])
        how = " then ".join(entry.commands()) if entry and entry.sha256 == digest[p.name] else "not a known dataset"
        sources.append(f"{p.name} ({how})")
    payload["training_data"] = {**payload.get("training_data", {}), "sources": sources, "file_sha256": digest,
                                "validation": valid}
    assert payload["weights_sha256"] == weights_digest(payload["state_dict"]), f"{run}: weights changed"
    out = PRETRAINED / f"{name}.pt"
    with atomic_write(out) as tmp:
        torch.save(payload, tmp)
    return out


def record_predictions(names: list[str]) -> None:
    """Record what the shipped networks ``names`` predict (see the module docstring)."""
    from glassnet.formats import read_labelled
    from glassnet.training import Predictor

    kept = dict(np.load(RECORD))
    for name in names:
        temperature = "0.64" if name.startswith("ka-all") else name.split("-")[1][1:]
        c = read_labelled(ROOT / "data" / "reference" / f"ka-T{temperature}.h5", "test")[0]
        kept[name] = Predictor(name).predict(c)[:64]
    with atomic_write(RECORD) as tmp, open(tmp, "wb") as f:
        np.savez(f, **kept)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", nargs="+", required=True, help="the training data files")
    ap.add_argument("--valid", required=True, help="what selected the checkpoint (recorded)")
    ap.add_argument("--runs", nargs="+", required=True, help="run folders with best.pt")
    ap.add_argument("--names", nargs="+", required=True, help="shipped names, one per run")
    args = ap.parse_args()
    if len(args.runs) != len(args.names):
        ap.error("one name per run")
    for run, name in zip(args.runs, args.names):
        out = ship(Path(run), name, [Path(p) for p in args.data], args.valid)
        print(f"{run} -> {out} ({out.stat().st_size / 1e3:.0f} kB)")
    record_predictions(args.names)
    print(f"recorded their predictions in {RECORD}")


if __name__ == "__main__":
    main()
