"""The Kob-Andersen binary Lennard-Jones force field, defined once, and pure functions on configurations.

Units: LJ reduced units of the A particles: lengths in sigma_AA, energies in epsilon_AA, masses in m (both
species have mass 1), time in tau = sigma_AA sqrt(m / epsilon_AA), temperature in epsilon_AA / k_B.
Particle types are 0 (A) and 1 (B).

The model (Kob & Andersen, PRE 51, 4626 (1995)): an 80:20 mixture with
eps_AA=1, sig_AA=1, eps_AB=1.5, sig_AB=0.8, eps_BB=0.5, sig_BB=0.88, each pair truncated and shifted
at 2.5 sig_ab (not at 2.5 for every pair: that classic mistake moves P by ~0.16 at T=0.44).

Every MD engine builds its input from :data:`KA_PAIRS` and :data:`R_CUT_FACTOR`; the independent NumPy
evaluation :func:`reference_energy_forces` is the check that an engine has the right coefficients,
cutoffs and shifts.
"""
from __future__ import annotations

import numpy as np

from .core import SimulationError, check_overlaps, check_particles

__all__ = [
    "KA_PAIRS",
    "R_CUT_FACTOR",
    "MAX_CUTOFF",
    "check_configuration",
    "lattice_configuration",
    "maxwell_boltzmann",
    "reference_energy_forces",
]

#: (type_i, type_j) -> (epsilon, sigma) of the Kob-Andersen mixture, LJ units.
KA_PAIRS: dict[tuple[int, int], tuple[float, float]] = {
    (0, 0): (1.0, 1.0),
    (0, 1): (1.5, 0.8),
    (1, 1): (0.5, 0.88),
}
#: Every pair is truncated and shifted at R_CUT_FACTOR * sigma_ab.
R_CUT_FACTOR = 2.5
#: the longest interaction range (sigma): every box length must be at least twice this
MAX_CUTOFF = R_CUT_FACTOR * max(s for _, s in KA_PAIRS.values())


#: particles closer than this (sigma) are refused by the MD engines: their LJ energy (> 1e12 epsilon) makes
#: every force NaN or inf (closer than 0.5 sigma but not this close, a minimisation can still part them)
COINCIDENT_DISTANCE = 0.1


def check_configuration(positions, types, box, r_cut: float = MAX_CUTOFF):
    """Validate a configuration and return it as clean arrays.

    Args:
        positions: (N, 3) array of positions (sigma). Particles outside the box are allowed: they are
            periodic images and keep their unwrapped coordinates.
        types: (N,) integer array of particle types, 0 (A) or 1 (B).
        box: scalar or (3,) box lengths (sigma) of an orthorhombic periodic box with its corner at 0.
        r_cut: the interaction range; every box length must be at least twice this.

    Returns:
        (positions (N, 3) float64, types (N,) int64, box (3,) float64).

    Raises:
        SimulationError: naming the problem (shape, NaN, unknown type, box too small, particles closer than
            :data:`COINCIDENT_DISTANCE`, naming the pairs).
    """
    pos, typ, b = check_particles(positions, types, box, SimulationError)
    if np.any(b < 2 * r_cut):
        raise SimulationError(
            f"box={b.tolist()} is smaller than twice the cutoff 2*{r_cut:g}={2 * r_cut:g}; "
            "the minimum image convention would not hold")
    check_overlaps(pos, b, COINCIDENT_DISTANCE, SimulationError)    # else LAMMPS: "Non-numeric atom coords"
    return pos, typ, b


def lattice_configuration(n: int, density: float = 1.2, fraction_a: float = 0.8, seed: int = 0):
    """A start configuration: N particles on randomly chosen sites of a simple cubic lattice.

    Types are shuffled with exactly round(fraction_a * N) A particles. The lattice keeps particles
    apart, so the first minimisation is gentle (a random start at density 1.2 overlaps badly).

    Returns:
        (positions (N, 3) float64 sigma, types (N,) int64, box (3,) float64 sigma).
    """
    if n < 1:
        raise SimulationError(f"n={n}; expected at least one particle")
    if density <= 0:
        raise SimulationError(f"density={density}; expected > 0")
    rng = np.random.default_rng(seed)
    length = (n / density) ** (1 / 3)
    m = int(np.ceil(n ** (1 / 3)))
    grid = np.stack(np.meshgrid(*[np.arange(m)] * 3, indexing="ij"), -1).reshape(-1, 3)
    sites = grid[rng.choice(len(grid), size=n, replace=False)]
    positions = (sites + 0.5) * (length / m)
    types = np.ones(n, dtype=np.int64)
    types[: int(round(fraction_a * n))] = 0
    rng.shuffle(types)
    return positions, types, np.full(3, length)


def maxwell_boltzmann(n: int, temperature: float, seed: int, mass: float = 1.0) -> np.ndarray:
    """Maxwell-Boltzmann velocities at temperature T (epsilon/k_B) with zero total momentum.

    Returns:
        (N, 3) float64 velocities in sigma/tau.
    """
    if temperature < 0:
        raise SimulationError(f"temperature={temperature}; expected >= 0")
    v = np.random.default_rng(seed).normal(0.0, np.sqrt(temperature / mass), size=(n, 3))
    if n > 1:
        v -= v.mean(axis=0)
    return v


def reference_energy_forces(positions, types, box):
    """Independent O(N^2) NumPy evaluation of the KA potential (minimum image).

    Slow but simple: the check that the LAMMPS set-up has the right coefficients, cutoffs and shifts.

    Returns:
        (per-particle potential energy (N,) epsilon, each pair's energy split half-half;
        forces (N, 3) epsilon/sigma).
    """
    pos, typ, b = check_configuration(positions, types, box)
    d = pos[None, :, :] - pos[:, None, :]          # d[i, j] = r_j - r_i
    d -= b * np.round(d / b)
    r2 = np.einsum("ijk,ijk->ij", d, d)
    eps = np.empty(r2.shape)
    sig = np.empty(r2.shape)
    for (ti, tj), (e, s) in KA_PAIRS.items():
        mask = np.outer(typ == ti, typ == tj) | np.outer(typ == tj, typ == ti)
        eps[mask] = e
        sig[mask] = s
    rc = R_CUT_FACTOR * sig
    inside = (r2 < rc ** 2) & ~np.eye(len(pos), dtype=bool)
    r2s = np.where(inside, r2, 1.0)
    sr6 = (sig ** 2 / r2s) ** 3
    src6 = (1.0 / R_CUT_FACTOR) ** 6
    u = np.where(inside, 4 * eps * (sr6 ** 2 - sr6) - 4 * eps * (src6 ** 2 - src6), 0.0)
    # F_i = -dU/dr_i = sum_j (24 eps / r^2)(2 sr12 - sr6) (r_i - r_j)
    fmag = np.where(inside, 24 * eps * (2 * sr6 ** 2 - sr6) / r2s, 0.0)
    forces = -np.einsum("ij,ijk->ik", fmag, d)
    return 0.5 * u.sum(axis=1), forces


