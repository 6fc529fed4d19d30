"""The headless command line: ``qi-capture <group> <command> ...`` (also ``python -m qi_capture``).

Each command group lives in its own module with a ``register(subparsers)`` function that adds
its sub-commands and sets ``handler`` on them; a handler takes the parsed arguments and
returns the exit code. Later groups (profile, study, record, sync, merge, export) plug in by
adding their module to ``GROUPS``.

Exit codes shared by every command: 0 success, 1 the input is invalid (a bad form...),
2 usage errors and missing or unreadable files.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from types import ModuleType

from qi_capture import __version__
from qi_capture.cli import (
    admin,
    bundle,
    coding,
    conflicts,
    devices,
    erase,
    export,
    form,
    merge,
    profile,
    record,
    report,
    review,
    selftest,
    study,
    sync,
)

Handler = Callable[[argparse.Namespace], int]

#: Command-group modules, in the order ``--help`` lists them.
GROUPS: tuple[ModuleType, ...] = (
    profile, study, record, form, sync, admin, bundle, merge, conflicts, devices, review,
    export, report, coding, selftest, erase,
)

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qi-capture",
        description="QI Capture: offline questionnaires and interviews (command line).",
    )
    parser.add_argument("--version", action="version", version=f"QI Capture {__version__}")
    parser.add_argument(
        "--data-dir", metavar="DIR", default=None,
        help="folder holding the profiles (default: the platform's application-data folder)",
    )
    groups = parser.add_subparsers(dest="group", metavar="GROUP", required=True)
    for module in GROUPS:
        module.register(groups)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code (the console script exits with it)."""
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    handler: Handler = args.handler
    return handler(args)
