"""The public API: every export resolves, configurations round-trip through repr."""
import numpy as np  # noqa: F401  (used by eval of reprs)

import glassnet
from glassnet import DatasetSpec, EquivariantConfig, ModelConfig, TrainConfig


def test_every_export_resolves():
    for name in glassnet.__all__:
        assert getattr(glassnet, name) is not None, name


def test_config_repr_round_trip():
    for obj in (ModelConfig(hidden=32, steps=3, n_outputs=4, r_cut=2.5),
                TrainConfig(steps=10, lr=3e-4, seed=5),
                EquivariantConfig(hidden=16, layers=2, n_outputs=3, vectors=False),
                TrainConfig(steps=10, normalize="per-config", schedule="cosine", warmup=2, loss_types=(0, 1)),
                DatasetSpec(temperature=0.56, n=500, n_configs=3, splits=(1, 1, 1), times=(0.5, 5.0))):
        assert eval(repr(obj)) == obj
