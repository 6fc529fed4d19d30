"""``qi-capture conflicts list|show|resolve --central DIR_OR_URL``, through the admin door
(`qi_capture.services.admin.AdminDesk`); this module only parses arguments and prints.

- ``list [--all] [--json]``: open conflicts (``--all``: resolved and superseded too);
- ``show ID [--language L] [--json]``: the heads side by side, the answers whose values
  differ marked, under their questions' labels; the displayed winner;
- ``resolve ID (--keep REV | --merge FILE) --reason TEXT``: write the resolution revision
  (parents: all heads). ``FILE`` is a JSON object of answers (path -> value). IDs may be
  shortened to any unique prefix.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from qi_capture.cli.central_glue import central_options, open_desk
from qi_capture.cli.common import EXIT_OK, command
from qi_capture.cli.json_file import read_json_object
from qi_capture.cli.tables import Column, print_table, short_ids
from qi_capture.services.dto import JsonValue


def register(groups: Any) -> None:
    group = groups.add_parser("conflicts", help="list, show and resolve conflicting edits")
    commands = group.add_subparsers(dest="command", metavar="COMMAND", required=True)
    listing = commands.add_parser("list", parents=[central_options(admin=False)],
                                  help="list conflicts")
    listing.add_argument("--all", action="store_true", help="resolved ones too")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)
    show = commands.add_parser("show", parents=[central_options(admin=False)],
                               help="show a conflict's heads")
    show.add_argument("conflict_id", metavar="ID")
    show.add_argument("--language", metavar="L", default=None,
                      help="the form language of the labels (default: the form's)")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)
    resolve = commands.add_parser("resolve", parents=[central_options(admin=False)],
                                  help="resolve a conflict with a new revision")
    resolve.add_argument("conflict_id", metavar="ID")
    how = resolve.add_mutually_exclusive_group(required=True)
    how.add_argument("--keep", metavar="REV", help="keep this head's answers")
    how.add_argument("--merge", metavar="FILE", type=Path,
                     help="a JSON file with the merged answers")
    resolve.add_argument("--reason", metavar="TEXT", required=True,
                         help="why (kept in the resolution and the audit log)")
    resolve.set_defaults(handler=run_resolve)


@command
def run_list(args: argparse.Namespace) -> int:
    with open_desk(args) as desk:
        items = desk.conflicts(None if args.all else "open")
        titles = {} if args.json else desk.record_titles([c.record_id for c in items])
    if args.json:
        print(json.dumps([c.to_json() for c in items], indent=2))
        return EXIT_OK
    if not items:
        print("no open conflicts" if not args.all else "no conflicts")
        return EXIT_OK
    shown = short_ids([c.id for c in items], minimum=12)
    print_table(
        [Column("ID"), Column("STATUS"), Column("KIND", wrap=True), Column("RECORD", wrap=True),
         Column("RECORD ID"), Column("HEADS", right=True), Column("WINNER"),
         Column("OPENED")],
        [(shown[c.id], c.status, c.kind.replace("_", " "),
          titles.get(c.record_id, "(not listed)"), str(c.record_id)[:8], str(len(c.heads)),
          c.winner[:12], f"{c.opened:%Y-%m-%d %H:%M}") for c in items],
    )
    return EXIT_OK


@command
def run_show(args: argparse.Namespace) -> int:
    with open_desk(args) as desk:
        view = desk.conflict(args.conflict_id, language=args.language)
    if args.json:
        print(json.dumps(view.to_json(), indent=2, ensure_ascii=False))
        return EXIT_OK
    c = view.conflict
    name = f" ({view.record.title})" if view.record is not None else ""
    print(f"conflict {c.id}\nrecord {c.record_id}{name}\nkind {c.kind}, status {c.status}")
    print(f"displayed winner: {c.winner}")
    for h, device in zip(view.detail.heads, view.head_devices, strict=True):
        print(f"head {h.id}: device {device} ({h.device_id}) seq {h.device_seq}, {h.created}, "
              f"{h.interviewer}" + (" (deletion)" if h.deleted else ""))
    heads = [h.id[:8] for h in view.detail.heads]
    for line in view.lines:
        if not line.differs:
            continue
        values = " | ".join(f"{head}={json.dumps(text, ensure_ascii=False)}"
                            for head, text in zip(heads, line.texts, strict=True))
        label = f"  ({line.label})" if line.label != line.path else ""
        print(f"* {line.path}: {values}{label}")
    same = [line for line in view.lines if not line.differs]
    if same:
        print(f"{len(same)} other answer(s) are the same in every head")
    if c.status == "resolved":
        print(f"resolved by {c.resolution}: {c.reason}")
    return EXIT_OK


def _merged(path: Path) -> dict[str, JsonValue]:
    return read_json_object(path, "the merged answers file")


@command
def run_resolve(args: argparse.Namespace) -> int:
    merged = _merged(args.merge) if args.merge is not None else None
    with open_desk(args) as desk:
        info = desk.resolve(args.conflict_id, keep=args.keep, merged=merged, reason=args.reason)
    print(f"resolved {info.id[:12]}: revision {info.resolution}")
    return EXIT_OK
