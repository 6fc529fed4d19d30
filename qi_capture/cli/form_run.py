"""``qi-capture form run FILE --answers ANSWERS.json``: fill a form without the app.

Applies the answers in file order (a JSON object of path -> value; repeat instances named
in a path are added as needed) through a real form session, then prints every relevant
field with its value (calculations included), every error, and the submission.
Exit 0 when the record could be finalised, 1 when errors remain (listed), 2 on a bad
form or a bad answer file (the message names the path and the problem).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from qi_capture.cli.common import CliError
from qi_capture.cli.json_file import read_json_object
from qi_capture.forms import FormError, load_form
from qi_capture.forms.session import AnswerError, FormSession
from qi_capture.forms.session.instance import FieldNode, iter_nodes
from qi_capture.forms.session.runtime import HIDDEN_TYPES

EXIT_OK, EXIT_INCOMPLETE, EXIT_BAD_INPUT = 0, 1, 2


def register(commands: Any) -> None:
    run = commands.add_parser(
        "run", help="fill a form from a JSON file of answers and print the result")
    run.add_argument("file", metavar="FILE", help="an XLSForm (.xlsx, .xls, .md or .csv)")
    run.add_argument("--answers", metavar="ANSWERS.json", required=True,
                     help="a JSON object of path -> value, applied in file order")
    run.add_argument("--language", metavar="L", help="language for labels and messages")
    run.add_argument("--json", action="store_true", help="print JSON instead of text")
    run.set_defaults(handler=run_form)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _read_answers(path: str) -> dict[str, Any]:
    try:
        return read_json_object(path, "the answer file", exit_code=EXIT_BAD_INPUT)
    except CliError as exc:
        raise ValueError(exc.message) from None


def run_form(args: argparse.Namespace) -> int:
    try:
        form = load_form(args.file)
    except FormError as err:
        for issue in err.errors:
            print(str(issue), file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        answers = _read_answers(args.answers)
    except ValueError as exc:
        return _fail(str(exc))
    try:
        session = form.new_session(language=args.language)
        for path, value in answers.items():
            session.ensure_instances(path)
            session.set(path, value)
    except AnswerError as exc:
        return _fail(f"{args.answers}: {exc.message}")

    fields = [
        {"path": node.path(), "value": node.raw,
         "calculated": node.element.calculation is not None}
        for node in iter_nodes(session.root)
        if isinstance(node, FieldNode) and node.relevant() and not _is_plumbing(node)
    ]
    errors = [{"path": i.path, "kind": i.kind, "message": i.message}
              for i in session.errors()]
    submission = session.to_submission(finalise=not errors)
    if args.json:
        print(json.dumps({"form_id": form.form_id, "complete": not errors, "fields": fields,
                          "errors": errors, "submission": submission},
                         indent=2, ensure_ascii=False))
    else:
        _print_text(session, fields, errors, submission)
    return EXIT_INCOMPLETE if errors else EXIT_OK


def _is_plumbing(node: FieldNode) -> bool:
    """Metadata the session fills itself (start, instanceID...) stays out of the listing,
    unless the form shows it."""
    element = node.element
    return element.type in HIDDEN_TYPES and element.calculation is None


def _print_text(session: FormSession, fields: list[dict[str, Any]],
                errors: list[dict[str, str]], submission: dict[str, Any]) -> None:
    form = session.form
    print(f"form: {form.title} ({form.form_id}, version {form.version or '-'})")
    print("fields:")
    for item in fields:
        mark = "  (calculated)" if item["calculated"] else ""
        print(f"  {item['path']} = {item['value']}{mark}")
    if errors:
        print(f"errors ({len(errors)}):")
        for error in errors:
            print(f"  {error['path']}: {error['message']}")
    else:
        print("errors: none (the record can be finalised)")
    print("submission:")
    print(json.dumps(submission, indent=2, ensure_ascii=False))
