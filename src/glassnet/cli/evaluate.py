"""`glassnet evaluate`, `baselines`, `predict`: networks and baselines scored, and applied to your files."""
from __future__ import annotations

from ..core import ParameterError
from .common import (check_device, device_option, engine_option, input_file, log, output_file, positive,
                     progress_on, types_option)


def add_commands(sub) -> None:
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
    device_option(ev)
    engine_option(ev)
    types_option(ev)
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
    types_option(bl)
    bl.set_defaults(func=_cmd_baselines)

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
    device_option(pr)
    engine_option(pr)
    types_option(pr)
    pr.set_defaults(func=_cmd_predict)


def _cmd_evaluate(args) -> int:
    from ..evaluation import evaluation_rows, format_table, network_name, write_results
    from ..formats import Splits
    from ..training import Predictor

    if args.out:
        output_file(args.out, suffixes=(".csv", ".json"))
    for d in args.data:
        input_file(d)
    predictor = Predictor([args.checkpoint] + (args.ensemble or []), device=args.device,
                          symmetrize=args.symmetrize, engine=args.engine, compile=args.compile)
    data = Splits.read(args.data, types=args.types)
    configs = data.get(args.split)
    rows = evaluation_rows(predictor, configs, data.name, data.split_name(args.split),
                           name=network_name([args.checkpoint] + (args.ensemble or [])),
                           note="48-symmetry average" if args.symmetrize else "",
                           output_index=args.output_index, progress=progress_on(args))
    if args.out:                      # before printing: `evaluate ... | head` must not lose it
        write_results(args.out, rows)
        log.info(f"wrote {args.out}")
    print(format_table(rows))
    if args.symmetry_spread:
        from ..models import symmetry_spread

        log.info("symmetry spread: predicting the first configuration in its 48 cube symmetries")
        spread = symmetry_spread(predictor.model, predictor.inputs(configs[0]))
        print(f"spread of predictions across the 48 cube symmetries / spread across particles "
              f"(first configuration): {spread:.3f}")
    return 0


def _cmd_baselines(args) -> int:
    from ..baselines import baseline_rows
    from ..evaluation import ceiling_rows, format_table, write_results
    from ..formats import Splits, has_splits

    if args.out:
        output_file(args.out, suffixes=(".csv", ".json"))
    for d in args.data:
        input_file(d)
    if len(args.data) > 1 and not all(has_splits(d) for d in args.data):
        raise ParameterError("several files act as one dataset only when each has splits (glassnet .h5)")
    data = Splits.read(args.data, types=args.types)
    if not data.has_splits:
        log.info("(a single file without splits: physics baselines only, sign chosen on the same data)")
    rows = baseline_rows(data, args.split, not args.no_descriptors, args.seed, harmonic=not args.no_harmonic)
    rows += ceiling_rows(data.get(args.split), data.name, data.split_name(args.split))
    rows.sort(key=lambda r: (r["output"], r["kind"], r["model"]))
    if args.out:
        write_results(args.out, rows)
        log.info(f"wrote {args.out}")
    print(format_table(rows))
    return 0


def _cmd_predict(args) -> int:
    import numpy as np
    from tqdm.auto import tqdm

    from ..formats import read_configurations, write_predictions
    from ..training import Predictor

    if args.model:
        checkpoint, sources = args.model, list(args.paths)
    elif len(args.paths) >= 2:
        checkpoint, sources = args.paths[0], list(args.paths[1:])
    else:
        raise ParameterError("give CHECKPOINT INPUT..., or INPUT... with --model NAME")
    out = output_file(args.out, need="write_predictions")
    for source in sources:
        if input_file(source).resolve() == out.resolve():
            raise ParameterError(f"--out {args.out} is an input file; the predictions would replace it")
    positive(temperature=args.temperature, **{f"times[{k}]": t for k, t in enumerate(args.times or [])})
    check_device(args.device)
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
                                                 disable=not progress_on(args) or len(configs) < 2)]
    write_predictions(out, configs, preds, times)
    assumed = {c.metadata.get("temperature") for c in configs} - {None}
    log.info(f"predicted {len(configs)} configuration(s), {sum(c.n for c in configs)} particles, "
             f"{preds[0].shape[1]} output(s) at t = {times} tau; network trained at "
             f"T = {predictor.state_point['temperatures']}, data at T = {sorted(assumed) or 'not recorded'}; "
             f"mean prediction {np.mean(preds[0]):.4g} sigma; wrote {args.out}")
    return 0
