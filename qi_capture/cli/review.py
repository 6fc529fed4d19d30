"""``qi-capture review ...``: the admin's review state of merged records, as ODK Central and
SurveyCTO offer (received, has issues, approved, rejected, with comments). Exports filter
on it (``export --status approved``).

- ``list --form FORM_ID [--status S] [--json]``: the form's records with their state;
- ``show RECORD_ID [--json]``: a record's state and its comment history;
- ``set RECORD_ID STATUS [--comment TEXT]``: change the state (kept in the audit log).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from qi_capture.central.dto import ReviewInfo
from qi_capture.central.models import REVIEW_STATUSES
from qi_capture.cli.common import EXIT_OK, command, parse_uuid
from qi_capture.cli.merge import central_options, open_central


def register(groups: Any) -> None:
    group = groups.add_parser("review", help="review states of merged records")
    commands = group.add_subparsers(dest="command", metavar="COMMAND", required=True)
    options = central_options(admin=False)
    listing = commands.add_parser("list", parents=[options], help="a form's records and states")
    listing.add_argument("--form", metavar="FORM_ID", required=True)
    listing.add_argument("--status", choices=REVIEW_STATUSES, default=None)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)
    show = commands.add_parser("show", parents=[options], help="a record's state and comments")
    show.add_argument("record_id", metavar="RECORD_ID")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)
    change = commands.add_parser("set", parents=[options], help="change a record's state")
    change.add_argument("record_id", metavar="RECORD_ID")
    change.add_argument("status", metavar="STATUS", choices=REVIEW_STATUSES,
                        help=" | ".join(REVIEW_STATUSES))
    change.add_argument("--comment", default="", help="why (kept with the state)")
    change.set_defaults(handler=run_set)


def _review_json(info: ReviewInfo) -> dict[str, Any]:
    return {
        "record_id": str(info.record_id),
        "status": info.status,
        "updated": info.updated.isoformat(),
        "by": info.by,
        "comments": [{"at": at.isoformat(), "by": by, "status": status, "comment": comment}
                     for at, by, status, comment in info.comments],
    }


@command
def run_list(args: argparse.Namespace) -> int:
    with open_central(args) as central:
        rows = [
            {"record_id": str(r.record_id), "status": r.review_status,
             "interviewer": r.interviewer, "submitted": r.submitted,
             "in_conflict": r.in_conflict}
            for r in central.export_records(args.form)
            if not r.deleted and (args.status is None or r.review_status == args.status)
        ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        print("no records")
    for row in rows:
        conflict = "  [in conflict]" if row["in_conflict"] else ""
        print(f"{row['record_id']}  {row['status']:<10} {row['interviewer']:<20} "
              f"{row['submitted']}{conflict}")
    return EXIT_OK


@command
def run_show(args: argparse.Namespace) -> int:
    record_id = parse_uuid(args.record_id, "record id")
    with open_central(args) as central:
        info = central.review(record_id)
    if args.json:
        print(json.dumps(_review_json(info), indent=2))
        return EXIT_OK
    print(f"{info.record_id}: {info.status} (since {info.updated:%Y-%m-%d %H:%M}"
          + (f", by {info.by})" if info.by else ")"))
    for at, by, status, comment in info.comments:
        print(f"  {at:%Y-%m-%d %H:%M}  {by or '-'}: {status}" + (f" - {comment}" if comment
                                                                  else ""))
    return EXIT_OK


@command
def run_set(args: argparse.Namespace) -> int:
    record_id = parse_uuid(args.record_id, "record id")
    with open_central(args) as central:
        info = central.set_review(record_id, args.status, args.comment)
    print(f"{info.record_id}: {info.status}")
    return EXIT_OK
