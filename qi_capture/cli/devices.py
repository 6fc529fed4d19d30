"""``qi-capture devices list|enrol|revoke|rename --central DIR_OR_URL``: the central
device registry, through the admin door (`qi_capture.services.admin.AdminDesk`); this
module only parses arguments and prints.

- ``list [--json]``: enrolled, revoked and unknown devices (seen only through
  quarantined bundles), with last sequence and bundle, gaps and clone alerts;
- ``enrol DEVICE_ID [--device-key KEY] [--name N]``: accept a device (its key defaults to
  the one its quarantined bundles carry: check the fingerprint with the interviewer
  first), then merge its quarantined bundles from the quarantine folder, as streams, and
  remove them from it; when that imported records, the export-ready copies are brought
  up to date as after a merge (``--defer-export-copies`` leaves that to the next export);
- ``revoke DEVICE_ID``: refuse its bundles from now on (what it sent stays);
- ``rename DEVICE_ID NAME``: change its label.

``DEVICE_ID`` may be any unique prefix of at least four hex digits of a device the
store knows.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from qi_capture.cli.central_glue import (
    central_options,
    defer_copies_option,
    keep_export_copies,
    open_desk,
)
from qi_capture.cli.common import EXIT_INVALID, EXIT_OK, command
from qi_capture.cli.tables import Column, print_table


def register(groups: Any) -> None:
    group = groups.add_parser("devices", help="enrolled, revoked and unknown devices")
    commands = group.add_subparsers(dest="command", metavar="COMMAND", required=True)
    listing = commands.add_parser("list", parents=[central_options()], help="list devices")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)
    enrol = commands.add_parser("enrol", parents=[central_options()],
                                help="accept a device and merge its quarantined bundles")
    enrol.add_argument("device_id", metavar="DEVICE_ID")
    enrol.add_argument("--device-key", metavar="KEY", default=None,
                       help="its public key, base64 (default: from its quarantined bundles)")
    enrol.add_argument("--name", default="", help="a label for the device")
    defer_copies_option(enrol)
    enrol.set_defaults(handler=run_enrol)
    revoke = commands.add_parser("revoke", parents=[central_options()],
                                 help="refuse a device's bundles from now on")
    revoke.add_argument("device_id", metavar="DEVICE_ID")
    revoke.set_defaults(handler=run_revoke)
    rename = commands.add_parser("rename", parents=[central_options()],
                                 help="change a device's label")
    rename.add_argument("device_id", metavar="DEVICE_ID")
    rename.add_argument("name", metavar="NAME")
    rename.set_defaults(handler=run_rename)


@command
def run_list(args: argparse.Namespace) -> int:
    with open_desk(args) as desk:
        devices = desk.devices()
    if args.json:
        print(json.dumps([d.to_json() for d in devices], indent=2))
        return EXIT_OK
    if not devices:
        print("no devices")
        return EXIT_OK
    rows = []
    for summary in devices:
        d, gaps = summary.device, summary.gaps
        notes = [f"missing {s.first}-{s.last}" for s in gaps.missing_seqs]
        notes += [f"{len(gaps.missing_manifests)} missing bundle(s)"] if gaps.missing_manifests \
            else []
        notes += [f"{len(summary.clone_alerts)} clone alert(s)"] if summary.clone_alerts else []
        notes += [f"{d.quarantined} quarantined"] if d.quarantined else []
        rows.append((summary.short_id, d.status, d.name or "-",
                     ", ".join(summary.interviewers) or "-", str(d.last_seq), str(d.bundles),
                     summary.fingerprint_grouped or "-", "; ".join(notes) or "-"))
    print_table([Column("ID"), Column("STATUS"), Column("NAME", wrap=True),
                 Column("INTERVIEWERS", wrap=True), Column("SEQ", right=True),
                 Column("BUNDLES", right=True), Column("FINGERPRINT", wrap=True),
                 Column("NOTES", wrap=True)], rows)
    return EXIT_OK


@command
def run_enrol(args: argparse.Namespace) -> int:
    with open_desk(args) as desk:
        enrolment = desk.enrol(args.device_id, name=args.name, public_key=args.device_key)
        if any(m.report.outcome == "imported" for m in enrolment.merged):
            keep_export_copies(desk, args, quiet=False)
    print(f"enrolled {enrolment.device.id} ({enrolment.fingerprint})")
    if enrolment.waiting_for_keys:
        print(f"{enrolment.waiting_for_keys} quarantined bundle(s) wait for the admin keys "
              "and the quarantine folder: run this command again with --admin DIR")
    for merged in enrolment.merged:
        report = merged.report
        print(f"quarantined bundle {merged.file_sha256[:16]}: {report.outcome}"
              + (f": {report.new_revisions} new revisions"
                 if report.outcome == "imported" else "")
              + (f" ({report.reason}: {report.message})"
                 if report.outcome == "refused" else ""))
    if enrolment.merged:
        print("acknowledgements are written when the device's sync folder is merged next")
    return EXIT_INVALID if enrolment.refused else EXIT_OK


@command
def run_revoke(args: argparse.Namespace) -> int:
    with open_desk(args) as desk:
        device = desk.revoke(args.device_id)
    print(f"revoked {device.id}: its bundles are refused from now on")
    return EXIT_OK


@command
def run_rename(args: argparse.Namespace) -> int:
    with open_desk(args) as desk:
        device = desk.rename(args.device_id, args.name)
    print(f"renamed {device.id}: {device.device.name}")
    return EXIT_OK
