"""The Hessian of the Kob-Andersen potential, its normal modes, and the harmonic physics they give.

- :func:`hessian`: the analytic (3N, 3N) second-derivative matrix of the truncated and shifted KA pair
  potential (epsilon / sigma^2), from :data:`glassnet.forcefield.KA_PAIRS`; tested against finite
  differences of the forces.
- :func:`normal_modes`: eigenvalues omega^2 (tau^-2, masses 1) and unit eigenvectors. Dense ``eigh`` (LAPACK
  through SciPy) for the whole spectrum, which the harmonic propagator and the vibrational amplitude need:
  6 s at N = 1000 (3N = 3000) and 431 s with a 3.9 GB peak at N = 4096 (3N = 12288) on one Zen 4 core.
  For soft modes alone pass ``k`` for the k softest modes of an inherent state by sparse shift-invert
  Lanczos (``scipy.sparse.linalg.eigsh``): 2 s at N = 1000, 56 s at N = 4096, the same modes to 1e-13
  (``benchmarks/hessian.py``).
- :func:`harmonic_displacement`: the expected displacement length of each particle after time t from
  Maxwell-Boltzmann velocities, to second order in the landscape around the given configuration (the
  harmonic short-time propagator of issue 17; unstable modes, omega^2 < 0, grow as cosh/sinh);
  :func:`harmonic_displacement_sparse` the same by Chebyshev expansions on the sparse Hessian (3 s at N = 1000,
  16 s at N = 4096 for two times, against 6 s and 431 s for the dense spectrum).
- :func:`vibrational_amplitude`, :func:`soft_mode_participation`: per-particle measures of an inherent-state
  basin (sum over modes of |e_i|^2 / omega^2; participation in the lowest-frequency modes, the soft spots of
  Widmer-Cooper et al., Nature Physics 4, 711 (2008)).

Units: LJ reduced units (sigma, epsilon, tau, masses m = 1). Types are 0 (A), 1 (B).
"""
from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg
from scipy.spatial import cKDTree

from .core import SimulationError
from .forcefield import KA_PAIRS, MAX_CUTOFF, R_CUT_FACTOR, check_configuration

__all__ = ["pair_terms", "hessian", "normal_modes", "harmonic_displacement", "harmonic_displacement_sparse",
           "vibrational_amplitude",
           "soft_mode_participation", "basin_measures", "N_ZERO_MODES"]

#: the translations of a periodic box: three modes with omega^2 = 0, left out of every sum
N_ZERO_MODES = 3


def pair_terms(positions, types, box):
    """Every interacting pair with its minimum-image vector and the first two radial derivatives.

    Returns:
        (i (P,), j (P,), d (P, 3) = r_j - r_i (sigma), r (P,), phi' (P,) epsilon/sigma,
        phi'' (P,) epsilon/sigma^2) for pairs inside their cutoff R_CUT_FACTOR * sigma_ab.
    """
    pos, typ, b = check_configuration(positions, types, box)
    wrapped = np.mod(pos, b)
    wrapped[wrapped >= b] = 0.0
    pairs = cKDTree(wrapped, boxsize=b).query_pairs(MAX_CUTOFF, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    d = wrapped[j] - wrapped[i]
    d -= b * np.round(d / b)
    r = np.linalg.norm(d, axis=1)
    eps, sig = np.empty(len(i)), np.empty(len(i))
    for (ta, tb), (e, s) in KA_PAIRS.items():
        m = ((typ[i] == ta) & (typ[j] == tb)) | ((typ[i] == tb) & (typ[j] == ta))
        eps[m], sig[m] = e, s
    inside = r < R_CUT_FACTOR * sig
    i, j, d, r, eps, sig = i[inside], j[inside], d[inside], r[inside], eps[inside], sig[inside]
    sr6 = (sig / r) ** 6
    d1 = 4 * eps * (-12 * sr6 ** 2 + 6 * sr6) / r                      # phi'(r)
    d2 = 4 * eps * (156 * sr6 ** 2 - 42 * sr6) / r ** 2                 # phi''(r)
    return i, j, d, r, d1, d2


def hessian(positions, types, box, sparse: bool = False):
    """The (3N, 3N) Hessian d^2 U / dr_ia dr_jb of the KA potential (epsilon/sigma^2).

    The pair block is -(phi'' r^ r^T + phi'/r (1 - r^ r^T)) off the diagonal; each diagonal block is minus
    the sum of its row's off-diagonal blocks (the potential is translation invariant). The shift of the
    potential at the cutoff does not enter (it is constant inside it).

    Args:
        sparse: return a ``scipy.sparse.csr_matrix`` (for large N) instead of a dense array.
    """
    i, j, d, r, d1, d2 = pair_terms(positions, types, box)
    n = len(np.asarray(positions))
    u = d / r[:, None]
    outer = u[:, :, None] * u[:, None, :]
    block = -(d2[:, None, None] * outer + (d1 / r)[:, None, None] * (np.eye(3) - outer))    # (P, 3, 3)
    rows, cols, vals = [], [], []
    a, bb = np.meshgrid(np.arange(3), np.arange(3), indexing="ij")
    for p, q, v in ((i, j, block), (j, i, block), (i, i, -block), (j, j, -block)):
        rows.append((3 * p[:, None, None] + a).ravel())
        cols.append((3 * q[:, None, None] + bb).ravel())
        vals.append(v.ravel())
    h = scipy.sparse.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                                shape=(3 * n, 3 * n)).tocsr()
    return h if sparse else h.toarray()


def normal_modes(h, k: int | None = None):
    """Eigenvalues omega^2 (ascending, tau^-2) and unit eigenvectors (3N, M) of a Hessian (masses 1).

    Args:
        h: dense or sparse (3N, 3N) Hessian.
        k: only the k modes nearest omega^2 = 0 (sparse shift-invert Lanczos; the dense solver otherwise):
            at an inherent state (a minimum, every omega^2 >= 0) these are the k softest.
    """
    if k is None:
        dense = h.toarray() if scipy.sparse.issparse(h) else np.asarray(h)
        return scipy.linalg.eigh(dense)
    if k >= h.shape[0] - 1:
        raise SimulationError(f"k={k} modes of a {h.shape[0]}-dimensional Hessian: use the dense solver (k=None)")
    # shift-invert about just below zero: the modes nearest zero are the largest of (H - s)^-1
    w, v = scipy.sparse.linalg.eigsh(scipy.sparse.csr_matrix(h), k=k, sigma=-1e-3, which="LM")
    order = np.argsort(w)
    return w[order], v[:, order]


def _nonzero(omega2):
    """Mask of the modes that are not the N_ZERO_MODES translations (the smallest |omega^2|)."""
    keep = np.ones(len(omega2), bool)
    keep[np.argsort(np.abs(omega2))[:N_ZERO_MODES]] = False
    return keep


def harmonic_displacement(omega2, modes, forces, temperature: float, times, n_samples: int = 128,
                          seed: int = 0) -> np.ndarray:
    """Expected |r_i(t) - r_i(0)| (sigma) of each particle under the quadratic expansion of the landscape.

    With forces F (epsilon/sigma) and modes (omega_k^2, e_k) of the given configuration and initial
    velocities from Maxwell-Boltzmann at ``temperature`` (epsilon/k_B, masses 1, total momentum zero), each
    mode moves as x_k(t) = F_k (1 - cos omega_k t) / omega_k^2 + v_k sin(omega_k t) / omega_k (cosh and sinh
    for omega_k^2 < 0): each particle's displacement is Gaussian with that mean and covariance
    T sum_k [sin(omega_k t) / omega_k]^2 e_ki e_ki^T. Its mean length is estimated from ``n_samples`` draws
    (seeded).

    Returns:
        (len(times), N) float64.
    """
    keep = _nonzero(omega2)
    w2, e = np.asarray(omega2)[keep], np.asarray(modes)[:, keep]
    n = e.shape[0] // 3
    fk = e.T @ np.asarray(forces, float).ravel()
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n_samples, 3))
    out = np.empty((len(times), n))
    w = np.sqrt(np.abs(w2))
    for a, t in enumerate(times):
        wt = w * t
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            stable = w2 > 0
            mean_g = np.where(stable, (1 - np.cos(wt)) / np.where(stable, w2, 1),
                              (np.cosh(wt) - 1) / np.where(stable, 1, -w2))
            vel_g = np.where(stable, np.sin(wt), np.sinh(wt)) / w
        tiny = w * t < 1e-8
        mean_g[tiny], vel_g[tiny] = t ** 2 / 2, t
        mu = (e @ (fk * mean_g)).reshape(n, 3)
        b = (e * vel_g).reshape(n, 3, -1)                       # particle i's displacement from velocities
        cov = temperature * np.einsum("iak,ibk->iab", b, b)
        lam, vec = np.linalg.eigh(cov)
        root = vec * np.sqrt(np.clip(lam, 0, None))[:, None, :]          # cov = root root^T
        samples = mu[:, None, :] + np.einsum("iab,sb->isa", root, z)
        out[a] = np.linalg.norm(samples, axis=2).mean(axis=1)
    if not np.all(np.isfinite(out)):
        raise SimulationError("the harmonic propagator overflowed (times far beyond a vibration?)")
    return out


def _propagators(lam, t: float):
    """g(lambda) = (1 - cos(sqrt(lambda) t)) / lambda and s(lambda) = sin(sqrt(lambda) t) / sqrt(lambda) (cosh and
    sinh below zero): the response of x'' = F - lambda x to the force and to the initial velocity."""
    lam = np.asarray(lam, np.float64)
    w = np.sqrt(np.abs(lam)) * t
    small = w < 1e-3
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        g = np.where(lam > 0, (1 - np.cos(w)) / lam, (np.cosh(w) - 1) / -lam)
        s = np.where(lam > 0, np.sin(w), np.sinh(w)) / np.sqrt(np.abs(lam))
    g = np.where(small, t ** 2 / 2 - lam * t ** 4 / 24, g)       # Taylor: no 0/0 at lambda = 0
    s = np.where(small, t - lam * t ** 3 / 6, s)
    return g, s


def harmonic_displacement_sparse(positions, types, box, forces, temperature: float, times, n_samples: int = 64,
                                 seed: int = 0) -> np.ndarray:
    """:func:`harmonic_displacement` without the dense eigen-decomposition: the same quadratic dynamics
    x'' = F - H x from x = 0, for ``n_samples`` seeded Maxwell-Boltzmann velocity draws (total momentum zero),
    x(t) = g(H) F + s(H) v (:func:`_propagators`), by Chebyshev expansions of g and s on the Hessian's spectrum
    (sparse products only, about sqrt(omega_max^2) t of them); each particle's mean displacement length is the
    mean over the draws. Seconds at N = 4096 where the dense spectrum takes minutes (``benchmarks/hessian.py``).

    Args:
        positions: (N, 3) configuration (sigma); types: (N,) 0/1; box: (3,) (sigma).
        forces: (N, 3) forces in that configuration (epsilon/sigma).
        temperature: of the velocity draws (epsilon/k_B, masses 1).
        times: (tau), each > 0.

    Returns:
        (len(times), N) float64.
    """
    h = hessian(positions, types, box, sparse=True)
    n3 = h.shape[0]
    n = n3 // 3
    rng = np.random.default_rng(seed)
    v0 = rng.standard_normal((n_samples, n, 3)) * np.sqrt(float(temperature))
    v0 -= v0.mean(axis=1, keepdims=True)                       # no drift of the whole box
    b = np.hstack([np.asarray(forces, np.float64).reshape(n3, 1), v0.reshape(n_samples, n3).T])
    # the spectrum's ends by Lanczos, with a margin: an unstable (omega^2 < 0) end grows as cosh, so it is
    # found, not bounded by Gershgorin
    lo = float(scipy.sparse.linalg.eigsh(h, k=1, which="SA", tol=1e-4, return_eigenvectors=False)[0])
    hi = float(scipy.sparse.linalg.eigsh(h, k=1, which="LA", tol=1e-4, return_eigenvectors=False)[0])
    lo, hi = lo - 0.02 * (hi - lo) - 1.0, hi + 0.02 * (hi - lo) + 1.0
    half, mid = (hi - lo) / 2, (hi + lo) / 2
    out = np.empty((len(times), n))
    for k, t in enumerate(times):
        if not t > 0:
            raise SimulationError(f"times must be > 0 (tau), got {t}")
        deg = int(3 * np.sqrt(max(abs(lo), hi)) * t) + 30
        z = np.cos(np.pi * (np.arange(deg + 1) + 0.5) / (deg + 1))         # Chebyshev nodes
        g, s = _propagators(mid + half * z, float(t))
        cg, cs = (np.polynomial.chebyshev.chebfit(z, y, deg) for y in (g, s))
        # Clenshaw-free three-term recurrence on the block [F | v]: T_{k+1} = 2 Z T_k - T_{k-1}
        prev, cur = b, (h @ b - mid * b) / half
        x = cg[0] * prev[:, :1] + cs[0] * prev[:, 1:] + cg[1] * cur[:, :1] + cs[1] * cur[:, 1:]
        for j in range(2, deg + 1):
            prev, cur = cur, 2 * (h @ cur - mid * cur) / half - prev
            x = x + cg[j] * cur[:, :1] + cs[j] * cur[:, 1:]
        out[k] = np.linalg.norm(x.T.reshape(n_samples, n, 3), axis=2).mean(axis=0)
    if not np.all(np.isfinite(out)):
        raise SimulationError("the harmonic propagator overflowed (times far beyond a vibration?)")
    return out


def vibrational_amplitude(omega2, modes) -> np.ndarray:
    """(N,) sum over the stable, non-zero modes of |e_ki|^2 / omega_k^2 (sigma^2 per unit temperature): the
    harmonic mean-square vibration of each particle in its basin, <u_i^2> = T x this."""
    keep = _nonzero(omega2) & (np.asarray(omega2) > 0)
    e = np.asarray(modes)[:, keep]
    n = e.shape[0] // 3
    return ((e ** 2).reshape(n, 3, -1).sum(axis=1) / np.asarray(omega2)[keep]).sum(axis=1)


def soft_mode_participation(omega2, modes, n_modes: int = 30) -> np.ndarray:
    """(N,) participation of each particle in the ``n_modes`` lowest non-zero modes: sum_k |e_ki|^2."""
    keep = _nonzero(omega2)
    e = np.asarray(modes)[:, keep][:, :n_modes]
    n = e.shape[0] // 3
    return (e ** 2).reshape(n, 3, -1).sum(axis=(1, 2))


def basin_measures(positions, types, box, n_modes: int = 30) -> np.ndarray:
    """(N, 2) vibrational amplitude (:func:`vibrational_amplitude`) and participation in the ``n_modes``
    softest modes (:func:`soft_mode_participation`) of the basin at ``positions`` (an inherent state), from
    one dense eigen-decomposition of its Hessian (6 s at N = 1000; 7 min and 3.9 GB at N = 4096)."""
    w2, e = normal_modes(hessian(positions, types, box))
    return np.column_stack([vibrational_amplitude(w2, e), soft_mode_participation(w2, e, n_modes)])
