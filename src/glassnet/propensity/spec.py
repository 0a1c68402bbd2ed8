"""What determines a propensity dataset (:class:`DatasetSpec`, recorded in every file) and the named presets."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from typing import ClassVar

import numpy as np

from ..core import ParameterError
from ..forcefield import MAX_CUTOFF
from ..observables import Q_PEAK

__all__ = ["MIN_SPACING", "check_state_point", "ChainSpec", "DatasetSpec", "SingleRunSpec", "PRESETS", "with_overrides", "half_decades", "spec_from_json"]


#: the shortest time (tau) between labelled configurations or states: a few collision times, below which
#: two configurations of one trajectory are nearly the same structure
MIN_SPACING = 1.0


def half_decades(t0: float, t1: float) -> list[float]:
    """The published half-decade grid 0.165, 0.52, 1.65, 5.2, ... between t0 and t1 (tau)."""
    grid = [float(f"{0.165 * 10 ** (k // 2):.6g}") if k % 2 == 0 else float(f"{0.52 * 10 ** (k // 2):.6g}")
            for k in range(-4, 12)]
    return [g for g in grid if t0 * 0.9999 <= g <= t1 * 1.0001]


def check_state_point(temperature: float, n: int, density: float, dt: float = 0.005) -> None:
    """Refuse a KA state point or time step that cannot be simulated, naming the value (LJ units).

    Raises:
        ParameterError: T <= 0, fewer than 2 particles, density <= 0, dt outside (0, 0.01] tau, or a box
            smaller than twice the interaction cutoff.
    """
    for name, value, ok, expected in (
            ("temperature", temperature, temperature > 0, "> 0 (epsilon/k_B)"),
            ("n", n, n >= 2, ">= 2 particles"),
            ("density", density, density > 0, "> 0 (sigma^-3)"),
            ("dt", dt, 0 < dt <= 0.01, "in (0, 0.01] tau (KA is unstable beyond ~0.01)")):
        if not ok or not np.isfinite(value):
            raise ParameterError(f"{name}={value}; expected {expected}")
    side = (n / density) ** (1 / 3)
    if side < 2 * MAX_CUTOFF:
        raise ParameterError(f"n={n} at density {density} gives a box of {side:.3g} sigma, smaller than twice "
                             f"the interaction cutoff ({2 * MAX_CUTOFF:g} sigma); use more particles")


@dataclass(frozen=True)
class ChainSpec:
    """The chain of equilibrated states every protocol starts from (see :mod:`~glassnet.propensity.chain`).

    Attributes:
        temperature: T (epsilon/k_B).
        n: particles.
        density: number density (sigma^-3).
        dt: time step (tau).
        seed: base seed; every random choice derives from it.
        equilibration_taus: NVT equilibration before the first state, in units of tau_alpha.
        spacing_taus: NVT time between states, in units of tau_alpha (>= 1).
        tau_alpha: tau_alpha (tau) to use instead of measuring it in the pilot (None: measure).
        min_equilibration: lower bound on the equilibration time (tau).
        q: wave number of F_s (sigma^-1), at the first peak of S(q) for the A particles.
        spacing: NVT time between states (tau) instead of ``spacing_taus`` x tau_alpha, for labels whose
            horizon is far below tau_alpha (dense short-time sets); at least ``MIN_SPACING``. None: use
            ``spacing_taus``.
    """

    temperature: float = 0.64
    n: int = 1000
    density: float = 1.2
    dt: float = 0.005
    seed: int = 0
    equilibration_taus: float = 10.0
    spacing_taus: float = 1.0
    tau_alpha: float | None = None
    min_equilibration: float = 50.0
    q: float = Q_PEAK
    spacing: float | None = None

    #: fields added after glassnet 0.2, recorded only when set, so that a file made without them keeps its bytes
    _OPTIONAL = ("spacing",)

    def _check_common(self) -> None:
        t = np.asarray(self.times, dtype=float)
        if t.ndim != 1 or len(t) == 0 or np.any(t <= 0) or np.any(np.diff(t) <= 0):
            raise ParameterError(f"times={list(self.times)}; expected increasing positive times (tau)")
        if self.spacing_taus < 1:
            raise ParameterError(f"spacing_taus={self.spacing_taus}; states must be >= 1 tau_alpha apart")
        check_state_point(self.temperature, self.n, self.density, self.dt)
        for name, value, ok, expected in (
                ("equilibration_taus", self.equilibration_taus, self.equilibration_taus >= 0, ">= 0"),
                ("tau_alpha", self.tau_alpha, self.tau_alpha is None or self.tau_alpha > 0, "> 0 (tau)")):
            if not ok:
                raise ParameterError(f"{name}={value}; expected {expected}")
        if self.spacing is not None and not (np.isfinite(self.spacing) and self.spacing >= MIN_SPACING):
            raise ParameterError(f"spacing={self.spacing}; expected >= {MIN_SPACING:g} tau (closer states are "
                                 "nearly the same structure)")

    def state_spacing(self, tau_alpha: float) -> float:
        """NVT time (tau) between successive states of the chain, given the pilot's tau_alpha (tau)."""
        return float(self.spacing) if self.spacing is not None else self.spacing_taus * tau_alpha

    def record(self) -> dict:
        """The spec's fields as recorded in a file (fields of :attr:`_OPTIONAL` only when set)."""
        return {k: v for k, v in asdict(self).items() if not (k in self._OPTIONAL and v is None)}

    def to_json(self) -> str:
        return json.dumps(self.record(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str):
        d = json.loads(text)
        tuples = {f.name for f in fields(cls) if isinstance(f.default, tuple)}
        return cls(**{k: tuple(v) if k in tuples else v for k, v in d.items()})


@dataclass(frozen=True)
class DatasetSpec(ChainSpec):
    """Everything that determines an iso-configurational propensity dataset (recorded in the file).

    Attributes (besides those of :class:`ChainSpec`: temperature, n, density, dt, seed,
    equilibration_taus, spacing_taus, tau_alpha, min_equilibration, q):
        n_configs: configurations C, split as ``splits`` = (train, valid, test) counts.
        n_replicas: iso-configurational replicas R per configuration.
        times: propensity times (tau), increasing.
        fs_points_per_decade: density of the extra log grid on which F_s is sampled.
        replicas_per_task: replicas per Dask task.
    """

    #: the protocol this spec is for (a key of glassnet.propensity.PROTOCOLS; not a field)
    protocol: ClassVar[str] = "iso"

    n_configs: int = 4
    splits: tuple = (2, 1, 1)
    n_replicas: int = 30
    times: tuple = tuple(half_decades(0.165, 16.5))
    fs_points_per_decade: int = 8
    replicas_per_task: int = 10

    def __post_init__(self):
        self._check_common()
        if self.n_configs < 1:
            raise ParameterError(f"n_configs={self.n_configs}; expected at least 1 configuration")
        if sum(self.splits) != self.n_configs or len(self.splits) != 3 or min(self.splits) < 0:
            raise ParameterError(f"splits={self.splits} must be (train, valid, test) counts summing to "
                             f"n_configs={self.n_configs}")
        if self.n_replicas < 2:
            raise ParameterError(f"n_replicas={self.n_replicas}; expected >= 2 (the noise ceiling needs two halves)")

    def sample_times(self) -> np.ndarray:
        """Every time (tau) positions are recorded: the propensity grid and the denser F_s grid."""
        t_max = max(self.times)
        dense = np.geomspace(self.dt, t_max, int(np.ceil(np.log10(t_max / self.dt) * self.fs_points_per_decade)) + 1)
        steps = np.unique(np.round(np.concatenate([dense, self.times]) / self.dt).astype(np.int64))
        return np.round(steps[steps > 0] * self.dt, 10)


@dataclass(frozen=True)
class SingleRunSpec(ChainSpec):
    """Everything that determines a single-run label dataset (recorded in the file).

    From each of ``n_runs`` equilibrated states (the chain of the iso-configurational protocol: pilot,
    NVT equilibration, states ``spacing_taus`` x tau_alpha apart) one NVE run starts with fresh
    Maxwell-Boltzmann velocities. Its configurations at the time origins s_j = j * ``origin_spacing``
    (j = 0 ... ``n_origins`` - 1) are labelled with their own displacements |r_i(s_j + t) - r_i(s_j)| at
    the output ``times``: one run, so a label is noisy, but its mean over velocities is the propensity.
    There is no noise ceiling (R = 1): score networks trained on these on iso-configurational test data.

    Attributes (besides those of :class:`ChainSpec`):
        n_runs: independent NVE runs (equilibrated starting states).
        n_origins: time origins per run, each a labelled configuration.
        origin_spacing: time between origins (tau).
        times: label times (tau), increasing.
        split: the split every configuration of the file belongs to.
    """

    protocol: ClassVar[str] = "single-run"

    n_runs: int = 12
    n_origins: int = 25
    origin_spacing: float = 4.0
    times: tuple = tuple(half_decades(0.165, 52))
    split: str = "train"

    def __post_init__(self):
        self._check_common()
        if self.n_runs < 1 or self.n_origins < 1:
            raise ParameterError(f"n_runs={self.n_runs}, n_origins={self.n_origins}; expected >= 1 each")
        if not (np.isfinite(self.origin_spacing) and self.origin_spacing >= MIN_SPACING):
            raise ParameterError(f"origin_spacing={self.origin_spacing}; expected >= {MIN_SPACING:g} tau (closer "
                                 "origins are nearly the same structure; under dt they are the same step)")
        if self.split not in ("train", "valid", "test"):
            raise ParameterError(f"split={self.split!r}; expected 'train', 'valid' or 'test'")

    @property
    def n_configs(self) -> int:
        """Labelled configurations: n_runs x n_origins."""
        return self.n_runs * self.n_origins

    def origins(self) -> np.ndarray:
        """(n_origins,) time origins (tau) after the start of each run, on the dt grid."""
        return np.round(np.arange(self.n_origins) * self.origin_spacing / self.dt) * self.dt

    def md_time(self) -> float:
        """NVE time (tau) of one run: the last origin plus the longest label time."""
        return float(self.origins()[-1] + max(self.times))


def spec_from_json(text: str, protocol: str = "iso"):
    """The spec recorded in a file (its ``spec`` attribute) for the given protocol."""
    return {"iso": DatasetSpec, "single-run": SingleRunSpec}[protocol].from_json(text)


#: Named presets following the published grids (density 1.2). Sizes are chosen for a small cluster or a
#: patient workstation; override n, n_configs, n_replicas on the command line.
PRESETS: dict = {
    "small": DatasetSpec(),
    # the reference datasets in data/reference (~0.5 and ~1.3 CPU-hours here); tau_alpha 8.2 and 28.1 tau
    "ka-T0.64": DatasetSpec(temperature=0.64, n=1000, n_configs=8, splits=(6, 1, 1),
                            times=tuple(half_decades(0.165, 52))),
    "ka-T0.56": DatasetSpec(temperature=0.56, n=1000, n_configs=6, splits=(4, 1, 1),
                            times=tuple(half_decades(0.165, 165))),
    # the published grids up to 520 and 1650 tau, N=4096 (cluster scale)
    "ka-T0.64-full": DatasetSpec(temperature=0.64, n=4096, n_configs=20, splits=(14, 3, 3),
                                 times=tuple(half_decades(0.165, 520))),
    "ka-T0.56-full": DatasetSpec(temperature=0.56, n=4096, n_configs=20, splits=(14, 3, 3),
                                 times=tuple(half_decades(0.165, 1650))),
    "ka-T0.44-bapst": DatasetSpec(temperature=0.44, n=4096, n_configs=10, splits=(6, 2, 2),
                                  times=(0.132, 0.435), dt=0.003, equilibration_taus=0.0,
                                  tau_alpha=5890.0, min_equilibration=0.0),
    # the cheap high temperatures of the pooled network (issue 20): 1 validation and 5 test configurations
    "ka-T0.80": DatasetSpec(temperature=0.80, n=1000, n_configs=6, splits=(0, 1, 5),
                            times=tuple(half_decades(0.165, 16.5))),
    "ka-T1.00": DatasetSpec(temperature=1.00, n=1000, n_configs=6, splits=(0, 1, 5),
                            times=tuple(half_decades(0.165, 5.2))),
    # dense short-horizon labels (issue 29): configurations 4 tau apart on one equilibrium chain (not
    # tau_alpha: the labels' horizon is 1.65 tau), 8 replicas, no quench (forces-only networks need none)
    "short-T0.64": DatasetSpec(temperature=0.64, n=1000, n_configs=200, splits=(180, 20, 0), n_replicas=8,
                               times=tuple(half_decades(0.165, 1.65)), spacing=4.0),
    # single-run labels (issue 16): 12 runs x 25 origins 4 tau apart, the reference grids
    "single-T0.64": SingleRunSpec(temperature=0.64, n_runs=12, n_origins=25, origin_spacing=4.0,
                                  times=tuple(half_decades(0.165, 52))),
    "single-T0.56": SingleRunSpec(temperature=0.56, n_runs=12, n_origins=25, origin_spacing=8.0,
                                  times=tuple(half_decades(0.165, 165))),
    "single-T0.80": SingleRunSpec(temperature=0.80, n_runs=12, n_origins=25, origin_spacing=4.0,
                                  times=tuple(half_decades(0.165, 16.5))),
    "single-T1.00": SingleRunSpec(temperature=1.00, n_runs=12, n_origins=25, origin_spacing=2.0,
                                  times=tuple(half_decades(0.165, 5.2))),
    # down the temperature ladder (issue 30): tau_alpha of order 10^2 tau, labels to 520 tau (several tau_alpha),
    # origins 16 tau apart; equilibration 10 tau_alpha as everywhere
    "single-T0.50": SingleRunSpec(temperature=0.50, n_runs=12, n_origins=25, origin_spacing=16.0,
                                  times=tuple(half_decades(0.165, 520))),
    # dense short-horizon labels at T = 0.50: as short-T0.64, 8 tau apart (10 tau_alpha of chain for 200)
    "short-T0.50": DatasetSpec(temperature=0.50, n=1000, n_configs=200, splits=(180, 20, 0), n_replicas=8,
                               times=tuple(half_decades(0.165, 1.65)), spacing=8.0),
    # its iso-configurational test data: 1 validation and 3 test configurations, 30 replicas to 165 tau (past
    # tau_alpha ~ 120 tau); ~40 CPU-minutes at N = 1000
    "ka-T0.50": DatasetSpec(temperature=0.50, n=1000, n_configs=4, splits=(0, 1, 3),
                            times=tuple(half_decades(0.165, 165))),
}


def with_overrides(spec, **kwargs):
    """A copy of a spec with the non-None keyword values replaced (splits rescaled if C changes).

    Raises:
        ParameterError: a value given for a field the spec's protocol does not have.
    """
    kw = {k: v for k, v in kwargs.items() if v is not None}
    names = {f.name for f in fields(spec)}
    foreign = sorted(set(kw) - names)
    if foreign:
        raise ParameterError(f"{', '.join(foreign)} do(es) not apply to the {spec.protocol} protocol; its "
                             f"parameters: {', '.join(sorted(names))}")
    if "n_configs" in kw and "splits" not in kw:
        c = kw["n_configs"]
        n_valid = max(1, round(c * spec.splits[1] / spec.n_configs)) if c >= 3 else 0
        n_test = max(1, round(c * spec.splits[2] / spec.n_configs)) if c >= 3 else 0
        kw["splits"] = (c - n_valid - n_test, n_valid, n_test)
    if "times" in kw:
        kw["times"] = tuple(float(t) for t in kw["times"])
    return replace(spec, **kw)
