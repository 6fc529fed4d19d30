"""``qi-capture export --central DIR_OR_URL --form FORM_ID --format csv|xlsx|sav|dta|parquet
--out DIR [--status approved]... [--language L] [--form-file F.xlsx]...
[--headers names|labels] [--values names|labels] [--group-prefix] [--csv-raw]
[--attachments]``

Exports every record of the form (every form version in one table set: main form, one
table per repeat, the audit log) with ``codebook.csv`` and ``export_report.txt/.json``.
The form definitions come from the central store; ``--form-file`` adds versions to it
(kept for later exports). ``--attachments`` also writes the exported records'
attachments (interview recordings among them), decrypted, under
``attachments/<record id>/``. The exported files are NOT encrypted: the command says so.

Progress (records read) on stderr; Ctrl+C stops between batches of records and writes
nothing (exit 130). The export itself is the admin door's (`AdminDesk.export`); this
module only parses arguments and prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from qi_capture.cli.central_glue import central_options, open_desk
from qi_capture.cli.common import EXIT_OK, CliError, command
from qi_capture.cli.terminal import long_work, quiet_option
from qi_capture.services.admin import REVIEW_STATUSES
from qi_capture.services.admin.exports import (
    FORMATS,
    HEADERS,
    NOT_ENCRYPTED,
    VALUES,
    ExportOptions,
)
from qi_capture.services.central_forms import read_form_file


def register(groups: Any) -> None:
    parser = groups.add_parser("export", parents=[central_options(admin=False)],
                               help="export a form's records for analysis")
    parser.add_argument("--form", metavar="FORM_ID", required=True, help="the form's id")
    parser.add_argument("--format", choices=FORMATS, required=True)
    parser.add_argument("--out", metavar="DIR", type=Path, required=True,
                        help="folder to write into (created if missing)")
    parser.add_argument("--status", action="append", choices=REVIEW_STATUSES, default=None,
                        help="only records with this review status (repeatable)")
    parser.add_argument("--language", default=None,
                        help="labels in this language (default: the form's default)")
    parser.add_argument("--form-file", metavar="F", action="append", type=Path, default=[],
                        help="an XLSForm version of the form to add to the central store")
    parser.add_argument("--headers", choices=HEADERS, default="names",
                        help="column headers: the form's names or its labels (csv, xlsx, "
                             "parquet)")
    parser.add_argument("--values", choices=VALUES, default="names",
                        help="select answers as choice names or labels (csv, xlsx, parquet; "
                             "SPSS and Stata hold codes with value labels)")
    parser.add_argument("--group-prefix", action="store_true",
                        help="name columns by their whole path (group/question)")
    parser.add_argument("--csv-raw", action="store_true",
                        help="write CSV cells as entered, without neutralising cells a "
                             "spreadsheet would run as a formula (said in the export report)")
    parser.add_argument("--attachments", action="store_true",
                        help="also write the records' attachments (recordings, photos), "
                             "decrypted, under attachments/<record id>/ (NOT encrypted)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    quiet_option(parser)
    parser.set_defaults(handler=run_export)


def _read_form(path: Path) -> bytes:
    try:
        return read_form_file(path)  # at most a form's size limit, whatever the file
    except OSError as exc:
        raise CliError(f"cannot read the form file {path}: {exc.strerror}") from None


@command
def run_export(args: argparse.Namespace) -> int:
    forms = [(p.name, _read_form(p)) for p in args.form_file]  # before any store opens
    with open_desk(args) as desk, long_work("export", quiet=args.json or args.quiet) as work:
        if forms:
            desk.add_forms(forms)
        result = desk.export(
            args.form, args.format, args.out, statuses=args.status, language=args.language,
            options=ExportOptions(headers=args.headers, values=args.values,
                                  group_prefix=args.group_prefix, csv_raw=args.csv_raw),
            progress=lambda done, total, _message="": work.progress(
                done, total, "reading records" if done < total else "writing the files"),
            cancel=work.cancel,
            attachments=args.attachments,
        )
    if args.json:
        print(json.dumps(dict(result.report), indent=2, ensure_ascii=False))
    else:
        report = result.report
        print(f"exported {report['included']} records of {args.form} "
              f"({report['excluded_total']} excluded) to {args.out}")
        for name, rows in report["rows"].items():
            print(f"  {name}: {rows} rows")
        if "attachments" in report:
            att = report["attachments"]
            print(f"  attachments: {att['files']} files of {att['records']} records "
                  f"in {args.out / att['folder']}")
        for warning in report["warnings"][1:]:
            print(f"warning: {warning}")
    print(NOT_ENCRYPTED, file=sys.stderr)
    return EXIT_OK
