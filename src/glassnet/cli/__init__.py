"""The `glassnet` command line: a thin layer over the public Python API.

Output flags: ``--out`` names a file, ``--out-dir`` a folder (``train`` and ``demo`` still take ``--out`` for
their folder). Exit codes: 0 success, 2 bad input (a one-line message names the problem; nothing already written is lost),
130 interrupted (Ctrl-C; long jobs resume when rerun). Messages go through :mod:`logging` (logger
``glassnet``): ``-q`` shows only warnings, errors and results, ``-v`` adds debug messages; long jobs also
append everything to a log file in their output folder.

One module per command group, each with its commands' arguments beside them: :mod:`.simulate` (md, simulate,
inherent-states, data), :mod:`.train` (train, import-bapst-checkpoint), :mod:`.evaluate` (evaluate, baselines,
predict), :mod:`.analysis` (probe, figures, report, ablation, demo); :mod:`.common` holds what they share.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from .. import __version__
from ..core import GlassnetError
from . import analysis, evaluate, simulate, train
from .common import N_MARKED, HelpFormatter, log, resolve_data

__all__ = ["main", "build_parser", "N_MARKED"]

#: commands that run networks: the allocator is tuned for them (glassnet.runtime)
_NETWORK_COMMANDS = {"demo", "train", "evaluate", "probe", "figures", "ablation", "report", "predict"}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="glassnet", description=__doc__.split("\n\nOne module per")[0],
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
        return _add(name, parents=[common], formatter_class=HelpFormatter, **kw)

    sub.add_parser = add_parser
    for group in (simulate, train, evaluate, analysis):      # the order of `glassnet --help`
        group.add_commands(sub)
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


class _Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler's or `kill`'s stop), raised like Ctrl-C so that locks and partial files are cleaned."""


def _terminate(signum, frame):
    raise _Terminated


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    if args.command in _NETWORK_COMMANDS:
        from ..runtime import tune_allocator

        tune_allocator()
    try:
        if args.command != "inherent-states":        # it completes a file: its sha256 is not final yet
            resolve_data(args)
        return args.func(args)
    except (GlassnetError, ValueError) as err:
        print(f"glassnet {args.command}: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `glassnet evaluate ... | head`: the reader left; what was to be written to files already is
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt as stop:
        how, code = ("terminated", 143) if isinstance(stop, _Terminated) else ("interrupted", 130)
        print(f"glassnet {args.command}: {how} (rerun the same command to resume)", file=sys.stderr)
        return code
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        for handler in list(log.handlers):
            if isinstance(handler, logging.FileHandler):
                log.removeHandler(handler)
                handler.close()
