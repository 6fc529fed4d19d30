"""``qi-capture coding export|import|codes|agreement``: a study's thematic coding at the
central store.

- ``coding export --central C [--study S] --format qdpx|qdc|csv|codebook-csv --out FILE``
- ``coding import --central C [--study S] [--coder NAME] FILE.qdpx|FILE.qdc|FILE.csv``
- ``coding codes --central C [--study S] [--json]``: the codebook with counts
- ``coding agreement --central C [--study S] --coders A B [--json]``

``--study`` may be left out when the central store holds one study. Everything goes
through the admin door (`AdminDesk.coding`, `qi_capture.services.admin.coding`); this
module parses arguments and prints (ids, names of codes and counts; never passages).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from qi_capture.cli.central_glue import central_options, open_desk
from qi_capture.cli.common import EXIT_OK, command
from qi_capture.cli.terminal import long_work, quiet_option
from qi_capture.services.admin.coding import EXCHANGE_FORMATS as FORMATS
from qi_capture.services.admin.coding import CodeNode


def register(groups: Any) -> None:
    parser = groups.add_parser("coding", help="thematic coding of a study's interviews: "
                                              "codebook, agreement, REFI-QDA exchange")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def study(p: argparse.ArgumentParser) -> None:
        p.add_argument("--study", metavar="STUDY_ID", default=None,
                       help="the study (may be left out when the store holds one)")

    ex = commands.add_parser("export", parents=[central_options(admin=False)],
                             help="write the coding as a REFI-QDA project (.qdpx), "
                                  "codebook (.qdc) or CSV")
    study(ex)
    ex.add_argument("--format", choices=FORMATS, required=True,
                    help="qdpx (project), qdc (codebook), csv (coded passages), "
                         "codebook-csv")
    ex.add_argument("--out", metavar="FILE", type=Path, required=True,
                    help="the file to write (replaced if it exists; NOT encrypted)")
    quiet_option(ex)
    ex.set_defaults(handler=run_export)

    im = commands.add_parser("import", parents=[central_options(admin=False)],
                             help="bring in codes and codings from a .qdpx, or a codebook "
                                  "from a .qdc or .csv")
    study(im)
    im.add_argument("--coder", default=None,
                    help="who the import is by, for codings whose file names no user")
    im.add_argument("file", metavar="FILE", type=Path,
                    help="a .qdpx project, or a .qdc or .csv codebook")
    im.set_defaults(handler=run_import)

    codes = commands.add_parser("codes", parents=[central_options(admin=False)],
                                help="the codebook with counts of codings and interviews")
    study(codes)
    codes.add_argument("--retired", action="store_true", help="list retired codes too")
    codes.add_argument("--json", action="store_true", help="print JSON")
    codes.set_defaults(handler=run_codes)

    ag = commands.add_parser("agreement", parents=[central_options(admin=False)],
                             help="Cohen's kappa and percentage agreement per code "
                                  "between two coders")
    study(ag)
    ag.add_argument("--coders", nargs=2, metavar=("A", "B"), required=True,
                    help="the two coders to compare")
    ag.add_argument("--json", action="store_true", help="print JSON")
    ag.set_defaults(handler=run_agreement)


@command
def run_export(args: argparse.Namespace) -> int:
    with open_desk(args) as desk, long_work("coding export", quiet=args.quiet) as work:
        # One write (to a temporary name, then renamed): progress says which step runs;
        # Ctrl+C before it starts writes nothing.
        work.progress(0, 2, "reading the coding")
        coding = desk.coding(args.study)
        work.check()
        work.progress(1, 2, f"writing {args.format}")
        result = coding.export(args.format, args.out)
        work.progress(2, 2, "written")
    print(f"{args.format} written to {result.path}: {result.codes} codes, "
          f"{result.codings} codings, {result.memos} memos, {result.sources} interviews "
          "(not encrypted)")
    return EXIT_OK


@command
def run_import(args: argparse.Namespace) -> int:
    with open_desk(args) as desk:
        result = desk.coding(args.study, coder=args.coder).import_file(args.file)
    print(f"imported {args.file.name}: {result.codes} codes ({result.new_codes} new), "
          f"{result.codings} codings ({result.new_codings} new), {result.memos} memos")
    return EXIT_OK


def _node_json(node: CodeNode) -> dict[str, Any]:
    c = node.code
    return {"guid": str(c.guid), "name": c.name, "description": c.description,
            "colour": c.colour, "retired": c.retired, "tag": c.tag,
            "codings": node.codings, "interviews": node.interviews,
            "children": [_node_json(k) for k in node.children]}


@command
def run_codes(args: argparse.Namespace) -> int:
    with open_desk(args) as desk:
        coding = desk.coding(args.study)
        tree = coding.codebook(retired=args.retired)
        study_id = coding.study_id
    if args.json:
        print(json.dumps({"study_id": study_id, "codes": [_node_json(n) for n in tree]},
                         indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"codebook of study {study_id} (codings, interviews)")

    def show(node: CodeNode, depth: int) -> None:
        mark = " (retired)" if node.code.retired else ""
        print(f"{'  ' * (depth + 1)}{node.code.name}{mark}: {node.codings}, "
              f"{node.interviews}")
        for child in node.children:
            show(child, depth + 1)

    for node in tree:
        show(node, 0)
    if not tree:
        print("  (no codes yet)")
    return EXIT_OK


@command
def run_agreement(args: argparse.Namespace) -> int:
    a, b = args.coders
    with open_desk(args) as desk:
        result = desk.coding(args.study).agreement(a, b)
    if args.json:
        print(json.dumps({
            "coders": [a, b], "interviews": result.interviews, "units": result.units,
            "codes": [{"guid": str(c.code), "name": c.name, "units": c.units,
                       "both": c.both, "only_a": c.only_a, "only_b": c.only_b,
                       "neither": c.neither, "percent": c.percent, "kappa": c.kappa}
                      for c in result.codes],
            "differences": [{"code": str(d.code), "record_id": str(d.record_id),
                             "field": d.field} for d in result.differences]},
            indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"agreement of {a} and {b} over {result.units} answers of {result.interviews} "
          "interviews both coded")
    for c in result.codes:
        kappa = "n/a" if c.kappa is None else f"{c.kappa:.2f}"
        print(f"  {c.name}: {c.percent:.1f}% agreement, kappa {kappa} "
              f"(both {c.both}, only {a} {c.only_a}, only {b} {c.only_b}, "
              f"neither {c.neither})")
    print(f"  {len(result.differences)} answers where they differ")
    return EXIT_OK
