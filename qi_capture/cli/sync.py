"""``qi-capture sync --to FOLDER [--all]`` (interviewer): one folder sync (see
`qi_capture.sync.folder`): read the admin's acknowledgements from ``FOLDER/inbox``,
write one encrypted, signed bundle per study into ``FOLDER/outbox`` with every revision
not sent yet (``--all``: every one still on the laptop), purge acknowledged records
past the study's retention. Without ``--to`` the study pack's suggested folder (or
deployment.json's) is used. The work is `qi_capture.services.sync.SyncService.sync`;
this module only prints.

Exit codes: 0 ok (even with nothing to send); 2 the folder cannot be used (missing,
read-only, removed, full: nothing was marked sent) or no study pack is installed; 130
stopped by Ctrl+C between bundles (those written are marked sent, the rest wait).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from qi_capture.cli import common
from qi_capture.cli.common import EXIT_OK, CliError, command
from qi_capture.cli.terminal import long_work, quiet_option


def register(groups: Any) -> None:
    group = groups.add_parser(
        "sync", parents=[common.profile_options()],
        help="send finalised records to a sync folder and read acknowledgements",
    )
    group.add_argument("--to", metavar="FOLDER", type=Path, default=None,
                       help="the sync folder (default: the study pack's suggestion)")
    group.add_argument("--all", action="store_true",
                       help="send every revision again, not only new ones")
    quiet_option(group)
    group.set_defaults(handler=run_sync)


@command
def run_sync(args: argparse.Namespace) -> int:
    with common.unlock(args) as ctx:
        folder = args.to or ctx.sync.suggested_folder()
        if folder is None:
            raise CliError("give the sync folder with --to FOLDER")
        with long_work("sync", quiet=args.quiet) as work:
            result = ctx.sync.sync(folder, send_all=args.all, progress=work.progress,
                                   cancel=work.cancel)
        device = ctx.device
    for ack in result.refused_acks:
        print(f"warning: acknowledgement {ack.file} ignored: {ack.message}")
    if result.acknowledged:
        print(f"{result.acknowledged} revision(s) acknowledged by the admin")
    for bundle in result.bundles:
        print(f"wrote {bundle.path.name}: study {bundle.study_id}, {bundle.revisions} "
              f"revision(s), {bundle.attachments} attachment(s)")
    if not result.bundles:
        print("nothing new to send")
    if result.purged:
        print(f"{result.purged} acknowledged record(s) past retention removed from this laptop")
    if result.not_sendable:
        print(f"{result.not_sendable} finalised record(s) belong to studies without a study "
              "pack and were not sent")
    print(f"device {device.fingerprint}")
    return EXIT_OK
