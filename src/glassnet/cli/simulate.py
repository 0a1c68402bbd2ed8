"""`glassnet md`, `simulate`, `inherent-states`, `data`: molecular dynamics and the datasets it makes."""
from __future__ import annotations

import time

from ..core import ParameterError
from .common import engine_option, input_file, log, log_file, output_file, positive, progress_on


def add_commands(sub) -> None:
    md = sub.add_parser("md", help="run a short Kob-Andersen simulation and print its thermodynamics")
    md.add_argument("--n", type=int, default=1000, help="number of particles")
    md.add_argument("--density", type=float, default=1.2, help="number density (sigma^-3)")
    md.add_argument("--temperature", type=float, default=0.8, help="temperature (epsilon/k_B)")
    md.add_argument("--time", type=float, default=25.0, help="length of the NVT and NVE runs (tau)")
    md.add_argument("--seed", type=int, default=0, help="seed of the lattice start and the velocities")
    engine_option(md)
    md.set_defaults(func=_cmd_md)

    si = sub.add_parser("simulate", help="generate an iso-configurational propensity dataset (HDF5)")
    si.add_argument("out", help="the .h5 file to write (resumes from <out>.parts/ after a kill)")
    from ..propensity.spec import PRESETS, SingleRunSpec
    kinds = {single: ", ".join(k for k, v in PRESETS.items() if isinstance(v, SingleRunSpec) == single)
             for single in (False, True)}
    si.add_argument("--preset", default="small",
                    help=f"iso-configurational: {kinds[False]} (default small); single-run labels: "
                         f"{kinds[True]}; options below override it")
    si.add_argument("--temperature", type=float, help="T (epsilon/k_B)")
    si.add_argument("--n", type=int, help="number of particles")
    si.add_argument("--density", type=float, help="number density (sigma^-3)")
    si.add_argument("--configs", type=int, help="number of configurations (split train/valid/test)")
    si.add_argument("--splits", type=int, nargs=3, metavar=("TRAIN", "VALID", "TEST"),
                    help="configurations per split (default: the preset's proportions)")
    si.add_argument("--replicas", type=int, help="iso-configurational replicas per configuration")
    si.add_argument("--times", type=float, nargs="+", help="propensity times (tau)")
    si.add_argument("--dt", type=float, help="time step (tau)")
    si.add_argument("--seed", type=int, help="base seed of every random choice (default: the preset's)")
    si.add_argument("--equilibration-taus", type=float, help="NVT equilibration in units of tau_alpha")
    si.add_argument("--tau-alpha", type=float, help="use this tau_alpha (tau) instead of measuring it")
    si.add_argument("--spacing", type=float, help="time between equilibrated states (tau) instead of the "
                    "preset's tau_alpha multiple (dense short-horizon labels; >= 1 tau)")
    si.add_argument("--runs", type=int, help="single-run presets: independent NVE runs")
    si.add_argument("--origins", type=int, help="single-run presets: labelled time origins per run")
    si.add_argument("--origin-spacing", type=float, help="single-run presets: time between origins (tau)")
    si.add_argument("--split", help="single-run presets: the split of every configuration (default train)")
    si.add_argument("--scheduler", help="address of a running Dask scheduler (default: a local cluster)")
    si.add_argument("--workers", type=int, default=2, help="local worker processes (1 thread each)")
    engine_option(si)
    si.set_defaults(func=_cmd_simulate)

    ih = sub.add_parser("inherent-states", help="quench every configuration of a dataset to its inherent "
                        "state (LAMMPS FIRE) and store it in the file (resumable)")
    ih.add_argument("data", help="glassnet .h5 dataset (updated in place, atomically)")
    ih.add_argument("--ftol", type=float, default=1e-6,
                    help="stop when the global force 2-norm is below this (epsilon/sigma)")
    ih.add_argument("--style", choices=["fire", "cg"], default="fire", help="minimiser (default fire)")
    ih.add_argument("--pre-ftol", type=float,
                    help="FIRE to this looser force norm first (epsilon/sigma), then --style to --ftol")
    ih.add_argument("--workers", type=int, default=1, help="local worker processes (1 thread each)")
    ih.add_argument("--scheduler", help="address of a running Dask scheduler (default: local)")
    engine_option(ih)
    ih.set_defaults(func=_cmd_inherent)

    da = sub.add_parser("data", help="the large datasets glassnet knows by name (in $GLASSNET_DATA, default "
                        "~/.cache/glassnet/data): list them, make one, check its sha256")
    da.add_argument("action", choices=["list", "make", "verify"], help="list: every known dataset and its state; "
                    "make NAME: simulate and quench it there (resumable), then verify; verify NAME: check its sha256")
    da.add_argument("name", nargs="?", help="a known dataset (see list)")
    da.add_argument("--workers", type=int, default=1, help="local worker processes (1 thread each)")
    da.set_defaults(func=_cmd_data)


def _cmd_md(args) -> int:
    """A short KA simulation that prints its thermodynamics (LJ units)."""
    from ..md import engine_class
    from ..propensity import check_state_point

    check_state_point(args.temperature, args.n, args.density)
    positive(time=args.time)
    t0 = time.perf_counter()
    print(f"Kob-Andersen 80:20, N={args.n}, density {args.density} (LJ units), seed {args.seed}")
    sim = engine_class(args.engine).from_scratch(args.n, density=args.density,
                                                 temperature=args.temperature, seed=args.seed)
    print(f"melted at T=2.0 and settled at T={args.temperature}: {time.perf_counter() - t0:.1f} s")
    steps = int(round(args.time / sim.dt))
    nvt = sim.run(steps, temperature=args.temperature, report_every=max(1, steps // 10))
    nve = sim.run(steps, report_every=max(1, steps // 10))
    header = f"{'ensemble':>8} {'t (tau)':>9} {'T':>7} {'U/N':>9} {'K/N':>7} {'E/N':>9} {'P':>7}"
    print(header)
    for name, th in (("NVT", nvt), ("NVE", nve)):
        for row in zip(th.time, th.temperature, th.potential_energy, th.kinetic_energy,
                       th.total_energy, th.pressure):
            t, temp, u, k, e, p = row
            print(f"{name:>8} {t:9.2f} {temp:7.4f} {u:9.4f} {k:7.4f} {e:9.4f} {p:7.3f}")
    print(f"NVE energy drift over {args.time:g} tau: {nve.drift():.2e} epsilon per particle")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    sim.close()
    return 0


def _cmd_simulate(args) -> int:
    from ..datasets import generate_dataset
    from ..propensity import PRESETS, with_overrides

    if args.preset not in PRESETS:
        raise ParameterError(f"unknown preset {args.preset!r}; choose from {sorted(PRESETS)}")
    out = output_file(args.out, suffixes=(".h5", ".hdf5"))
    positive(workers=args.workers)
    spec = with_overrides(PRESETS[args.preset], temperature=args.temperature, n=args.n,
                          density=args.density, n_configs=args.configs, n_replicas=args.replicas,
                          times=args.times, dt=args.dt, seed=args.seed,
                          equilibration_taus=args.equilibration_taus, tau_alpha=args.tau_alpha,
                          splits=tuple(args.splits) if args.splits else None, n_runs=args.runs,
                          n_origins=args.origins, origin_spacing=args.origin_spacing, split=args.split,
                          spacing=args.spacing)
    if spec.protocol == "iso":
        what = (f"{spec.n_configs} configurations {spec.splits} (train/valid/test), {spec.n_replicas} "
                "iso-configurational replicas")
    else:
        what = (f"{spec.n_runs} single runs x {spec.n_origins} origins {spec.origin_spacing:g} tau apart "
                f"({spec.n_configs} configurations, split {spec.split})")
    log_file(out.with_name(out.name + ".log"))
    log.info(f"simulate ({spec.protocol}): T={spec.temperature}, N={spec.n}, density {spec.density}, {what}, "
          f"times {list(spec.times)} tau, dt={spec.dt}, seed {spec.seed}")
    generate_dataset(out, spec, scheduler=args.scheduler, workers=args.workers,
                     progress=progress_on(args), engine=args.engine)
    return 0


def _cmd_inherent(args) -> int:
    from ..datasets import add_inherent_states

    data = input_file(args.data)
    output_file(data)
    positive(ftol=args.ftol, pre_ftol=args.pre_ftol, workers=args.workers)
    log_file(data.with_name(data.name + ".log"))
    t0 = time.perf_counter()
    add_inherent_states(data, ftol=args.ftol, progress=progress_on(args), engine=args.engine,
                        workers=args.workers, scheduler=args.scheduler, style=args.style,
                        pre_ftol=args.pre_ftol)
    log.info(f"{args.data}: every configuration has its inherent state ({time.perf_counter() - t0:.0f} s)")
    return 0


def _cmd_data(args) -> int:
    from ..datastore import KNOWN, data_dir, make, verify

    if args.action == "list":
        if args.name:
            raise ParameterError(f"data list takes no name (got {args.name!r})")
        folder = data_dir()
        print(f"datasets in {folder} ($GLASSNET_DATA):")
        for entry in KNOWN.values():
            path = folder / entry.filename
            state = "not made" if not path.exists() else f"{path.stat().st_size / 1e6:.0f} MB, `data verify` checks it"
            print(f"  {entry.name:<18} {state}: {entry.about}")
            for line in entry.commands():
                print(f"  {'':<18}   {line}")
        return 0
    if not args.name:
        raise ParameterError(f"data {args.action} needs a dataset name (see `glassnet data list`)")
    positive(workers=args.workers)
    if args.action == "verify":
        path = verify(args.name)
        print(f"{path}: sha256 as recorded")
        return 0
    t0 = time.perf_counter()
    path = make(args.name, workers=args.workers, progress=progress_on(args))
    log.info(f"{path}: made and verified ({time.perf_counter() - t0:.0f} s)")
    return 0
