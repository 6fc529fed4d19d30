"""The headless command line: ``qi-capture <group> <command> ...`` (also ``python -m qi_capture``).

Each command group lives in its own module with a ``register(subparsers)`` function that adds
its sub-commands and sets ``handler`` on them; a handler takes the parsed arguments and
returns the exit code. Later groups (profile, study, record, sync, merge, export) plug in by
adding their module to ``GROUPS``.

Exit codes shared by every command are listed in `EXIT_CODES` (shown by ``--help``, and
in the README): 0 success, 1 the input is invalid (a bad form...), 2 usage errors and
missing or unreadable files, 3 merge: some bundle in quarantine, 130 stopped by Ctrl+C.
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

#: What ``qi-capture --help`` says after the command list (the README repeats it).
EXIT_CODES = """\
exit codes (every command):
  0    done
  1    the input was refused: a weak passphrase, an invalid form or answer, a record
       that cannot be finalised, a refused bundle or pack, a failed check
  2    the command could not run: usage, a missing or unreadable file, no such
       profile/form/record/device, an ambiguous short id, a wrong passphrase, a
       profile open elsewhere, a full disk, a central store that cannot be reached
  3    merge: nothing refused, but some bundle waits in quarantine for its device's
       enrolment (qi-capture devices enrol)
  130  stopped by Ctrl+C: the long commands stop between units of work (a bundle, a
       batch of records, a step), say what was done, keep what was finished and
       leave nothing half-written

Errors go to stderr as "error: WHAT; what to do". Long commands (merge, export,
report, sync, study pack, coding export, profile rotate-key, profile check) show
progress on stderr: a bar on a terminal, one line per step when piped, nothing with
--json or --quiet. --json output is stable for scripts; tables are for people.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qi-capture",
        description="QI Capture: offline questionnaires and interviews (command line).",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
