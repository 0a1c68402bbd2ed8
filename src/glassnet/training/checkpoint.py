"""The glassnet checkpoint format: a ``torch.save`` dict loaded with ``weights_only=True``.

Keys: ``format`` (:data:`CHECKPOINT_FORMAT`), ``architecture`` (a name in
:data:`glassnet.models.ARCHITECTURES`), ``model_config`` (its fields), ``state_dict``, and the metadata
the trainer records: target normalisation (``target_mean``, ``target_std``), ``output_index``, ``times``
(tau), ``train_config`` (with the seed), ``training_data`` (sha256 of positions and targets), ``versions``,
``machine``, ``train_seconds``, and ``weights_sha256`` (:func:`weights_digest`, verified on load). This module reads and writes files by path only; shipped networks are
found by name in :mod:`glassnet.pretrained`.
"""
from __future__ import annotations

import hashlib
import platform
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from .. import __version__
from ..core import ModelError, atomic_write
from ..models import ARCHITECTURES, architecture_of, import_bapst_weights, pick_device

__all__ = ["CHECKPOINT_FORMAT", "weights_digest", "save_checkpoint", "load_checkpoint", "import_bapst_checkpoint",
           "versions"]

CHECKPOINT_FORMAT = "glassnet.checkpoint/1"


def versions() -> dict:
    """The versions recorded in checkpoints (glassnet, torch, numpy, python)."""
    return {"glassnet": __version__, "torch": str(torch.__version__), "numpy": str(np.__version__),
            "python": platform.python_version()}


def weights_digest(state_dict: dict) -> str:
    """sha256 of a state dict's names, dtypes, shapes and bytes (what a checkpoint records as ``weights_sha256``)."""
    h = hashlib.sha256()
    for name in sorted(state_dict):
        t = state_dict[name].detach().cpu().contiguous()
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)}".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def save_checkpoint(path, model, extra: dict) -> None:
    """Save a model with its config and metadata (atomically: a kill never leaves half a file), and the sha256
    of its weights, checked on every load."""
    state = model.state_dict()
    payload = {"format": CHECKPOINT_FORMAT, "architecture": architecture_of(model).name,
               "model_config": asdict(model.config), "state_dict": state, **extra,
               "weights_sha256": weights_digest(state)}
    with atomic_write(path) as tmp:
        torch.save(payload, tmp)


def read_payload(path) -> dict:
    """The whole checkpoint dict of a file (weights included), checked to be a glassnet checkpoint."""
    path = Path(path)
    if not path.exists():
        raise ModelError(f"checkpoint {path} does not exist")
    if path.is_dir():
        raise ModelError(f"checkpoint {path} is a folder; give its best.pt or last.pt")
    if path.stat().st_size == 0:
        raise ModelError(f"checkpoint {path} is an empty file")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ModelError(f"{path} is not a readable glassnet checkpoint (truncated or corrupt?): "
                         f"{str(err).splitlines()[0]}") from err
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise ModelError(f"{path} is not a glassnet checkpoint (format "
                         f"{payload.get('format') if isinstance(payload, dict) else None!r})")
    recorded = payload.get("weights_sha256")    # checkpoints of glassnet <= 0.2 record none
    if recorded is not None:
        state = payload.get("state_dict")
        if not isinstance(state, dict) or weights_digest(state) != recorded:
            raise ModelError(f"{path}: the weights do not match the checksum recorded with them (corrupt file?)")
    return payload


def load_checkpoint(path, device=None):
    """Load a glassnet checkpoint file.

    Returns:
        (model in eval mode on the device, the checkpoint dict without the weights).

    Raises:
        ModelError: missing, truncated or corrupt file, or weights that do not fit the architecture
            the checkpoint declares.
    """
    payload = read_payload(path)
    arch = payload.get("architecture", "bapst")
    if arch not in ARCHITECTURES:
        raise ModelError(f"{path}: unknown architecture {arch!r}; this glassnet knows {sorted(ARCHITECTURES)}")
    spec = ARCHITECTURES[arch]
    try:
        config = spec.config(**payload["model_config"])
    except TypeError as err:
        raise ModelError(f"{path}: unknown model config {payload['model_config']}: {err}") from err
    model = spec.model(config)
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as err:
        raise ModelError(f"{path}: the weights do not fit the architecture {config}: "
                         f"{str(err).splitlines()[1:3]}") from err
    n_out = config.n_outputs
    for key in ("target_mean", "target_std"):
        width = np.atleast_2d(np.asarray(payload.get(key, [0.0] * n_out), dtype=float)).shape[-1]
        if width != n_out:
            raise ModelError(f"{path}: {key} has {width} entries but the network has {n_out} outputs")
    idx, times = payload.get("output_index"), payload.get("times")
    for key, value in (("output_index", idx), ("times", times)):
        if value is not None and len(value) != n_out:
            raise ModelError(f"{path}: {key} has {len(value)} entries but the network has {n_out} outputs")
    model.to(pick_device(device)).eval()
    meta = {k: v for k, v in payload.items() if k != "state_dict"}
    return model, meta


def import_bapst_checkpoint(source, out) -> Path:
    """Convert the published TensorFlow checkpoint of Bapst et al. (2020) into a glassnet checkpoint.

    Args:
        source: checkpoint prefix, ``.index`` file or folder (e.g. ``checkpoint_t044_s09/``). The
            released networks predict raw propensities (no normalisation); ``t044_s09`` is trained at
            T=0.44 for time index 0 (t = 0.132 tau).
        out: path of the glassnet checkpoint to write.
    """
    from ..formats.tfbundle import read_tf_bundle

    tensors = read_tf_bundle(source)
    model = import_bapst_weights(tensors)
    name = Path(source).name
    save_checkpoint(out, model, {
        "target_mean": [0.0] * model.config.n_outputs,
        "target_std": [1.0] * model.config.n_outputs,
        "output_index": [0] if "s09" in name else None,
        "times": [0.132] if "s09" in name else None,
        "training_data": {"description": "released network of Bapst et al., Nature Physics 16, 448 "
                          "(2020), google-deepmind/deepmind-research glassy_dynamics, KA at T=0.44",
                          "source": str(source), "temperatures": [0.44], "density": 1.2},
        "versions": versions(),
    })
    return Path(out)
