"""Label protocols: how propensities are measured with MD.

- :mod:`~glassnet.propensity.spec`: :class:`DatasetSpec` (everything that determines a dataset) and the
  named :data:`PRESETS`;
- :mod:`~glassnet.propensity.chain`: the chain of equilibrated starting states every protocol shares;
- :mod:`~glassnet.propensity.iso`: the iso-configurational protocol of Bapst et al. (2020), the measure;
- :mod:`~glassnet.propensity.single`: single-run labels from long trajectories with many time origins;
- :mod:`~glassnet.propensity.jobs`: Dask fan-out and the folder of finished pieces a job resumes from.

A protocol returns a :class:`~glassnet.core.Dataset` and never writes dataset files itself (that is
:mod:`glassnet.datasets`, above the file formats). A new protocol is one module here and one entry in
:data:`PROTOCOLS`.
"""
from __future__ import annotations

from .iso import run_replicas, simulate_iso
from .single import run_origins, simulate_single
from .spec import PRESETS, DatasetSpec, SingleRunSpec, check_state_point, half_decades, spec_from_json, with_overrides

__all__ = ["DatasetSpec", "SingleRunSpec", "PRESETS", "PROTOCOLS", "check_state_point", "with_overrides", "half_decades",
           "spec_from_json", "run_replicas", "run_origins", "simulate_iso", "simulate_single"]

#: protocol name (``spec.protocol``) -> function(spec, parts, scheduler, workers, progress, engine) -> Dataset
PROTOCOLS = {"iso": simulate_iso, "single-run": simulate_single}
