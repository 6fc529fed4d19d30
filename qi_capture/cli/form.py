"""``qi-capture form ...``: working with XLSForm files without the app.

``form run FILE --answers A.json`` fills one headlessly (see ``form_run``).
``form check FILE [--json]`` loads a form the way the app imports it and prints either a
summary (title, id, version, questions by type, languages, warnings) or every error, one
per line as ``sheet/row/column: message``. Exit 0 when the form loads, 1 when it is
invalid, 2 when the file is missing or unreadable.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any

from qi_capture.cli import form_run
from qi_capture.services.form_files import FormError, Issue, check_form_file, issues


def register(groups: Any) -> None:
    group = groups.add_parser("form", help="check and run XLSForm files")
    commands = group.add_subparsers(dest="command", metavar="COMMAND", required=True)
    check = commands.add_parser(
        "check", help="load a form and report its summary, warnings or errors"
    )
    check.add_argument("file", metavar="FILE", help="an XLSForm (.xlsx, .xls, .md or .csv)")
    check.add_argument("--json", action="store_true", help="print JSON instead of text")
    check.set_defaults(handler=run_check)
    form_run.register(commands)


def run_check(args: argparse.Namespace) -> int:
    try:
        checked = check_form_file(args.file)
    except FormError as err:
        found = issues(err)
        unreadable = any(issue.unreadable for issue in found)
        if args.json:
            print(json.dumps([dict(issue.json) for issue in found], indent=2,
                             ensure_ascii=False))
        out = sys.stderr if unreadable else sys.stdout
        if unreadable or not args.json:
            for issue in found:
                print(format_issue(issue), file=out)
        return 2 if unreadable else 1
    if args.json:
        print(json.dumps(dict(checked.summary), indent=2, ensure_ascii=False))
    else:
        print(render_summary(checked.summary, checked.warnings))
    return 0


def format_issue(issue: Issue) -> str:
    """``sheet/row/column: message``, with ``-`` for an unknown part."""
    return f"{issue.where}: {issue.message}"


def render_summary(summary: Mapping[str, Any], warnings: tuple[Issue, ...]) -> str:
    by_type = ", ".join(f"{t} {n}" for t, n in summary["questions_by_type"].items())
    lines = [
        f"title: {summary['title']}",
        f"form_id: {summary['form_id']}",
        f"version: {summary['version'] or '-'}",
        f"questions: {summary['questions']} ({by_type})",
        f"groups: {summary['groups']}, repeats: {summary['repeats']}",
        f"languages: {', '.join(summary['languages']) or '-'}",
        f"warnings: {len(warnings)}",
    ]
    lines.extend(f"  {format_issue(w)}" for w in warnings)
    return "\n".join(lines)
