"""`glassnet train` and `import-bapst-checkpoint`: networks from data."""
from __future__ import annotations

import time

from ..core import FormatError, ParameterError
from .common import (check_device, device_option, log, log_file, output_dir, output_file, positive, progress_on,
                     types_option)


def add_commands(sub) -> None:
    from ..models import ARCHITECTURES

    tr = sub.add_parser("train", help="train the graph network on propensity data")
    tr.add_argument("data", nargs="+", help="training data: glassnet .h5 (its train split) or Bapst .pickle")
    tr.add_argument("--valid", help="validation data (default: the valid split of the .h5 files)")
    tr.add_argument("--out-dir", "--out", dest="out", required=True,
                    help="output folder (resumes from its last.pt); --out is the old name")
    tr.add_argument("--output-index", type=int, nargs="+",
                    help="which timescales (rows of the targets) to predict; default all, one network")
    tr.add_argument("--model", choices=sorted(ARCHITECTURES), default="equivariant",
                    help="; ".join(f"{a.name}: {a.description}" for a in ARCHITECTURES.values())
                    + " (default equivariant, glassnet's model with the shipped recipe: it needs the inherent "
                      "states, `glassnet inherent-states`, and the data's temperature; bapst trains on any "
                      "labelled file)")
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
    device_option(tr)
    tr.add_argument("--compile", action="store_true",
                    help="torch.compile the training step: ~2.8x faster for the equivariant model on a CPU "
                         "after a compilation of 1-2 min; for long runs")
    types_option(tr)
    tr.set_defaults(func=_cmd_train)

    imp = sub.add_parser("import-bapst-checkpoint",
                         help="convert the published TensorFlow checkpoint (no TensorFlow needed)")
    imp.add_argument("source", help="checkpoint folder, prefix or .index file")
    imp.add_argument("out", help="glassnet checkpoint to write (.pt)")
    imp.set_defaults(func=_cmd_import)


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
    from ..formats import Splits
    from ..models import architecture, build_config
    from ..training import Trainer

    arch = architecture(args.model)
    options = _model_options(args, arch)           # on top of the recipe's options (Trainer.from_architecture)
    positive(steps=args.steps, eval_every=args.eval_every, lr=args.lr)
    check_device(args.device)
    out = output_dir(args.out)
    log_file(out / "train.log")
    # pair labels need the displacement vectors
    pairs = bool(getattr(build_config(arch, 1, {**arch.options, **options}), "edge_head", False))
    # a glassnet dataset contributes only its train split: its test split never enters training
    data = Splits.read(args.data, types=args.types, displacements=pairs)
    train_set = data.get("train", allow_empty=True)
    if not train_set:
        raise FormatError(f"no training configurations in {data.name}")
    if args.valid:
        valid_set = Splits.read(args.valid, types=args.types).valid
    elif data.has_splits:
        valid_set = data.valid
    else:
        raise FormatError("files without splits need a separate validation file: --valid FILE")
    chosen = {"lr": args.lr, "schedule": args.schedule, "warmup": args.warmup, "normalize": args.normalize,
              "weight_decay": args.weight_decay,
              "loss_types": tuple(args.loss_types) if args.loss_types else None}
    t0 = time.perf_counter()
    trainer = Trainer.from_architecture(
        train_set, valid_set, args.out, arch.name, options, output_index=args.output_index,
        times=train_set[0].times, steps=args.steps, clip=args.clip, augment=not args.no_augment, seed=args.seed,
        eval_every=args.eval_every, device=args.device, compile=args.compile, patience=args.patience,
        edge_weight=args.edge_weight, **{k: v for k, v in chosen.items() if v is not None})
    start = trainer.step
    last = trainer.run(progress=progress_on(args))
    dt = time.perf_counter() - t0
    done = trainer.step - start
    log.info(f"trained {done} steps in {dt:.0f} s ({dt / max(done, 1):.2f} s/step) on {trainer.device}; "
          f"best validation r = {trainer.best_r:.3f}; final {last.get('valid_r_mean', float('nan')):.3f}")
    log.info(f"checkpoints in {args.out}: best.pt (selected on validation), last.pt; metrics.csv; train.log")
    return 0


def _cmd_import(args) -> int:
    from ..training import import_bapst_checkpoint

    out = import_bapst_checkpoint(args.source, output_file(args.out))
    log.info(f"wrote {out}")
    return 0
