"""glassnet's model: inherent-state inputs, a PaiNN-style equivariant trunk, one head per (time, type).

PaiNN: Schuett, Unke and Gastegger, "Equivariant message passing for the prediction of tensorial properties
and molecular spectra", ICML 2021. Deviations from PaiNN: l = 1 vector channels only, Gaussian radial
bases with a cosine envelope, saturated vector inputs (see :func:`glassnet.models.inputs.saturate`), and heads per (time, type).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch
from torch import nn

from ..core import ModelError
from ..graph import build_graph
from .base import Architecture, GlassModel
from .inputs import InputCache, InputSpec, node_inputs

__all__ = ["EquivariantConfig", "EquivariantGN", "ARCHITECTURE"]


@dataclass(frozen=True)
class EquivariantConfig(InputSpec):
    """Architecture of an :class:`EquivariantGN`: the inputs it reads (the fields of its base,
    :class:`~glassnet.models.inputs.InputSpec`, also as :attr:`inputs`) and the network on top. The defaults
    describe the plain architecture; the recipe of `glassnet train --model equivariant` and of the shipped
    networks adds ``ARCHITECTURE.options`` (the harmonic estimates at 0.165 and 0.52 tau to the heads only, by
    the sparse propagator: docs/capacity.md).

    Attributes:
        hidden: width of the scalar and vector channels.
        layers: message-passing layers (each a message and an update block).
        n_rbf: Gaussian radial basis functions per distance.
        n_outputs: timescales predicted (one head per timescale and type).
        n_types: particle types (one head per type).
        r_cut: graph cutoff (sigma); messages vanish smoothly (cosine) at it.
        inherent: use the inherent-state inputs (energy, displacement, pair distances in the
            inherent state); without them only types, forces and distances in the given configuration
            (the forces still come from :class:`~glassnet.io.InherentState`).
        vectors: keep l=1 vector channels (PaiNN); False gives an invariant network on distances only.
        type_heads: a separate head per type (False: one head per timescale shared by both types).
        harmonic_times: times (tau) at which the harmonic short-time estimate of each particle's displacement
            (:func:`glassnet.hessian.harmonic_displacement`, from the force and Hessian of the given
            configuration) is an input, to the trunk and directly to the heads; empty: none. Costs a
            Hessian eigen-decomposition per configuration (5-10 s at N=1000).
        harmonic_method: 'dense' (the eigen-decomposition, :func:`glassnet.hessian.harmonic_displacement`) or
            'sparse' (Chebyshev expansions on the sparse Hessian, :func:`glassnet.hessian.harmonic_displacement_sparse`:
            the same estimates up to sampling, ~15x cheaper at N = 4096).
        harmonic_temperature: the temperature (epsilon/k_B) of those estimates' Maxwell-Boltzmann velocities;
            0: the training data's when it has one (filled in by :meth:`EquivariantGN.adapt_config`), else,
            for a network with ``temperature_input``, each configuration's own.
        force_heads: log |F_i| of the given configuration also reaches every head linearly (beside the
            harmonic estimates): the short-time physics straight to the short-time heads.
        harmonic_trunk: the harmonic estimates (and log |F| of ``force_heads``) are inputs of the trunk as
            well as of the heads; False: of the heads only (linearly), so that the long-time heads' features
            are not shaped by them.
        multiscale: the inherent state's energy, density and Steinhardt q4, q6 coarse-grained over 1, 2
            and 3 sigma per neighbour species (:func:`glassnet.descriptors.multiscale_descriptors`, 27
            inputs) are node inputs. They summarise up to 7.5 sigma around each particle, beyond the
            message passing's reach: a shell probe of such a network measures that reach too.
        basin: the inherent state's vibrational amplitude and participation in its 30 softest modes (logs;
            :func:`glassnet.hessian.basin_measures`) are node inputs: a dense Hessian eigen-decomposition
            per configuration (5-10 s at N=1000).
        temperature_input: the temperature (epsilon/k_B) of the configuration is a node input (one network
            for several state points; the temperature must then be known for every configuration).
        time_input: '' for one head per output time (trained on one time grid); 'absolute' or 'scaled' for
            one decoder that takes the time as an input and predicts at any time: of log10(t / tau) or of
            log10(t / tau_alpha(T)) with tau_alpha from ``tau_alpha_law``. Times outside ``time_range`` are
            refused (the decoder does not extrapolate in time). The harmonic estimates (at their fixed
            ``harmonic_times``) then reach the output with weights that the decoder's time (and temperature)
            input sets.
        times: the default output times (tau) of a time-conditioned network (``n_outputs`` of them).
        tau_alpha_law: (a, b, T0) of :func:`glassnet.observables.fit_tau_alpha`, fitted to the training
            data (needed by ``time_input='scaled'``).
        time_range: (lo, hi) of the decoder's time variable over the training data.
        n_time_rbf: Gaussian basis functions of the decoder's time variable.
        edge_head: a second head predicts, per neighbour pair and output time, the change of the pair's
            distance (:func:`glassnet.observables.pair_distance_change`): pair-level supervision, ~40 labels
            per particle (BOTAN, Shiba et al. 2023); used by training only (``forward(..., with_edges=True)``),
            never by prediction.
    """

    # the input fields (n_types, inherent, multiscale, basin, harmonic_*, force_heads, temperature_input) are
    # InputSpec's; the architecture's follow
    hidden: int = 32
    layers: int = 3
    n_rbf: int = 16
    n_outputs: int = 1
    r_cut: float = 2.0
    vectors: bool = True
    type_heads: bool = True
    harmonic_trunk: bool = True
    time_input: str = ""
    times: tuple = ()
    tau_alpha_law: tuple = ()
    time_range: tuple = ()
    n_time_rbf: int = 12
    edge_head: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @property
    def inputs(self) -> InputSpec:
        """The input half of the config (which node inputs the network reads); the rest is architecture."""
        return InputSpec.of(self)


#: times this far (log10 units, ~2%) outside the trained range are taken as its ends
_TIME_TOL = 0.01


def _rbf_line(u: torch.Tensor, n: int, lo: float, hi: float) -> torch.Tensor:
    """Gaussian basis of ``u`` on [lo, hi] (n centres; a single centre if the range is empty)."""
    centers = torch.linspace(lo, hi, n, dtype=u.dtype, device=u.device)
    width = max((hi - lo) / max(n - 1, 1), 1e-3)
    return torch.exp(-((u.unsqueeze(-1) - centers) / width) ** 2)


def _time_variable(mode: str, law, times, temperature) -> np.ndarray:
    """log10 t (mode 'absolute') or log10 t/tau_alpha(T) (mode 'scaled') for times in tau."""
    from ..observables import tau_alpha_at

    u = np.log10(np.asarray(times, float))
    if mode != "scaled":
        return u
    if temperature is None:
        raise ModelError("a scaled-time network needs the configuration's temperature")
    try:
        return u - np.log10(tau_alpha_at(law, float(temperature)))
    except ValueError as err:
        raise ModelError(f"tau_alpha at T={temperature}: {err}") from None


def _tau_alpha_law(configurations) -> tuple:
    """The VFT law of tau_alpha(T) through the configurations' recorded (temperature, tau_alpha)."""
    from ..observables import fit_tau_alpha

    points = {}
    for c in configurations:
        t, tau = c.metadata.get("temperature"), c.metadata.get("tau_alpha")
        if t is None or tau is None:
            raise ModelError(f"configuration {c.metadata.get('name', '?')} of {c.metadata.get('source', '?')} "
                             "records no temperature or tau_alpha: a scaled-time network needs both")
        points.setdefault(round(float(t), 6), []).append(float(tau))
    temps = sorted(points)
    taus = [float(np.exp(np.mean(np.log(points[t])))) for t in temps]
    if len(temps) == 1:                    # one state point: tau_alpha is that constant
        return (float(np.log10(taus[0])), 0.0, 0.0)
    return fit_tau_alpha(temps, taus)


def _check_time_input(c) -> None:
    if c.time_input not in ("", "absolute", "scaled"):
        raise ModelError(f"time_input={c.time_input!r}; expected '', 'absolute' or 'scaled'")
    if not c.time_input:
        return
    if len(c.times) != c.n_outputs:
        raise ModelError(f"a time-conditioned network needs n_outputs={c.n_outputs} times, got {c.times}")
    if len(c.time_range) != 2 or not c.time_range[0] <= c.time_range[1]:
        raise ModelError(f"time_range={c.time_range}; expected (lo, hi)")
    if c.time_input == "scaled" and len(c.tau_alpha_law) != 3:
        raise ModelError(f"time_input='scaled' needs tau_alpha_law=(a, b, T0), got {c.tau_alpha_law}")
    if c.n_time_rbf < 1:
        raise ModelError(f"n_time_rbf={c.n_time_rbf}; expected >= 1")


def _rbf(r: torch.Tensor, n: int, r_cut: float) -> torch.Tensor:
    """Gaussian basis on [0.6, r_cut] times a cosine envelope that vanishes at the cutoff."""
    centers = torch.linspace(0.6, r_cut, n, dtype=r.dtype, device=r.device)
    width = (r_cut - 0.6) / (n - 1)
    env = 0.5 * (torch.cos(torch.pi * (r / r_cut).clamp(max=1.0)) + 1.0)
    return torch.exp(-((r.unsqueeze(-1) - centers) / width) ** 2) * env.unsqueeze(-1)


class _PaiNNLayer(nn.Module):
    """One message and one update block of PaiNN (Schuett et al., ICML 2021), l = 1 vectors."""

    def __init__(self, f: int, n_edge: int, vectors: bool):
        super().__init__()
        self.f, self.vectors = f, vectors
        k = 3 if vectors else 1
        self.phi = nn.Sequential(nn.Linear(f, f), nn.SiLU(), nn.Linear(f, k * f))
        self.w = nn.Linear(n_edge, k * f)
        if vectors:
            self.uv = nn.Linear(f, 2 * f, bias=False)
            self.upd = nn.Sequential(nn.Linear(2 * f, f), nn.SiLU(), nn.Linear(f, 3 * f))
        else:
            self.upd = nn.Sequential(nn.Linear(2 * f, f), nn.SiLU(), nn.Linear(f, f))

    def forward(self, s, v, edge_feat, unit, senders, receivers):
        f = self.f
        x = self.phi(s).index_select(0, senders) * self.w(edge_feat)
        ds = torch.zeros_like(s).index_add_(0, receivers, x[:, :f])
        s = s + ds
        if self.vectors:
            b, c = x[:, f:2 * f], x[:, 2 * f:]
            msg = v.index_select(0, senders) * b.unsqueeze(1) + unit.unsqueeze(-1) * c.unsqueeze(1)
            v = v + torch.zeros_like(v).index_add_(0, receivers, msg)
            uv = self.uv(v)                                   # (N, 3, 2f)
            u, w = uv[..., :f], uv[..., f:]
            a = self.upd(torch.cat([s, torch.sqrt((w ** 2).sum(1) + 1e-8)], -1))
            a_vv, a_sv, a_ss = a[:, :f], a[:, f:2 * f], a[:, 2 * f:]
            v = v + a_vv.unsqueeze(1) * u
            s = s + a_ss + a_sv * (u * w).sum(1)
        else:
            s = s + self.upd(torch.cat([s, ds], -1))
        return s, v


class EquivariantGN(GlassModel):
    """glassnet's model: inherent-state inputs, a PaiNN-style equivariant trunk, one head per
    (timescale, type).

    Node inputs: type (one-hot), and, from the configuration and its inherent state (LJ units):
    the inherent-state energy, the displacement to the inherent state (vector and length) and the force
    on the particle in the given configuration (vector and length); the vectors saturate smoothly
    (:func:`~glassnet.models.inputs.saturate`) so that the output stays bounded far outside the training range. Edges join pairs closer than
    ``r_cut`` in the given configuration; their features are radial bases of the pair distance in the
    given configuration and in the inherent state. Vector features rotate with the input, scalar
    features and outputs are invariant under every rotation and reflection (no augmentation needed).
    """

    needs_forces = True
    invariant = True

    @property
    def needs_inherent(self) -> bool:
        """Whether the inputs read the quenched state (without ``inherent``, ``multiscale`` and ``basin`` only
        the given configuration's forces are read: no quench)."""
        return self.config.inputs.needs_inherent

    def __init__(self, config: EquivariantConfig = EquivariantConfig()):
        super().__init__()
        c = self.config = config
        if c.hidden < 1 or c.layers < 1 or c.n_rbf < 2 or c.n_outputs < 1:
            raise ModelError(f"invalid model config {config}")
        if c.harmonic_times and not (c.harmonic_temperature > 0 or c.temperature_input):
            raise ModelError(f"harmonic_times={c.harmonic_times} need harmonic_temperature > 0 (the data's T), or "
                             "temperature_input=True (each configuration's own T)")
        if c.harmonic_method not in ("dense", "sparse"):
            raise ModelError(f"harmonic_method={c.harmonic_method!r}; expected 'dense' or 'sparse'")
        _check_time_input(c)
        spec = c.inputs
        n_h = spec.n_head                                         # inputs that also reach the heads
        if (c.multiscale or c.basin) and not c.inherent:
            raise ModelError("multiscale and basin inputs describe the inherent state: they need inherent=True")
        n_scalar = spec.n_scalar
        # the head inputs' columns of ``scalars`` (the temperature, when an input, is always the last)
        self._head_cols = (n_scalar - n_h - int(c.temperature_input), n_scalar - int(c.temperature_input))
        n_vec = spec.n_vector
        n_edge = c.n_rbf * (2 if c.inherent else 1)
        n_trunk = n_scalar - (0 if c.harmonic_trunk else n_h)
        self.embed = nn.Sequential(nn.Linear(n_trunk, c.hidden), nn.SiLU(), nn.Linear(c.hidden, c.hidden))
        self.embed_v = nn.Linear(n_vec, c.hidden, bias=False) if c.vectors else None
        self.layers = nn.ModuleList(_PaiNNLayer(c.hidden, n_edge, c.vectors) for _ in range(c.layers))
        n_heads = c.n_outputs * (c.n_types if c.type_heads else 1)
        if c.time_input:     # one decoder of (particle state, time [, temperature]): outputs at any time
            self.head = None
            self.decode_s = nn.Linear(c.hidden, c.hidden)
            # FiLM (Perez et al., AAAI 2018): the time and temperature scale and shift the particle's features
            self.decode_c = nn.Linear(c.n_time_rbf + int(c.temperature_input), 2 * c.hidden)
            self.decode = nn.Sequential(nn.SiLU(), nn.Linear(c.hidden, c.hidden), nn.SiLU(),
                                        nn.Linear(c.hidden, c.n_types if c.type_heads else 1))
        else:
            self.head = nn.Sequential(nn.Linear(c.hidden, c.hidden), nn.SiLU(), nn.Linear(c.hidden, n_heads))
        # the harmonic estimates (and log |F|) also reach the heads linearly (a learned blend, as in
        # docs/capacity.md); with a time-conditioned decoder the blend's weights are a function of its condition
        n_cond = c.n_time_rbf + int(c.temperature_input)
        n_blend = c.n_types if c.type_heads else 1
        self.head_h = self.decode_h = None
        if n_h and c.time_input:
            self.decode_h = nn.Linear(n_cond, n_h * n_blend)
        elif n_h:
            self.head_h = nn.Linear(n_h, n_heads, bias=False)
        if c.edge_head and c.time_input:
            raise ModelError("edge_head predicts at the fixed output times: not with a time-conditioned decoder")
        # symmetric in the pair: s_i + s_j, s_i * s_j, the radial basis of r_ij and, with vector channels,
        # (v_j - v_i) . r_ij / |r_ij| per channel (how the pair's vectors, e.g. its forces, pull it apart)
        n_pair = (3 if c.vectors else 2) * c.hidden + c.n_rbf
        self.edge = nn.Sequential(nn.Linear(n_pair, c.hidden), nn.SiLU(),
                                  nn.Linear(c.hidden, c.n_outputs)) if c.edge_head else None

    @staticmethod
    def transform(t: dict, m: torch.Tensor) -> dict:
        """The inputs with a 3x3 orthogonal map applied to every vector (edges, node vectors)."""
        return {**t, "edges": t["edges"] @ m.T, "shift": t["shift"] @ m.T,
                "vectors": torch.einsum("ij,njk->nik", m, t["vectors"])}

    @classmethod
    def adapt_config(cls, config: EquivariantConfig, configurations, times) -> EquivariantConfig:
        """The config with what a time-conditioned network reads from its training data filled in: the
        output ``times`` (tau), the ``tau_alpha_law`` fitted to the configurations' recorded temperatures and
        tau_alpha, and the ``time_range`` their label times span; and the ``harmonic_temperature`` of harmonic
        inputs, the configurations' one recorded temperature (fields already set are kept)."""
        if config.harmonic_times and not config.harmonic_temperature > 0:
            temps = {round(float(c.metadata["temperature"]), 6) for c in configurations
                     if c.metadata.get("temperature") is not None}
            if len(temps) != 1 and not config.temperature_input:
                raise ModelError(f"harmonic inputs need the data's temperature; the training data record "
                                 f"{sorted(temps) or 'none'}: give harmonic_temperature=T, "
                                 "temperature_input=true, or no harmonic inputs (harmonic_times=)")
            if len(temps) == 1:
                config = replace(config, harmonic_temperature=temps.pop())
        if not config.time_input:
            return config
        if times is None:
            raise ModelError("a time-conditioned network needs the label times of its training data")
        kw = {"times": tuple(float(t) for t in times)} if not config.times else {}
        if config.time_input == "scaled" and not config.tau_alpha_law:
            kw["tau_alpha_law"] = _tau_alpha_law(configurations)
        if not config.time_range:
            law = kw.get("tau_alpha_law", config.tau_alpha_law)
            u = np.concatenate([_time_variable(config.time_input, law, c.times, c.metadata.get("temperature"))
                                for c in configurations if c.times is not None])
            kw["time_range"] = (float(u.min()), float(u.max()))
        return replace(config, **kw)

    def time_variable(self, times, temperature=None) -> np.ndarray:
        """The decoder's time variable at ``times`` (tau) and ``temperature``: log10 t or log10 t/tau_alpha(T),
        before clamping to ``time_range``."""
        return _time_variable(self.config.time_input, self.config.tau_alpha_law, times, temperature)

    def tensors(self, positions, types, box, inherent=None, device=None, temperature=None,
                times=None, clamp_times: bool = False, cache: InputCache | None = None) -> dict[str, torch.Tensor]:
        """The input tensors of one configuration (positions in sigma; ``inherent`` an InherentState;
        ``temperature`` in epsilon/k_B, needed by networks with a temperature or scaled-time input;
        ``times`` (tau) the outputs of a time-conditioned network, default ``config.times``; times outside the
        trained range are refused, or with ``clamp_times`` held at its nearest end; ``cache`` keeps the costly
        physics inputs, :func:`glassnet.models.inputs.node_inputs`)."""
        c = self.config
        if times is not None and not c.time_input:
            raise ModelError("this network predicts at the fixed times it was trained on; it takes no times")
        needs_t = c.temperature_input or c.time_input == "scaled"
        if needs_t and (temperature is None or not np.isfinite(float(temperature)) or float(temperature) <= 0):
            raise ModelError(f"this network takes the temperature as an input but got {temperature!r}; give it "
                             "(predict --temperature T, or the configuration's metadata['temperature'])")
        dev = device or self.device
        g = build_graph(positions, types, box, c.r_cut, self_edges=False)
        types = np.asarray(types)
        if types.max(initial=0) >= c.n_types:
            raise ModelError(f"type {types.max()} but the model knows {c.n_types} types")
        scal, vec, shift = node_inputs(c.inputs, positions, types, box, inherent, temperature, cache)

        def t(a, dtype=torch.float32):
            return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype, device=dev)

        out = {"scalars": t(scal), "vectors": t(vec), "shift": t(shift), "types": t(types, torch.long),
               "edges": t(g.edges), "senders": t(g.senders, torch.long),
               "receivers": t(g.receivers, torch.long)}
        if c.time_input:      # a per-node copy, so that subgraphs and batches carry it (models.base)
            # the network's own output grid is held at the range's ends where a temperature's range is shorter
            # (a pooled network's grid at a temperature whose labels stop earlier); asked times are checked
            if times is not None and not clamp_times:
                self.check_time_range(times, temperature)
            times = c.times if times is None else times
            u = np.clip(self.time_variable(times, temperature), *c.time_range)
            out["time_inputs"] = t(np.broadcast_to(u, (len(types), len(u))))
        return out

    def trained_times(self, temperature=None) -> tuple[float, float]:
        """(first, last) time (tau) of the training data's range at ``temperature`` (epsilon/k_B): the times this
        time-conditioned network predicts at."""
        lo, hi = self.config.time_range
        shift = -float(self.time_variable([1.0], temperature)[0])     # log10 of the time unit: 1 or tau_alpha(T)
        return float(10 ** (lo + shift)), float(10 ** (hi + shift))

    def times_outside(self, times, temperature=None) -> list[float]:
        """The times (tau) outside the training data's range at ``temperature`` (epsilon/k_B)."""
        lo, hi = self.config.time_range
        u = self.time_variable(times, temperature)
        return [float(x) for x, v in zip(np.atleast_1d(times), np.atleast_1d(u))
                if not (np.isfinite(v) and lo - _TIME_TOL <= v <= hi + _TIME_TOL)]

    def check_time_range(self, times, temperature=None) -> None:
        """Refuse times (tau) outside the training data's range at ``temperature``: the decoder would hold them at
        its end and answer the last trained time's prediction for them."""
        outside = self.times_outside(times, temperature)
        if outside:
            first, last = self.trained_times(temperature)
            at = f" at T = {float(temperature):g}" if self.config.time_input == "scaled" else ""
            raise ModelError(f"t = {', '.join(f'{x:g}' for x in outside)} tau lies outside the times this network was "
                             f"trained on ({first:.3g} ... {last:.3g} tau{at}); it does not extrapolate in time "
                             "(clamp_times=True holds such times at the nearest end)")

    def forward(self, scalars, vectors, shift, types, edges, senders, receivers, time_inputs=None,
                with_edges: bool = False):
        """(N, n_outputs) predictions for the particles' own types (N, K at the K times of ``time_inputs``
        for a time-conditioned network); with ``with_edges`` (an ``edge_head`` network) also the (E, n_outputs)
        predicted change of each pair's distance, as a tuple.

        ``shift`` (N, 3) is each particle's displacement to the inherent state (sigma), used for the
        pair distances there; ``vectors`` holds the saturated vector inputs; ``time_inputs`` (N, K) the
        decoder's clamped time variable.
        """
        c = self.config
        r = torch.linalg.vector_norm(edges, dim=-1)
        unit = edges / r.unsqueeze(-1)
        feat = _rbf(r, c.n_rbf, c.r_cut)
        if c.inherent:
            d = shift
            r_is = torch.linalg.vector_norm(edges + d.index_select(0, receivers) - d.index_select(0, senders),
                                            dim=-1)
            feat = torch.cat([feat, _rbf(r_is, c.n_rbf, c.r_cut) * (r < c.r_cut).unsqueeze(-1)], -1)
        h0, h1 = self._head_cols
        s = self.embed(scalars if c.harmonic_trunk or h0 == h1 else torch.cat([scalars[:, :h0], scalars[:, h1:]], -1))
        v = self.embed_v(vectors) if c.vectors else None
        for layer in self.layers:
            s, v = layer(s, v, feat, unit, senders, receivers)
        if c.time_input:
            lo, hi = c.time_range
            cond = _rbf_line(time_inputs, c.n_time_rbf, lo, hi)                  # (N, K, n_time_rbf)
            if c.temperature_input:
                cond = torch.cat([cond, scalars[:, None, -1:].expand(-1, cond.shape[1], 1)], -1)
            gamma, beta = self.decode_c(cond).chunk(2, dim=-1)
            out = self.decode(self.decode_s(s).unsqueeze(1) * (1 + gamma) + beta)  # (N, K, types or 1)
            if self.decode_h is not None:                                         # the blend at each time
                w = self.decode_h(cond).unflatten(-1, (out.shape[-1], h1 - h0))   # (N, K, types or 1, n_h)
                out = out + (w * scalars[:, None, None, h0:h1]).sum(-1)
            if not c.type_heads:
                return out[..., 0]
            return out.gather(2, types.view(-1, 1, 1).expand(-1, out.shape[1], 1)).squeeze(2)
        out = self.head(s)
        if self.head_h is not None:
            out = out + self.head_h(scalars[:, self._head_cols[0]:self._head_cols[1]])
        if c.type_heads:
            out = out.view(-1, c.n_types, c.n_outputs)
            out = out.gather(1, types.view(-1, 1, 1).expand(-1, 1, c.n_outputs)).squeeze(1)
        if not with_edges:
            return out
        if self.edge is None:
            raise ModelError("this network has no edge head (edge_head=False)")
        si, sj = s.index_select(0, senders), s.index_select(0, receivers)
        pair = [si + sj, si * sj, feat[:, :c.n_rbf]]
        if c.vectors:
            pair.append(((v.index_select(0, receivers) - v.index_select(0, senders)) * unit.unsqueeze(-1)).sum(1))
        return out, self.edge(torch.cat(pair, -1))


#: chosen on the validation splits of the reference datasets (docs/results/accuracy.md): Adam 1e-3, 100-step
#: warm-up then cosine decay, targets standardised per configuration and type, loss on A and B; the harmonic
#: estimates to the heads only (docs/capacity.md: +0.07 at t = 0.165, +0.01 at 0.52, nothing lost later)
ARCHITECTURE = Architecture(
    "equivariant", EquivariantGN, EquivariantConfig,
    recipe={"lr": 1e-3, "schedule": "cosine", "warmup": 100, "normalize": "per-config",
            "loss_types": (0, 1), "weight_decay": 0.0},
    description="glassnet's model (inherent-state inputs, PaiNN-style trunk; needs inherent states)",
    aliases={"mp_steps": "layers"},
    options={"harmonic_times": (0.165, 0.52), "harmonic_method": "sparse", "harmonic_trunk": False})
