"""File formats: the registry, the published pickle (safely), glassnet HDF5 datasets, GlassBench, GSD,
extended XYZ and LAMMPS dumps, predictions."""
import pickle

import numpy as np
import pytest

from glassnet.core import Configuration, FormatError
from glassnet.formats import (Splits, format_for, formats, has_splits, read_configurations, read_labelled,
                              write_predictions)
from glassnet.formats.bapst import bapst_propensities, load_bapst_pickle, save_bapst_pickle
from glassnet.formats.glassbench import load_glassbench_npz, save_glassbench_npz
from glassnet.formats.hdf5 import read_dataset, write_dataset

from conftest import reference_file


class _Evil:
    def __reduce__(self):
        import os
        return (os.system, ("echo pwned",))


def test_restricted_unpickler_refuses_code(tmp_path):
    path = tmp_path / "evil.pickle"
    path.write_bytes(pickle.dumps({"positions": _Evil()}))
    with pytest.raises(FormatError, match="refusing to unpickle global"):
        load_bapst_pickle(path)


def test_truncated_pickle(tmp_path):
    src = pickle.dumps({"positions": np.zeros((4, 3)), "types": np.zeros(4), "box": np.ones(3)})
    (tmp_path / "t.pickle").write_bytes(src[: len(src) // 2])
    with pytest.raises(FormatError, match="truncated or corrupt"):
        load_bapst_pickle(tmp_path / "t.pickle")


def test_published_propensity_definition(test_small):
    # test_small has no 'targets': propensities are computed from its 30 trajectories
    times, prop = bapst_propensities(test_small)
    start = test_small["positions"]
    manual = np.mean([np.linalg.norm(x - start, axis=1) for x in test_small["trajectory_target_positions"][3]], 0)
    assert np.allclose(prop[3], manual)
    assert times[0] == pytest.approx(0.132)
    assert np.all(np.diff(prop.mean(axis=1)[:9]) > 0)          # mean displacement grows with time


def test_bapst_pickle_round_trip(tmp_path, test_large):
    out = tmp_path / "copy.pickle"
    save_bapst_pickle(out, test_large["positions"], test_large["types"], test_large["box"],
                      test_large["time"], test_large["time_indices"], test_large["is_values"],
                      test_large["trajectory_target_positions"], test_large["targets"],
                      test_large["metadata"])
    back = load_bapst_pickle(out)
    for key in ("positions", "types", "box", "is_values"):
        assert np.array_equal(back[key], test_large[key])
    assert back["time"] == list(test_large["time"]) and back["time_indices"] == test_large["time_indices"]
    assert all(np.array_equal(a, b) for a, b in zip(back["targets"], test_large["targets"]))


def _configs(n=3, n_particles=50, n_times=4, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        out.append(Configuration(rng.uniform(0, 6, (n_particles, 3)), rng.integers(0, 2, n_particles),
                                 np.full(3, 6.0), rng.uniform(0, 1, (n_times, n_particles)),
                                 metadata={"split": ["train", "valid", "test"][i % 3], "seed": i,
                                           "displacements": rng.uniform(0, 1, (5, n_times, n_particles)),
                                           "fs": np.linspace(1, 0.2, n_times)}))
    return out


def test_hdf5_round_trip(tmp_path):
    configs = _configs()
    times = np.geomspace(0.1, 100, 4)
    write_dataset(tmp_path / "d.h5", configs, times, {"temperature": 0.64, "seeds": {"base": 3}})
    ds = read_dataset(tmp_path / "d.h5", load_displacements=True)
    assert ds.metadata["temperature"] == 0.64 and ds.metadata["seeds"] == {"base": 3}
    assert np.array_equal(ds.times, times)
    for a, b in zip(configs, ds.configurations):
        assert np.array_equal(a.positions, b.positions) and np.array_equal(a.types, b.types)
        assert np.array_equal(a.targets, b.targets)
        assert np.allclose(a.metadata["displacements"], b.metadata["displacements"], atol=1e-7)
        assert np.array_equal(a.metadata["fs"], b.metadata["fs"])
    assert [c.metadata["seed"] for c in ds.split("valid")] == [1]
    assert len(read_configurations(tmp_path / "d.h5")) == 3


def test_hdf5_errors(tmp_path):
    write_dataset(tmp_path / "d.h5", _configs(), np.arange(1, 5.0))
    raw = (tmp_path / "d.h5").read_bytes()
    (tmp_path / "trunc.h5").write_bytes(raw[: len(raw) // 3])
    with pytest.raises(FormatError, match="truncated or corrupt|damaged"):
        read_dataset(tmp_path / "trunc.h5", load_displacements=True)
    import h5py
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = 1
    with pytest.raises(FormatError, match="not a glassnet dataset"):
        read_dataset(tmp_path / "other.h5")
    with pytest.raises(FormatError, match="does not exist"):
        read_dataset(tmp_path / "missing.h5")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(FormatError, match="cannot read '.txt'"):
        read_configurations(tmp_path / "notes.txt")


def test_glassbench_round_trip(tmp_path):
    n = 4096
    rng = np.random.default_rng(2)
    box = (n / 1.2) ** (1 / 3)
    c = Configuration(rng.uniform(0, box, (n, 3)), rng.integers(0, 2, n), np.full(3, box),
                      rng.uniform(0, 1, (10, n)))
    save_glassbench_npz(tmp_path / "g.npz", c)
    with np.load(tmp_path / "g.npz") as z:
        assert sorted(z.files) == ["initial_positions", "md_prop", "types"]
        assert set(np.unique(z["types"])) <= {1, 2}
    back = load_glassbench_npz(tmp_path / "g.npz")
    assert np.array_equal(back.positions, c.positions) and np.array_equal(back.types, c.types)
    assert np.array_equal(back.targets, c.targets) and np.allclose(back.box, box)
    # md_prop stored particle-major is read too
    np.savez(tmp_path / "t.npz", types=c.types + 1, initial_positions=c.positions, md_prop=c.targets.T)
    assert np.array_equal(read_configurations(tmp_path / "t.npz")[0].targets, c.targets)
    np.savez(tmp_path / "bad.npz", types=np.full(n, 7), initial_positions=c.positions)
    with pytest.raises(FormatError, match="unknown types"):
        load_glassbench_npz(tmp_path / "bad.npz")


def _toy_config(n=100, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 6, (n, 3)), rng.integers(0, 2, n), np.full(3, 6.0)


def test_read_gsd(tmp_path):
    gsd_hoomd = pytest.importorskip("gsd.hoomd")
    pos, typ, box = _toy_config()
    frame = gsd_hoomd.Frame()
    frame.particles.N = len(pos)
    frame.particles.position = (pos - box / 2).astype(np.float32)    # GSD boxes are centred
    frame.particles.typeid = typ.astype(np.uint32)
    frame.particles.types = ["A", "B"]
    frame.configuration.box = [6.0, 6.0, 6.0, 0, 0, 0]
    with gsd_hoomd.open(tmp_path / "c.gsd", "w") as f:
        f.append(frame)
    c = read_configurations(tmp_path / "c.gsd")[0]
    assert np.allclose(c.positions, pos, atol=1e-5) and np.array_equal(c.types, typ)
    assert np.allclose(c.box, box)


def test_read_extxyz_and_lammps_dump(tmp_path):
    pytest.importorskip("ase")
    pos, typ, box = _toy_config()
    lines = [str(len(pos)), 'Lattice="6.0 0 0 0 6.0 0 0 0 6.0" Properties=species:S:1:pos:R:3 pbc="T T T"']
    lines += [f"{'H' if t == 0 else 'He'} {x:.8f} {y:.8f} {z:.8f}" for t, (x, y, z) in zip(typ, pos)]
    (tmp_path / "c.extxyz").write_text("\n".join(lines) + "\n")
    c = read_configurations(tmp_path / "c.extxyz")[0]
    assert np.allclose(c.positions, pos) and np.array_equal(c.types, typ) and np.allclose(c.box, box)
    dump = ["ITEM: TIMESTEP", "0", "ITEM: NUMBER OF ATOMS", str(len(pos)), "ITEM: BOX BOUNDS pp pp pp",
            "0 6.0", "0 6.0", "0 6.0", "ITEM: ATOMS id type x y z"]
    dump += [f"{i + 1} {t + 1} {x:.8f} {y:.8f} {z:.8f}" for i, (t, (x, y, z)) in enumerate(zip(typ, pos))]
    (tmp_path / "c.dump").write_text("\n".join(dump) + "\n")
    c = read_configurations(tmp_path / "c.dump")[0]
    assert np.allclose(c.positions, pos, atol=1e-6) and np.array_equal(c.types, typ)


def test_several_files_act_as_one_dataset(tmp_path):
    rng = np.random.default_rng(0)

    def configs(splits):
        return [Configuration(rng.uniform(0, 6, (50, 3)), rng.integers(0, 2, 50), np.full(3, 6.0),
                              rng.uniform(size=(1, 50)), metadata={"split": s}) for s in splits]

    write_dataset(tmp_path / "a.h5", configs(["train", "valid", "test"]), [1.0])
    write_dataset(tmp_path / "b.h5", configs(["train", "train", "test"]), [1.0])
    files = [tmp_path / "a.h5", tmp_path / "b.h5"]
    assert len(read_labelled(files, "train")) == 3 and len(read_labelled(files, "test")) == 2
    assert len(read_labelled(files, "valid")) == 1            # b has none: fine as part of a list
    with pytest.raises(FormatError, match="no configurations in split 'valid'"):
        read_labelled(tmp_path / "b.h5", "valid")             # alone it is an error
    with pytest.raises(FormatError, match="none of"):
        read_labelled([tmp_path / "b.h5"], "valid")


def test_splits_read_once_give_every_split(tmp_path, monkeypatch):
    import glassnet.formats.hdf5 as hdf5

    rng = np.random.default_rng(1)
    configs = [Configuration(rng.uniform(0, 6, (50, 3)), rng.integers(0, 2, 50), np.full(3, 6.0),
                             rng.uniform(size=(1, 50)), metadata={"split": s})
               for s in ["train", "train", "valid", "test", "test"]]
    write_dataset(tmp_path / "a.h5", configs[:3], [1.0], {"temperature": 0.64})
    write_dataset(tmp_path / "b.h5", configs[3:], [1.0], {"temperature": 0.64})
    calls = []
    real = hdf5.read_dataset
    monkeypatch.setattr(hdf5, "read_dataset", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    data = Splits.read([tmp_path / "a.h5", tmp_path / "b.h5"])
    assert [len(data.train), len(data.valid), len(data.test)] == [2, 1, 2] and len(calls) == 2
    np.testing.assert_array_equal(data.test[1].positions, configs[4].positions)
    assert data.has_splits and data.temperature == 0.64 and data.split_name("test") == "test"
    assert Splits.of(data) is data and "train 2, valid 1, test 2" in repr(data)
    with pytest.raises(FormatError, match="expected 'train'"):
        data.get("tset")
    with pytest.raises(FormatError, match="no configurations in split 'valid'"):
        Splits.read(tmp_path / "b.h5").valid
    # a file without splits is one evaluation set: every split name gives all of it, tables record no split
    flat = Splits.read(reference_file("test_small.pickle"))
    assert not flat.has_splits and len(flat.train) == len(flat.test) == len(flat.get(None)) == 1
    assert flat.split_name("test") == ""


def test_registry_picks_formats_by_suffix(tmp_path):
    assert format_for("x.H5").name == "glassnet-hdf5" and format_for("a.pickle").name == "bapst"
    assert has_splits("d.hdf5") and not has_splits("c.gsd") and not has_splits("notes")
    assert {f.name for f in formats().values()} >= {"glassnet-hdf5", "bapst", "glassbench", "gsd", "extxyz",
                                                    "lammps-dump", "csv"}
    with pytest.raises(FormatError, match="cannot write predictions to '.pickle'"):
        format_for("p.pickle", "write_predictions")


def test_predictions_with_numpy_times(tmp_path):
    """Bug (issue 15): write_predictions raised 'truth value of an array is ambiguous' for array times."""
    import h5py

    configs = _configs(n=2, n_particles=10)
    preds = [np.arange(20.0).reshape(10, 2), np.ones((10, 2))]
    times = np.array([0.5, 5.0])
    write_predictions(tmp_path / "p.csv", configs, preds, times)
    head = (tmp_path / "p.csv").read_text().splitlines()
    assert head[0] == "configuration,particle,type,t=0.5,t=5" and len(head) == 21
    write_predictions(tmp_path / "p.h5", configs, preds, times)
    with h5py.File(tmp_path / "p.h5") as f:
        assert np.array_equal(f["times"][()], times)
        assert np.array_equal(f["00000/prediction"][()], preds[0])
    write_predictions(tmp_path / "q.csv", configs, preds)
    assert (tmp_path / "q.csv").read_text().splitlines()[0].endswith("output_0,output_1")


def test_labelled_configurations_carry_the_state_point(tmp_path):
    write_dataset(tmp_path / "d.h5", _configs(), np.arange(1, 5.0), {"temperature": 0.64, "density": 1.2})
    c = read_labelled(tmp_path / "d.h5", "test")[0]
    assert c.metadata["temperature"] == 0.64 and c.metadata["density"] == 1.2
    assert c.metadata["source"] == str(tmp_path / "d.h5")


def test_gsd_types_are_read_by_name(tmp_path):
    """Issue 18: a .gsd whose type list is ['B', 'A'] was read by typeid (every A became B)."""
    gsd_hoomd = pytest.importorskip("gsd.hoomd")
    pos, typ, box = _toy_config()

    def write(path, names, typeid):
        frame = gsd_hoomd.Frame()
        frame.particles.N = len(pos)
        frame.particles.position = (pos - box / 2).astype(np.float32)
        frame.particles.typeid = typeid.astype(np.uint32)
        frame.particles.types = names
        frame.configuration.box = [6.0, 6.0, 6.0, 0, 0, 0]
        with gsd_hoomd.open(path, "w") as f:
            f.append(frame)

    write(tmp_path / "ba.gsd", ["B", "A"], 1 - typ)
    assert np.array_equal(read_configurations(tmp_path / "ba.gsd")[0].types, typ)
    write(tmp_path / "ar.gsd", ["Ar", "Kr"], typ)
    with pytest.raises(FormatError, match=r"unknown particle types \['Ar', 'Kr'\].*--types A=Ar,B=Kr"):
        read_configurations(tmp_path / "ar.gsd")
    assert np.array_equal(read_configurations(tmp_path / "ar.gsd", types="A=Ar,B=Kr")[0].types, typ)


def _write_extxyz(path, names, pos, box, ids=None, column="species"):
    props = f"{column}:S:1:pos:R:3" + (":id:I:1" if ids is not None else "")
    lines = [str(len(pos)), f'Lattice="{box} 0 0 0 {box} 0 0 0 {box}" Properties={props} pbc="T T T"']
    for i, (n, (x, y, z)) in enumerate(zip(names, pos)):
        lines.append(f"{n} {x:.8f} {y:.8f} {z:.8f}" + (f" {ids[i]}" if ids is not None else ""))
    path.write_text("\n".join(lines) + "\n")


def _write_dump(path, names, pos, box, ids, column="type"):
    dump = ["ITEM: TIMESTEP", "0", "ITEM: NUMBER OF ATOMS", str(len(pos)), "ITEM: BOX BOUNDS pp pp pp",
            f"0 {box}", f"0 {box}", f"0 {box}", f"ITEM: ATOMS id {column} x y z"]
    dump += [f"{i} {n} {x:.8f} {y:.8f} {z:.8f}" for i, n, (x, y, z) in zip(ids, names, pos)]
    path.write_text("\n".join(dump) + "\n")


def test_species_are_mapped_by_one_type_map(tmp_path):
    """Issue 18: A/B labels failed inside ASE ('A'), other species were refused; one map serves every reader."""
    pytest.importorskip("ase")
    pos, typ, box = _toy_config()
    ab = np.array(["A", "B"])[typ]
    _write_extxyz(tmp_path / "ab.extxyz", ab, pos, 6.0)
    assert np.array_equal(read_configurations(tmp_path / "ab.extxyz")[0].types, typ)
    _write_extxyz(tmp_path / "t.extxyz", typ + 1, pos, 6.0, column="type")
    assert np.array_equal(read_configurations(tmp_path / "t.extxyz")[0].types, typ)
    arkr = np.array(["Ar", "Kr"])[typ]
    _write_extxyz(tmp_path / "ar.extxyz", arkr, pos, 6.0)
    with pytest.raises(FormatError, match=r"unknown particle types \['Ar', 'Kr'\]"):
        read_configurations(tmp_path / "ar.extxyz")
    assert np.array_equal(read_configurations(tmp_path / "ar.extxyz", "A=Ar,B=Kr")[0].types, typ)
    # swapped LAMMPS types in a dump, element names in another
    ids = np.arange(len(pos)) * 3 + 5
    _write_dump(tmp_path / "swap.dump", 2 - typ, pos, 6.0, ids)
    assert np.array_equal(read_configurations(tmp_path / "swap.dump", {"A": "2", "B": "1"})[0].types, typ)
    _write_dump(tmp_path / "el.dump", arkr, pos, 6.0, ids, column="element")
    assert np.array_equal(read_configurations(tmp_path / "el.dump", "A=Ar,B=Kr")[0].types, typ)
    for bad in ("A=Ar,C=Kr", "A=Ar,B=Ar", "Ar", ""):
        with pytest.raises(FormatError, match="type map"):
            read_configurations(tmp_path / "ar.extxyz", bad)


def test_dump_is_ordered_by_id_and_keeps_the_ids(tmp_path):
    pos, typ, box = _toy_config()
    ids = np.arange(len(pos)) * 2 + 1
    order = np.random.default_rng(1).permutation(len(pos))
    _write_dump(tmp_path / "s.dump", (typ + 1)[order], pos[order], 6.0, ids[order])
    c = read_configurations(tmp_path / "s.dump")[0]
    assert np.array_equal(c.metadata["ids"], ids) and np.allclose(c.positions, pos, atol=1e-7)
    assert np.array_equal(c.types, typ)


@pytest.mark.parametrize("suffix", [".extxyz", ".dump", ".gsd"])
def test_type_names_and_ids_round_trip_through_predictions(tmp_path, suffix):
    """Issue 18: predictions in the file formats of OVITO/ASE keep positions, ids and type names."""
    pytest.importorskip("ase")
    pytest.importorskip("gsd")
    pos, typ, box = _toy_config()
    ids = np.arange(len(pos)) + 100
    _write_dump(tmp_path / "in.dump", typ + 1, pos, 6.0, ids)
    configs = read_configurations(tmp_path / "in.dump")
    preds = [np.stack([np.arange(len(pos)) * 0.5, -np.arange(len(pos))], axis=1)]
    write_predictions(tmp_path / f"p{suffix}", configs, preds, [0.165, 52.0])
    back = read_configurations(tmp_path / f"p{suffix}")[0]
    assert np.array_equal(back.types, typ) and np.allclose(back.positions, pos, atol=1e-5)
    assert np.array_equal(back.metadata["ids"], ids)


def test_predictions_extxyz_opens_in_ase_with_per_particle_arrays(tmp_path):
    ase_io = pytest.importorskip("ase.io")
    pos, typ, box = _toy_config()
    configs = [Configuration(pos, typ, box, metadata={"type_names": np.array(["Ar", "Kr"])[typ]})]
    preds = [np.stack([np.arange(len(pos)) * 0.5, np.ones(len(pos))], axis=1)]
    write_predictions(tmp_path / "p.extxyz", configs, preds, np.array([0.165, 52.0]))
    atoms = ase_io.read(tmp_path / "p.extxyz")
    assert atoms.get_chemical_symbols() == list(np.array(["Ar", "Kr"])[typ])
    assert np.allclose(atoms.arrays["prop_t0.165"], preds[0][:, 0]) and np.allclose(atoms.arrays["prop_t52"], 1)
    assert list(atoms.arrays["ka_type"]) == list(np.array(["A", "B"])[typ])
    assert np.allclose(atoms.info["prediction_times"], [0.165, 52.0])
    assert np.allclose(atoms.get_positions(), pos)


def test_gsd_predictions_keep_the_input_species_names(tmp_path):
    """Issue 33: GSD output renamed Ar/Kr to A/B; the input's names are kept, glassnet's types ride along."""
    gsd_hoomd = pytest.importorskip("gsd.hoomd")
    pos, typ, box = _toy_config()
    path = tmp_path / "in.xyz"
    names, side = np.array(["Ar", "Kr"])[typ], box[0]
    path.write_text(f"{len(pos)}\nLattice=\"{side} 0 0 0 {side} 0 0 0 {side}\" Properties=species:S:1:pos:R:3\n"
                    + "".join(f"{n} {x} {y} {z}\n" for n, (x, y, z) in zip(names, pos)))
    configs = read_configurations(path, types="A=Ar,B=Kr")
    write_predictions(tmp_path / "p.gsd", configs, [np.zeros((len(pos), 1))], [1.0])
    with gsd_hoomd.open(tmp_path / "p.gsd", "r") as f:
        frame = f[0]
    assert np.array_equal(np.asarray(frame.particles.types)[frame.particles.typeid], names)
    assert np.array_equal(frame.log["particles/ka_type"], typ)
    assert np.array_equal(read_configurations(tmp_path / "p.gsd", types="A=Ar,B=Kr")[0].types, typ)


def test_non_periodic_ase_atoms_are_refused():
    """Issue 33: ase.Atoms(pbc=False) was predicted as a periodic system."""
    ase = pytest.importorskip("ase")
    from glassnet.core import FormatError
    from glassnet.formats import as_configuration

    pos, typ, box = _toy_config()
    atoms = ase.Atoms(np.array(["H", "He"])[typ].tolist(), positions=pos, cell=box, pbc=[True, True, False])
    with pytest.raises(FormatError, match=r"not periodic in every direction \(pbc=\[True, True, False\]\)"):
        as_configuration(atoms)
    atoms.pbc = True
    assert as_configuration(atoms).n == len(pos)
