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
from qi_capture.services.form_files import (
    AnswerError,
    FormError,
    FormRun,
    issues,
    load_form_file,
    run_form_file,
)

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
        load_form_file(args.file)  # the form's problems first, then the answers'
    except FormError as err:
        for issue in issues(err):
            print(issue.text, file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        answers = _read_answers(args.answers)
    except ValueError as exc:
        return _fail(str(exc))
    try:
        run = run_form_file(args.file, answers, args.language)
    except AnswerError as exc:
        return _fail(f"{args.answers}: {exc.message}")
    if args.json:
        print(json.dumps({"form_id": run.form_id, "complete": not run.errors,
                          "fields": list(run.fields), "errors": list(run.errors),
                          "submission": run.submission},
                         indent=2, ensure_ascii=False))
    else:
        _print_text(run)
    return EXIT_INCOMPLETE if run.errors else EXIT_OK


def _print_text(run: FormRun) -> None:
    print(f"form: {run.title} ({run.form_id}, version {run.version or '-'})")
    print("fields:")
    for item in run.fields:
        mark = "  (calculated)" if item["calculated"] else ""
        print(f"  {item['path']} = {item['value']}{mark}")
    if run.errors:
        print(f"errors ({len(run.errors)}):")
        for error in run.errors:
            print(f"  {error['path']}: {error['message']}")
    else:
        print("errors: none (the record can be finalised)")
    print("submission:")
    print(json.dumps(run.submission, indent=2, ensure_ascii=False))
