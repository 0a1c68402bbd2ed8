"""Apply trained networks to configurations: :class:`Predictor` (a checkpoint or a seed ensemble)."""
from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np

from ..core import Configuration, ModelError, check_neighbours, check_overlaps, number_density
from ..formats import as_configuration
from ..md import inherent_state, unquenched_state
from ..models import InputCache, compiled, predict_tensors
from ..pretrained import resolve
from .checkpoint import load_checkpoint

__all__ = ["Predictor", "with_model_state", "DENSITY_RTOL", "TEMPERATURE_TOL"]

log = logging.getLogger(__name__)

#: a configuration whose number density differs from the training data's by more than this fraction is
#: flagged (a warning): the network has not seen that state point
DENSITY_RTOL = 0.05
#: likewise for a recorded temperature further than this (epsilon/k_B) from every training temperature
TEMPERATURE_TOL = 0.02


def with_model_state(config: Configuration, models, engine: str | None = None) -> Configuration:
    """The configuration with what the models read beside its positions: its inherent state, quenched here
    (MD engine) if a model needs it and the configuration has none; if they read only the given
    configuration's forces, those (one force evaluation, no quench); otherwise the configuration as it is."""
    if config.inherent is not None:
        return config
    if any(m.needs_inherent for m in models):
        return replace(config, inherent=inherent_state(config.positions, config.types, config.box, engine=engine))
    if any(m.needs_forces for m in models):
        return replace(config, inherent=unquenched_state(config.positions, config.types, config.box, engine=engine))
    return config


def check_times(times, any_time: bool, trained) -> list[float]:
    """Requested output times (tau) as floats: refused unless the network predicts at any time and they are
    finite, positive and distinct."""
    if not any_time:
        raise ModelError(f"the network predicts at t = {trained} tau only; it takes no other times")
    times = [float(t) for t in np.atleast_1d(times)]
    bad = [t for t in times if not (np.isfinite(t) and t > 0)]
    if bad or not times:
        raise ModelError(f"times {bad or times}: expected finite positive times (tau)")
    repeated = sorted({t for t in times if times.count(t) > 1})
    if repeated:
        raise ModelError(f"times {repeated} are asked for more than once; give each time once")
    return times


class Predictor:
    """Applies a trained checkpoint, or a seed ensemble of them, to configurations.

    Args:
        checkpoint: path or shipped name (:mod:`glassnet.pretrained`) of a glassnet checkpoint, or a list
            of them: an ensemble whose prediction is the mean of its members' (they must predict the same
            outputs).
        device: torch device or None (CUDA when available).
        symmetrize: average over the 48 cube symmetries (exactly invariant; 48x slower). A no-op up to
            rounding for models that are invariant by construction.
        engine: MD engine that quenches configurations for models that read the inherent state (default:
            :data:`glassnet.md.DEFAULT_ENGINE`).
        compile: run the networks through ``torch.compile`` (:func:`glassnet.models.compiled`): faster
            for many or large configurations after a compilation on the first one.
        cache: the :class:`~glassnet.models.InputCache` of the costly physics inputs (default: a new one, this
            predictor's own; pass one to share inputs with a trainer or another predictor).
    """

    def __init__(self, checkpoint, device=None, symmetrize: bool = False, engine: str | None = None,
                 compile: bool = False, cache: InputCache | None = None):
        paths = list(checkpoint) if isinstance(checkpoint, (list, tuple)) else [checkpoint]
        if not paths:
            raise ModelError("no checkpoint given")
        self.members = []
        for path in paths:
            model, meta = load_checkpoint(resolve(path), device)
            n_out = model.config.n_outputs
            mean = np.atleast_2d(meta.get("target_mean", [0.0] * n_out))
            std = np.atleast_2d(meta.get("target_std", [1.0] * n_out))
            self.members.append((model, meta, mean, std))
        self.model, self.meta, self.mean, self.std = self.members[0]
        for model, meta, _, _ in self.members[1:]:
            if (model.config.n_outputs, meta.get("times")) != (self.model.config.n_outputs, self.times):
                raise ModelError("the ensemble's checkpoints predict different outputs or times")
        self.symmetrize = symmetrize
        self.engine = engine
        self.cache = cache if cache is not None else InputCache()
        self._forward = {id(m): (compiled(m) if compile else m) for m, *_ in self.members}
        self._warned: set = set()

    @property
    def state_point(self) -> dict:
        """The training data's ``temperatures`` (list, epsilon/k_B) and number ``density`` (sigma^-3), where the
        checkpoint records them (None otherwise)."""
        data = self.meta.get("training_data") or {}
        return {"temperatures": data.get("temperatures") or None, "density": data.get("density")}

    def state_point_warnings(self, config: Configuration) -> list[str]:
        """Why a configuration lies outside the state point the networks were trained at (empty: it does not,
        or it is not known)."""
        sp, out = self.state_point, []
        rho = number_density(config.n, config.box)
        if sp["density"] and abs(rho / sp["density"] - 1) > DENSITY_RTOL:
            out.append(f"number density {rho:.4g} sigma^-3 differs from the training data's {sp['density']:.4g}")
        t = config.metadata.get("temperature")
        temps = sp["temperatures"]
        if t is None or not temps:
            return out
        if all(getattr(m.config, "temperature_input", False) for m, *_ in self.members):
            # a network that reads T interpolates between its training temperatures
            if not min(temps) - TEMPERATURE_TOL <= float(t) <= max(temps) + TEMPERATURE_TOL:
                out.append(f"temperature {float(t):g} lies outside the training data's {min(temps):g} ... "
                           f"{max(temps):g}")
        elif min(abs(float(t) - x) for x in temps) > TEMPERATURE_TOL:
            out.append(f"temperature {float(t):g} differs from the training data's {temps}")
        return out

    @property
    def times(self):
        """Times (tau) of the outputs, if the checkpoint records them."""
        return self.meta.get("times")

    @property
    def output_index(self) -> list[int]:
        """Which target rows (timescales) of the training data the outputs correspond to."""
        idx = self.meta.get("output_index")
        return list(range(self.model.config.n_outputs)) if idx is None else list(idx)

    def with_inherent(self, config: Configuration) -> Configuration:
        """The configuration with what its members read: see :func:`with_model_state`."""
        return with_model_state(config, [m for m, *_ in self.members], self.engine)

    @property
    def any_time(self) -> bool:
        """Whether every member predicts at any requested time (a time-conditioned network)."""
        return all(m.any_time for m, *_ in self.members)

    def inputs(self, config: Configuration, model=None, times=None, clamp_times: bool = False) -> dict:
        """The model's input tensors for a configuration (quenching it first if the model needs its
        inherent state and the configuration has none); ``times`` (tau) for a time-conditioned model."""
        model = model or self.model
        c = self.with_inherent(config)
        kw = {"clamp_times": True} if clamp_times else {}
        return model.tensors(c.positions, c.types, c.box, c.inherent, temperature=c.metadata.get("temperature"),
                             times=times, cache=self.cache, **kw)

    def _rescale(self, out, types, mean, std, times):
        """Standardised outputs back in sigma; at times other than the training grid, each type's mean and
        std are interpolated in log t between the grid's (held at its ends)."""
        if times is not None:
            grid = np.log10(np.asarray(self.times, float))
            x = np.log10(np.asarray(times, float))
            mean = np.array([np.interp(x, grid, row) for row in mean])
            std = np.array([np.interp(x, grid, row) for row in std])
        return out * std[0] + mean[0] if len(mean) == 1 else out * std[types] + mean[types]

    def predict(self, config, types=None, times=None, clamp_times: bool = False) -> np.ndarray:
        """Predicted propensities (N, n_outputs) float64, in the units of the training targets (sigma).

        ``times`` (tau): predict at these times instead (N, len(times)); only time-conditioned networks
        (:attr:`any_time`) take them, distinct, finite and positive, within the training data's range of times
        (outside it refused, or with ``clamp_times`` predicted at the range's nearest end, with a warning).
        Networks that read the temperature take it from ``config.metadata['temperature']``.

        ``config`` is a :class:`Configuration`, an ``ase.Atoms`` or a freud ``(box, points)`` pair
        (:func:`glassnet.formats.as_configuration`; ``types`` as there). Models that read the inherent
        state quench the configuration first when it has none. Overlapping particles (closer than 0.5 sigma)
        and particles without a neighbour within the cutoff are refused first, naming them; a density or
        recorded temperature away from the training data's is logged as a warning (once per message).
        A network trained on per-configuration standardised targets returns them rescaled with the
        training average of each type's mean and std: exact up to a per-configuration affine map.
        """
        config = as_configuration(config, types)
        check_overlaps(config.positions, config.box, error=ModelError)   # before any quench
        check_neighbours(config.positions, config.box, min(m.config.r_cut for m, *_ in self.members), ModelError)
        for message in self.state_point_warnings(config):
            self._warn_once(f"{message}: the network may not apply here")
        config = self.with_inherent(config)       # one quench for every member
        types = np.asarray(config.types)
        outs = []
        if times is not None:
            times = self.check_times(times, config.metadata.get("temperature"), clamp_times)
        elif self.any_time:                      # the network's own output grid: say where it is held
            self.check_times(self.times, config.metadata.get("temperature"), clamp_times=True)
        for model, _, mean, std in self.members:
            out = predict_tensors(model, self.inputs(config, model, times, clamp_times), self.symmetrize,
                                  self._forward[id(model)])
            outs.append(self._rescale(out, types, mean, std, times))
        out = np.mean(outs, axis=0)
        bad = ~np.isfinite(out)
        if bad.any():
            rows = np.flatnonzero(bad.any(axis=1))
            raise ModelError(f"the network predicts NaN or inf for {len(rows)} particle(s) (e.g. {rows[:5].tolist()}): "
                             "corrupt weights or inputs far outside the training data")
        return out

    def check_times(self, times, temperature=None, clamp_times: bool = False) -> list[float]:
        """Requested output times (tau) checked before any work: refused unless every member predicts at any
        time and they are finite, positive, distinct and (unless ``clamp_times``) within each member's trained
        range at ``temperature`` (epsilon/k_B)."""
        times = check_times(times, self.any_time, self.times)
        if not clamp_times:
            for model, *_ in self.members:
                model.check_time_range(times, temperature)
            return times
        held = sorted({t for m, *_ in self.members for t in m.times_outside(times, temperature)})
        if held:
            self._warn_once(f"t = {', '.join(f'{t:g}' for t in held)} tau lie outside the times the network was "
                            f"trained on at T = {temperature}: predicted at the range's end (clamp_times)")
        return times

    def _warn_once(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            log.warning(message)
