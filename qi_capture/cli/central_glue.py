"""What the central commands share: the ``--central``/``--admin``/``--passphrase-file``
options and opening the admin door (`qi_capture.services.admin.AdminDesk`) from them.

Every central command opens the door (`open_desk`); those that import records (merge,
enrol) then keep the export-ready copies current (`keep_export_copies`).
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from qi_capture.cli import common
from qi_capture.cli.terminal import CommandCancelled, long_work
from qi_capture.services.admin import AdminDesk, needs_passphrase


def central_options(*, admin: bool = True) -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--central", metavar="DIR_OR_URL", required=True,
        help="the central folder (admin profile) or a PostgreSQL URL",
    )
    if admin:
        parent.add_argument(
            "--admin", metavar="DIR", default=None, type=Path,
            help="with a PostgreSQL URL: the central folder holding the admin keys",
        )
    parent.add_argument(
        "--passphrase-file", metavar="F", default=None,
        help=f"read the admin passphrase from F (else ${common.PASSPHRASE_ENV}, else a prompt)",
    )
    return parent


def open_desk(args: argparse.Namespace) -> AdminDesk:
    """The admin door on ``--central`` (and ``--admin``), asking for the passphrase only
    when it is needed (a central folder, or the folder of the admin keys)."""
    target = str(args.central)
    admin_dir = getattr(args, "admin", None)
    passphrase = common.read_passphrase(args) if needs_passphrase(target, admin_dir) else None
    return AdminDesk.open(target, passphrase, admin_dir=admin_dir)


def defer_copies_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--defer-export-copies", action="store_true",
                        help="leave the export-ready copies for the next export to bring up "
                        "to date (by default they are brought up to date here, after the "
                        "records are imported, so that export is as fast as the one before)")


def keep_export_copies(desk: AdminDesk, args: argparse.Namespace, *, quiet: bool) -> None:
    """After records were imported: bring the export-ready copies up to date
    (`AdminDesk.keep_export_copies_current`) unless ``--defer-export-copies``, with a
    progress bar of its own. Ctrl+C stops between ranges of records and changes nothing
    of what was imported (the rest wait for the next export)."""
    if getattr(args, "defer_export_copies", False):
        return
    with contextlib.suppress(CommandCancelled), long_work("export copies", quiet=quiet) as work:
        desk.keep_export_copies_current(progress=work.progress, cancel=work.cancel)
