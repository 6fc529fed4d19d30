"""``qi-capture review ...``: the admin's review of merged records, as ODK Central and
SurveyCTO offer (received, has issues, approved, rejected, with comments), through the
admin door (`qi_capture.services.admin.AdminDesk`); this module only parses arguments and
prints. Exports filter on the state (``export --status approved``).

- ``list --form FORM_ID [--status S] [--device D] [--search TEXT] [--offset N]
  [--limit N] [--json]``: the form's records by instance name and short id, with state;
- ``show RECORD_ID [--language L] [--json]``: the record's answers under their
  questions' labels, section by section; its revisions (who, when); attachments; its
  review state and comment history;
- ``set RECORD_ID STATUS [--comment TEXT]``: change the state (kept in the audit log).

``RECORD_ID`` may be the whole id or any unique prefix of at least four hex digits (the
short id ``list`` shows).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from qi_capture.cli.central_glue import central_options, open_desk
from qi_capture.cli.common import EXIT_OK, command
from qi_capture.cli.tables import Column, print_table
from qi_capture.services.admin import REVIEW_STATUSES
from qi_capture.services.admin.dto import RecordDetail


def register(groups: Any) -> None:
    group = groups.add_parser("review", help="review states of merged records")
    commands = group.add_subparsers(dest="command", metavar="COMMAND", required=True)
    options = central_options(admin=False)
    listing = commands.add_parser("list", parents=[options], help="a form's records and states")
    listing.add_argument("--form", metavar="FORM_ID", required=True)
    listing.add_argument("--status", choices=REVIEW_STATUSES, default=None)
    listing.add_argument("--device", metavar="DEVICE_ID", default=None,
                         help="only this device's records (an id or a prefix of it)")
    listing.add_argument("--search", metavar="TEXT", default=None,
                         help="only records whose name, interviewer or answers hold TEXT")
    listing.add_argument("--offset", metavar="N", type=int, default=0,
                         help="skip the first N records")
    listing.add_argument("--limit", metavar="N", type=int, default=None,
                         help="show at most N records")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)
    show = commands.add_parser("show", parents=[options],
                               help="a record's answers, revisions and review")
    show.add_argument("record_id", metavar="RECORD_ID")
    show.add_argument("--language", metavar="L", default=None,
                      help="the form language of the labels (default: the form's)")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)
    change = commands.add_parser("set", parents=[options], help="change a record's state")
    change.add_argument("record_id", metavar="RECORD_ID")
    change.add_argument("status", metavar="STATUS", choices=REVIEW_STATUSES,
                        help=" | ".join(REVIEW_STATUSES))
    change.add_argument("--comment", default="", help="why (kept with the state)")
    change.set_defaults(handler=run_set)


@command
def run_list(args: argparse.Namespace) -> int:
    with open_desk(args) as desk:
        page = desk.records(args.form, status=args.status, device=args.device,
                            search=args.search, offset=args.offset, limit=args.limit)
    if args.json:
        print(json.dumps([r.to_json() for r in page.rows], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not page.rows:
        print("no records")
    else:
        print_table(
            [Column("ID"), Column("NAME", wrap=True), Column("REVIEW"),
             Column("INTERVIEWER", wrap=True), Column("DEVICE", wrap=True),
             Column("SUBMITTED"), Column("NOTES")],
            [(row.short_id, row.instance_name or "-", row.review_status.replace("_", " "),
              row.interviewer or "-", row.device_name or "-", row.submitted[:16].replace("T", " "),
              ", ".join(n for n, on in (("in conflict", row.in_conflict),
                                        ("deleted", row.deleted)) if on) or "-")
             for row in page.rows],
        )
    if page.rows and page.total is not None and len(page.rows) < page.total:
        print(f"records {page.offset + 1}-{page.offset + len(page.rows)} of {page.total}")
    return EXIT_OK


def render_text(detail: RecordDetail) -> str:
    """The record as ``review show`` prints it."""
    row, review = detail.row, detail.review
    lines = [
        f"{row.title}  (record {row.record_id})",
        f"form {detail.form_title} ({row.form_id}), version {row.form_version}"
        + ("" if detail.form_version_known else
           "  (this version is not known here: labelled with the newest known, if any)"),
        f"device {row.device_name or row.device_id}, interviewer {row.interviewer}, "
        f"submitted {row.submitted}, updated {row.updated}"
        + ("  [in conflict]" if row.in_conflict else "") + ("  [deleted]" if row.deleted else ""),
        f"review: {review.status} (since {review.updated:%Y-%m-%d %H:%M}"
        + (f", by {review.by})" if review.by else ")"),
    ]
    for at, by, status, comment in review.comments:
        lines.append(f"  {at:%Y-%m-%d %H:%M}  {by or '-'}: {status}"
                     + (f" - {comment}" if comment else ""))
    if detail.conflict_id:
        lines.append(f"open conflict {detail.conflict_id[:12]}: qi-capture conflicts show "
                     f"--central CENTRAL {detail.conflict_id[:12]}")
    if detail.language:
        lines.append(f"language: {detail.language}"
                     + (f" (also {', '.join(x for x in detail.languages if x != detail.language)})"
                        if len(detail.languages) > 1 else ""))
    lines.append("")
    for number, section in enumerate(detail.sections):
        indent = "  " * max(section.depth - 1, 0)
        if section.title:
            lines.append(f"{indent}== {section.title} ==")
        elif number:  # back at the top level after a group or repeat
            lines.append(f"== {detail.form_title} ==")
        for item in section.items:
            if item.kind == "note":
                lines.append(f"{indent}  ({item.label})")
            else:
                mark = "  (calculated)" if item.kind == "calculated" else ""
                lines.append(f"{indent}  {item.label}: {item.text}{mark}")
    if not detail.sections:
        lines.append("  (no answers)")
    lines.append("")
    lines.append("revisions:")
    for r in detail.revisions:
        what = "deleted" if r.deleted else f"{len(r.changed)} answer(s) changed"
        lines.append(f"  {r.created}  {r.id[:12]}  {r.kind:<10} device {r.device_name} "
                     f"seq {r.device_seq}, {r.interviewer}: {what}")
    if detail.attachments:
        lines.append("attachments:")
        for a in detail.attachments:
            lines.append(f"  {a.name} ({a.media_type}, {a.size} bytes)")
    return "\n".join(lines)


@command
def run_show(args: argparse.Namespace) -> int:
    with open_desk(args) as desk:
        detail = desk.record(args.record_id, language=args.language)
    if args.json:
        print(json.dumps(detail.to_json(), indent=2, ensure_ascii=False))
        return EXIT_OK
    print(render_text(detail))
    return EXIT_OK


@command
def run_set(args: argparse.Namespace) -> int:
    with open_desk(args) as desk:
        info = desk.set_review(args.record_id, args.status, args.comment)
    print(f"{info.record_id}: {info.status}")
    return EXIT_OK

