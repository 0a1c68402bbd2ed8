"""Label protocols: how propensities are measured with MD.

- :mod:`~glassnet.propensity.spec`: :class:`DatasetSpec` (everything that determines a dataset) and the
  named :data:`PRESETS`;
- :mod:`~glassnet.propensity.iso`: the iso-configurational protocol of Bapst et al. (2020);
- :mod:`~glassnet.propensity.jobs`: Dask fan-out and the folder of finished pieces a job resumes from.

A protocol returns a :class:`~glassnet.core.Dataset` and never writes dataset files itself (that is
:mod:`glassnet.datasets`, above the file formats). A new protocol is one module here and one entry in
:data:`PROTOCOLS`.
"""
from __future__ import annotations

from .iso import run_replicas, simulate_iso
from .spec import PRESETS, DatasetSpec, half_decades, with_overrides

__all__ = ["DatasetSpec", "PRESETS", "PROTOCOLS", "with_overrides", "half_decades", "run_replicas",
           "simulate_iso"]

#: protocol name -> function(spec, parts, scheduler, workers, progress, engine) -> Dataset
PROTOCOLS = {"iso": simulate_iso}
