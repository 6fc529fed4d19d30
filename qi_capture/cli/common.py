"""What the profile, study and record commands share: reading passphrases, choosing the
profile, unlocking it, and turning the core's typed errors into messages and exit codes.

Passphrases come from ``--passphrase-file F``, else ``QI_CAPTURE_PASSPHRASE``, else a
prompt on the terminal (never echoed); a new one from ``--new-passphrase-file F``, else
``QI_CAPTURE_NEW_PASSPHRASE``, else two prompts that must match. With no terminal and no
file or variable the command stops (exit 2) rather than read a passphrase from stdin.

Exit codes: 0 ok; 1 the input is not acceptable (a weak passphrase, an invalid form or
answer, a record that cannot be finalised, a failed check); 2 the command cannot run
(usage, a missing or unreadable file, no such profile/form/record, a wrong passphrase,
a profile open elsewhere, a damaged database, a full disk, a central store URL that is
not PostgreSQL, a PostgreSQL server that cannot be reached or refuses the login).
"""

from __future__ import annotations

import argparse
import functools
import getpass
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from qi_capture.errors import QICaptureError
from qi_capture.logs import setup_logging
from qi_capture.services import CoreContext, ProfileService
from qi_capture.services.dto import ProfileInfo
from qi_capture.services.errors import CannotFinalise
from qi_capture.services.verdicts import database_failure, form_issues, is_invalid_input

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
#: ``merge``: nothing refused, but some bundle waits in quarantine for its device's enrolment.
EXIT_QUARANTINED = 3
#: Ctrl+C stopped a long command (128 + SIGINT, as shells report it): what it finished is
#: kept, nothing is half-written (`qi_capture.cli.terminal`).
EXIT_CANCELLED = 130
PASSPHRASE_ENV = "QI_CAPTURE_PASSPHRASE"
NEW_PASSPHRASE_ENV = "QI_CAPTURE_NEW_PASSPHRASE"


class CliError(QICaptureError):
    """A problem the CLI itself finds (files, prompts); ``exit_code`` says which kind."""

    code = "cli_error"

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


Handler = Callable[[argparse.Namespace], int]


def exit_code(error: QICaptureError) -> int:
    if isinstance(error, CliError):
        return error.exit_code
    return EXIT_INVALID if is_invalid_input(error) else EXIT_USAGE


def report(error: QICaptureError) -> int:
    """Print ``error`` for a person on stderr; returns its exit code."""
    cancelled = isinstance(error, CliError) and error.exit_code == EXIT_CANCELLED
    print(f"{'cancelled' if cancelled else 'error'}: {error.message}", file=sys.stderr)
    for where, message in form_issues(error):
        print(f"  {where}: {message}", file=sys.stderr)
    if isinstance(error, CannotFinalise):
        for path, kind, message in error.issues:
            print(f"  {path}: {message} ({kind})", file=sys.stderr)
    return exit_code(error)


def command(handler: Handler) -> Handler:
    """Wrap a handler: log to the profile data folder, map typed errors to exit codes."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            setup_logging(args.data_dir)
        except OSError as exc:
            print(f"error: cannot write the log folder: {exc.strerror}", file=sys.stderr)
            return EXIT_USAGE
        try:
            return handler(args)
        except QICaptureError as error:
            return report(error)
        except Exception as error:
            line = database_failure(error)
            if line is None:
                raise
            print(f"error: the central database failed: {line}", file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt:
            print("interrupted: the step under way was dropped; what was finished is kept, "
                  "nothing is half-written", file=sys.stderr)
            return EXIT_CANCELLED

    return run


# -- options --------------------------------------------------------------------------
def parse_uuid(text: str, what: str) -> uuid.UUID:
    """``text`` as a UUID, or a usage error naming ``what`` it should have been."""
    try:
        return uuid.UUID(text)
    except ValueError:
        raise CliError(f"{text!r} is not a {what} (a UUID)") from None


def profile_options(*, passphrase: bool = True, select: bool = True) -> argparse.ArgumentParser:
    """A parent parser with ``--profile`` and ``--passphrase-file``."""
    parent = argparse.ArgumentParser(add_help=False)
    if select:
        parent.add_argument(
            "--profile", metavar="NAME_OR_ID", default=None,
            help="which profile (needed when there are several)",
        )
    if passphrase:
        parent.add_argument(
            "--passphrase-file", metavar="F", default=None,
            help=f"read the passphrase from F (else ${PASSPHRASE_ENV}, else a prompt)",
        )
    return parent


def new_passphrase_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--new-passphrase-file", metavar="F", default=None,
        help=f"read the new passphrase from F (else ${NEW_PASSPHRASE_ENV}, else prompts)",
    )


# -- passphrases ----------------------------------------------------------------------
def read_secret_file(path: str) -> str:
    """A secret (passphrase, database password) from its first line in ``path``."""
    return _from_file(path)


#: A passphrase or password file holds one line; this is far beyond any.
MAX_SECRET_FILE_BYTES = 64 * 1024


def read_small_text(path: str | Path, what: str, limit: int = MAX_SECRET_FILE_BYTES) -> str:
    """The text of a small file the user names (a passphrase, a recovery key), read to
    ``limit`` and no further: ``/dev/zero`` or a wrong file of gigabytes is one error."""
    try:
        with Path(path).open("rb") as f:
            raw = f.read(limit + 1)
    except OSError as exc:
        raise CliError(f"cannot read {what} {path}: {exc.strerror}") from None
    if len(raw) > limit:
        raise CliError(f"{what} {path} is larger than {limit // 1024} KiB: not the file "
                       "meant")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CliError(f"{what} {path} is not UTF-8 text") from None


def _from_file(path: str) -> str:
    text = read_small_text(path, "the passphrase file")
    value = text.rstrip("\r\n")
    if not value:
        raise CliError(f"the passphrase file {path} is empty")
    return value


def _interactive() -> bool:
    return sys.stdin.isatty()


def is_interactive() -> bool:
    """Whether there is a terminal to ask on (stdin is one)."""
    return _interactive()


def read_passphrase(args: argparse.Namespace, prompt: str = "Passphrase: ") -> str:
    if getattr(args, "passphrase_file", None):
        return _from_file(args.passphrase_file)
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    if not _interactive():
        raise CliError(
            f"no passphrase: give --passphrase-file F or set {PASSPHRASE_ENV} "
            "(there is no terminal to ask on)"
        )
    return getpass.getpass(prompt)


def _prompt_twice(prompt: str) -> str:
    first = getpass.getpass(prompt)
    if getpass.getpass("Again, to confirm: ") != first:
        raise CliError("the two passphrases differ; nothing was changed", EXIT_INVALID)
    return first


def _new_secret(file: str | None, env: str, option: str, what: str) -> str:
    """A passphrase being set: from ``file``, else ``env``, else prompted twice."""
    if file:
        return _from_file(file)
    value = os.environ.get(env)
    if value:
        return value
    if not _interactive():
        raise CliError(
            f"no {what}: give {option} F or set {env} (there is no terminal to ask on)"
        )
    return _prompt_twice("New passphrase (at least 12 characters): ")


def read_created_passphrase(args: argparse.Namespace) -> str:
    """The passphrase of a profile being created: file, variable, or prompted twice."""
    return _new_secret(getattr(args, "passphrase_file", None), PASSPHRASE_ENV,
                       "--passphrase-file", "passphrase for the new profile")


def read_new_passphrase(args: argparse.Namespace) -> str:
    """The new passphrase of a passphrase change or recovery."""
    return _new_secret(getattr(args, "new_passphrase_file", None), NEW_PASSPHRASE_ENV,
                       "--new-passphrase-file", "new passphrase")


# -- profiles -------------------------------------------------------------------------
def profiles(args: argparse.Namespace) -> ProfileService:
    return ProfileService(args.data_dir)


def selected_profile(args: argparse.Namespace) -> ProfileInfo:
    return profiles(args).select(getattr(args, "profile", None))


def unlock(args: argparse.Namespace) -> CoreContext:
    """Select the profile, read the passphrase, unlock. The caller locks (``with``)."""
    profile = selected_profile(args)
    return profiles(args).unlock(profile, read_passphrase(args))
