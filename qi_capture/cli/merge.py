"""``qi-capture merge --central DIR_OR_URL BUNDLE_OR_FOLDER... [--json]``: import bundles
into the central store, through the admin door (`qi_capture.services.admin.AdminDesk`);
this module only parses arguments and prints.

``--central`` is the central folder (its ``admin/`` profile, unlocked with the admin
passphrase, holds both the keys and, by default, the central tables) or a PostgreSQL URL;
with a URL, ``--admin DIR`` names the central folder whose keys open the bundles.
Exit codes: 0 every bundle imported or already imported; 1 some bundle refused; 2 the
command could not run; 3 none refused but some quarantined (their devices are not
enrolled yet: ``qi-capture devices enrol``, after checking the fingerprint with the
interviewer); 130 stopped by Ctrl+C between bundles (those merged stay merged, the rest
wait for the next merge). Progress on stderr (`qi_capture.cli.terminal`).

When records were imported, the merge then brings every form's export-ready copies up to
date (`AdminDesk.keep_export_copies_current`), so that its next export need not;
``--defer-export-copies`` leaves that to the export. Ctrl+C
during it stops between ranges of records and changes nothing of the merge's outcome.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from qi_capture.cli.central_glue import (
    central_options,
    defer_copies_option,
    keep_export_copies,
    open_desk,
)
from qi_capture.cli.common import (
    EXIT_CANCELLED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_QUARANTINED,
    command,
)
from qi_capture.cli.terminal import long_work, quiet_option
from qi_capture.services.admin import enrol_command
from qi_capture.services.admin.dto import MergeResult

__all__ = ["register", "render_json", "render_text", "run_merge"]


def register(groups: Any) -> None:
    parser = groups.add_parser(
        "merge", parents=[central_options()], help="merge bundles into the central store"
    )
    parser.add_argument("paths", nargs="+", metavar="BUNDLE_OR_FOLDER",
                        help="bundle files, or folders holding *.qibundle files")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--no-ack", action="store_true",
                        help="do not write acknowledgements into the sync folders")
    defer_copies_option(parser)
    quiet_option(parser)
    parser.set_defaults(handler=run_merge)


@command
def run_merge(args: argparse.Namespace) -> int:
    with open_desk(args) as desk:
        with long_work("merge", quiet=args.json or args.quiet) as work:
            result = desk.merge(args.paths, write_acks=not args.no_ack,
                                progress=work.progress, cancel=work.cancel)
        if result.count("imported") and not result.cancelled:
            keep_export_copies(desk, args, quiet=args.json or args.quiet)
    if args.json:
        print(json.dumps(render_json(result), indent=2))
    else:
        print(render_text(result))
    if result.cancelled:
        return EXIT_CANCELLED
    if result.refused:
        return EXIT_INVALID
    return EXIT_QUARANTINED if result.quarantined else EXIT_OK


def render_json(result: MergeResult) -> dict[str, Any]:
    return result.to_json()


def render_text(result: MergeResult) -> str:
    lines: list[str] = []
    for r in result.reports:
        name = Path(r.source).name if r.source else "?"
        if r.outcome == "imported":
            lines.append(
                f"{name}: imported: {r.new_revisions} new revisions, {r.known_revisions} "
                f"already known, {len(r.conflicts_opened)} conflicts opened"
                + (f", {len(r.clone_alerts)} clone alerts" if r.clone_alerts else "")
            )
        elif r.outcome == "already_imported":
            lines.append(f"{name}: already imported (nothing changed)")
        elif r.outcome == "quarantined":
            lines.append(f"{name}: quarantined: {r.message}")
        else:
            lines.append(f"{name}: refused ({r.reason}): {r.message}")
    for g in result.gaps:
        problems = [f"missing sequence {s.first}-{s.last}" for s in g.missing_seqs]
        problems += [f"missing the bundle with manifest {h[:16]}" for h in g.missing_manifests]
        problems += [
            f"clone alert: sequence {c.device_seq} arrived as {len(c.revisions)} different "
            "revisions"
            for c in result.clones if c.device_id == g.device_id
        ]
        lines.append(f"device {g.device_id}: " + ("; ".join(problems) or "complete"))
    for device_id, path in result.ack_files:
        lines.append(f"acknowledgement for device {device_id}: {path}")
    totals = result.to_json()["totals"]
    lines.append(", ".join(f"{v} {k.replace('_', ' ')}" for k, v in totals.items()))
    if result.cancelled:
        lines.append("cancelled: the bundles not listed above were left for the next merge")
    waiting = result.waiting_devices
    if waiting:
        lines.append("Quarantined bundles wait for their device to be enrolled. Check each "
                     "fingerprint with its interviewer (Help > About this laptop in their "
                     "app), then run:")
        lines.extend(f"  {enrol_command(d)}" for d in waiting)
    return "\n".join(lines)
