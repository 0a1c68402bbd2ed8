"""Prediction: on-the-fly quenching, per-type rescaling, ensembles."""
from dataclasses import replace

import numpy as np
import pytest
import torch

from glassnet.core import ModelError
from glassnet.models import BapstGN, EquivariantConfig, EquivariantGN, ModelConfig, predict_tensors
from glassnet.training import Predictor, load_checkpoint, save_checkpoint


def test_quench_on_the_fly_and_per_type_scale(reference_configs, tmp_path):
    torch.manual_seed(1)
    model = EquivariantGN(EquivariantConfig(hidden=8, layers=1, n_outputs=2))
    save_checkpoint(tmp_path / "m.pt", model, {"target_mean": [[0, 0], [0, 0]], "target_std": [[1, 1], [2, 2]]})
    loaded, _ = load_checkpoint(tmp_path / "m.pt")
    # a configuration without an inherent state is quenched on the fly, to the same prediction
    c = reference_configs[3]
    pred = Predictor(tmp_path / "m.pt")
    with_is = pred.predict(c)
    on_the_fly = pred.predict(replace(c, inherent=None))
    assert np.abs(with_is - on_the_fly).max() < 1e-4
    b = c.types == 1
    assert np.allclose(with_is[b], 2 * predict_tensors(loaded, pred.inputs(c))[b], atol=1e-5)
    assert pred.output_index == [0, 1]



def test_a_model_without_inherent_inputs_is_not_quenched(reference_configs, tmp_path):
    """A network that reads only the given configuration's forces gets them from one force evaluation: the same
    prediction as with the stored inherent state, and the positions it is given are the configuration's own."""
    from glassnet.forcefield import reference_energy_forces

    torch.manual_seed(2)
    model = EquivariantGN(EquivariantConfig(hidden=8, layers=1, n_outputs=2, inherent=False))
    assert not model.needs_inherent and model.needs_forces
    assert EquivariantGN(EquivariantConfig(hidden=8, layers=1)).needs_inherent
    save_checkpoint(tmp_path / "f.pt", model, {})
    pred, c = Predictor(tmp_path / "f.pt"), reference_configs[3]
    given = pred.with_inherent(replace(c, inherent=None)).inherent
    assert np.allclose(given.forces, reference_energy_forces(c.positions, c.types, c.box)[1], atol=1e-9)
    assert np.array_equal(given.positions, c.positions) and given.ftol == np.inf
    assert np.abs(pred.predict(c) - pred.predict(replace(c, inherent=None))).max() < 1e-5

def test_ensemble_is_the_mean_and_must_agree(reference_configs, tmp_path):
    c = reference_configs[0]
    for seed in (0, 1):
        torch.manual_seed(seed)
        save_checkpoint(tmp_path / f"m{seed}.pt", EquivariantGN(EquivariantConfig(hidden=8, layers=1, n_outputs=2)),
                        {"times": [1.0, 2.0]})
    both = Predictor([tmp_path / "m0.pt", tmp_path / "m1.pt"]).predict(c)
    one, two = Predictor(tmp_path / "m0.pt").predict(c), Predictor(tmp_path / "m1.pt").predict(c)
    assert np.allclose(both, (one + two) / 2, atol=1e-12)
    save_checkpoint(tmp_path / "b.pt", BapstGN(ModelConfig(hidden=8, steps=1, n_outputs=3)), {})
    with pytest.raises(ModelError, match="different outputs"):
        Predictor([tmp_path / "m0.pt", tmp_path / "b.pt"])
    with pytest.raises(ModelError, match="no checkpoint"):
        Predictor([])


def test_overlapping_particles_are_named_before_any_work(reference_configs):
    """Issue 18: two coincident particles gave exit 0 (faithful network) or a two-line LAMMPS message."""
    c = replace(reference_configs[0], inherent=None)
    pos = c.positions.copy()
    pos[17] = pos[3] + 0.01
    with pytest.raises(ModelError, match=r"closer than 0.5 sigma \(overlapping: 3 and 17 at 0.0173"):
        Predictor("ka-T0.64").predict(replace(c, positions=pos))
    with pytest.raises(ModelError, match="overlapping"):
        Predictor("ka-T0.64-bapst").predict(replace(c, positions=pos))
    Predictor("ka-T0.64-bapst").predict(c)       # a real configuration passes the check


def test_ase_atoms_and_freud_pairs_predict_like_configurations(reference_configs):
    ase = pytest.importorskip("ase")
    freud = pytest.importorskip("freud")
    c = reference_configs[0]
    pred = Predictor("ka-T0.64-bapst")
    ref = pred.predict(c)
    atoms = ase.Atoms(np.array(["Ar", "Kr"])[c.types], positions=c.positions, cell=np.diag(c.box), pbc=True)
    assert np.allclose(pred.predict(atoms, types="A=Ar,B=Kr"), ref, atol=1e-5)
    box = freud.box.Box(*c.box)
    assert np.allclose(pred.predict((box, c.positions - c.box / 2), types=c.types), ref, atol=1e-5)
    with pytest.raises(Exception, match="no types"):
        pred.predict((box, c.positions))


def test_state_point_is_recorded_and_checked(reference_configs):
    import logging

    c = reference_configs[0]                                    # T=0.44, density 1.2
    pred = Predictor("ka-T0.64-bapst")
    assert pred.state_point == {"temperatures": [0.64], "density": 1.2}
    c = replace(c, metadata={**c.metadata, "temperature": 0.44})
    assert pred.state_point_warnings(c) == ["temperature 0.44 differs from the training data's [0.64]"]
    squeezed = replace(c, positions=c.positions * 1.1, box=c.box * 1.1)
    assert "number density 0.9" in pred.state_point_warnings(squeezed)[0]
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logging.getLogger("glassnet").addHandler(handler)
    try:
        pred.predict(c)
        pred.predict(c)                                         # once per message
    finally:
        logging.getLogger("glassnet").removeHandler(handler)
    assert sum("temperature 0.44 differs" in r.getMessage() for r in records) == 1
