"""`glassnet probe`, `figures`, `report`, `ablation`, `demo`: what a network learned, and the whole job."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ..core import ParameterError, atomic_write
from .common import (N_MARKED, check_device, device_option, engine_option, input_file, log, log_file, output_dir,
                     output_file, positive, progress_on, types_option)


def add_commands(sub) -> None:
    pb = sub.add_parser("probe", help="shell ablation/perturbation, the learned correlation length, and beside it "
                        "the decay length of the measured and predicted propensity correlation")
    pb.add_argument("checkpoint", help="checkpoint file or shipped name")
    pb.add_argument("data", help="glassnet .h5 or .pickle with propensities")
    pb.add_argument("--split", default="test", help="split of a .h5 dataset")
    pb.add_argument("--configs", type=int, default=1, help="configurations to probe")
    pb.add_argument("--marked", type=int, default=N_MARKED, help="marked A particles per configuration")
    from ..analysis import DEFAULT_SHELLS
    pb.add_argument("--shells", type=int, default=DEFAULT_SHELLS, help="shells 0..shells-1 are probed")
    pb.add_argument("--pushes", type=float, nargs="+", default=[0.1], help="radial pushes (sigma)")
    pb.add_argument("--fraction", type=float, default=0.1,
                    help="the learned shell is where the change falls below this fraction of shell 0's")
    pb.add_argument("--seed", type=int, default=0, help="seed of the choice of marked particles and bootstrap")
    pb.add_argument("--label", help="name of this dataset in figures (default T=...)")
    pb.add_argument("--out", required=True, help="probe result (.json)")
    device_option(pb)
    engine_option(pb)
    types_option(pb)
    pb.set_defaults(func=_cmd_probe)

    fg = sub.add_parser("figures", help="draw figures (PNG and PDF) from results, probes and a checkpoint")
    fg.add_argument("--results", nargs="+", help="result tables from evaluate/baselines (.csv/.json)")
    fg.add_argument("--probe", nargs="+", help="probe results (.json), one per temperature")
    fg.add_argument("--checkpoint", help="with --data: draw the predicted mobility field")
    fg.add_argument("--data", help="a configuration file (with measured propensities, drawn beside)")
    fg.add_argument("--split", default="test", help="split of a .h5 --data")
    fg.add_argument("--config", type=int, default=0, help="which configuration (of the split) to draw")
    fg.add_argument("--output", type=int, default=0, help="which network output (timescale) to draw")
    fg.add_argument("--out-dir", required=True, help="folder for the PNG and PDF files")
    device_option(fg)
    engine_option(fg)
    types_option(fg)
    fg.set_defaults(func=_cmd_figures)

    rp = sub.add_parser("report", help="one HTML page: evaluation, baselines, ceiling, probe, figures")
    rp.add_argument("checkpoint", help="checkpoint file or shipped name")
    rp.add_argument("data", help="glassnet .h5 (scored on --split) or a .pickle with propensities")
    rp.add_argument("--split", default="test", help="split of a .h5 dataset")
    rp.add_argument("--marked", type=int, default=N_MARKED, help="marked particles of the shell probe")
    rp.add_argument("--no-descriptors", action="store_true", help="skip the descriptor baselines")
    rp.add_argument("--out-dir", required=True, help="folder for report.html, its figures and tables")
    device_option(rp)
    types_option(rp)
    rp.set_defaults(func=_cmd_report)

    ab = sub.add_parser("ablation", help="train the faithful network and glassnet's model ingredient by "
                        "ingredient; table of r, r / noise ceiling and paired differences on the test split")
    ab.add_argument("data", nargs="+", help="glassnet .h5 with splits and inherent states (several files "
                    "act as one dataset)")
    ab.add_argument("--out-dir", required=True, help="runs/ and ablation.md, ablation.csv (resumes)")
    ab.add_argument("--steps", type=int, default=800, help="training steps of glassnet's variants")
    ab.add_argument("--faithful-steps", type=int, default=6000, help="training steps of the faithful network")
    ab.add_argument("--faithful-checkpoint", help="an already trained faithful network to score instead")
    ab.add_argument("--no-baselines", action="store_true", help="leave the baselines out of the table")
    ab.add_argument("--physics", action="store_true", help="add the physics-input rows (harmonic estimate, "
                    "|F| to the heads, multi-scale inherent-state descriptors, soft modes; 3 seeds each; "
                    "Hessians per configuration)")
    ab.add_argument("--rows", nargs="+", metavar="ROW", help="only these rows, in this order (faithful, "
                    "given-config, inherent, equivariant, shared-heads, ensemble, ensemble-sym, harmonic, "
                    "harmonic-heads, force-heads, multiscale, basin, physics)")
    ab.add_argument("--compile", action="store_true", help="train glassnet's variants through torch.compile")
    ab.set_defaults(func=_cmd_ablation)

    demo = sub.add_parser("demo", help="the main job: simulate, train, evaluate against baselines and "
                          "the noise ceiling, probe, report (small default: ~10 min on 2 cores)")
    demo.add_argument("--out-dir", "--out", dest="out", default="glassnet-demo",
                      help="output folder (the job resumes from it)")
    demo.add_argument("--preset", default="small", help="dataset preset: small, ka-T0.64, ka-T0.56, ...")
    demo.add_argument("--steps", type=int, help="training steps (default by preset)")
    demo.add_argument("--workers", type=int, default=2, help="local simulation worker processes")
    demo.add_argument("--marked", type=int, default=N_MARKED, help="marked particles of the shell probe")
    demo.add_argument("--seed", type=int, default=0, help="training seed")
    demo.set_defaults(func=_cmd_demo)


def _cmd_probe(args) -> int:
    from ..analysis import ShellProbe
    from ..formats import Splits
    from ..training import Predictor

    output_file(args.out, suffixes=(".json",))
    positive(configs=args.configs, marked=args.marked, shells=args.shells)
    input_file(args.data)
    predictor = Predictor(args.checkpoint, device=args.device, engine=args.engine)
    every = Splits.read(args.data, types=args.types).get(args.split)
    configs = every[: args.configs]
    probe = ShellProbe(predictor, n_shells=args.shells, pushes=args.pushes, n_marked=args.marked,
                       fraction=args.fraction, seed=args.seed)
    from ..analysis import (LENGTH_COLUMNS, field_lengths, format_columns, length_note, length_table,
                            probe_warnings)

    lengths = field_lengths(predictor, every)      # on every configuration of the split; first: it fails fast
    t0 = time.perf_counter()
    for i, c in enumerate(configs):
        probe.compute(c, reset=(i == 0), progress=progress_on(args))
        log.info(f"probed configuration {i + 1}/{len(configs)} ({time.perf_counter() - t0:.0f} s)")
    label = args.label or (f"T={configs[0].metadata.get('temperature')}")
    result = {**probe.to_dict(predictor.times, label), **lengths}
    with atomic_write(args.out) as tmp:
        Path(tmp).write_text(json.dumps(result, indent=1, allow_nan=True))
    for message in probe_warnings(result):
        log.warning(message)
    print(length_note(args.fraction))
    print(format_columns(LENGTH_COLUMNS, length_table(result)))
    log.info(f"wrote {args.out}")
    return 0


def _cmd_figures(args) -> int:

    from .. import plots
    from ..evaluation import read_results

    if not (args.results or args.probe or (args.checkpoint and args.data)):
        raise ParameterError("nothing to draw: give --results, --probe or --checkpoint with --data")
    if bool(args.checkpoint) != bool(args.data):
        raise ParameterError("the mobility figure needs both --checkpoint and --data")
    out = output_dir(args.out_dir)
    written = []
    if args.results:
        rows = [r for path in args.results for r in read_results(path)]
        written += plots.save(plots.correlation_vs_time(rows), out / "r_vs_time")
    if args.probe:
        probes = [json.loads(Path(p).read_text()) for p in args.probe]
        written += plots.save(plots.shell_change(probes, "ablation"), out / "shell_ablation")
        written += plots.save(plots.shell_change(probes, "perturbation"), out / "shell_perturbation")
        written += plots.save(plots.length_vs_time(probes), out / "learned_length")
    if args.checkpoint and args.data:
        from ..formats import Splits, has_splits, read_configurations
        from ..training import Predictor

        predictor = Predictor(args.checkpoint, engine=args.engine, device=args.device)
        if not 0 <= args.output < predictor.model.config.n_outputs:
            raise ParameterError(f"--output {args.output}: the network has {predictor.model.config.n_outputs} "
                                 "outputs (0-based)")
        configs = (Splits.read(args.data, types=args.types).get(args.split) if has_splits(args.data)
                   else read_configurations(args.data, args.types))
        if not 0 <= args.config < len(configs):
            raise ParameterError(f"--config {args.config}: {args.data} has {len(configs)} configuration(s)"
                                 + (f" in split {args.split!r}" if has_splits(args.data) else ""))
        c = configs[args.config]
        pred = predictor.predict(c)[:, args.output]
        measured = c.targets[predictor.output_index[args.output]] if c.targets is not None else None
        t = predictor.times[args.output] if predictor.times else None
        fig = plots.mobility_slice(c.positions, c.box, pred, measured, c.types, time=t,
                                   temperature=c.metadata.get("temperature"),
                                   title=f"{Path(args.data).name} #{args.config}")
        written += plots.save(fig, out / "mobility_slice")
    log.info("wrote " + ", ".join(str(p) for p in written))
    return 0


def _cmd_report(args) -> int:
    from ..report import make_report

    positive(marked=args.marked)
    check_device(args.device)
    input_file(args.data)
    log_file(output_dir(args.out_dir) / "report.log")
    make_report(args.checkpoint, args.data, args.out_dir, split=args.split, n_marked=args.marked,
                descriptors=not args.no_descriptors, progress=log.info, device=args.device, types=args.types,
                command="glassnet " + " ".join(sys.argv[1:]))
    return 0


def _cmd_ablation(args) -> int:
    from ..ablation import PHYSICS_VARIANTS, VARIANTS, run_ablation

    positive(steps=args.steps, faithful_steps=args.faithful_steps)
    for d in args.data:
        input_file(d)
    known = {v.key: v for v in VARIANTS + PHYSICS_VARIANTS}
    keys = args.rows or [v.key for v in VARIANTS + (PHYSICS_VARIANTS if args.physics else ())]
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise ParameterError(f"unknown ablation row(s) {', '.join(unknown)}; rows: {', '.join(known)}")
    log_file(output_dir(args.out_dir) / "ablation.log")
    run_ablation(args.data if len(args.data) > 1 else args.data[0], args.out_dir, steps=args.steps,
                 faithful_steps=args.faithful_steps, faithful_checkpoint=args.faithful_checkpoint,
                 variants=tuple(known[k] for k in keys), baselines=not args.no_baselines, progress=log.info,
                 compile=args.compile)
    return 0


def _cmd_demo(args) -> int:
    from ..demo import run_demo

    from ..propensity import PRESETS

    if args.preset not in PRESETS:
        raise ParameterError(f"unknown preset {args.preset!r}; choose from {sorted(PRESETS)}")
    positive(steps=args.steps, workers=args.workers, marked=args.marked)
    log_file(output_dir(args.out) / "demo.log")
    run_demo(args.out, args.preset, args.steps, args.workers, args.seed, args.marked, progress=log.info)
    return 0
