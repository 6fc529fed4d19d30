"""``qi-capture report --central DIR_OR_URL [--study STUDY_ID] --out DIR
[--format html,pdf,pptx,json] [--by QUESTION] [--status approved]... [--min-cell 5]
[--invited invited.csv] [--language L]``

Makes the study's results report (who answered, every question charted, breakdowns,
what we heard in the interviews, the methods note) with disclosure control: no count
under ``--min-cell`` appears. ``--study`` may be left out when the central store holds
one study. The report itself is the admin door's (`AdminDesk.report`); this module only
parses arguments and prints.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from qi_capture.cli.central_glue import central_options, open_desk
from qi_capture.cli.common import EXIT_OK, CliError, command
from qi_capture.cli.terminal import long_work, quiet_option
from qi_capture.services.admin import REVIEW_STATUSES
from qi_capture.services.admin.report import FORMATS, command_line


def _formats(text: str) -> list[str]:
    chosen = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown) or '(none)'}: give some of "
            f"{','.join(FORMATS)}")
    return chosen


def _min_cell(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError("give a minimum cell size from 1 to 1000")
    return value


def register(groups: Any) -> None:
    parser = groups.add_parser("report", parents=[central_options(admin=False)],
                               help="make a study's results report (HTML, PDF, slides, "
                                    "JSON)")
    parser.add_argument("--study", metavar="STUDY_ID", default=None,
                        help="the study (may be left out when the store holds one)")
    parser.add_argument("--out", metavar="DIR", type=Path, required=True,
                        help="folder to write into (created if missing)")
    parser.add_argument("--format", type=_formats, default=list(FORMATS),
                        help=f"comma-separated formats (default: {','.join(FORMATS)})")
    parser.add_argument("--by", metavar="QUESTION", default=None,
                        help="break results down by this single- or multiple-choice "
                             "question (default: footprint); with a multiple-choice one a "
                             "respondent is in every group they chose")
    parser.add_argument("--status", action="append", choices=REVIEW_STATUSES, default=None,
                        help="only records with this review status (repeatable)")
    parser.add_argument("--min-cell", type=_min_cell, default=5,
                        help="never show a count under this (default 5)")
    parser.add_argument("--invited", metavar="CSV", type=Path, default=None,
                        help="invited organisations (columns name, footprint, type): "
                             "response rates and who has not answered yet")
    parser.add_argument("--language", default=None,
                        help="labels in this language (default: each form's default)")
    parser.add_argument("--json", action="store_true",
                        help="print what was written as JSON")
    quiet_option(parser)
    parser.set_defaults(handler=run_report)


@command
def run_report(args: argparse.Namespace) -> int:
    if args.invited is not None and not args.invited.is_file():
        raise CliError(f"the invited list {args.invited} is not a file")
    with open_desk(args) as desk, long_work("report", quiet=args.json or args.quiet) as work:
        result = desk.report(args.out, study_id=args.study, formats=args.format, by=args.by,
                             statuses=args.status, min_cell=args.min_cell,
                             invited=args.invited, language=args.language,
                             command=command_line(None), progress=work.progress,
                             cancel=work.cancel)
    report = result.report
    if args.json:
        print(json.dumps({"study_id": report.study_id, "out_dir": str(result.out_dir),
                          "files": [str(p) for p in result.files],
                          "forms": {f.form_id: f.included for f in report.methods.forms}},
                         indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"report of study {report.study_id} written to {result.out_dir}")
    for form in report.methods.forms:
        print(f"  {form.title}: {form.included} records")
    print(f"  {len(report.charts())} charts; no count under {args.min_cell} shown")
    for path in result.files:
        print(f"  {path.name}")
    return EXIT_OK
