"""Baselines the graph network must beat: physics-inspired predictors and descriptor regression.

Physics-inspired (no training; each is a per-particle number whose correlation with propensity is
reported with the sign that correlates best on the training split):

- ``potential_energy``: per-particle KA potential energy (epsilon), from the simulator;
- ``voronoi_volume``: Voronoi cell volume (sigma^3), a free-volume measure (LAMMPS voro++);
- ``neighbour_count``: number of neighbours inside the first minimum of g_ab(r) (1.40 AA, 1.20 AB,
  1.07 BB, sigma).

Harmonic (:mod:`glassnet.hessian`; a dense eigen-decomposition per configuration, ~5-10 s at N=1000):

- ``harmonic_propagator``: the expected displacement after t from the force and the Hessian of the given
  configuration with Maxwell-Boltzmann velocities (one value per output time, t <= HARMONIC_T_MAX);
- ``force``: |F_i| of the given configuration (epsilon/sigma);
- ``vibrational_amplitude``: sum over the inherent state's modes of |e_i|^2 / omega^2;
- ``soft_modes``: participation in the 30 lowest-frequency modes of the inherent state.

Descriptor + regression, after Boattini et al., PRL 127, 088007 (2021) and Jung et al. (GlassMLP), 2023:
radial structure functions per neighbour species on shells, Steinhardt bond order q_2..q_8 over the first
shell (freud), each recursively coarse-grained over neighbours (:mod:`glassnet.descriptors`); fitted with
ridge regression or a small MLP on the training split (A particles), hyper-parameters chosen on the
validation split, scored on test. ``multiscale+ridge``: ridge on the inherent state's energy, density and
local order coarse-grained over 1-3 sigma (:func:`glassnet.descriptors.multiscale_descriptors`), where the
configurations have inherent states.
"""
from __future__ import annotations

import logging

import numpy as np

from . import hessian as _hessian
from .core import Configuration
from .descriptors import (FIRST_SHELL, bond_order_descriptors, coarse_grain,
                          multiscale_descriptors, radial_descriptors, structural_descriptors)
from .evaluation import result_rows as _rows
from .forcefield import reference_energy_forces
from .formats import Splits
from .graph import periodic_pairs as _pairs
from .md import create_engine
from .observables import pearson_r

__all__ = [
    "FIRST_SHELL", "PHYSICS_BASELINES", "HARMONIC_BASELINES", "HARMONIC_T_MAX", "potential_energy",
    "harmonic_propagator", "force_magnitude", "vibrational_amplitude", "soft_modes", "voronoi_volume", "neighbour_count",
    "radial_descriptors", "bond_order_descriptors", "coarse_grain", "structural_descriptors",
    "RidgeBaseline", "MLPBaseline", "physics_baseline_table", "descriptor_baseline_table",
    "baseline_rows",
]

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------------------------
# Physics-inspired predictors
# ------------------------------------------------------------------------------------------------
def potential_energy(config: Configuration) -> np.ndarray:
    """(N,) per-particle potential energy (epsilon), pair energies split half-half (MD engine)."""
    with create_engine(config.positions, config.types, config.box) as sim:
        return sim.per_particle_energy


def voronoi_volume(config: Configuration) -> np.ndarray:
    """(N,) Voronoi cell volume of each particle (sigma^3), periodic (the MD engine's; LAMMPS voronoi/atom)."""
    with create_engine(config.positions, config.types, config.box) as sim:
        return sim.voronoi_volumes


def neighbour_count(config: Configuration) -> np.ndarray:
    """(N,) number of neighbours within the first minimum of g_ab(r) for each pair of species."""
    types = np.asarray(config.types)
    i, j, r, _ = _pairs(config.positions, config.box, max(FIRST_SHELL.values()))
    ti, tj = types[i], types[j]
    cut = np.where(ti + tj == 0, FIRST_SHELL[(0, 0)], np.where(ti + tj == 1, FIRST_SHELL[(0, 1)],
                                                                FIRST_SHELL[(1, 1)]))
    inside = r < cut
    return (np.bincount(i[inside], minlength=len(types)) + np.bincount(j[inside], minlength=len(types))
            ).astype(np.float64)


#: the harmonic propagator is reported up to this time (tau): beyond a few vibrations it has no meaning
HARMONIC_T_MAX = 2.0

_BASIN: dict = {}      # id -> (configuration, {measure: (N,)}): the inherent-state measures, computed together


def _basin(config: Configuration) -> dict:
    """Vibrational amplitude and soft-mode participation of a configuration's inherent state, from one
    eigen-decomposition (kept for this configuration object until the table is done)."""
    key = id(config)
    if key not in _BASIN or _BASIN[key][0] is not config:
        m = _hessian.basin_measures(config.inherent.positions, config.types, config.box)
        _BASIN[key] = (config, {"vibrational_amplitude": m[:, 0], "soft_modes": m[:, 1]})
    return _BASIN[key][1]


def harmonic_propagator(config: Configuration):
    """(T, N) expected displacement (sigma) at the configuration's times <= HARMONIC_T_MAX (NaN beyond),
    from its force and Hessian at its temperature (metadata); None without a recorded temperature."""
    temperature = config.metadata.get("temperature")
    if temperature is None or config.times is None:
        return None
    times = np.asarray(config.times, float)
    out = np.full((len(times), config.n), np.nan)
    short = times <= HARMONIC_T_MAX
    if short.any():
        w2, e = _hessian.normal_modes(_hessian.hessian(config.positions, config.types, config.box))
        _, forces = reference_energy_forces(config.positions, config.types, config.box)
        out[short] = _hessian.harmonic_displacement(w2, e, forces, float(temperature), times[short])
    return out


def force_magnitude(config: Configuration) -> np.ndarray:
    """(N,) |F_i| of the given configuration (epsilon/sigma)."""
    _, forces = reference_energy_forces(config.positions, config.types, config.box)
    return np.linalg.norm(forces, axis=1)


def vibrational_amplitude(config: Configuration):
    """(N,) harmonic vibrational amplitude of the inherent-state basin (sigma^2 / T); None without one."""
    return None if config.inherent is None else _basin(config)["vibrational_amplitude"]


def soft_modes(config: Configuration):
    """(N,) participation in the 30 softest inherent-state modes; None without an inherent state."""
    return None if config.inherent is None else _basin(config)["soft_modes"]


PHYSICS_BASELINES = {
    "potential_energy": potential_energy,
    "voronoi_volume": voronoi_volume,
    "neighbour_count": neighbour_count,
}

#: baselines from the Hessian (seconds per configuration): `glassnet baselines` runs them unless
#: --no-harmonic
HARMONIC_BASELINES = {
    "harmonic_propagator": harmonic_propagator,
    "force": force_magnitude,
    "vibrational_amplitude": vibrational_amplitude,
    "soft_modes": soft_modes,
}


# ------------------------------------------------------------------------------------------------
# Regression
# ------------------------------------------------------------------------------------------------
def _stack(configs, features, mask_type=0):
    x = np.concatenate([f[np.asarray(c.types) == mask_type] for c, f in zip(configs, features)])
    y = np.concatenate([np.asarray(c.targets).T[np.asarray(c.types) == mask_type] for c in configs])
    return x, y


class RidgeBaseline:
    """Ridge regression of propensity on descriptors, one independent fit per timescale.

    Args:
        alphas: candidate regularisation strengths; the best per timescale is chosen on validation.
    """

    def __init__(self, alphas=(1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)):
        self.alphas = tuple(alphas)
        self.coef = None

    def __repr__(self):
        return f"RidgeBaseline(alphas={self.alphas})"

    def _solve(self, x, y, alpha):
        a = x.T @ x + alpha * len(x) * np.eye(x.shape[1])
        return np.linalg.solve(a, x.T @ y)

    def fit(self, x_train, y_train, x_valid, y_valid) -> "RidgeBaseline":
        """Fit on (n, F) features and (n, T) targets; choose alpha per target on the validation rows."""
        self.mu, self.sd = x_train.mean(0), x_train.std(0) + 1e-12
        self.y_mu = y_train.mean(0)
        xt, xv = (x_train - self.mu) / self.sd, (x_valid - self.mu) / self.sd
        best = [(-np.inf, None, None)] * y_train.shape[1]
        for alpha in self.alphas:
            w = self._solve(xt, y_train - self.y_mu, alpha)
            pv = xv @ w
            for k in range(y_train.shape[1]):
                r = pearson_r(pv[:, k], y_valid[:, k])
                if r > best[k][0]:
                    best[k] = (r, alpha, w[:, k])
        self.alpha = [b[1] for b in best]
        self.coef = np.stack([b[2] for b in best], axis=1)
        return self

    def predict(self, x) -> np.ndarray:
        if self.coef is None:
            raise RuntimeError("RidgeBaseline is not fitted: call fit first")
        return (x - self.mu) / self.sd @ self.coef + self.y_mu


class MLPBaseline:
    """A small MLP on descriptors (GlassMLP-like), all timescales at once; early stopping on validation.

    Args:
        hidden: widths of the hidden layers.
        epochs: maximum full-batch epochs (Adam, lr 1e-3, weight decay 1e-4).
        seed: initial weights.
    """

    def __init__(self, hidden=(64, 64), epochs: int = 600, seed: int = 0):
        self.hidden, self.epochs, self.seed = tuple(hidden), epochs, seed
        self.net = None

    def __repr__(self):
        return f"MLPBaseline(hidden={self.hidden}, epochs={self.epochs}, seed={self.seed})"

    def fit(self, x_train, y_train, x_valid, y_valid) -> "MLPBaseline":
        import torch
        from torch import nn

        self.mu, self.sd = x_train.mean(0), x_train.std(0) + 1e-12
        self.y_mu, self.y_sd = y_train.mean(0), y_train.std(0) + 1e-12
        f = lambda a: torch.as_tensor((a - self.mu) / self.sd, dtype=torch.float32)
        xt, xv = f(x_train), f(x_valid)
        yt = torch.as_tensor((y_train - self.y_mu) / self.y_sd, dtype=torch.float32)
        sizes = [x_train.shape[1], *self.hidden]
        with torch.random.fork_rng(devices=[]):     # every layer's weights seeded, the global RNG untouched
            torch.manual_seed(self.seed)
            layers = []
            for a, b in zip(sizes[:-1], sizes[1:]):
                layers += [nn.Linear(a, b), nn.ReLU()]
            self.net = nn.Sequential(*layers, nn.Linear(sizes[-1], y_train.shape[1]))
        opt = torch.optim.Adam(self.net.parameters(), lr=1e-3, weight_decay=1e-4)
        best, best_state = -np.inf, None
        for epoch in range(self.epochs):
            opt.zero_grad()
            loss = ((self.net(xt) - yt) ** 2).mean()
            loss.backward()
            opt.step()
            if epoch % 10 == 9:
                with torch.no_grad():
                    pv = self.net(xv).numpy()
                r = np.mean([pearson_r(pv[:, k], y_valid[:, k]) for k in range(pv.shape[1])])
                if r > best:
                    best = r
                    best_state = {k: v.clone() for k, v in self.net.state_dict().items()}
        if best_state is not None:
            self.net.load_state_dict(best_state)
        return self

    def predict(self, x) -> np.ndarray:
        import torch

        if self.net is None:
            raise RuntimeError("MLPBaseline is not fitted: call fit first")
        with torch.no_grad():
            out = self.net(torch.as_tensor((x - self.mu) / self.sd, dtype=torch.float32)).numpy()
        return out * self.y_sd + self.y_mu


# ------------------------------------------------------------------------------------------------
# Tables
# ------------------------------------------------------------------------------------------------
def physics_baseline_table(train, test, data="", split="test", names=None, sign_split: str = "train") -> list[dict]:
    """Pearson r (A particles) of each physics baseline on ``test``, its sign chosen on ``train``.

    Args:
        train, test: lists of :class:`Configuration` with targets (T, N); ``train`` may equal ``test``
            when there is no separate training data (then the sign is chosen on the same data, and the
            note says so).
        sign_split: the split ``train`` is, for the note ('valid' for a test file without a train split).
    """
    rows = []
    times = test[0].times
    known = {**PHYSICS_BASELINES, **HARMONIC_BASELINES}
    for name in names or PHYSICS_BASELINES:
        fn = known[name]
        cache = {}

        def value(c):
            if id(c) not in cache:
                cache[id(c)] = fn(c)
            return cache[id(c)]

        def rs(configs):
            out = []
            for c in configs:
                v, a = value(c), np.asarray(c.types) == 0
                if v is None:
                    return None
                v = np.broadcast_to(v, np.shape(c.targets))           # (N,) or one row per time
                out.append([pearson_r(vk[a], np.asarray(t)[a]) if np.all(np.isfinite(vk[a])) else np.nan
                            for vk, t in zip(v, c.targets)])
            return np.asarray(out)

        r_train, r_test = rs(train), rs(test)
        if r_train is None or r_test is None:               # not defined for these data (no IS, no T)
            continue
        sign = np.sign(np.nan_to_num(r_train.mean(axis=0)))
        sign[sign == 0] = 1
        r = r_test * sign
        same = "sign chosen on the same data" if train is test else f"sign chosen on the {sign_split} split"
        for k, row in enumerate(_rows(name, "physics", data, split, times, r)):
            if not np.all(np.isfinite(r[:, k])):
                continue                                   # e.g. the harmonic propagator beyond HARMONIC_T_MAX
            row["note"] = f"sign {'+' if sign[k] > 0 else '-'}; {same}"
            rows.append(row)
    _BASIN.clear()
    return rows


def _inherent_multiscale(c: Configuration) -> np.ndarray:
    return multiscale_descriptors(c.inherent.positions, c.types, c.box, c.inherent.energies)


def descriptor_baseline_table(train, valid, test, data="", split="test", mlp_seed: int = 0) -> list[dict]:
    """Ridge and MLP on the coarse-grained structural descriptors, and, where every configuration has its
    inherent state, ridge on the multi-scale inherent-state descriptors (``multiscale+ridge``): fit on train,
    select on valid, score (per configuration, A particles) on test."""
    configs = [*train, *valid, *test]
    sets = [("descriptors", structural_descriptors, (RidgeBaseline(), MLPBaseline(seed=mlp_seed)))]
    if all(c.inherent is not None for c in configs):
        sets.append(("multiscale", _inherent_multiscale, (RidgeBaseline(),)))
    rows = []
    for prefix, describe, models in sets:
        feats = {id(c): describe(c) for c in configs}
        xt, yt = _stack(train, [feats[id(c)] for c in train])
        xv, yv = _stack(valid, [feats[id(c)] for c in valid])
        for model in models:
            model.fit(xt, yt, xv, yv)
            r = []
            for c in test:
                a = np.asarray(c.types) == 0
                p = model.predict(feats[id(c)][a])
                r.append([pearson_r(p[:, k], np.asarray(c.targets)[k][a]) for k in range(p.shape[1])])
            kind = "ridge" if isinstance(model, RidgeBaseline) else "mlp"
            rows += _rows(f"{prefix}+{kind}", "descriptor", data, split, test[0].times, r, repr(model))
    return rows


def baseline_rows(data, split: str = "test", descriptors: bool = True, seed: int = 0, types=None,
                  harmonic: bool = False) -> list[dict]:
    """Every baseline on a dataset (a :class:`~glassnet.formats.Splits`, or the file(s) to read into one), in
    the result-table format.

    Data with splits (glassnet .h5; several files act as one dataset): physics signs and descriptor fits come
    from the train split (descriptor hyper-parameters from valid) and are scored on ``split``. Data without
    splits (a Bapst pickle): physics baselines only, their sign chosen on the same data (the note says so).
    ``types``: the type map of :func:`glassnet.formats.read_configurations` for files that name their species.
    ``harmonic`` adds :data:`HARMONIC_BASELINES` (a Hessian eigen-decomposition per configuration).
    """
    names = list(PHYSICS_BASELINES) + (list(HARMONIC_BASELINES) if harmonic else [])
    data = Splits.of(data, types)
    if data.has_splits:
        train, valid = data.get("train", allow_empty=True), data.get("valid", allow_empty=True)
        test = data.get(split)
        # a test file (glassnet's reference sets: valid + test) has nothing to fit on: signs come from valid
        signs, sign_split = (train, "train") if train else (valid, "valid") if valid else (test, split)
        rows = physics_baseline_table(signs, test, data.name, split, names, sign_split)
        if descriptors and train and valid:
            rows += descriptor_baseline_table(train, valid, test, data.name, split, seed)
        elif descriptors:
            log.warning(f"{data.name}: no {'train' if not train else 'valid'} split, so no descriptor "
                        "baselines (they are fitted on train and selected on valid)")
        return rows
    test = data.get(None)
    return physics_baseline_table(test, test, data.name, "", names)
