"""The `glassnet` command line: a thin layer over the public Python API."""
from __future__ import annotations

import argparse
import sys
import time

from . import __version__
from .core import FormatError, GlassnetError, ParameterError

#: commands that run networks: the allocator is tuned for them (glassnet.runtime)
_NETWORK_COMMANDS = {"demo", "train", "evaluate", "probe", "figures", "ablation", "report", "predict"}


def _cmd_md(args) -> int:
    """A short KA simulation that prints its thermodynamics (LJ units)."""
    from .md import engine_class

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

    run_demo(args.out, args.preset, args.steps, args.workers, args.seed, args.marked)
    return 0


def _cmd_simulate(args) -> int:
    from .datasets import generate_dataset
    from .propensity import PRESETS, with_overrides

    if args.preset not in PRESETS:
        raise ParameterError(f"unknown preset {args.preset!r}; choose from {sorted(PRESETS)}")
    spec = with_overrides(PRESETS[args.preset], temperature=args.temperature, n=args.n,
                          density=args.density, n_configs=args.configs, n_replicas=args.replicas,
                          times=args.times, dt=args.dt, seed=args.seed,
                          equilibration_taus=args.equilibration_taus, tau_alpha=args.tau_alpha,
                          splits=tuple(args.splits) if args.splits else None, n_runs=args.runs,
                          n_origins=args.origins, origin_spacing=args.origin_spacing, split=args.split)
    if spec.protocol == "iso":
        what = (f"{spec.n_configs} configurations {spec.splits} (train/valid/test), {spec.n_replicas} "
                "iso-configurational replicas")
    else:
        what = (f"{spec.n_runs} single runs x {spec.n_origins} origins {spec.origin_spacing:g} tau apart "
                f"({spec.n_configs} configurations, split {spec.split})")
    print(f"simulate ({spec.protocol}): T={spec.temperature}, N={spec.n}, density {spec.density}, {what}, "
          f"times {list(spec.times)} tau, dt={spec.dt}, seed {spec.seed}")
    generate_dataset(args.out, spec, scheduler=args.scheduler, workers=args.workers,
                     progress=not args.quiet, engine=args.engine)
    return 0


def _cmd_inherent(args) -> int:
    from .datasets import add_inherent_states

    t0 = time.perf_counter()
    add_inherent_states(args.data, ftol=args.ftol, progress=not args.quiet, engine=args.engine,
                        workers=args.workers, scheduler=args.scheduler, style=args.style,
                        pre_ftol=args.pre_ftol)
    print(f"{args.data}: every configuration has its inherent state ({time.perf_counter() - t0:.0f} s)")
    return 0


def _cmd_import(args) -> int:
    from .training import import_bapst_checkpoint

    out = import_bapst_checkpoint(args.source, args.out)
    print(f"wrote {out}")
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
    from .training import TrainConfig, Trainer

    arch = architecture(args.model)
    options = _model_options(args, arch)
    # a glassnet dataset contributes only its train split: its test split never enters training
    train_set = [c for path in args.data for c in read_labelled(path, "train" if has_splits(path) else None,
                                                                 allow_empty=len(args.data) > 1)]
    if args.valid:
        valid_set = read_labelled(args.valid, "valid" if has_splits(args.valid) else None)
    elif all(has_splits(p) for p in args.data):
        valid_set = read_labelled(args.data, "valid")
    else:
        raise FormatError("files without splits need a separate validation file: --valid FILE")
    outputs = args.output_index
    n_out = len(outputs) if outputs else len(train_set[0].targets)
    recipe = dict(arch.recipe)
    chosen = {"lr": args.lr, "schedule": args.schedule, "warmup": args.warmup, "normalize": args.normalize,
              "weight_decay": args.weight_decay,
              "loss_types": tuple(args.loss_types) if args.loss_types else None}
    recipe.update({k: v for k, v in chosen.items() if v is not None})
    mcfg = build_config(arch, n_out, options)
    tcfg = TrainConfig(steps=args.steps, clip=args.clip, augment=not args.no_augment,
                       seed=args.seed, eval_every=args.eval_every, device=args.device,
                       compile=args.compile, **recipe)
    t0 = time.perf_counter()
    trainer = Trainer(train_set, valid_set, mcfg, tcfg, args.out, outputs, train_set[0].times)
    start = trainer.step
    last = trainer.run(progress=not args.quiet)
    dt = time.perf_counter() - t0
    done = trainer.step - start
    print(f"trained {done} steps in {dt:.0f} s ({dt / max(done, 1):.2f} s/step) on {trainer.device}; "
          f"best validation r = {trainer.best_r:.3f}; final {last.get('valid_r_mean', float('nan')):.3f}")
    print(f"checkpoints in {args.out}: best.pt (selected on validation), last.pt; metrics.csv")
    return 0


def _cmd_evaluate(args) -> int:
    from .evaluation import evaluation_rows, format_table, network_name, write_results
    from .formats import has_splits, read_labelled
    from .training import Predictor

    predictor = Predictor([args.checkpoint] + (args.ensemble or []), device=args.device,
                          symmetrize=args.symmetrize, engine=args.engine, compile=args.compile)
    data = args.data if len(args.data) > 1 else args.data[0]
    split = args.split if all(has_splits(d) for d in args.data) else ""
    configs = read_labelled(data, split or None)
    rows = evaluation_rows(predictor, configs, " + ".join(args.data), split,
                           name=network_name([args.checkpoint] + (args.ensemble or [])),
                           note="48-symmetry average" if args.symmetrize else "",
                           output_index=args.output_index)
    print(format_table(rows))
    if args.symmetry_spread:
        from .models import symmetry_spread

        spread = symmetry_spread(predictor.model, predictor.inputs(configs[0]))
        print(f"spread of predictions across the 48 cube symmetries / spread across particles "
              f"(first configuration): {spread:.3f}")
    if args.out:
        write_results(args.out, rows)
        print(f"wrote {args.out}")
    return 0


def _cmd_probe(args) -> int:
    from .analysis import ShellProbe
    from .formats import has_splits, read_labelled
    from .training import Predictor

    predictor = Predictor(args.checkpoint, device=args.device, engine=args.engine)
    split = args.split if has_splits(args.data) else None
    configs = read_labelled(args.data, split)[: args.configs]
    probe = ShellProbe(predictor, n_shells=args.shells, pushes=args.pushes, n_marked=args.marked,
                       fraction=args.fraction, seed=args.seed)
    t0 = time.perf_counter()
    for i, c in enumerate(configs):
        probe.compute(c, reset=(i == 0))
        print(f"probed configuration {i + 1}/{len(configs)} ({time.perf_counter() - t0:.0f} s)")
    label = args.label or (f"T={configs[0].metadata.get('temperature')}")
    probe.save(args.out, predictor.times, label)
    for k, x in enumerate(probe.lengths("ablation")):
        t = predictor.times[k] if predictor.times else k
        print(f"t={t}: learned shell {x['shell']} +- {x['shell_err']:.2f}, length {x['length']:.2f} +- "
              f"{x['length_err']:.2f} sigma (ablation, change < {args.fraction:g} x shell-0 change)")
    print(f"wrote {args.out}")
    return 0


def _cmd_figures(args) -> int:
    import json
    from pathlib import Path

    from . import plots
    from .evaluation import read_results

    out = Path(args.out_dir)
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

        predictor = Predictor(args.checkpoint, engine=args.engine)
        c = read_configurations(args.data)[0]
        pred = predictor.predict(c)[:, args.output]
        measured = None
        if c.targets is not None:
            measured = c.targets[predictor.output_index[args.output]]
        written += plots.save(plots.mobility_slice(c.positions, c.box, pred, measured, c.types),
                              out / "mobility_slice")
    if not written:
        raise ParameterError("nothing to draw: give --results, --probe or --checkpoint with --data")
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


def _cmd_ablation(args) -> int:
    from .ablation import run_ablation

    run_ablation(args.data if len(args.data) > 1 else args.data[0], args.out_dir, steps=args.steps,
                 faithful_steps=args.faithful_steps, faithful_checkpoint=args.faithful_checkpoint,
                 baselines=not args.no_baselines)
    return 0


def _cmd_report(args) -> int:
    from .report import make_report

    make_report(args.checkpoint, args.data, args.out_dir, split=args.split, n_marked=args.marked,
                descriptors=not args.no_descriptors)
    return 0


def _cmd_baselines(args) -> int:
    from .baselines import baseline_rows
    from .evaluation import ceiling_rows, format_table, write_results
    from .formats import has_splits, read_labelled

    is_h5 = has_splits(args.data)
    if not is_h5:
        print("(a single file without splits: physics baselines only, sign chosen on the same data)")
    rows = baseline_rows(args.data, args.split, not args.no_descriptors, args.seed)
    rows += ceiling_rows(read_labelled(args.data, args.split if is_h5 else None), args.data,
                         args.split if is_h5 else "")
    rows.sort(key=lambda r: (r["output"], r["kind"], r["model"]))
    print(format_table(rows))
    if args.out:
        write_results(args.out, rows)
        print(f"wrote {args.out}")
    return 0


def _cmd_predict(args) -> int:
    import numpy as np

    from .formats import read_configurations, write_predictions
    from .training import Predictor

    expected = 1 if args.model else 2
    if len(args.paths) != expected:
        raise ParameterError("give CHECKPOINT INPUT, or INPUT with --model NAME")
    checkpoint, source = (args.model, args.paths[0]) if args.model else args.paths
    from pathlib import Path

    if Path(args.out).resolve() == Path(source).resolve():
        raise ParameterError(f"--out {args.out} is the input file; the predictions would replace it")
    predictor = Predictor([checkpoint] + (args.ensemble or []), device=args.device,
                          symmetrize=args.symmetrize, engine=args.engine, compile=args.compile)
    configs = read_configurations(source)
    preds = [predictor.predict(c) for c in configs]
    write_predictions(args.out, configs, preds, predictor.times)
    print(f"predicted {len(configs)} configuration(s), {sum(c.n for c in configs)} particles, "
          f"{preds[0].shape[1]} output(s); mean prediction {np.mean(preds[0]):.4g}; wrote {args.out}")
    return 0


def _engine_option(parser) -> None:
    from .md import DEFAULT_ENGINE, ENGINES

    parser.add_argument("--engine", choices=sorted(ENGINES), default=None,
                        help=f"MD engine (default {DEFAULT_ENGINE})")


def build_parser() -> argparse.ArgumentParser:
    from .models import ARCHITECTURES

    p = argparse.ArgumentParser(prog="glassnet", description=__doc__)
    p.add_argument("--version", action="version", version=f"glassnet {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    md = sub.add_parser("md", help="run a short Kob-Andersen simulation and print its thermodynamics")
    md.add_argument("--n", type=int, default=1000, help="number of particles")
    md.add_argument("--density", type=float, default=1.2, help="number density (sigma^-3)")
    md.add_argument("--temperature", type=float, default=0.8, help="temperature (epsilon/k_B)")
    md.add_argument("--time", type=float, default=25.0, help="length of the NVT and NVE runs (tau)")
    md.add_argument("--seed", type=int, default=0)
    _engine_option(md)
    md.set_defaults(func=_cmd_md)
    demo = sub.add_parser("demo", help="the main job: simulate, train, evaluate against baselines and "
                          "the noise ceiling, probe, report (small default: ~10 min on 2 cores)")
    demo.add_argument("--out", default="glassnet-demo", help="output folder (the job resumes from it)")
    demo.add_argument("--preset", default="small", help="dataset preset: small, ka-T0.64, ka-T0.56, ...")
    demo.add_argument("--steps", type=int, help="training steps (default by preset)")
    demo.add_argument("--workers", type=int, default=2, help="local simulation worker processes")
    demo.add_argument("--marked", type=int, default=16, help="marked particles of the shell probe")
    demo.add_argument("--seed", type=int, default=0, help="training seed")
    demo.set_defaults(func=_cmd_demo)

    si = sub.add_parser("simulate", help="generate an iso-configurational propensity dataset (HDF5)")
    si.add_argument("out", help="the .h5 file to write (resumes from <out>.parts/ after a kill)")
    si.add_argument("--preset", default="small",
                    help="iso-configurational: small (default), ka-T0.64, ka-T0.56, ka-T0.64-full, "
                         "ka-T0.56-full, ka-T0.44-bapst; single-run labels: single-T0.64, single-T0.56; "
                         "options below override it")
    si.add_argument("--temperature", type=float, help="T (epsilon/k_B)")
    si.add_argument("--n", type=int, help="number of particles")
    si.add_argument("--density", type=float, help="number density (sigma^-3)")
    si.add_argument("--configs", type=int, help="number of configurations (split train/valid/test)")
    si.add_argument("--splits", type=int, nargs=3, metavar=("TRAIN", "VALID", "TEST"),
                    help="configurations per split (default: the preset's proportions)")
    si.add_argument("--replicas", type=int, help="iso-configurational replicas per configuration")
    si.add_argument("--times", type=float, nargs="+", help="propensity times (tau)")
    si.add_argument("--dt", type=float, help="time step (tau)")
    si.add_argument("--seed", type=int)
    si.add_argument("--equilibration-taus", type=float, help="NVT equilibration in units of tau_alpha")
    si.add_argument("--tau-alpha", type=float, help="use this tau_alpha (tau) instead of measuring it")
    si.add_argument("--runs", type=int, help="single-run presets: independent NVE runs")
    si.add_argument("--origins", type=int, help="single-run presets: labelled time origins per run")
    si.add_argument("--origin-spacing", type=float, help="single-run presets: time between origins (tau)")
    si.add_argument("--split", help="single-run presets: the split of every configuration (default train)")
    si.add_argument("--scheduler", help="address of a running Dask scheduler (default: a local cluster)")
    si.add_argument("--workers", type=int, default=2, help="local worker processes (1 thread each)")
    si.add_argument("--quiet", action="store_true")
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
    ih.add_argument("--quiet", action="store_true")
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
    tr.add_argument("--out", required=True, help="output folder (resumes from its last.pt)")
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
    tr.add_argument("--normalize", choices=["global", "per-config"],
                    help="target standardisation: pooled (bapst default) or per configuration and type")
    tr.add_argument("--loss-types", type=int, nargs="+", help="types in the loss (bapst: 0; equivariant: 0 1)")
    tr.add_argument("--clip", type=float, default=1.0, help="global gradient-norm clip")
    tr.add_argument("--no-augment", action="store_true", help="no random cube symmetries (bapst)")
    tr.add_argument("--eval-every", type=int, default=100)
    tr.add_argument("--seed", type=int, default=0)
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
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    tr.set_defaults(func=_cmd_train)

    ev = sub.add_parser("evaluate", help="Pearson r (type A) per timescale of a checkpoint on data")
    ev.add_argument("checkpoint")
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
    ev.add_argument("--device")
    _engine_option(ev)
    ev.set_defaults(func=_cmd_evaluate)

    bl = sub.add_parser("baselines", help="physics and descriptor baselines, in the table format of evaluate")
    bl.add_argument("data", help="glassnet .h5 (fit on train, select on valid, score on --split) or .pickle")
    bl.add_argument("--split", default="test", help="split to score (default test)")
    bl.add_argument("--no-descriptors", action="store_true", help="physics baselines only")
    bl.add_argument("--seed", type=int, default=0, help="seed of the MLP baseline")
    bl.add_argument("--out", help="write the table as .csv or .json")
    bl.set_defaults(func=_cmd_baselines)

    pb = sub.add_parser("probe", help="shell ablation/perturbation and the learned correlation length")
    pb.add_argument("checkpoint")
    pb.add_argument("data", help="glassnet .h5 or .pickle with propensities")
    pb.add_argument("--split", default="test")
    pb.add_argument("--configs", type=int, default=1, help="configurations to probe")
    pb.add_argument("--marked", type=int, default=32, help="marked A particles per configuration")
    pb.add_argument("--shells", type=int, default=9, help="shells 0..shells-1 are probed")
    pb.add_argument("--pushes", type=float, nargs="+", default=[0.1], help="radial pushes (sigma)")
    pb.add_argument("--fraction", type=float, default=0.1,
                    help="the learned shell is where the change falls below this fraction of shell 0's")
    pb.add_argument("--seed", type=int, default=0)
    pb.add_argument("--label", help="name of this dataset in figures (default T=...)")
    pb.add_argument("--out", required=True, help="probe result (.json)")
    pb.add_argument("--device")
    _engine_option(pb)
    pb.set_defaults(func=_cmd_probe)

    fg = sub.add_parser("figures", help="draw figures (PNG and PDF) from results, probes and a checkpoint")
    fg.add_argument("--results", nargs="+", help="result tables from evaluate/baselines (.csv/.json)")
    fg.add_argument("--probe", nargs="+", help="probe results (.json), one per temperature")
    fg.add_argument("--checkpoint", help="with --data: draw the predicted mobility field")
    fg.add_argument("--data", help="a configuration file with measured propensities")
    fg.add_argument("--output", type=int, default=0, help="which network output (timescale) to draw")
    fg.add_argument("--out-dir", required=True)
    _engine_option(fg)
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
    ab.set_defaults(func=_cmd_ablation)

    rp = sub.add_parser("report", help="one HTML page: evaluation, baselines, ceiling, probe, figures")
    rp.add_argument("checkpoint")
    rp.add_argument("data")
    rp.add_argument("--split", default="test")
    rp.add_argument("--marked", type=int, default=16, help="marked particles of the shell probe")
    rp.add_argument("--no-descriptors", action="store_true", help="skip the descriptor baselines")
    rp.add_argument("--out-dir", required=True)
    rp.set_defaults(func=_cmd_report)

    pr = sub.add_parser("predict", help="predict per-particle propensities for your configurations")
    pr.add_argument("paths", nargs="+", metavar="[CHECKPOINT] INPUT",
                    help="a checkpoint file or shipped name (unless --model is given), then the input: "
                         ".pickle, .gsd, .xyz/.extxyz, .dump/.lammpstrj or glassnet .h5")
    pr.add_argument("--model", help="checkpoint file or shipped name (ka-T0.64, ka-T0.56, ...)")
    pr.add_argument("--out", required=True, help="predictions file: .h5 or .csv")
    pr.add_argument("--ensemble", nargs="+", metavar="CKPT",
                    help="more checkpoints (e.g. other seeds): predict the mean of all")
    pr.add_argument("--symmetrize", action="store_true", help="average over the 48 cube symmetries")
    pr.add_argument("--compile", action="store_true", help="torch.compile the networks (faster for many "
                    "configurations, after a compilation on the first)")
    pr.add_argument("--device")
    _engine_option(pr)
    pr.set_defaults(func=_cmd_predict)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in _NETWORK_COMMANDS:
        from .runtime import tune_allocator

        tune_allocator()
    try:
        return args.func(args)
    except (GlassnetError, ValueError) as err:
        print(f"glassnet {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"glassnet {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
