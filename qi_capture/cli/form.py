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
from collections import Counter
from typing import Any

from qi_capture.cli import form_run
from qi_capture.forms import Form, FormError, FormIssue, load_form
from qi_capture.forms.errors import FILE_UNREADABLE
from qi_capture.forms.model import Element

#: Fields pyxform adds to every form; not questions of the author's.
_GENERATED_META = frozenset({"instanceID", "instanceName"})


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
        form = load_form(args.file)
    except FormError as err:
        unreadable = any(issue.code == FILE_UNREADABLE for issue in err.errors)
        if args.json:
            print(json.dumps([issue.to_json() for issue in err.errors], indent=2,
                             ensure_ascii=False))
        out = sys.stderr if unreadable else sys.stdout
        if unreadable or not args.json:
            for issue in err.errors:
                print(format_issue(issue), file=out)
        return 2 if unreadable else 1
    summary = summarise(form)
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        print(render_summary(summary, form.warnings))
    return 0


def format_issue(issue: FormIssue) -> str:
    """``sheet/row/column: message``, with ``-`` for an unknown part."""
    where = "/".join(str(part) if part else "-" for part in (issue.sheet, issue.row,
                                                            issue.column))
    return f"{where}: {issue.message}"


def question_counts(form: Form) -> dict[str, int]:
    counts = Counter(
        e.type for e in form.fields()
        if not (e.path[0] == "meta" and e.name in _GENERATED_META)
    )
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _is_meta(element: Element) -> bool:
    return element.path == ("meta",) and all(c.name in _GENERATED_META
                                             for c in element.children)


def summarise(form: Form) -> dict[str, Any]:
    counts = question_counts(form)
    return {
        "title": form.title,
        "form_id": form.form_id,
        "version": form.version,
        "questions": sum(counts.values()),
        "questions_by_type": counts,
        "groups": sum(1 for e in form.elements() if e.kind == "group" and not _is_meta(e)),
        "repeats": sum(1 for e in form.elements() if e.kind == "repeat"),
        "languages": list(form.languages),
        "default_language": form.default_language,
        "warnings": [w.to_json() for w in form.warnings],
    }


def render_summary(summary: dict[str, Any], warnings: tuple[FormIssue, ...]) -> str:
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
