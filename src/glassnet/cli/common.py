"""What every command shares: checks of inputs and outputs before any work, log files, shared options."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from .. import __version__
from ..core import FormatError, ParameterError

log = logging.getLogger("glassnet")

#: marked particles of the shell probe, the same default for every command that probes
N_MARKED = 16


def output_file(path, need: str | None = None, suffixes=None) -> Path:
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
        from ..formats import format_for

        format_for(p, need)
    if suffixes and p.suffix.lower() not in suffixes:
        raise ParameterError(f"{path}: expected a file ending in {' or '.join(suffixes)}")
    return p


def output_dir(path) -> Path:
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


def input_file(path) -> Path:
    p = Path(path)
    if not p.exists():
        raise FormatError(f"{path} does not exist")
    if p.is_dir():
        raise FormatError(f"{path} is a folder, not a file")
    return p


def check_device(device) -> None:
    if device:
        from ..models import pick_device

        pick_device(device)


def positive(**values) -> None:
    """Refuse counts and lengths that must be positive, naming the option."""
    for name, value in values.items():
        if value is not None and not value > 0:
            raise ParameterError(f"--{name.replace('_', '-')} {value}: expected a positive value")


def progress_on(args) -> bool:
    return not (args.quiet or args.global_quiet)


def log_file(path) -> None:
    """Also append every message (debug included, with times) to ``path``: the log of a long job."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.DEBUG)
    log.addHandler(handler)
    log.debug("glassnet %s, command: glassnet %s", __version__, " ".join(sys.argv[1:]))


def device_option(parser) -> None:
    parser.add_argument("--device", help="torch device (default: cuda if available, else cpu)")


def engine_option(parser) -> None:
    from ..md import DEFAULT_ENGINE, ENGINES

    parser.add_argument("--engine", choices=sorted(ENGINES), default=None,
                        help=f"MD engine (default {DEFAULT_ENGINE})")


def types_option(parser) -> None:
    parser.add_argument("--types", metavar="A=NAME,B=NAME",
                        help="type map for files that name their species (GSD, extended XYZ, LAMMPS dump), "
                             "e.g. A=Ar,B=Kr or A=2,B=1; without it A/B, LAMMPS types 1/2 and H/He are known")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default where it has one and its help does not already say it."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "default" in text:
            return text
        return super()._get_help_string(action)


def resolve_data(args) -> None:
    """Known large datasets named in ``data`` / ``valid`` arguments (``single-T0.64``) become their files in
    ``$GLASSNET_DATA``, whose sha256 is checked before the job starts (:func:`glassnet.datastore.resolve`)."""
    from ..datastore import resolve

    for key in ("data", "valid"):
        value = getattr(args, key, None)
        if isinstance(value, list):
            setattr(args, key, [str(resolve(v)) for v in value])
        elif isinstance(value, str):
            setattr(args, key, str(resolve(value)))
