"""The `glassnet` command line: a thin layer over the public Python API.

Output flags: ``--out`` names a file, ``--out-dir`` a folder (``train`` and ``demo`` still take ``--out`` for
their folder). Exit codes: 0 success, 2 bad input (a one-line message names the problem; nothing already written is lost),
130 interrupted (Ctrl-C; long jobs resume when rerun). Messages go through :mod:`logging` (logger
``glassnet``): ``-q`` shows only warnings, errors and results, ``-v`` adds debug messages; long jobs also
append everything to a log file in their output folder.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from . import __version__
from .core import FormatError, GlassnetError, ParameterError, atomic_write

log = logging.getLogger("glassnet")

#: commands that run networks: the allocator is tuned for them (glassnet.runtime)
_NETWORK_COMMANDS = {"demo", "train", "evaluate", "probe", "figures", "ablation", "report", "predict"}
#: marked particles of the shell probe, the same default for every command that probes
N_MARKED = 16


def _output_file(path, need: str | None = None, suffixes=None) -> Path:
    """Check before any work that ``path`` can be written: its folder exists and is writable, it is not a
    folder, and its suffix is one the writer knows (``need``: a formats capability, or ``suffixes``)."""
    p = Path(path)
    if p.is_dir():
        raise ParameterError(f"{path} is a folder; expected a file name")
    parent = p.parent
    if not parent.is_dir():
        raise ParameterError(f"cannot write {path}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ParameterError(f"cannot write {path}: the folder {parent} is not writable")
    if p.exists() and not os.access(p, os.W_OK):
        raise ParameterError(f"cannot write {path}: the file is read-only")
    if need:
        from .formats import format_for

        format_for(p, need)
    if suffixes and p.suffix.lower() not in suffixes:
        raise ParameterError(f"{path}: expected a file ending in {' or '.join(suffixes)}")
    return p


def _output_dir(path) -> Path:
    """Create (or check) an output folder before any work."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ParameterError(f"{path} exists and is not a folder")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ParameterError(f"cannot create the folder {path}: {err.strerror}") from err
    if not os.access(p, os.W_OK | os.X_OK):
        raise ParameterError(f"cannot write to the folder {path}")
    return p


def _input_file(path) -> Path:
    p = Path(path)
    if not p.exists():
        raise FormatError(f"{path} does not exist")
    if p.is_dir():
        raise FormatError(f"{path} is a folder, not a file")
    return p


def _check_device(device) -> None:
    if device:
        from .models import pick_device

        pick_device(device)


def _positive(**values) -> None:
    """Refuse counts and lengths that must be positive, naming the option."""
    for name, value in values.items():
        if value is not None and not value > 0:
            raise ParameterError(f"--{name.replace('_', '-')} {value}: expected a positive value")


def _progress(args) -> bool:
    return not (args.quiet or args.global_quiet)


def _log_file(path) -> None:
    """Also append every message (debug included, with times) to ``path``: the log of a long job."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.DEBUG)
    log.addHandler(handler)
    log.debug("glassnet %s, command: glassnet %s", __version__, " ".join(sys.argv[1:]))


def _cmd_md(args) -> int:
    """A short KA simulation that prints its thermodynamics (LJ units)."""
    from .md import engine_class
    from .propensity import check_state_point

    check_state_point(args.temperature, args.n, args.density)
    _positive(time=args.time)
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


def _cmd_demo(args) -> int:
    from .demo import run_demo

    from .propensity import PRESETS

    if args.preset not in PRESETS:
        raise ParameterError(f"unknown preset {args.preset!r}; choose from {sorted(PRESETS)}")
    _positive(steps=args.steps, workers=args.workers, marked=args.marked)
    _log_file(_output_dir(args.out) / "demo.log")
    run_demo(args.out, args.preset, args.steps, args.workers, args.seed, args.marked, progress=log.info)
    return 0


def _cmd_simulate(args) -> int:
    from .datasets import generate_dataset
    from .propensity import PRESETS, with_overrides

    if args.preset not in PRESETS:
        raise ParameterError(f"unknown preset {args.preset!r}; choose from {sorted(PRESETS)}")
    out = _output_file(args.out, suffixes=(".h5", ".hdf5"))
    _positive(workers=args.workers)
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
    _log_file(out.with_name(out.name + ".log"))
    log.info(f"simulate ({spec.protocol}): T={spec.temperature}, N={spec.n}, density {spec.density}, {what}, "
          f"times {list(spec.times)} tau, dt={spec.dt}, seed {spec.seed}")
    generate_dataset(out, spec, scheduler=args.scheduler, workers=args.workers,
                     progress=_progress(args), engine=args.engine)
    return 0


def _cmd_inherent(args) -> int:
    from .datasets import add_inherent_states

    data = _input_file(args.data)
    _output_file(data)
    _positive(ftol=args.ftol, pre_ftol=args.pre_ftol, workers=args.workers)
    _log_file(data.with_name(data.name + ".log"))
    t0 = time.perf_counter()
    add_inherent_states(data, ftol=args.ftol, progress=_progress(args), engine=args.engine,
                        workers=args.workers, scheduler=args.scheduler, style=args.style,
                        pre_ftol=args.pre_ftol)
    log.info(f"{args.data}: every configuration has its inherent state ({time.perf_counter() - t0:.0f} s)")
    return 0


def _cmd_import(args) -> int:
    from .training import import_bapst_checkpoint

    out = import_bapst_checkpoint(args.source, _output_file(args.out))
    log.info(f"wrote {out}")
    return 0


def _model_options(args, arch) -> dict:
    """The architecture's options given on the command line (only those given: defaults live in the
    config dataclasses; the architecture names its own field for the shared --mp-steps)."""
    opts = dict(_parse_option(o) for o in args.option or [])
    flags = {"hidden": args.hidden, "mlp_layers": args.mlp_layers, "r_cut": args.r_cut,
             arch.aliases.get("mp_steps", "mp_steps"): args.mp_steps,
             "inherent": False if args.no_inherent else None, "vectors": False if args.no_vectors else None,
             "type_heads": False if args.shared_heads else None}
    opts.update({k: v for k, v in flags.items() if v is not None})
    return opts


def _parse_option(text: str):
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ParameterError(f"--option {text!r}: expected NAME=VALUE")
    return key.strip().replace("-", "_"), value.strip()


def _cmd_train(args) -> int:
    from .formats import has_splits, read_labelled
    from .models import architecture, build_config
    from .training import TrainConfig, Trainer, label_times

    arch = architecture(args.model)
    options = _model_options(args, arch)
    _positive(steps=args.steps, eval_every=args.eval_every, lr=args.lr)
    _check_device(args.device)
    out = _output_dir(args.out)
    _log_file(out / "train.log")
    pairs = bool(getattr(build_config(arch, 1, options), "edge_head", False))     # pair labels need the vectors
    # a glassnet dataset contributes only its train split: its test split never enters training
    train_set = [c for path in args.data for c in read_labelled(path, "train" if has_splits(path) else None,
                                                                 allow_empty=len(args.data) > 1, types=args.types,
                                                                 displacements=pairs)]
    if not train_set:
        raise FormatError(f"no training configurations in {args.data}")
    if args.valid:
        valid_set = read_labelled(args.valid, "valid" if has_splits(args.valid) else None, types=args.types)
    elif all(has_splits(p) for p in args.data):
        valid_set = read_labelled(args.data, "valid")
    else:
        raise FormatError("files without splits need a separate validation file: --valid FILE")
    outputs = args.output_index
    grid = label_times(train_set)         # the union of the files' label times
    n_out = len(outputs) if outputs else len(train_set[0].targets) if grid is None else len(grid)
    recipe = dict(arch.recipe)
    chosen = {"lr": args.lr, "schedule": args.schedule, "warmup": args.warmup, "normalize": args.normalize,
              "weight_decay": args.weight_decay,
              "loss_types": tuple(args.loss_types) if args.loss_types else None}
    recipe.update({k: v for k, v in chosen.items() if v is not None})
    mcfg = build_config(arch, n_out, options)
    tcfg = TrainConfig(steps=args.steps, clip=args.clip, augment=not args.no_augment,
                       seed=args.seed, eval_every=args.eval_every, device=args.device,
                       compile=args.compile, patience=args.patience, edge_weight=args.edge_weight, **recipe)
    t0 = time.perf_counter()
    trainer = Trainer(train_set, valid_set, mcfg, tcfg, args.out, outputs, train_set[0].times)
    start = trainer.step
    last = trainer.run(progress=_progress(args))
    dt = time.perf_counter() - t0
    done = trainer.step - start
    log.info(f"trained {done} steps in {dt:.0f} s ({dt / max(done, 1):.2f} s/step) on {trainer.device}; "
          f"best validation r = {trainer.best_r:.3f}; final {last.get('valid_r_mean', float('nan')):.3f}")
    log.info(f"checkpoints in {args.out}: best.pt (selected on validation), last.pt; metrics.csv; train.log")
    return 0


def _cmd_evaluate(args) -> int:
    from .evaluation import evaluation_rows, format_table, network_name, write_results
    from .formats import has_splits, read_labelled
    from .training import Predictor

    if args.out:
        _output_file(args.out, suffixes=(".csv", ".json"))
    for d in args.data:
        _input_file(d)
    predictor = Predictor([args.checkpoint] + (args.ensemble or []), device=args.device,
                          symmetrize=args.symmetrize, engine=args.engine, compile=args.compile)
    data = args.data if len(args.data) > 1 else args.data[0]
    split = args.split if all(has_splits(d) for d in args.data) else ""
    configs = read_labelled(data, split or None, types=args.types)
    rows = evaluation_rows(predictor, configs, " + ".join(args.data), split,
                           name=network_name([args.checkpoint] + (args.ensemble or [])),
                           note="48-symmetry average" if args.symmetrize else "",
                           output_index=args.output_index, progress=_progress(args))
    if args.out:                      # before printing: `evaluate ... | head` must not lose it
        write_results(args.out, rows)
        log.info(f"wrote {args.out}")
    print(format_table(rows))
    if args.symmetry_spread:
        from .models import symmetry_spread

        log.info("symmetry spread: predicting the first configuration in its 48 cube symmetries")
        spread = symmetry_spread(predictor.model, predictor.inputs(configs[0]))
        print(f"spread of predictions across the 48 cube symmetries / spread across particles "
              f"(first configuration): {spread:.3f}")
    return 0


def _cmd_probe(args) -> int:
    from .analysis import ShellProbe
    from .formats import has_splits, read_labelled
    from .training import Predictor

    _output_file(args.out, suffixes=(".json",))
    _positive(configs=args.configs, marked=args.marked, shells=args.shells)
    _input_file(args.data)
    predictor = Predictor(args.checkpoint, device=args.device, engine=args.engine)
    split = args.split if has_splits(args.data) else None
    every = read_labelled(args.data, split, types=args.types)
    configs = every[: args.configs]
    probe = ShellProbe(predictor, n_shells=args.shells, pushes=args.pushes, n_marked=args.marked,
                       fraction=args.fraction, seed=args.seed)
    from .analysis import field_length_lines, field_lengths, probe_warnings

    lengths = field_lengths(predictor, every)      # on every configuration of the split; first: it fails fast
    t0 = time.perf_counter()
    for i, c in enumerate(configs):
        probe.compute(c, reset=(i == 0), progress=_progress(args))
        log.info(f"probed configuration {i + 1}/{len(configs)} ({time.perf_counter() - t0:.0f} s)")
    label = args.label or (f"T={configs[0].metadata.get('temperature')}")
    result = {**probe.to_dict(predictor.times, label), **lengths}
    with atomic_write(args.out) as tmp:
        Path(tmp).write_text(json.dumps(result, indent=1, allow_nan=True))
    for message in probe_warnings(result):
        log.warning(message)
    for k, x in enumerate(probe.lengths("ablation")):
        t = predictor.times[k] if predictor.times else k
        others = ", ".join(f"{e} shell {result[f'length_{e}'][k]['shell']}" for e in ("perturbation", "jacobian"))
        print(f"t={t}: learned shell {x['shell']} +- {x['shell_err']:.2f}, length {x['length']:.2f} +- "
              f"{x['length_err']:.2f} sigma (ablation, change < {args.fraction:g} x shell-0 change; {others})")
    print("\n".join(field_length_lines(result)))
    log.info(f"wrote {args.out}")
    return 0


def _cmd_figures(args) -> int:

    from . import plots
    from .evaluation import read_results

    if not (args.results or args.probe or (args.checkpoint and args.data)):
        raise ParameterError("nothing to draw: give --results, --probe or --checkpoint with --data")
    if bool(args.checkpoint) != bool(args.data):
        raise ParameterError("the mobility figure needs both --checkpoint and --data")
    out = _output_dir(args.out_dir)
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
        from .formats import read_configurations
        from .training import Predictor

        from .formats import has_splits, read_labelled

        predictor = Predictor(args.checkpoint, engine=args.engine, device=args.device)
        if not 0 <= args.output < predictor.model.config.n_outputs:
            raise ParameterError(f"--output {args.output}: the network has {predictor.model.config.n_outputs} "
                                 "outputs (0-based)")
        configs = (read_labelled(args.data, args.split, types=args.types) if has_splits(args.data)
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


def _cmd_ablation(args) -> int:
    from .ablation import PHYSICS_VARIANTS, VARIANTS, run_ablation

    _positive(steps=args.steps, faithful_steps=args.faithful_steps)
    for d in args.data:
        _input_file(d)
    known = {v.key: v for v in VARIANTS + PHYSICS_VARIANTS}
    keys = args.rows or [v.key for v in VARIANTS + (PHYSICS_VARIANTS if args.physics else ())]
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise ParameterError(f"unknown ablation row(s) {', '.join(unknown)}; rows: {', '.join(known)}")
    _log_file(_output_dir(args.out_dir) / "ablation.log")
    run_ablation(args.data if len(args.data) > 1 else args.data[0], args.out_dir, steps=args.steps,
                 faithful_steps=args.faithful_steps, faithful_checkpoint=args.faithful_checkpoint,
                 variants=tuple(known[k] for k in keys), baselines=not args.no_baselines, progress=log.info,
                 compile=args.compile)
    return 0


def _cmd_report(args) -> int:
    from .report import make_report

    _positive(marked=args.marked)
    _check_device(args.device)
    _input_file(args.data)
    _log_file(_output_dir(args.out_dir) / "report.log")
    make_report(args.checkpoint, args.data, args.out_dir, split=args.split, n_marked=args.marked,
                descriptors=not args.no_descriptors, progress=log.info, device=args.device, types=args.types,
                command="glassnet " + " ".join(sys.argv[1:]))
    return 0


def _cmd_baselines(args) -> int:
    from .baselines import baseline_rows
    from .evaluation import ceiling_rows, format_table, write_results
    from .formats import has_splits, read_labelled

    if args.out:
        _output_file(args.out, suffixes=(".csv", ".json"))
    for d in args.data:
        _input_file(d)
    is_h5 = all(has_splits(d) for d in args.data)
    if len(args.data) > 1 and not is_h5:
        raise ParameterError("several files act as one dataset only when each has splits (glassnet .h5)")
    data = args.data if len(args.data) > 1 else args.data[0]
    if not is_h5:
        log.info("(a single file without splits: physics baselines only, sign chosen on the same data)")
    rows = baseline_rows(data, args.split, not args.no_descriptors, args.seed, types=args.types,
                         harmonic=not args.no_harmonic)
    rows += ceiling_rows(read_labelled(data, args.split if is_h5 else None, types=args.types),
                         " + ".join(args.data), args.split if is_h5 else "")
    rows.sort(key=lambda r: (r["output"], r["kind"], r["model"]))
    if args.out:
        write_results(args.out, rows)
        log.info(f"wrote {args.out}")
    print(format_table(rows))
    return 0


def _cmd_predict(args) -> int:
    import numpy as np
    from tqdm.auto import tqdm

    from .formats import read_configurations, write_predictions
    from .training import Predictor

    if args.model:
        checkpoint, sources = args.model, list(args.paths)
    elif len(args.paths) >= 2:
        checkpoint, sources = args.paths[0], list(args.paths[1:])
    else:
        raise ParameterError("give CHECKPOINT INPUT..., or INPUT... with --model NAME")
    out = _output_file(args.out, need="write_predictions")
    for source in sources:
        if _input_file(source).resolve() == out.resolve():
            raise ParameterError(f"--out {args.out} is an input file; the predictions would replace it")
    _positive(temperature=args.temperature, **{f"times[{k}]": t for k, t in enumerate(args.times or [])})
    _check_device(args.device)
    predictor = Predictor([checkpoint] + (args.ensemble or []), device=args.device,
                          symmetrize=args.symmetrize, engine=args.engine, compile=args.compile)
    if args.times and not predictor.any_time:
        raise ParameterError(f"--times: {checkpoint} predicts at t = {predictor.times} tau only (one head per "
                             "time); only networks with a time-conditioned decoder take other times")
    times = args.times or predictor.times
    configs = [c for source in sources for c in read_configurations(source, args.types)]
    for c in configs:
        recorded = c.metadata.get("temperature")
        if args.temperature is not None and recorded is not None and abs(float(recorded) - args.temperature) > 1e-9:
            raise ParameterError(f"--temperature {args.temperature:g} but {c.metadata.get('source', 'the input')} "
                                 f"records T = {float(recorded):g}; drop --temperature to use the recorded one")
        if args.temperature is not None:
            c.metadata["temperature"] = args.temperature
        if args.times:                   # before any work: range, duplicates
            predictor.check_times(args.times, c.metadata.get("temperature"))
    preds = [predictor.predict(c, times=args.times) for c in tqdm(configs, desc="predict", unit="frame",
                                                 disable=not _progress(args) or len(configs) < 2)]
    write_predictions(out, configs, preds, times)
    assumed = {c.metadata.get("temperature") for c in configs} - {None}
    log.info(f"predicted {len(configs)} configuration(s), {sum(c.n for c in configs)} particles, "
             f"{preds[0].shape[1]} output(s) at t = {times} tau; network trained at "
             f"T = {predictor.state_point['temperatures']}, data at T = {sorted(assumed) or 'not recorded'}; "
             f"mean prediction {np.mean(preds[0]):.4g} sigma; wrote {args.out}")
    return 0


def _engine_option(parser) -> None:
    from .md import DEFAULT_ENGINE, ENGINES

    parser.add_argument("--engine", choices=sorted(ENGINES), default=None,
                        help=f"MD engine (default {DEFAULT_ENGINE})")


def _types_option(parser) -> None:
    parser.add_argument("--types", metavar="A=NAME,B=NAME",
                        help="type map for files that name their species (GSD, extended XYZ, LAMMPS dump), "
                             "e.g. A=Ar,B=Kr or A=2,B=1; without it A/B, LAMMPS types 1/2 and H/He are known")


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default where it has one and its help does not already say it."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "default" in text:
            return text
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    from .models import ARCHITECTURES

    p = argparse.ArgumentParser(prog="glassnet", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"glassnet {__version__}")
    p.add_argument("-q", "--quiet", dest="global_quiet", action="store_true",
                   help="only warnings, errors and results (no progress bars); also after the command")
    p.add_argument("-v", "--verbose", dest="global_verbose", action="store_true", help="debug messages too")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true",
                        help="only warnings, errors and results (no progress bars)")
    common.add_argument("-v", "--verbose", action="store_true", help="debug messages too")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add = sub.add_parser

    def add_parser(name, **kw):
        return _add(name, parents=[common], formatter_class=_HelpFormatter, **kw)

    sub.add_parser = add_parser

    md = sub.add_parser("md", help="run a short Kob-Andersen simulation and print its thermodynamics")
    md.add_argument("--n", type=int, default=1000, help="number of particles")
    md.add_argument("--density", type=float, default=1.2, help="number density (sigma^-3)")
    md.add_argument("--temperature", type=float, default=0.8, help="temperature (epsilon/k_B)")
    md.add_argument("--time", type=float, default=25.0, help="length of the NVT and NVE runs (tau)")
    md.add_argument("--seed", type=int, default=0, help="seed of the lattice start and the velocities")
    _engine_option(md)
    md.set_defaults(func=_cmd_md)
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

    si = sub.add_parser("simulate", help="generate an iso-configurational propensity dataset (HDF5)")
    si.add_argument("out", help="the .h5 file to write (resumes from <out>.parts/ after a kill)")
    from .propensity.spec import PRESETS, SingleRunSpec
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
    _engine_option(si)
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
    _engine_option(ih)
    ih.set_defaults(func=_cmd_inherent)

    imp = sub.add_parser("import-bapst-checkpoint",
                         help="convert the published TensorFlow checkpoint (no TensorFlow needed)")
    imp.add_argument("source", help="checkpoint folder, prefix or .index file")
    imp.add_argument("out", help="glassnet checkpoint to write (.pt)")
    imp.set_defaults(func=_cmd_import)

    tr = sub.add_parser("train", help="train the graph network on propensity data")
    tr.add_argument("data", nargs="+", help="training data: glassnet .h5 (its train split) or Bapst .pickle")
    tr.add_argument("--valid", help="validation data (default: the valid split of the .h5 files)")
    tr.add_argument("--out-dir", "--out", dest="out", required=True,
                    help="output folder (resumes from its last.pt); --out is the old name")
    tr.add_argument("--output-index", type=int, nargs="+",
                    help="which timescales (rows of the targets) to predict; default all, one network")
    tr.add_argument("--model", choices=sorted(ARCHITECTURES), default="bapst",
                    help="; ".join(f"{a.name}: {a.description}" for a in ARCHITECTURES.values())
                    + " (default bapst)")
    tr.add_argument("--option", action="append", metavar="NAME=VALUE",
                    help="any field of the model's config (e.g. hidden=48, layers=5, inherent=false); "
                         "repeatable; defaults are the config's")
    tr.add_argument("--steps", type=int, default=1000, help="optimisation steps, one system each")
    tr.add_argument("--lr", type=float, help="peak learning rate (default by model: 1e-4 / 1e-3)")
    tr.add_argument("--schedule", choices=["constant", "cosine"], help="learning-rate schedule")
    tr.add_argument("--warmup", type=int, help="linear warm-up steps")
    tr.add_argument("--weight-decay", type=float, help="AdamW weight decay (0: Adam)")
    tr.add_argument("--edge-weight", type=float, default=1.0, help="weight of the pair-level loss of a network "
                    "with an edge head (--option edge_head=true; needs single-run label files)")
    tr.add_argument("--patience", type=int, default=0, help="stop after this many validations without a new "
                    "best validation r (0: train every step)")
    tr.add_argument("--normalize", choices=["global", "per-config"],
                    help="target standardisation: pooled (bapst default) or per configuration and type")
    tr.add_argument("--loss-types", type=int, nargs="+", help="types in the loss (bapst: 0; equivariant: 0 1)")
    tr.add_argument("--clip", type=float, default=1.0, help="global gradient-norm clip")
    tr.add_argument("--no-augment", action="store_true", help="no random cube symmetries (bapst)")
    tr.add_argument("--eval-every", type=int, default=100, help="validate (and checkpoint) every this many steps")
    tr.add_argument("--seed", type=int, default=0, help="seed of the weights, sampling and augmentation")
    tr.add_argument("--hidden", type=int, help="width (option hidden; default 64 bapst, 32 equivariant)")
    tr.add_argument("--mlp-layers", type=int, help="layers per MLP (bapst option mlp_layers; default 2)")
    tr.add_argument("--mp-steps", type=int, help="message-passing steps (bapst option steps, default 7; "
                    "equivariant option layers, default 3)")
    tr.add_argument("--r-cut", type=float, help="graph cutoff (sigma; option r_cut, default 2.0)")
    tr.add_argument("--no-inherent", action="store_true", help="equivariant: no inherent-state inputs")
    tr.add_argument("--no-vectors", action="store_true", help="equivariant: invariant trunk (no l=1 vectors)")
    tr.add_argument("--shared-heads", action="store_true", help="equivariant: one head per timescale for all types")
    tr.add_argument("--device", help="torch device (default: cuda if available, else cpu)")
    tr.add_argument("--compile", action="store_true",
                    help="torch.compile the training step: ~2.8x faster for the equivariant model on a CPU "
                         "after a compilation of 1-2 min; for long runs")
    _types_option(tr)
    tr.set_defaults(func=_cmd_train)

    ev = sub.add_parser("evaluate", help="Pearson r (type A) per timescale of a checkpoint on data")
    ev.add_argument("checkpoint", help="checkpoint file or shipped name (ka-T0.64, ka-T0.56, ...)")
    ev.add_argument("data", nargs="+", help="glassnet .h5 or Bapst .pickle with propensities (several files "
                    "act as one dataset: their splits are pooled)")
    ev.add_argument("--split", default="test", help="split of a .h5 dataset (default test)")
    ev.add_argument("--output-index", type=int, nargs="+",
                    help="target rows matching the outputs (default: from the checkpoint)")
    ev.add_argument("--ensemble", nargs="+", metavar="CKPT",
                    help="more checkpoints (e.g. other seeds): predict the mean of all")
    ev.add_argument("--symmetrize", action="store_true", help="average over the 48 cube symmetries")
    ev.add_argument("--compile", action="store_true", help="torch.compile the networks (faster for many "
                    "configurations, after a compilation on the first)")
    ev.add_argument("--symmetry-spread", action="store_true",
                    help="also report how far the network is from cube-symmetry invariance")
    ev.add_argument("--out", help="write the table as .csv or .json")
    ev.add_argument("--device", help="torch device (default: cuda if available, else cpu)")
    _engine_option(ev)
    _types_option(ev)
    ev.set_defaults(func=_cmd_evaluate)

    bl = sub.add_parser("baselines", help="physics and descriptor baselines, in the table format of evaluate")
    bl.add_argument("data", nargs="+", help="glassnet .h5 (fit on train, select on valid, score on --split; "
                    "several act as one dataset) or one .pickle")
    bl.add_argument("--split", default="test", help="split to score (default test)")
    bl.add_argument("--no-descriptors", action="store_true", help="physics baselines only")
    bl.add_argument("--no-harmonic", action="store_true", help="leave out the Hessian baselines (harmonic "
                    "propagator, |F|, vibrational amplitude, soft modes: ~10 s per configuration at N=1000)")
    bl.add_argument("--seed", type=int, default=0, help="seed of the MLP baseline")
    bl.add_argument("--out", help="write the table as .csv or .json")
    _types_option(bl)
    bl.set_defaults(func=_cmd_baselines)

    pb = sub.add_parser("probe", help="shell ablation/perturbation, the learned correlation length, and beside it "
                        "the decay length of the measured and predicted propensity correlation")
    pb.add_argument("checkpoint", help="checkpoint file or shipped name")
    pb.add_argument("data", help="glassnet .h5 or .pickle with propensities")
    pb.add_argument("--split", default="test", help="split of a .h5 dataset")
    pb.add_argument("--configs", type=int, default=1, help="configurations to probe")
    pb.add_argument("--marked", type=int, default=N_MARKED, help="marked A particles per configuration")
    from .analysis import DEFAULT_SHELLS
    pb.add_argument("--shells", type=int, default=DEFAULT_SHELLS, help="shells 0..shells-1 are probed")
    pb.add_argument("--pushes", type=float, nargs="+", default=[0.1], help="radial pushes (sigma)")
    pb.add_argument("--fraction", type=float, default=0.1,
                    help="the learned shell is where the change falls below this fraction of shell 0's")
    pb.add_argument("--seed", type=int, default=0, help="seed of the choice of marked particles and bootstrap")
    pb.add_argument("--label", help="name of this dataset in figures (default T=...)")
    pb.add_argument("--out", required=True, help="probe result (.json)")
    pb.add_argument("--device", help="torch device (default: cuda if available, else cpu)")
    _engine_option(pb)
    _types_option(pb)
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
    fg.add_argument("--device", help="torch device (default: cuda if available, else cpu)")
    _engine_option(fg)
    _types_option(fg)
    fg.set_defaults(func=_cmd_figures)

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

    rp = sub.add_parser("report", help="one HTML page: evaluation, baselines, ceiling, probe, figures")
    rp.add_argument("checkpoint", help="checkpoint file or shipped name")
    rp.add_argument("data", help="glassnet .h5 (scored on --split) or a .pickle with propensities")
    rp.add_argument("--split", default="test", help="split of a .h5 dataset")
    rp.add_argument("--marked", type=int, default=N_MARKED, help="marked particles of the shell probe")
    rp.add_argument("--no-descriptors", action="store_true", help="skip the descriptor baselines")
    rp.add_argument("--out-dir", required=True, help="folder for report.html, its figures and tables")
    rp.add_argument("--device", help="torch device (default: cuda if available, else cpu)")
    _types_option(rp)
    rp.set_defaults(func=_cmd_report)

    pr = sub.add_parser("predict", help="predict per-particle propensities for your configurations")
    pr.add_argument("paths", nargs="+", metavar="[CHECKPOINT] INPUT",
                    help="a checkpoint file or shipped name (unless --model is given), then one or more inputs: "
                         ".pickle, .npz, .gsd, .xyz/.extxyz, .dump/.lammpstrj or glassnet .h5")
    pr.add_argument("--model", help="checkpoint file or shipped name (ka-T0.64, ka-T0.56, ...)")
    pr.add_argument("--out", required=True, help="predictions file: .csv, .h5, .extxyz, .dump or .gsd "
                    "(the last three with positions, ids and types, for OVITO and ASE)")
    pr.add_argument("--temperature", type=float, help="temperature of the inputs (epsilon/k_B) where the "
                    "files do not record it: checked against the network's training data")
    pr.add_argument("--times", type=float, nargs="+", metavar="T",
                    help="predict at these times (tau): networks with a time-conditioned decoder only "
                         "(default: the times it was trained on)")
    pr.add_argument("--ensemble", nargs="+", metavar="CKPT",
                    help="more checkpoints (e.g. other seeds): predict the mean of all")
    pr.add_argument("--symmetrize", action="store_true", help="average over the 48 cube symmetries")
    pr.add_argument("--compile", action="store_true", help="torch.compile the networks (faster for many "
                    "configurations, after a compilation on the first)")
    pr.add_argument("--device", help="torch device (default: cuda if available, else cpu)")
    _engine_option(pr)
    _types_option(pr)
    pr.set_defaults(func=_cmd_predict)
    return p


def _setup_logging(args) -> None:
    """Console handlers of the ``glassnet`` logger: messages to stdout, warnings to stderr."""
    quiet = args.quiet or args.global_quiet
    verbose = args.verbose or args.global_verbose
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()
    log.setLevel(logging.DEBUG)
    log.propagate = False
    out = logging.StreamHandler(sys.stdout)
    out.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    out.addFilter(lambda record: record.levelno < logging.WARNING)
    err = logging.StreamHandler(sys.stderr)
    err.setLevel(logging.WARNING)
    err.setFormatter(logging.Formatter(f"glassnet {args.command}: warning: %(message)s"))
    log.addHandler(out)
    log.addHandler(err)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args)
    if args.command in _NETWORK_COMMANDS:
        from .runtime import tune_allocator

        tune_allocator()
    try:
        return args.func(args)
    except (GlassnetError, ValueError) as err:
        print(f"glassnet {args.command}: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `glassnet evaluate ... | head`: the reader left; what was to be written to files already is
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"glassnet {args.command}: interrupted (rerun the same command to resume)", file=sys.stderr)
        return 130
    finally:
        for handler in list(log.handlers):
            if isinstance(handler, logging.FileHandler):
                log.removeHandler(handler)
                handler.close()


if __name__ == "__main__":
    sys.exit(main())
