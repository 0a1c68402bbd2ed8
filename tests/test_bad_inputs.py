"""Bad input against the real command line (issue 18): every case is refused with one line naming the problem
and exit 2, before any work, and no file that existed before is changed (or, for the warnings, answered
correctly with a warning).

Each case runs ``python -m glassnet.cli ...`` in a subprocess, two at a time. Run this file as a script to
print the table of cases, exit codes and messages: ``python tests/test_bad_inputs.py``.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import DATA, random_system, reference_file  # noqa: E402


@dataclass
class Case:
    name: str
    args: list
    expect: str                     # a fragment of the message
    code: int = 2
    shell: str | None = None        # run through the shell (a pipe) instead
    needs: str | None = None        # a reference file name, skipped where absent
    result: dict = field(default_factory=dict)


def _h5(path: Path, temperature=1.0, n=125, nan_at=None, density=None):
    from glassnet.core import Configuration
    from glassnet.formats.hdf5 import write_dataset

    configs = []
    for k, split in enumerate(("train", "train", "valid", "test")):
        pos, typ, box = random_system(n, seed=k, density=density or n / 125)
        targets = np.stack([pos[:, 0], pos[:, 1]])
        if nan_at is not None and k == nan_at[0]:       # a NaN label: (configuration, time, particle)
            targets[nan_at[1:]] = np.nan
        configs.append(Configuration(pos, typ, box, targets, metadata={"split": split}))
    write_dataset(path, configs, [0.165, 52.0], {"temperature": temperature})
    return path


def _xyz(path: Path, pos, typ, box, names=("A", "B"), extra=""):
    lines = [str(len(pos)), f'Lattice="{box[0]} 0 0 0 {box[1]} 0 0 0 {box[2]}" Properties=species:S:1:pos:R:3{extra}']
    lines += [f"{names[t]} {x} {y} {z}" for t, (x, y, z) in zip(typ, pos)]
    path.write_text("\n".join(lines) + "\n")
    return path


def make_inputs(d: Path) -> dict:
    """The files the cases read, in folder ``d``."""
    import h5py
    import torch

    pos, typ, box = random_system(400, seed=1)
    f = {"h5": _h5(d / "data.h5"), "xyz": _xyz(d / "good.xyz", pos, typ, box)}
    f["existing"] = _h5(d / "made-before.h5")
    scale = (1.2 / 0.03) ** (1 / 3)                     # the same configuration in Angstrom-like units
    f["angstrom"] = _xyz(d / "angstrom.xyz", pos * scale, typ, box * scale)
    pos2 = pos.copy()
    pos2[7] = pos2[3] + 0.01
    f["overlap"] = _xyz(d / "overlap.xyz", pos2, typ, box)
    pos3 = pos.copy()
    pos3[5, 1] = np.nan
    f["nan"] = (d / "nan.xyz")
    f["nan"].write_text(_xyz(d / "tmp.xyz", pos3, typ, box).read_text().replace("nan", "NaN"))
    f["arkr"] = _xyz(d / "arkr.xyz", pos, typ, box, names=("Ar", "Kr"))
    f["C"] = _xyz(d / "c.xyz", pos, typ, box, names=("A", "C"))
    f["small"] = _xyz(d / "small.xyz", *random_system(20, seed=0))
    with h5py.File(d / "no-times.h5", "w") as h:
        h.attrs["format"] = "glassnet.propensity"
        h.create_group("configurations")
    f["no_times"] = d / "no-times.h5"
    f["truncated"] = d / "truncated.h5"
    f["truncated"].write_bytes(f["h5"].read_bytes()[:3000])
    f["empty_ckpt"] = d / "empty.pt"
    f["empty_ckpt"].write_bytes(b"")
    torch.save({"weights": torch.zeros(3)}, d / "foreign.pt")
    f["foreign_ckpt"] = d / "foreign.pt"
    from glassnet.pretrained import resolve

    payload = torch.load(resolve("ka-T0.64-bapst"), weights_only=True)
    payload["target_std"] = [1.0, 2.0]                  # the network has 6 outputs
    torch.save(payload, d / "wrong-width.pt")
    f["wrong_width"] = d / "wrong-width.pt"
    f["a_file"] = d / "a-file.txt"
    f["a_file"].write_text("not a folder\n")
    # round 2 (issue 33)
    f["open_xyz"] = _xyz(d / "open.xyz", pos, typ, box, extra=' pbc="F F F"')
    f["empty_xyz"] = d / "empty.xyz"
    f["empty_xyz"].write_text(f'0\nLattice="{box[0]} 0 0 0 {box[1]} 0 0 0 {box[2]}" Properties=species:S:1:pos:R:3\n')
    f["nan_labels"] = _h5(d / "nan-labels.h5", nan_at=(3, 1, 1))          # in the test split
    f["nan_train"] = _h5(d / "nan-train.h5", nan_at=(0, 0, 5))            # in the train split
    f["ka_h5"] = _h5(d / "ka.h5", temperature=0.64, n=400, density=1.2)     # a KA box, T recorded
    payload = torch.load(resolve("ka-T0.64"), weights_only=True)
    name = next(iter(payload["state_dict"]))
    flipped = payload["state_dict"][name].clone()
    flipped.view(torch.int32)[0] ^= 0x7F800000              # flip the exponent bits of one weight
    payload["state_dict"][name] = flipped
    torch.save(payload, d / "flipped.pt")
    f["flipped_ckpt"] = d / "flipped.pt"
    payload.pop("weights_sha256")                            # as a glassnet 0.2 checkpoint: no checksum
    payload["state_dict"][name] = torch.full_like(flipped, float("nan"))
    torch.save(payload, d / "nan-weights.pt")
    f["nan_ckpt"] = d / "nan-weights.pt"
    return f


def cases(f: dict, d: Path) -> list[Case]:
    large = reference_file("test_large.pickle")
    missing = d / "no-such-folder"
    return [
        # silent wrong answers, now refused
        Case("GSD/xyz species not in the type map", ["predict", "ka-T0.64", str(f["arkr"]), "--out", str(d / "p.csv")],
             "unknown particle types ['Ar', 'Kr']"),
        Case("a type that is neither A nor B", ["predict", "ka-T0.64", str(f["C"]), "--out", str(d / "p.csv")],
             "unknown particle types ['C']"),
        Case("network times that match none of the file's", ["evaluate", "ka-T0.64", str(large)],
             "(none within 2%); pair them by position with --output-index", needs="test_large.pickle"),
        Case("positions in Angstrom (density 0.03)", ["predict", "ka-T0.64-bapst", str(f["angstrom"]), "--out",
                                                      str(d / "p.csv")], "no neighbour within"),
        Case("predict --out equal to the input", ["predict", "ka-T0.64", str(f["existing"]), "--out",
                                                   str(f["existing"])], "is an input file"),
        Case("two coincident particles", ["predict", "ka-T0.64", str(f["overlap"]), "--out", str(d / "p.csv")],
             "overlapping: 3 and 7"),
        # tracebacks, now one line
        Case("simulate onto a file made with other parameters",
             ["simulate", str(f["existing"]), "--n", "300", "--configs", "2", "--splits", "1", "0", "1"],
             "exists and was made with other parameters"),
        Case("simulate into a missing folder", ["simulate", str(missing / "x.h5")], "does not exist"),
        Case("train --out under a file", ["train", "--model", "bapst", str(f["h5"]), "--out", str(f["a_file"] / "run"), "-q"],
             "cannot create the folder"),
        Case("predict --out into a missing folder",
             ["predict", "ka-T0.64", str(f["xyz"]), "--out", str(missing / "p.csv")], "does not exist"),
        Case("predict --out with a suffix nothing writes",
             ["predict", "ka-T0.64", str(f["xyz"]), "--out", str(d / "p.txt")], "cannot write predictions"),
        Case("evaluate --out with a suffix nothing writes", ["evaluate", "ka-T0.64", str(f["h5"]), "--out",
                                                            str(d / "r.txt")], "expected a file ending in"),
        Case("a Dask scheduler that does not answer",
             ["simulate", str(d / "dask.h5"), "--scheduler", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler"),
        Case("--device cuda without CUDA", ["predict", "ka-T0.64", str(f["xyz"]), "--out", str(d / "p.csv"),
                                            "--device", "cuda"], "no CUDA device"),
        Case("--configs 0", ["simulate", str(d / "zero.h5"), "--configs", "0"], "n_configs=0"),
        Case("an unknown ablation row", ["ablation", str(f["h5"]), "--out-dir", str(d / "ab"), "--rows", "faithful",
                                         "softness"], "unknown ablation row(s) softness"),
        Case("HDF5 in the glassnet format without times", ["evaluate", "ka-T0.64", str(f["no_times"])],
             "has no 'times'"),
        Case("truncated HDF5", ["evaluate", "ka-T0.64", str(f["truncated"])], "not a readable HDF5 file"),
        Case("checkpoint normalisation of the wrong width", ["evaluate", str(f["wrong_width"]), str(f["h5"])],
             "target_std has 2 entries but the network has 6 outputs"),
        Case("empty checkpoint file", ["evaluate", str(f["empty_ckpt"]), str(f["h5"])], "is an empty file"),
        Case("foreign checkpoint", ["evaluate", str(f["foreign_ckpt"]), str(f["h5"])], "is not a glassnet checkpoint"),
        Case("box smaller than twice the cutoff (simulate)", ["simulate", str(d / "tiny.h5"), "--n", "20"],
             "smaller than twice the interaction cutoff"),
        Case("box smaller than twice the cutoff (predict)",
             ["predict", "ka-T0.64-bapst", str(f["small"]), "--out", str(d / "p.csv")], "exceeds half the box"),
        Case("a negative temperature names the value", ["simulate", str(d / "t.h5"), "--temperature", "-1"],
             "temperature=-1.0; expected > 0"),
        Case("a time step too large names the value", ["simulate", str(d / "t.h5"), "--dt", "0.5"], "dt=0.5"),
        Case("md --temperature 0 before the melt", ["md", "--temperature", "0"], "temperature=0.0"),
        Case("NaN positions", ["predict", "ka-T0.64", str(f["nan"]), "--out", str(d / "p.csv")], "positions contain NaN or inf (particles [5])"),
        Case("a missing input file", ["predict", "ka-T0.64", str(d / "nope.xyz"), "--out", str(d / "p.csv")],
             "does not exist"),
        Case("an unknown shipped network", ["evaluate", "ka-T9", str(f["h5"])], "ka-T9"),
        # round 2 (issue 33): silent wrong answers, now refused
        Case("a type map that gives one type two names",
             ["predict", "ka-T0.64", str(f["arkr"]), "--types", "A=Ar,A=Kr", "--out", str(d / "p.csv")],
             "A is given two names ('Ar' and 'Kr'); the map must be one-to-one"),
        Case("a time past the trained range", ["predict", str(f["ka_h5"]), "--model", "ka-all", "--times", "165", "1e6",
                                               "--out", str(d / "p.csv")],
             "t = 1e+06 tau lies outside the times this network was trained on (0.165 ... 520 tau)"),
        Case("an infinite time", ["predict", str(f["ka_h5"]), "--model", "ka-all", "--times", "inf", "--out",
                                  str(d / "p.csv")], "expected finite positive times"),
        Case("origins closer than a time step", ["simulate", str(d / "o.h5"), "--preset", "single-T0.64",
                                                 "--origin-spacing", "0.001"], "origin_spacing=0.001; expected >= 1 tau"),
        Case("a checkpoint with flipped weight bytes", ["predict", str(f["flipped_ckpt"]), str(f["xyz"]), "--out",
                                                        str(d / "p.csv")], "do not match the checksum"),
        Case("NaN weights in a checkpoint without a checksum",
             ["predict", str(f["nan_ckpt"]), str(DATA / "ka-T0.64.h5"), "--out", str(d / "p.csv"), "-q"],
             "predicts NaN or inf for 1000"),
        Case("NaN propensities (evaluate)", ["evaluate", "ka-T0.64-bapst", str(f["nan_labels"])],
             "configuration 00003 has 1 NaN or inf propensities (t = 52)"),
        Case("NaN propensities (train)", ["train", "--model", "bapst", str(f["nan_train"]), "--out", str(d / "nan-run"), "--steps", "2",
                                          "-q"], "configuration 00000 has 1 NaN or inf propensities (t = 0.165)"),
        Case("a non-periodic extended XYZ frame", ["predict", "ka-T0.64", str(f["open_xyz"]), "--out",
                                                   str(d / "p.csv")], "is not periodic in every direction"),
        Case("--temperature against the file's recorded one",
             ["predict", str(f["ka_h5"]), "--model", "ka-all", "--temperature", "0.8", "--out", str(d / "p.csv")],
             "--temperature 0.8 but"),
        # round 2: tracebacks and noise, now one line
        Case("a time asked for twice", ["predict", str(f["ka_h5"]), "--model", "ka-all", "--times", "5.2", "1.65", "1.65",
                                        "--out", str(d / "x.extxyz")], "times [1.65] are asked for more than once"),
        Case("an empty extended XYZ frame", ["predict", "ka-T0.64", str(f["empty_xyz"]), "--out", str(d / "p.csv")],
             "frame 0 has no particles (positions is empty)"),
        # correct answers with a warning, exit 0
        Case("a network applied at another temperature and density (warning)",
             ["predict", "ka-T0.64-bapst", str(f["h5"]), "--out", str(d / "warn.csv")],
             "warning: number density 1 sigma^-3 differs from the training data's 1.2", code=0),
        Case("evaluate ... | head keeps its --out file",
             [], "", code=0,
             shell=f"{sys.executable} -m glassnet.cli evaluate ka-T0.64-bapst {f['h5']} --out {d / 'piped.csv'} "
                   f"| head -c 10 > /dev/null; test -s {d / 'piped.csv'}"),
    ]


def _snapshot(d: Path) -> dict:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.rglob("*"))
            if p.is_file()}


def run(case: Case, d: Path, available: set) -> dict:
    if case.needs and case.needs not in available:
        return {"skipped": f"{case.needs} is absent (../shared/reference_data/bapst2020)"}
    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1")
    if case.shell:
        p = subprocess.run(case.shell, shell=True, capture_output=True, text=True, env=env, timeout=600)
    else:
        p = subprocess.run([sys.executable, "-m", "glassnet.cli", *case.args], capture_output=True, text=True,
                           env=env, timeout=600, cwd=d)
    return {"code": p.returncode, "stderr": p.stderr, "stdout": p.stdout}


def run_all(d: Path):
    files = make_inputs(d)
    all_cases = cases(files, d)
    available = {c.needs for c in all_cases if c.needs and reference_file(c.needs).exists()}
    before = _snapshot(d)
    with ThreadPoolExecutor(max_workers=2) as pool:
        for case, result in zip(all_cases, pool.map(lambda c: run(c, d, available), all_cases)):
            case.result = result
    return all_cases, before, _snapshot(d)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad-inputs")
    return run_all(d)


def _names():
    with tempfile.TemporaryDirectory() as d:
        fake = {k: Path(d) / k for k in ("h5", "xyz", "existing", "angstrom", "overlap", "nan", "arkr", "C", "small",
                                        "no_times", "truncated", "empty_ckpt", "foreign_ckpt", "wrong_width", "a_file",
                                        "open_xyz", "empty_xyz", "nan_labels", "flipped_ckpt", "nan_ckpt", "ka_h5",
                                        "nan_train")}
        return [c.name for c in cases(fake, Path(d))]


@pytest.mark.parametrize("name", _names())
def test_bad_input(outcomes, name):
    all_cases, before, after = outcomes
    case = next(c for c in all_cases if c.name == name)
    res = case.result
    if "skipped" in res:
        pytest.skip(res["skipped"])
    assert res["code"] == case.code, res["stderr"][-2000:]
    assert "Traceback" not in res["stderr"], res["stderr"][-2000:]
    if case.code == 2:
        lines = res["stderr"].strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("glassnet ") and ": error: " in lines[0], res["stderr"]
        assert case.expect in lines[0], lines[0]
    elif case.expect:
        assert case.expect in res["stderr"], res["stderr"]


def test_no_file_that_existed_is_changed(outcomes):
    all_cases, before, after = outcomes
    changed = [name for name, digest in before.items() if after.get(name) != digest]
    assert not changed
    assert not any(".parts" in name for name in after)          # e.g. the unreachable scheduler


def test_second_job_on_a_file_is_refused_and_ctrl_c_is_one_line(tmp_path):
    """Two `simulate` runs into one file: the second is refused naming the first's PID (before, it died on a
    shared temporary name); Ctrl-C (SIGINT to the whole process group, as a terminal sends it) stops the first
    with one line and exit 130, keeping its finished pieces and leaving no lock behind."""
    import signal
    import time

    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "glassnet.cli", "simulate", str(tmp_path / "x.h5"), "--n", "300", "--configs", "12",
           "--workers", "2", "-q"]          # minutes of replicas after the pilot: still running when interrupted
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                             start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        pilot = tmp_path / "x.h5.parts" / "pilot.npz"
        t0 = time.time()
        while not pilot.exists() and time.time() - t0 < 300 and first.poll() is None:
            time.sleep(0.5)
        assert pilot.exists(), first.stderr.read() if first.poll() is not None else "no pilot after 300 s"
        second = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
        assert second.returncode == 2 and second.stderr.strip().splitlines() == [
            f"glassnet simulate: error: {tmp_path / 'x.h5'} is being made by another glassnet process (PID "
            f"{first.pid}); wait for it to finish or stop it, then rerun to resume"], second.stderr
        time.sleep(2)                      # replica tasks running on both workers
        assert first.poll() is None, "the first job finished before it could be interrupted"
        os.killpg(first.pid, signal.SIGINT)
        _, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert first.returncode == 130
    assert err.strip().splitlines() == ["glassnet simulate: interrupted (rerun the same command to resume)"], err
    assert pilot.exists() and not (tmp_path / "x.h5.lock").exists() and not (tmp_path / "x.h5").exists()



def test_sigterm_stops_a_job_with_one_line_and_no_lock_left(tmp_path):
    """`kill PID` (SIGTERM, what a batch scheduler sends at the end of its time) left `<file>.lock` behind and
    printed a traceback-free but silent exit; it now stops like Ctrl-C: one line, exit 143, the lock removed and
    the finished pieces kept for the rerun."""
    import signal
    import time

    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "glassnet.cli", "simulate", str(tmp_path / "x.h5"), "--n", "300", "--configs", "12",
           "--workers", "1", "-q"]
    job = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        pilot = tmp_path / "x.h5.parts" / "pilot.npz"
        t0 = time.time()
        while not pilot.exists() and time.time() - t0 < 300 and job.poll() is None:
            time.sleep(0.5)
        assert pilot.exists() and job.poll() is None, job.stderr.read() if job.poll() is not None else "no pilot"
        assert (tmp_path / "x.h5.lock").exists()
        job.send_signal(signal.SIGTERM)              # the process alone, as `kill PID` does
        _, err = job.communicate(timeout=120)
    finally:
        if job.poll() is None:
            job.kill()
    assert job.returncode == 143
    assert err.strip().splitlines() == ["glassnet simulate: terminated (rerun the same command to resume)"], err
    assert pilot.exists() and not (tmp_path / "x.h5.lock").exists() and not (tmp_path / "x.h5").exists()

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        results, before, after = run_all(Path(tmp))
        for c in results:
            r = c.result
            if "skipped" in r:
                print(f"{'skip':>4}  {c.name}: {r['skipped']}")
                continue
            msg = (r["stderr"].strip().splitlines() or [""])[-1]
            ok = r["code"] == c.code and "Traceback" not in r["stderr"] and c.expect in (msg if c.code else r["stderr"])
            print(f"{'ok' if ok else 'FAIL':>4}  exit {r['code']}  {c.name}\n        {msg[:160]}")
        changed = [n for n, h in before.items() if after.get(n) != h]
        print(f"files changed that existed before: {changed or 'none'}")
