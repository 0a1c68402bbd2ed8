"""Observables of glassy dynamics as pure functions on arrays: the self-intermediate scattering function,
the times where it crosses given levels, the noise ceiling of measured propensities, Pearson's r, the
relaxation-time law, the spatial correlation of a per-particle field with its decay length (the physical
length a network's learned length is compared with), and the four-point dynamic susceptibility and structure
factor of the overlap function with their length.

Used by the propensity protocols (which measure), the file readers (which recompute what a file lacks) and
the evaluation (which scores). Units: lengths in sigma, times in tau, wave numbers in 1/sigma.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["IS_VALUES", "Q_PEAK", "fs_isotropic", "crossing_times", "noise_ceiling", "pearson_r",
           "fit_tau_alpha", "tau_alpha_at", "spatial_correlation", "correlation_length", "pair_distance_change",
           "OVERLAP_A", "overlap", "four_point", "four_point_length"]

#: F_s values whose crossing times are recorded, as in the published data (the last is 1/e = tau_alpha).
IS_VALUES = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, np.exp(-1.0)])
#: cut-off (sigma) of the overlap function: a particle that moved less than this has not left its cage
OVERLAP_A = 0.3
#: wave number (1/sigma) of F_s: the first peak of S(q) of the A particles of the KA mixture at density 1.2
Q_PEAK = 7.25


def fs_isotropic(displacement: np.ndarray, q: float = Q_PEAK) -> np.ndarray:
    """Isotropic self-intermediate scattering function <sin(q r) / (q r)> over particles.

    Args:
        displacement: (..., N) |r_i(t) - r_i(0)| (sigma).
        q: wave number (sigma^-1).

    Returns:
        (...) the average over the last axis.
    """
    return np.mean(np.sinc(q * np.asarray(displacement) / np.pi), axis=-1)


def crossing_times(times, fs, levels=IS_VALUES) -> np.ndarray:
    """Times (tau) where a decaying F_s(t) first falls to each level, interpolated linearly in log t.

    Returns:
        (len(levels),) float64, NaN where F_s never reaches the level on the grid.
    """
    t = np.asarray(times, float)
    f = np.asarray(fs, float)
    out = np.full(len(levels), np.nan)
    for k, level in enumerate(levels):
        below = np.nonzero(f <= level)[0]
        if below.size == 0:
            continue
        j = below[0]
        if j == 0:
            out[k] = t[0]
            continue
        f0, f1 = f[j - 1], f[j]
        w = (f0 - level) / (f0 - f1) if f0 != f1 else 0.0
        out[k] = float(np.exp(np.log(t[j - 1]) + w * (np.log(t[j]) - np.log(t[j - 1]))))
    return out


def noise_ceiling(displacements: np.ndarray, types=None, n_splits: int = 100, seed: int = 0) -> np.ndarray:
    """The highest Pearson r any model can reach against the measured propensities.

    The propensity measured with R replicas is the true propensity plus sampling noise. Split the replicas
    at random into two halves, correlate the two half-propensities (r_half, averaged over ``n_splits``
    random splits), and step up to R replicas with the Spearman-Brown formula:
    rho_R = 2 r_half / (1 + r_half), the correlation between two independent R-replica measurements.
    A perfect model (the true propensity) correlates with a measurement at sqrt(rho_R): that is the ceiling.

    Args:
        displacements: (R, T, N) per-replica |r_i(t) - r_i(0)|.
        types: (N,) types; only A particles (0) count when given.
        n_splits: random half splits to average over.
        seed: seed of the splits.

    Returns:
        (T,) float64 ceiling per time.
    """
    d = np.asarray(displacements, dtype=np.float64)
    if d.ndim != 3 or d.shape[0] < 2:
        raise ValueError(f"displacements.shape={d.shape}; expected (R >= 2, T, N)")
    if types is not None:
        d = d[:, :, np.asarray(types) == 0]
    rng = np.random.default_rng(seed)
    r_count, half = d.shape[0], d.shape[0] // 2
    rs = np.zeros(d.shape[1])
    for _ in range(n_splits):
        perm = rng.permutation(r_count)
        a = d[perm[:half]].mean(axis=0)
        b = d[perm[half: 2 * half]].mean(axis=0)
        a -= a.mean(axis=1, keepdims=True)
        b -= b.mean(axis=1, keepdims=True)
        rs += (a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1))
    r_half = rs / n_splits
    rho = 2 * r_half / (1 + r_half)
    return np.sqrt(np.clip(rho, 0.0, 1.0))


def pair_distance_change(edges: np.ndarray, senders: np.ndarray, receivers: np.ndarray,
                         displacements: np.ndarray) -> np.ndarray:
    """Change of each neighbour pair's distance over time: |r_ij + d_j(t) - d_i(t)| - |r_ij| (sigma).

    The pair-level labels of BOTAN (Shiba et al., J. Chem. Phys. 158, 084503 (2023)): about 40 numbers per
    particle where the propensity gives one, and blind to the motion a pair shares.

    Args:
        edges: (E, 3) minimum-image vectors r_j - r_i of the pairs at time 0 (sigma), sender i -> receiver j.
        senders, receivers: (E,) particle indices i and j.
        displacements: (T, N, 3) unwrapped displacement vectors d(t) of every particle (sigma).

    Returns:
        (T, E) float64.
    """
    e = np.asarray(edges, np.float64)
    d = np.asarray(displacements, np.float64)
    moved = e[None] + d[:, receivers] - d[:, senders]
    return np.linalg.norm(moved, axis=-1) - np.linalg.norm(e, axis=-1)[None]


def pearson_r(pred: np.ndarray, target: np.ndarray) -> float:
    """Pearson correlation coefficient of two (N,) arrays (nan if either is constant)."""
    p = np.asarray(pred, np.float64) - np.mean(pred)
    t = np.asarray(target, np.float64) - np.mean(target)
    den = math.sqrt(float(p @ p) * float(t @ t))
    return float(p @ t / den) if den > 0 else float("nan")


def fit_tau_alpha(temperatures, tau_alphas) -> tuple[float, float, float]:
    """The Vogel-Fulcher-Tammann law log10 tau_alpha = a + b / (T - T0) through measured relaxation times.

    Args:
        temperatures: (K,) temperatures (epsilon/k_B), at least two distinct.
        tau_alphas: (K,) their tau_alpha (tau).

    Returns:
        (a, b, T0): with three or more temperatures a least-squares VFT fit (T0 between 0 and 0.98 x the
        lowest T); with two, the Arrhenius line through them (T0 = 0). Evaluate with :func:`tau_alpha_at`.
    """
    from scipy.optimize import least_squares

    t = np.asarray(temperatures, float)
    y = np.log10(np.asarray(tau_alphas, float))
    if t.shape != y.shape or t.ndim != 1 or len(np.unique(t)) < 2 or not np.all(np.isfinite(y)) or t.min() <= 0:
        raise ValueError(f"fit_tau_alpha needs >= 2 distinct positive temperatures with finite positive tau_alpha; "
                         f"got T={t.tolist()}, tau_alpha={np.asarray(tau_alphas).tolist()}")

    def line(t0):                        # for fixed T0 the law is linear in (a, b)
        x = 1.0 / (t - t0)
        b, a = np.polyfit(x, y, 1)
        return a, b

    if len(np.unique(t)) == 2:
        a, b = line(0.0)
        return float(a), float(b), 0.0
    hi = 0.98 * t.min()

    def residual(p):
        a, b = line(p[0])
        return a + b / (t - p[0]) - y

    t0 = float(least_squares(residual, [0.5 * hi], bounds=([0.0], [hi])).x[0])
    a, b = line(t0)
    return float(a), float(b), t0


def tau_alpha_at(law, temperature) -> np.ndarray:
    """tau_alpha (tau) at the given temperature(s) from a law ``(a, b, T0)`` of :func:`fit_tau_alpha`.

    Raises:
        ValueError: a temperature at or below T0, where the law diverges.
    """
    a, b, t0 = (float(x) for x in law)
    t = np.asarray(temperature, float)
    if np.any(t <= t0):
        raise ValueError(f"T={t.tolist()} is at or below the law's divergence temperature T0={t0:.3g}")
    return 10.0 ** (a + b / (t - t0))


def spatial_correlation(values, positions, box, r_max: float | None = None, dr: float = 0.1):
    """Normalised spatial correlation C(r) = <df_i df_j> / <df^2> of a per-particle field over pairs at distance r.

    df = f - mean(f) over the given particles; pairs under the minimum image (freud). Pass the particles of
    one species (e.g. the A particles and their propensities) to correlate that species only.

    Args:
        values: (N,) the field (e.g. propensity, sigma).
        positions: (N, 3) positions (sigma), any periodic image.
        box: (3,) cubic box lengths (sigma).
        r_max: largest distance (sigma); default and upper limit just under half the box.
        dr: bin width (sigma).

    Returns:
        (r, c, pairs): bin centres (sigma), C(r) (NaN where a bin holds no pair) and ordered-pair counts.
    """
    import freud

    f = np.asarray(values, np.float64)
    x = np.asarray(positions, np.float64)
    b = np.asarray(box, np.float64)
    if f.ndim != 1 or x.shape != (len(f), 3) or b.shape != (3,) or not np.allclose(b, b[0]):
        raise ValueError(f"spatial_correlation needs values (N,), positions (N, 3) and a cubic box (3,); got "
                         f"{f.shape}, {x.shape}, {b.tolist()}")
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(x))):
        raise ValueError("spatial_correlation: values or positions hold NaN or inf")
    half = 0.5 * float(b[0]) * (1 - 1e-6)
    r_max = half if r_max is None else min(float(r_max), half)
    df = f - f.mean()
    var = float(df @ df) / len(df)
    bins = max(1, int(round(r_max / dr)))
    cf = freud.density.CorrelationFunction(bins=bins, r_max=bins * dr if bins * dr <= half else r_max)
    wrapped = (x - b * np.floor(x / b) - 0.5 * b).astype(np.float32)       # freud's box is centred on 0
    cf.compute((freud.box.Box.cube(float(b[0])), wrapped), values=df)
    counts = np.asarray(cf.bin_counts, np.int64)
    c = np.where(counts > 0, np.real(cf.correlation) / var if var > 0 else np.nan, np.nan)
    return np.asarray(cf.bin_centers, np.float64), c, counts


def correlation_length(r, c, r_min: float = 1.0, r_max: float | None = None, box_length: float | None = None,
                       floor: float = 0.02) -> dict:
    """Decay length xi (sigma) of a spatial correlation: the least-squares fit C(r) = A exp(-r / xi) + B over the
    bins from ``r_min`` to ``r_max`` (default: all).

    The offset B takes up what subtracting the sample mean does in a finite box (it lowers C by about
    int C d^3r / V at every r), which otherwise biases a fitted length short (on synthetic fields with
    xi = L / 9, a fit of ln C without it came out 13% short; with it, within 2%).

    Args:
        r, c: bin centres (sigma) and C(r), e.g. from :func:`spatial_correlation` (NaN bins are skipped).
        box_length: the box length L (sigma); sets ``capped``.
        floor: a fitted decay (the fitted C at the first bin minus at the last) below this is no correlation:
            xi = 0 (a fit to noise alone returns any length, trading A against B).

    Returns:
        dict with ``xi`` and its fit standard error ``xi_err`` (sigma), ``amplitude`` A, ``offset`` B, the fitted
        range ``r_fit`` and ``capped``: True when 3 xi exceeds half the box, where the box no longer holds the
        decay (the length is then bounded by the box, not measured). NaN where the fit fails.
    """
    from scipy.optimize import curve_fit

    r = np.asarray(r, float)
    c = np.asarray(c, float)
    keep = (r >= r_min) & np.isfinite(c) & (r <= (np.inf if r_max is None else r_max))
    r, c = r[keep], c[keep]
    out = {"xi": float("nan"), "xi_err": float("nan"), "amplitude": float("nan"), "offset": float("nan"),
           "r_fit": (float(r[0]), float(r[-1])) if len(r) else (float("nan"),) * 2, "capped": False}
    if len(r) < 4:
        return out

    def model(x, a, xi, b):
        return a * np.exp(-x / xi) + b

    a0 = max(float(c[0]) - float(c[-1]), 1e-3) * np.exp(r[0])
    try:
        p, cov = curve_fit(model, r, c, p0=[a0, 1.0, float(c[-1])], bounds=([0.0, 1e-3, -1.0], [1e3, 1e2, 1.0]))
    except (RuntimeError, ValueError):
        return out
    err = np.sqrt(np.diag(cov)) if np.all(np.isfinite(cov)) else np.full(3, np.nan)
    out.update(xi=float(p[1]), xi_err=float(err[1]), amplitude=float(p[0]), offset=float(p[2]))
    if p[0] * (np.exp(-r[0] / p[1]) - np.exp(-r[-1] / p[1])) < floor:
        out.update(xi=0.0, xi_err=float("nan"))
        return out
    out["capped"] = bool(box_length is not None and 3 * p[1] > 0.5 * box_length)
    return out


def overlap(distances, a: float = OVERLAP_A) -> np.ndarray:
    """The overlap function of each particle: 1 where it moved less than ``a`` (sigma), else 0 (any shape of
    distances |r_i(t) - r_i(0)|, sigma)."""
    return (np.asarray(distances, np.float64) < a).astype(np.float64)


def four_point(positions, box, fields, n_max: int = 4) -> dict:
    """Four-point dynamic susceptibility and structure factor of per-particle mobility fields.

    For each sample k (a run or replica) of a field w_i (e.g. the :func:`overlap` of each particle over a time
    t): chi_4 = N var_k(Q_k), Q_k = mean_i w_ik, and S_4(q) = < |sum_i dw_ik exp(i q . r_i)|^2 > / N with
    dw = w - its mean over particles and samples, averaged over samples and over the wave vectors
    q = 2 pi n / L with integer n of the same |n| <= ``n_max``. S_4(q -> 0) tends to chi_4 up to the
    ensemble's constraints; its decay in q gives the length of :func:`four_point_length`.

    Args:
        positions: (N, 3) the particles' positions at time 0 (sigma); pass one species to use that species.
        box: (3,) cubic box lengths (sigma).
        fields: (K, N) the field of each particle in each of K samples (several times: call once per time).
        n_max: largest |n| of the wave vectors.

    Returns:
        dict with ``chi4`` (float), ``q`` (M,) shell wave numbers (1/sigma, ascending), ``s4`` (M,),
        ``n_vectors`` (M,) the wave vectors averaged per shell, and ``s4_self`` the self (i = j) part of S_4, the
        same at every q: what S_4 tends to where the particles' mobilities are uncorrelated.
    """
    x = np.asarray(positions, np.float64)
    b = np.asarray(box, np.float64)
    w = np.atleast_2d(np.asarray(fields, np.float64))
    if x.ndim != 2 or x.shape[1] != 3 or w.shape[1] != len(x) or b.shape != (3,) or not np.allclose(b, b[0]):
        raise ValueError(f"four_point needs positions (N, 3), fields (K, N) and a cubic box (3,); got {x.shape}, "
                         f"{w.shape}, {b.tolist()}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(w))):
        raise ValueError("four_point: positions or fields hold NaN or inf")
    n = len(x)
    chi4 = float(n * w.mean(axis=1).var()) if len(w) > 1 else float("nan")
    r = np.arange(-n_max, n_max + 1)
    grid = np.stack(np.meshgrid(r, r, r, indexing="ij"), -1).reshape(-1, 3)
    sq = (grid ** 2).sum(axis=1)
    keep = (sq > 0) & (sq <= n_max ** 2)
    grid, sq = grid[keep], sq[keep]
    q_vec = 2 * np.pi * grid / b[0]
    dw = w - w.mean()
    rho = np.exp(1j * (q_vec @ x.T)) @ dw.T                   # (n_q, K)
    s_each = (np.abs(rho) ** 2).mean(axis=1) / n
    shells = np.unique(sq)
    q = 2 * np.pi * np.sqrt(shells) / b[0]
    s4 = np.array([s_each[sq == m].mean() for m in shells])
    counts = np.array([(sq == m).sum() for m in shells])
    return {"chi4": chi4, "q": q, "s4": s4, "n_vectors": counts, "s4_self": float((dw ** 2).mean())}


def four_point_length(q, s4, n_vectors=None, self_part: float = 0.0, q_max: float = 1.5,
                      box_length: float | None = None) -> dict:
    """The dynamic length xi_4 (sigma) of a four-point structure factor: the Ornstein-Zernike form
    S_4(q) = s + S_d(0) / (1 + (q xi_4)^2), with s the self part (``self_part``, ``four_point``'s ``s4_self``),
    fitted to the shells below ``q_max`` (1/sigma) by least squares in log(S_4 - s) (a shell's |rho(q)|^2 scatters
    in proportion to its mean), each shell weighted by its number of wave vectors ``n_vectors`` (default equal
    weights). Without the self part the flat background flattens the decay and the length comes out short (20%
    on random fields of xi = 2.5 sigma in a box of 20 sigma); with it, within a few percent.

    Returns:
        dict with ``xi4`` (sigma; 0 where S_4 does not fall with q), its standard error ``xi4_err``, the fitted
        ``s4_zero`` (S_4 at q = 0, self part included), the number of shells ``n_fit`` and ``capped``: True when the fit runs to the box length
        ``box_length`` (S_4 falls faster than any Ornstein-Zernike form over the fitted shells, or the length
        exceeds what the box resolves: no length is measured). NaN with fewer than 3 shells.
    """
    from scipy.optimize import curve_fit

    q = np.asarray(q, float)
    s4 = np.asarray(s4, float) - self_part
    weight = np.ones_like(q) if n_vectors is None else np.asarray(n_vectors, float)
    keep = (q <= q_max) & np.isfinite(s4) & (s4 > 0)
    q, s4, weight = q[keep], s4[keep], weight[keep]
    out = {"xi4": float("nan"), "xi4_err": float("nan"), "s4_zero": float("nan"), "n_fit": int(len(q)),
           "capped": False}
    if len(q) < 3:
        return out
    xi_max = float(box_length) if box_length else 1e3

    def model(x, log_a, xi):
        return log_a - np.log1p((x * xi) ** 2)

    try:
        p, cov = curve_fit(model, q, np.log(s4), p0=[float(np.log(s4[0])), 1.0], sigma=1 / np.sqrt(weight),
                           bounds=([-50.0, 0.0], [50.0, xi_max]), max_nfev=10_000)
    except (RuntimeError, ValueError):
        return out
    err = float(np.sqrt(cov[1, 1])) if np.all(np.isfinite(cov)) else float("nan")
    out.update(xi4=float(p[1]), xi4_err=err, s4_zero=float(np.exp(p[0]) + self_part), capped=bool(p[1] > 0.5 * xi_max))
    return out
