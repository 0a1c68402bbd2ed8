"""What the network learned: shell ablation and perturbation, and the learned correlation length.

After Bapst et al. (2020), Fig. 4. For a marked particle, shell n holds the particles n graph steps
away on the cutoff graph (breadth-first; shell 0 is the particle itself).

- Ablation: delete every particle beyond shell n and record how much the marked particle's
  prediction changes, for n = 0, 1, ...
- Perturbation: push every particle beyond shell n outwards, radially from the marked particle, by
  ``push`` sigma (this opens the gap between shells n and n+1) and record the change. Particles
  within ``push`` of half the box length stay put, so that none crosses to the other periodic side.

Averaged over marked A particles, the change falls with n. The learned shell is the first n where the
mean change drops below ``fraction`` times its value at n = 0; the learned length is the mean distance
(sigma) of that shell from the marked particle. Error bars come from a bootstrap over marked particles.
A network with k message-passing steps cannot feel anything beyond shell k: its ablation change there
is zero. For networks that read the inherent state, ablation keeps each remaining particle's inputs as
computed on the whole configuration, and perturbation quenches every perturbed configuration anew (the
inherent state is a function of the whole configuration, so its inputs can carry information from
beyond the graph's reach).

Beside the learned length, :func:`field_length` measures a physical one from the same data: the decay length
of the spatial correlation of the measured (or predicted) propensity field (:mod:`glassnet.observables`).
"""
from __future__ import annotations

import json
import warnings

import numpy as np
import torch
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from .core import Configuration, ParameterError
from .graph import Graph, build_graph
from .models import architecture_of, predict_nodes, predict_tensors, subset_inputs
from .models.base import EDGES, RECEIVERS, SENDERS

__all__ = ["DEFAULT_SHELLS", "shell_index", "radial_frame", "ShellProbe", "learned_length", "network_reach", "probe_warnings",
           "field_length", "field_lengths", "LENGTH_COLUMNS", "length_table", "length_note",
           "format_columns"]

#: shells 0 .. DEFAULT_SHELLS - 1 are probed unless asked otherwise (one default for the API, the CLI and the report)
DEFAULT_SHELLS = 9


def shell_index(graph: Graph, marked) -> np.ndarray:
    """Graph distance (number of edges) from each marked particle to every particle.

    Args:
        graph: a :class:`~glassnet.graph.Graph` (self-edges are ignored).
        marked: (M,) indices of the marked particles.

    Returns:
        (M, N) int64 shell index; -1 where a particle cannot be reached.
    """
    keep = graph.senders != graph.receivers
    n = graph.n_nodes
    adj = csr_matrix((np.ones(keep.sum()), (graph.senders[keep], graph.receivers[keep])), shape=(n, n))
    dist = shortest_path(adj, unweighted=True, directed=False, indices=np.atleast_1d(marked))
    out = np.where(np.isfinite(dist), dist, -1).astype(np.int64)
    return out


def network_reach(model) -> int | None:
    """How many shells (graph hops) a message-passing model sees: its number of message-passing steps."""
    field = architecture_of(model).aliases.get("mp_steps", "mp_steps")
    value = getattr(model.config, field, None)
    return int(value) if value is not None else None


def probe_warnings(probe: dict) -> list[str]:
    """Where a probe's learned length is capped: by half the box (the periodic image) or by the network's
    reach (the change cannot fall below the threshold further out than the network sees); and where the
    box caps the physical length of the propensity field beside it. One line per cause, naming its times."""
    causes: dict[str, list[str]] = {}
    times = probe.get("times") or [None] * len(probe.get("length_ablation", []))
    half, reach = probe.get("half_box"), probe.get("reach")
    for experiment in ("ablation", "perturbation"):
        for t, x in zip(times, probe.get(f"length_{experiment}", [])):
            if half and np.isfinite(x["length"]) and x["length"] >= 0.9 * half:
                causes.setdefault(f"{experiment}: the learned length reaches half the box ({half:.2f} sigma): "
                                  "the box caps it", []).append(_when(t, f"{x['length']:.2f} sigma"))
            if reach is not None and x["shell"] >= reach:
                causes.setdefault(f"{experiment}: the learned shell reaches the network's reach ({reach} "
                                  "message-passing steps): the architecture caps it", []).append(_when(t))
    for what, t, x in _field_records(probe):
        if x.get("capped"):
            causes.setdefault(f"{what} propensity correlation: 3 x its decay length exceeds half the box: the "
                              "box does not resolve it", []).append(_when(t, f"{x['xi']:.2f} sigma"))
    n_times = len(times)
    return [f"{cause.split(':', 1)[0]} at {_where(where, n_times)}:{cause.split(':', 1)[1]}"
            for cause, where in causes.items()]


def _where(where: list[str], n_times: int) -> str:
    """'t=1 (2.0 sigma), t=10 (2.5 sigma)'; 'every time' (with the value, '(2.0 sigma)') when the list covers
    every output time with one value or none."""
    values = {w.partition(" ")[2] for w in where}
    if n_times > 1 and len(where) == n_times and len(values) == 1:
        value = values.pop()
        return "every time" + (f" {value}" if value else "")
    return ", ".join(where)


def _when(t, value: str = "") -> str:
    at = f"t={t:g}" if t is not None else "an output"
    return f"{at} ({value})" if value else at


def _field_records(probe: dict):
    """(``measured`` or ``predicted``, time or None, length dict) for every field length of a probe dict."""
    for what, times in (("measured", probe.get("data_times")), ("predicted", probe.get("times"))):
        lengths = probe.get(f"field_length_{what}", [])
        yield from ((what, t, x) for t, x in zip(times or [None] * len(lengths), lengths))


def field_length(configs, fields=None, species: int = 0, dr: float = 0.2, r_min: float = 1.0) -> list[dict]:
    """Decay length xi (sigma) of the spatial correlation of a propensity field, per time.

    C(r) of each configuration's field over the particles of ``species`` (:func:`~glassnet.observables.
    spatial_correlation`), averaged over configurations, then fitted (:func:`~glassnet.observables.
    correlation_length`); the error is a jackknife over configurations (the fit's own error with one).
    Replica noise in measured propensities lowers C(r) by the same factor at every r > 0, so it leaves xi
    unchanged: measured and predicted fields give comparable lengths.

    Args:
        configs: configurations on one box length.
        fields: per configuration an (N, K) array (e.g. predictions); default: the measured ``targets`` (K, N).

    Returns:
        per time (output) k: the dict of :func:`~glassnet.observables.correlation_length` with ``xi_err`` the
        jackknife error, plus ``r`` and ``c`` (the mean C(r)) and ``n_configs``.
    """
    from .observables import correlation_length, spatial_correlation

    if fields is None:
        fields = [np.asarray(c.targets, float).T for c in configs]
    boxes = {float(c.box[0]) for c in configs}
    if len(configs) == 0 or len(boxes) != 1:
        raise ParameterError(f"field_length needs configurations on one box length; got {sorted(boxes)}")
    n_out = np.shape(fields[0])[1]
    out = []
    for k in range(n_out):
        curves = []
        for c, f in zip(configs, fields):
            sel = c.types == species
            r, cc, _ = spatial_correlation(np.asarray(f)[sel, k], c.positions[sel], c.box, dr=dr)
            curves.append(cc)
        curves = np.array(curves)
        with warnings.catch_warnings():          # bins without a pair at any configuration stay NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(curves, axis=0)
            fit = correlation_length(r, mean, r_min=r_min, box_length=float(configs[0].box[0]))
            n = len(curves)
            if n > 1:
                jack = np.array([correlation_length(r, np.nanmean(np.delete(curves, i, axis=0), axis=0),
                                                    r_min=r_min)["xi"] for i in range(n)])
                fit["xi_err"] = float(np.sqrt((n - 1) / n * np.nansum((jack - np.nanmean(jack)) ** 2)))
        fit.update(r=r.tolist(), c=[None if np.isnan(x) else float(x) for x in mean], n_configs=n)
        out.append(fit)
    return out


def field_lengths(predictor, configs) -> dict:
    """The physical lengths beside a probe's learned one: :func:`field_length` of the measured propensity
    (``field_length_measured``, at ``data_times``) and of the field ``predictor`` predicts
    (``field_length_predicted``, at its output times), over all ``configs``; keys to merge into a probe dict."""
    return {"field_length_measured": field_length(configs),
            "field_length_predicted": field_length(configs, [predictor.predict(c) for c in configs]),
            "data_times": [float(t) for t in configs[0].times]}


#: the columns of :func:`length_table`
LENGTH_COLUMNS = ("t (tau)", "ablation", "perturbation", "jacobian", "xi measured", "xi predicted")


def length_table(probe: dict) -> list[tuple[str, ...]]:
    """A probe dict's lengths as one table, a row per network output (columns :data:`LENGTH_COLUMNS`).

    Per measure (shell ablation and perturbation: threshold criterion; Jacobian: cumulative), the learned shell and
    its mean distance, 'shell n (d sigma)'; beside them the decay length xi (sigma) of the measured propensity
    correlation at the same time (blank where the data have no such time) and of the predicted one; '*' marks a
    length the box does not resolve. Text cells, for the CLI and the report alike.
    """
    times = probe.get("times") or [None] * len(probe.get("length_ablation", []))
    measured = {round(float(t), 9): x for t, x in zip(probe.get("data_times") or [],
                                                       probe.get("field_length_measured", []))}
    predicted = probe.get("field_length_predicted") or [None] * len(times)

    def shell(x):
        d = f" ({x['length']:.2f})" if np.isfinite(x["length"]) else ""
        return f"{x['shell']}{d}"

    def xi(x):
        return "" if x is None else f"{x['xi']:.2f} +- {x['xi_err']:.2f}{'*' if x.get('capped') else ''}"

    rows = []
    for k, t in enumerate(times):
        cells = [shell(probe[f"length_{e}"][k]) if probe.get(f"length_{e}") else ""
                 for e in ("ablation", "perturbation", "jacobian")]
        at = measured.get(round(float(t), 9)) if t is not None else None
        rows.append((f"{t:g}" if t is not None else str(k), *cells, xi(at), xi(predicted[k])))
    return rows


def length_note(fraction: float) -> str:
    """What the columns of :func:`length_table` mean, for a probe of threshold ``fraction``."""
    return (f"Learned shell (its mean distance, sigma) per measure: ablation and perturbation, the first shell whose "
            f"change is below {fraction:g} x shell 0's; jacobian, the shell holding {1 - fraction:.0%} of the summed "
            "sensitivity (the measure checked against targets of known range). xi: decay length (sigma) of the "
            "propensity correlation of the data and of the network ('*': the box does not resolve it).")


def format_columns(header, rows) -> str:
    """Rows of text cells as aligned plain-text columns under ``header``."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    return "\n".join("  ".join(str(c).rjust(w) for c, w in zip(line, widths)) for line in [header, *rows])


def learned_length(change: np.ndarray, shell_distance: np.ndarray, fraction: float = 0.1,
                   n_boot: int = 200, seed: int = 0, cumulative: bool = False) -> dict:
    """The shell beyond which the prediction stops changing, and its distance, with bootstrap errors.

    Args:
        change: (M, S) absolute change of the prediction for M marked particles at shells 0..S-1.
        shell_distance: (M, S) mean distance (sigma) of shell n from each marked particle.
        fraction: the threshold, as a fraction of the mean change at shell 0.
        cumulative: for a sensitivity per shell (the Jacobian summed over each shell's particles): the first
            shell by which all but ``fraction`` of the total sensitivity is accumulated, instead of the first
            shell below ``fraction`` of shell 0's. Shells hold more particles the farther they are, so a
            per-shell sum falls slowly and the threshold criterion overstates the range (on targets of known
            range it found shell 4-5 where they end at 1-2; this one finds 2-3).

    Returns:
        dict with ``shell`` and ``length`` (sigma) and their bootstrap standard errors ``shell_err``,
        ``length_err``; ``shell`` is S (and length NaN) if the change never falls below the threshold.
    """
    change = np.asarray(change, float)
    dist = np.asarray(shell_distance, float)

    def one(idx):
        c = change[idx].mean(axis=0)
        if cumulative:
            total = c.sum()
            below = np.nonzero(np.cumsum(c) >= (1 - fraction) * total)[0] if total > 0 else np.array([0])
        else:
            below = np.nonzero(c < fraction * c[0])[0] if c[0] > 0 else np.array([0])
        n = int(below[0]) if below.size else change.shape[1]
        d = dist[idx, n] if n < change.shape[1] else np.array([np.nan])
        return n, float(np.nanmean(d)) if np.isfinite(d).any() else float("nan")    # empty shell: no distance

    n, length = one(np.arange(len(change)))
    rng = np.random.default_rng(seed)
    boot = np.array([one(rng.integers(0, len(change), len(change))) for _ in range(n_boot)], float)
    return {"shell": n, "length": length, "shell_err": float(np.std(boot[:, 0])),
            "length_err": float(np.nanstd(boot[:, 1])) if np.isfinite(boot[:, 1]).any() else float("nan"),
            "fraction": fraction, "criterion": "cumulative" if cumulative else "threshold"}


def radial_frame(positions, box, centre: int) -> tuple[np.ndarray, np.ndarray]:
    """(N,) minimum-image distances (sigma) of every particle from particle ``centre`` in a periodic box, and
    (N, 3) the unit vectors pointing away from it (zero for the centre itself)."""
    pos = np.asarray(positions, float)
    box = np.asarray(box, float)
    d = pos - pos[int(centre)]
    d -= box * np.round(d / box)
    r = np.linalg.norm(d, axis=1)
    return r, np.divide(d, r[:, None], out=np.zeros_like(d), where=r[:, None] > 0)


def shell_distances(positions, box, marked, shells, n_shells: int) -> np.ndarray:
    """(M, S) mean distance (sigma, minimum image) of the particles of shell n from each marked particle (NaN
    where a shell is empty); ``shells``: (M, N) from :func:`shell_index`."""
    out = np.full((len(marked), n_shells), np.nan)
    for m, i in enumerate(marked):
        r, _ = radial_frame(positions, box, i)
        for n in range(n_shells):
            if (shells[m] == n).any():
                out[m, n] = r[shells[m] == n].mean()
    return out


def shell_jacobian(model, t: dict, marked, shells, n_shells: int) -> np.ndarray:
    """(M, S, K) sum over the particles j of shell n of |d prediction_i / d r_j| (standardised output per
    sigma) for each marked particle i, by autograd through the pair vectors (the node inputs, as in the
    ablation, are held at their values for the whole configuration).

    Args:
        model: a network whose inputs ``t`` hold the pair vectors ``edges`` (E, 3) = r_receiver - r_sender.
        marked: (M,) particle indices; shells: (M, N) graph distance of every particle from each.
    """
    edges = t[EDGES].detach().clone().requires_grad_(True)
    senders, receivers = t[SENDERS], t[RECEIVERS]
    was_training = model.training
    model.eval()
    with torch.enable_grad():
        out = model(**{**t, EDGES: edges})
        jac = np.zeros((len(marked), n_shells, out.shape[1]))
        for m, i in enumerate(marked):
            for k in range(out.shape[1]):
                (g,) = torch.autograd.grad(out[int(i), k], edges, retain_graph=True)
                per = torch.zeros(out.shape[0], 3, dtype=g.dtype, device=g.device)
                per.index_add_(0, receivers, g).index_add_(0, senders, -g)
                mag = per.norm(dim=1).cpu().numpy()
                for n in range(n_shells):
                    jac[m, n, k] = mag[shells[m] == n].sum()
    model.train(was_training)
    return jac


class ShellProbe:
    """Shell ablation, perturbation and Jacobian of a trained network around marked A particles.

    Args:
        predictor: a :class:`glassnet.training.Predictor` (its model and output normalisation are used;
            changes are reported in sigma).
        n_shells: shells 0..n_shells-1 are probed.
        pushes: radial pushes (sigma) of the perturbation experiment.
        n_marked: marked A particles per configuration (chosen at random with ``seed``).
        fraction: threshold of the learned length (fraction of the change at shell 0).
        seed: choice of marked particles and bootstrap.
    """

    def __init__(self, predictor, n_shells: int = DEFAULT_SHELLS, pushes=(0.1,), n_marked: int = 16,
                 fraction: float = 0.1, seed: int = 0):
        if n_shells < 2 or n_marked < 1 or not 0 < fraction < 1:
            raise ParameterError(f"n_shells={n_shells}, n_marked={n_marked}, fraction={fraction}: expected "
                             "n_shells >= 2, n_marked >= 1, 0 < fraction < 1")
        self.predictor = predictor
        self.n_shells, self.pushes, self.n_marked = n_shells, tuple(float(p) for p in pushes), n_marked
        self.fraction, self.seed = fraction, seed
        self._ablation = self._perturbation = self._distance = self._jacobian = None

    def __repr__(self):
        return (f"ShellProbe(predictor, n_shells={self.n_shells}, pushes={self.pushes}, "
                f"n_marked={self.n_marked}, fraction={self.fraction}, seed={self.seed})")

    def _require(self, value):
        if value is None:
            raise RuntimeError("Property not computed. Call compute first.")
        return value

    def compute(self, config: Configuration, marked=None, reset: bool = True, progress: bool = False) -> "ShellProbe":
        """Probe one configuration; with ``reset=False`` marked particles accumulate over calls
        (``progress``: a bar over marked particles)."""
        from tqdm.auto import tqdm

        pred = self.predictor
        model = pred.model
        t_full = pred.inputs(config)
        scale = np.asarray(pred.std, float)
        if scale.shape[0] > 1:          # per-type output scale: the marked particles are A
            scale = scale[0]
        graph = build_graph(config.positions, config.types, config.box, model.config.r_cut)
        rng = np.random.default_rng(self.seed + (0 if reset or self._ablation is None else len(self._ablation)))
        if marked is None:
            a = np.nonzero(np.asarray(config.types) == 0)[0]
            marked = rng.choice(a, size=min(self.n_marked, len(a)), replace=False)
        marked = np.atleast_1d(marked)
        shells = shell_index(graph, marked)
        box = np.asarray(config.box, float)
        pos = np.asarray(config.positions, float)
        base = predict_tensors(model, t_full)[marked]     # (M, K)
        s_range = np.arange(self.n_shells)
        # ablation: keep shells <= n (node inputs as computed on the whole configuration)
        dev = t_full["edges"].device
        inputs, targets = [], []
        for m, i in enumerate(marked):
            for n in s_range:
                keep = (shells[m] >= 0) & (shells[m] <= n)
                inputs.append(subset_inputs(t_full, torch.as_tensor(keep, device=dev)))
                targets.append(int(np.sum(keep[:i])))
        abl = predict_nodes(model, inputs, targets).reshape(len(marked), self.n_shells, -1)
        ablation = np.abs(abl - base[:, None, :]) * scale
        jacobian = shell_jacobian(model, t_full, marked, shells, self.n_shells) * scale
        # perturbation: push shells > n outwards
        pert = np.empty((len(self.pushes), len(marked), self.n_shells, base.shape[1]))
        distance = shell_distances(pos, box, marked, shells, self.n_shells)
        for m, i in enumerate(tqdm(marked, desc="probe", unit="particle", disable=not progress)):
            r, unit = radial_frame(pos, box, i)
            for p, push in enumerate(self.pushes):
                inputs = []
                # particles within `push` of the half box stay put: pushed across it they would
                # approach the marked particle's neighbourhood from the other periodic side
                movable = r < box.min() / 2 - push
                pert[p, m] = 0.0      # where nothing moves the prediction is the unperturbed one
                moves = [n for n in s_range if ((shells[m] > n) & movable).any()]
                for n in moves:
                    moved = pos + push * unit * ((shells[m] > n) & movable)[:, None]
                    # the state point goes with it (networks that read T); the inherent state does not
                    inputs.append(pred.inputs(Configuration(moved, config.types, box, metadata=config.metadata)))
                if moves:
                    out = predict_nodes(model, inputs, [int(i)] * len(inputs))
                    pert[p, m, moves] = np.abs(out - base[m]) * scale
        self._half_box = float(box.min() / 2)
        if reset or self._ablation is None:
            self._ablation, self._perturbation, self._distance = ablation, pert, distance
            self._jacobian = jacobian
        else:
            self._jacobian = np.concatenate([self._jacobian, jacobian])
            self._ablation = np.concatenate([self._ablation, ablation])
            self._perturbation = np.concatenate([self._perturbation, pert], axis=1)
            self._distance = np.concatenate([self._distance, distance])
        return self

    @property
    def ablation(self) -> np.ndarray:
        """(M, S, K) absolute change of the prediction (sigma) when shells > n are deleted."""
        return self._require(self._ablation)

    @property
    def perturbation(self) -> np.ndarray:
        """(P, M, S, K) absolute change (sigma) when shells > n are pushed out by each push."""
        return self._require(self._perturbation)

    @property
    def jacobian(self) -> np.ndarray:
        """(M, S, K) sum over shell n of |d prediction / d r_j| (sigma per sigma): :func:`shell_jacobian`."""
        return self._require(self._jacobian)

    @property
    def shell_distance(self) -> np.ndarray:
        """(M, S) mean distance (sigma) of shell n from each marked particle."""
        return self._require(self._distance)

    def lengths(self, experiment: str = "ablation") -> list[dict]:
        """:func:`learned_length` per output for 'ablation', 'perturbation' (first push) or 'jacobian' (its
        cumulative criterion: the shell holding all but ``fraction`` of the summed sensitivity)."""
        if experiment not in ("ablation", "perturbation", "jacobian"):
            raise ParameterError(f"experiment={experiment!r}; expected 'ablation', 'perturbation' or 'jacobian'")
        data = {"ablation": self.ablation, "jacobian": self.jacobian}.get(experiment)
        data = self.perturbation[0] if data is None else data
        return [learned_length(data[:, :, k], self.shell_distance, self.fraction, seed=self.seed,
                               cumulative=experiment == "jacobian") for k in range(data.shape[2])]

    def to_dict(self, times=None, label: str = "") -> dict:
        """A JSON-ready summary: mean curves, errors and learned lengths per output."""
        abl, pert, dist = self.ablation, self.perturbation, self.shell_distance
        m = len(abl)
        return {
            "label": label, "times": None if times is None else [float(t) for t in times],
            "n_marked": m, "fraction": self.fraction, "pushes": list(self.pushes),
            "shells": list(range(self.n_shells)),
            "shell_distance": [float(np.nanmean(col)) if np.isfinite(col).any() else None
                               for col in dist.T],
            "ablation_mean": abl.mean(axis=0).T.tolist(),            # (K, S)
            "ablation_sem": (abl.std(axis=0) / np.sqrt(m)).T.tolist(),
            "perturbation_mean": pert.mean(axis=1).transpose(0, 2, 1).tolist(),   # (P, K, S)
            "perturbation_sem": (pert.std(axis=1) / np.sqrt(m)).transpose(0, 2, 1).tolist(),
            "length_ablation": self.lengths("ablation"),
            "length_perturbation": self.lengths("perturbation"),
            "jacobian_mean": self.jacobian.mean(axis=0).T.tolist(),            # (K, S)
            "jacobian_sem": (self.jacobian.std(axis=0) / np.sqrt(m)).T.tolist(),
            "length_jacobian": self.lengths("jacobian"),
            "half_box": getattr(self, "_half_box", None),
            "reach": network_reach(self.predictor.model),
        }

    def save(self, path, times=None, label: str = "") -> None:
        """Write :meth:`to_dict` as JSON."""
        with open(path, "w") as f:
            json.dump(self.to_dict(times, label), f, indent=1, allow_nan=True)
