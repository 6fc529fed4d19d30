"""``qi-capture merge --central DIR_OR_URL BUNDLE_OR_FOLDER... [--json]``: import bundles
into the central store (the work is `qi_capture.services.merge`), and the glue every
central command shares.

``--central`` is the central folder (its ``admin/`` profile, unlocked with the admin
passphrase, holds both the keys and, by default, the central tables) or a PostgreSQL URL;
with a URL, ``--admin DIR`` names the central folder whose keys open the bundles.
Exit codes: 0 every bundle imported or already imported; 1 some bundle refused; 2 the
command could not run; 3 none refused but some quarantined (their devices are not
enrolled yet: ``qi-capture devices enrol``, after checking the fingerprint with the
interviewer).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from qi_capture.central.store import CentralStore, is_url
from qi_capture.cli import common
from qi_capture.cli.common import EXIT_INVALID, EXIT_OK, EXIT_QUARANTINED, CliError, command
from qi_capture.services.merge import MergeRun, find_bundles, merge_files
from qi_capture.sync.admin import AdminProfile
from qi_capture.sync.errors import enrol_command


# -- shared by the central commands ---------------------------------------------------------
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


def open_central(args: argparse.Namespace) -> CentralStore:
    target = str(args.central)
    if is_url(target):
        return CentralStore.open(target)
    return CentralStore.open(target, common.read_passphrase(args))


def open_admin(args: argparse.Namespace, central: CentralStore) -> AdminProfile | None:
    """The admin keys: the central folder's own profile, or ``--admin DIR``'s."""
    if central.profile is not None:
        return AdminProfile(central.profile)
    admin_dir = getattr(args, "admin", None)
    if admin_dir is None:
        return None
    return AdminProfile.open(Path(admin_dir), common.read_passphrase(args))


# -- the command ---------------------------------------------------------------------------
def register(groups: Any) -> None:
    parser = groups.add_parser(
        "merge", parents=[central_options()], help="merge bundles into the central store"
    )
    parser.add_argument("paths", nargs="+", metavar="BUNDLE_OR_FOLDER",
                        help="bundle files, or folders holding *.qibundle files")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--no-ack", action="store_true",
                        help="do not write acknowledgements into the sync folders")
    parser.set_defaults(handler=run_merge)


@command
def run_merge(args: argparse.Namespace) -> int:
    files = find_bundles(args.paths)
    with open_central(args) as central:
        admin = open_admin(args, central)
        if admin is None:
            raise CliError("the bundles cannot be opened without the admin keys: with a "
                           "PostgreSQL URL, give --admin DIR (the central folder)")
        try:
            run = merge_files(central, admin, files, write_acks=not args.no_ack)
        finally:
            if central.profile is None:
                admin.lock()
    if args.json:
        print(json.dumps(render_json(run), indent=2))
    else:
        print(render_text(run))
    if run.refused:
        return EXIT_INVALID
    return EXIT_QUARANTINED if _quarantined(run) else EXIT_OK


def _quarantined(run: MergeRun) -> int:
    return sum(1 for r in run.reports if r.outcome == "quarantined")


def render_json(run: MergeRun) -> dict[str, Any]:
    return {
        "bundles": [r.to_json() for r in run.reports],
        "devices": [
            {**g.to_json(),
             "clone_alerts": [c.to_json() for c in run.clones if c.device_id == g.device_id]}
            for g in run.gaps
        ],
        "acknowledgements": [{"device_id": str(d), "file": str(p)} for d, p in run.ack_files],
        "cancelled": run.cancelled,
        "totals": {
            outcome: sum(1 for r in run.reports if r.outcome == outcome)
            for outcome in ("imported", "already_imported", "quarantined", "refused")
        },
    }


def render_text(run: MergeRun) -> str:
    lines: list[str] = []
    for r in run.reports:
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
    for g in run.gaps:
        problems = [f"missing sequence {s.first}-{s.last}" for s in g.missing_seqs]
        problems += [f"missing the bundle with manifest {h[:16]}" for h in g.missing_manifests]
        problems += [
            f"clone alert: sequence {c.device_seq} arrived as {len(c.revisions)} different "
            "revisions"
            for c in run.clones if c.device_id == g.device_id
        ]
        lines.append(f"device {g.device_id}: " + ("; ".join(problems) or "complete"))
    for device_id, path in run.ack_files:
        lines.append(f"acknowledgement for device {device_id}: {path}")
    totals = render_json(run)["totals"]
    lines.append(", ".join(f"{v} {k.replace('_', ' ')}" for k, v in totals.items()))
    waiting = sorted({str(r.device_id) for r in run.reports
                      if r.outcome == "quarantined" and r.device_id is not None})
    if waiting:
        lines.append("Quarantined bundles wait for their device to be enrolled. Check each "
                     "fingerprint with its interviewer (Help > About this laptop in their "
                     "app), then run:")
        lines.extend(f"  {enrol_command(d)}" for d in waiting)
    return "\n".join(lines)
