"""``qi-capture study ...``: add XLSForms to a profile, list its studies and forms.

``study add FILE.xlsx...`` compiles each file and stores its bytes, hash, compiled form
and version (the same file again is reported as already stored). Every file is tried;
the exit code is the worst one (1 an invalid form, 2 a missing file).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from qi_capture.cli import common, pack
from qi_capture.cli.common import EXIT_OK, command
from qi_capture.cli.tables import Column, print_table
from qi_capture.errors import QICaptureError
from qi_capture.services.studies import LOCAL_STUDY_ID


def register(groups: Any) -> None:
    group = groups.add_parser("study", help="add and list the forms of a profile")
    commands = group.add_subparsers(dest="command", metavar="COMMAND", required=True)

    add = commands.add_parser("add", parents=[common.profile_options()],
                              help="add XLSForm files to the profile")
    add.add_argument("files", metavar="FILE", nargs="+", help="XLSForm (.xlsx, .xls, .md, .csv)")
    add.add_argument("--study", metavar="ID", default=LOCAL_STUDY_ID,
                     help=f"the study the forms belong to (default: {LOCAL_STUDY_ID})")
    add.add_argument("--study-title", metavar="TITLE", default=None)
    add.set_defaults(handler=run_add)

    listing = commands.add_parser("list", parents=[common.profile_options()],
                                  help="list the studies and form versions in the profile")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)

    pack.register_study_commands(commands)


@command
def run_add(args: argparse.Namespace) -> int:
    worst = EXIT_OK
    with common.unlock(args) as ctx:
        for file in args.files:
            try:
                added = ctx.studies.add_form_file(
                    file, study_id=args.study, study_title=args.study_title
                )
            except QICaptureError as error:
                print(f"{file}:", flush=True)
                worst = max(worst, common.report(error))
                continue
            form = added.form
            state = "added" if added.created else "already stored"
            print(f"{file}: {state}: {form.study_id}/{form.form_id} version {form.version} "
                  f"(form version {form.id})")
            for warning in added.warnings:
                print(f"  warning: {warning}")
    return worst


@command
def run_list(args: argparse.Namespace) -> int:
    with common.unlock(args) as ctx:
        studies = ctx.studies.overview()
    if args.json:
        print(json.dumps([
            {"id": s.id, "title": s.title, "has_pack": s.has_pack, "records": s.records,
             "forms": [{"form_version_id": f.id, "form_id": f.form_id, "version": f.version,
                        "title": f.title, "sha256": f.sha256}
                       for f in s.forms]}
            for s in studies
        ], indent=2, ensure_ascii=False))
        return EXIT_OK
    rows = []
    for s in studies:
        pack = "yes" if s.has_pack else "no: records stay here"
        for f in s.forms:
            rows.append((s.id, s.title, pack, str(s.records), f.form_id, f.version, str(f.id),
                         f.title))
        if not s.forms:
            rows.append((s.id, s.title, pack, str(s.records), "-", "-", "-", "-"))
    if not rows:
        print("no studies")
        return EXIT_OK
    print_table(
        [Column("STUDY"), Column("TITLE", wrap=True), Column("PACK", wrap=True),
         Column("RECORDS", right=True), Column("FORM"), Column("VERSION"),
         Column("FORM VERSION", right=True), Column("FORM TITLE", wrap=True)],
        rows,
    )
    return EXIT_OK
