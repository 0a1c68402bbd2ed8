"""The checkpoint format: the released TensorFlow weights imported, round trips, and every way a file can
be wrong."""
import pytest
import torch

from glassnet.core import FormatError, ModelError
from glassnet.evaluation import evaluate
from glassnet.models import BapstGN, EquivariantConfig, EquivariantGN, ModelConfig
from glassnet.training import Predictor, load_checkpoint, save_checkpoint

from conftest import bapst_configuration, reference_file


def test_released_weights_reproduce_published_correlation(bapst_checkpoint, test_large):
    """Applied to test_large, the imported network gives r = 0.935 +- 0.002 at time index 0."""
    res = evaluate(Predictor(bapst_checkpoint), [bapst_configuration(test_large)], output_index=[0])
    assert res["mean"][0] == pytest.approx(0.935, abs=0.002)
    res1 = evaluate(Predictor(bapst_checkpoint), [bapst_configuration(test_large)], output_index=[1])
    assert res1["mean"][0] == pytest.approx(0.39, abs=0.01)       # README: 0.39 at index 1


def test_checkpoint_errors(tmp_path, bapst_checkpoint):
    # another architecture: weights of a 32-wide net under a 64-wide config
    small = BapstGN(ModelConfig(hidden=32))
    save_checkpoint(tmp_path / "x.pt", small, {})
    payload = torch.load(tmp_path / "x.pt", weights_only=True)
    payload["model_config"]["hidden"] = 64
    torch.save(payload, tmp_path / "mismatch.pt")
    with pytest.raises(ModelError, match="do not fit the architecture"):
        load_checkpoint(tmp_path / "mismatch.pt")
    data = open(bapst_checkpoint, "rb").read()
    (tmp_path / "trunc.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="truncated or corrupt"):
        load_checkpoint(tmp_path / "trunc.pt")
    (tmp_path / "garbage.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="truncated or corrupt"):
        load_checkpoint(tmp_path / "garbage.pt")
    with pytest.raises(ModelError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


def test_tf_bundle_corruption_is_detected(tmp_path):
    from glassnet.formats.tfbundle import read_tf_bundle

    src = reference_file("checkpoint_t044_s09")
    for f in src.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    data = tmp_path / "t044_s09.ckpt.data-00000-of-00001"
    original = data.read_bytes()
    raw = bytearray(original)
    raw[1000] ^= 0xFF
    data.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match="checksum mismatch"):
        read_tf_bundle(tmp_path)
    data.write_bytes(original[: len(original) // 2])
    with pytest.raises(FormatError, match="truncated"):
        read_tf_bundle(tmp_path)


def test_checkpoint_round_trip_and_architecture_errors(tmp_path):
    torch.manual_seed(1)
    model = EquivariantGN(EquivariantConfig(hidden=8, layers=1, n_outputs=2))
    save_checkpoint(tmp_path / "m.pt", model, {"target_mean": [[0, 0], [0, 0]], "target_std": [[1, 1], [2, 2]]})
    loaded, _ = load_checkpoint(tmp_path / "m.pt")
    assert isinstance(loaded, EquivariantGN) and loaded.config == model.config
    payload = torch.load(tmp_path / "m.pt", weights_only=True)
    payload["architecture"] = "transformer"
    torch.save(payload, tmp_path / "x.pt")
    with pytest.raises(ModelError, match="unknown architecture"):
        load_checkpoint(tmp_path / "x.pt")
    payload["architecture"] = "bapst"          # equivariant weights declared as the published network
    torch.save(payload, tmp_path / "y.pt")
    with pytest.raises(ModelError):
        load_checkpoint(tmp_path / "y.pt")
    torch.save({"format": "someone.else/3"}, tmp_path / "foreign.pt")
    with pytest.raises(ModelError, match="not a glassnet checkpoint"):
        load_checkpoint(tmp_path / "foreign.pt")


def test_weights_are_checked_against_their_recorded_checksum(tmp_path):
    """Issue 33: a checkpoint with flipped weight bytes loaded and predicted NaN; the weights' sha256 is recorded
    on save and verified on load (checkpoints of glassnet <= 0.2, without one, still load)."""
    torch.manual_seed(1)
    model = EquivariantGN(EquivariantConfig(hidden=8, layers=1, n_outputs=2))
    save_checkpoint(tmp_path / "m.pt", model, {})
    payload = torch.load(tmp_path / "m.pt", weights_only=True)
    assert len(payload["weights_sha256"]) == 64
    name = next(iter(payload["state_dict"]))
    payload["state_dict"][name].view(torch.int32)[0] ^= 1         # one flipped bit
    torch.save(payload, tmp_path / "flipped.pt")
    with pytest.raises(ModelError, match="do not match the checksum"):
        load_checkpoint(tmp_path / "flipped.pt")
    del payload["weights_sha256"]
    torch.save(payload, tmp_path / "old.pt")
    assert load_checkpoint(tmp_path / "old.pt")[0].config == model.config
