"""``qi-capture devices list|enrol|revoke --central DIR_OR_URL``: the central device
registry.

- ``list [--json]``: enrolled, revoked and unknown devices (seen only through
  quarantined bundles), with last sequence, bundles, gaps and clone alerts;
- ``enrol DEVICE_ID [--device-key KEY] [--name N]``: accept a device (its key defaults to
  the one its quarantined bundles carry: check the fingerprint with the interviewer
  first), then merge its quarantined bundles from the quarantine folder, as streams, and
  remove them from it;
- ``revoke DEVICE_ID``: refuse its bundles from now on (what it sent stays).

Enrolment and revocation are written to the central store and, when the admin keys are
at hand, to the admin profile's registry that bundle verification reads.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from qi_capture.central.store import CentralStore
from qi_capture.cli.common import EXIT_INVALID, EXIT_OK, CliError, command, parse_uuid
from qi_capture.cli.merge import central_options, open_admin, open_central
from qi_capture.crypto import signing
from qi_capture.services.merge import merge_quarantined
from qi_capture.sync.admin import AdminProfile, parse_device_key


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
    enrol.set_defaults(handler=run_enrol)
    revoke = commands.add_parser("revoke", parents=[central_options()],
                                 help="refuse a device's bundles from now on")
    revoke.add_argument("device_id", metavar="DEVICE_ID")
    revoke.set_defaults(handler=run_revoke)


def _close_admin(central: CentralStore, admin: AdminProfile | None) -> None:
    if admin is not None and central.profile is None:
        admin.lock()


@command
def run_list(args: argparse.Namespace) -> int:
    with open_central(args) as central:
        rows = []
        for d in central.devices():
            gaps = central.device_gaps(d.id)
            clones = central.clone_alerts(d.id)
            rows.append({**d.to_json(), "gaps": gaps.to_json(),
                         "clone_alerts": [c.to_json() for c in clones]})
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        print("no devices")
    for r in rows:
        gaps = r["gaps"]
        notes = [f"missing {s['first']}-{s['last']}" for s in gaps["missing_seqs"]]
        notes += [f"{len(gaps['missing_manifests'])} missing bundle(s)"] if gaps[
            "missing_manifests"] else []
        notes += [f"{len(r['clone_alerts'])} clone alert(s)"] if r["clone_alerts"] else []
        notes += [f"{r['quarantined']} quarantined"] if r["quarantined"] else []
        print(f"{r['id']}  {r['status']:<8} {r['name'] or '-':<20} seq {r['last_seq']:<6} "
              f"bundles {r['bundles']:<4} {r['fingerprint'] or ''}"
              + (f"  [{'; '.join(notes)}]" if notes else ""))
    return EXIT_OK


@command
def run_enrol(args: argparse.Namespace) -> int:
    device_id = parse_uuid(args.device_id, "device id")
    with open_central(args) as central:
        admin = open_admin(args, central)
        try:
            waiting = central.quarantined(device_id)
            if args.device_key is not None:
                public_key = parse_device_key(args.device_key)
            else:
                keys = {q.public_key for q in waiting if q.public_key is not None}
                if len(keys) != 1:
                    raise CliError(
                        f"no quarantined bundle of device {device_id} gives its key: "
                        "give --device-key KEY (the key the laptop shows)"
                    )
                public_key = keys.pop()
            fingerprint = signing.fingerprint(public_key)
            device = central.enrol(device_id, name=args.name, fingerprint=fingerprint,
                                   public_key=public_key)
            if admin is not None:
                admin.enrol(public_key, args.name)
            print(f"enrolled {device.id} ({fingerprint})")
            refused = 0
            if waiting and admin is None:
                print(f"{len(waiting)} quarantined bundle(s) wait for the admin keys and "
                      "the quarantine folder: run this command again with --admin DIR")
            elif admin is not None:
                for sha, report in merge_quarantined(central, admin, device_id):
                    if report.outcome not in ("imported", "already_imported"):
                        refused += 1
                    print(f"quarantined bundle {sha[:16]}: {report.outcome}"
                          + (f": {report.new_revisions} new revisions"
                             if report.outcome == "imported" else "")
                          + (f" ({report.reason}: {report.message})"
                             if report.outcome == "refused" else ""))
                if waiting:
                    print("acknowledgements are written when the device's sync folder is "
                          "merged next")
        finally:
            _close_admin(central, admin)
    return EXIT_INVALID if refused else EXIT_OK


@command
def run_revoke(args: argparse.Namespace) -> int:
    device_id = parse_uuid(args.device_id, "device id")
    with open_central(args) as central:
        admin = open_admin(args, central)
        try:
            device = central.revoke(device_id)
            if admin is not None and device.fingerprint is not None:
                if device.public_key is not None:
                    admin.enrol(device.public_key, device.name)
                admin.revoke(device.fingerprint)
        finally:
            _close_admin(central, admin)
    print(f"revoked {device.id}: its bundles are refused from now on")
    return EXIT_OK
