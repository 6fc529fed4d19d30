"""``qi-capture record ...``: fill, list and show records of a profile.

``record fill FORM_ID --answers ANSWERS.json [--finalise]`` creates a record through a
real form session with autosave, through the same door as the app (`RecordFill`): the
answers (a JSON object of path -> value) are applied in file order, repeat instances a
path names are added first, and every change is written before the next. For image,
audio, video and file questions the value names a file (relative to the answer file's
folder), which is stored encrypted as an attachment and answered with its name.
``--finalise`` then writes the revision, or lists what prevents it. A fill that fails
(exit 1 or 2) keeps no record: the answers file holds them all, to correct and run again.
Without ``--finalise`` the record stays a draft. ``FORM_ID`` may be ``STUDY/FORM_ID``,
with ``@VERSION``, or a form version number.

``record list [--json]`` and ``record show UUID [--json]`` print what is stored: ``list``
as a table with each record's shortest unique id prefix (8 characters or more), which
``show`` takes (any unique prefix of at least 4 will do; an ambiguous one is refused with
the ids it matches).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from qi_capture.cli import common
from qi_capture.cli.common import EXIT_OK, CliError, command
from qi_capture.cli.json_file import read_json_object
from qi_capture.cli.tables import Column, print_table, short_ids
from qi_capture.errors import QICaptureError
from qi_capture.services.dto import STAYS_ON_LAPTOP, RecordSummary, RecordView, record_state
from qi_capture.services.errors import CannotFinalise
from qi_capture.services.filling import RecordFill
from qi_capture.services.screen import Moved

MEDIA_TYPES = frozenset({"image", "audio", "video", "file", "background-audio"})


def register(groups: Any) -> None:
    group = groups.add_parser("record", help="fill, list and show records")
    commands = group.add_subparsers(dest="command", metavar="COMMAND", required=True)

    fill = commands.add_parser("fill", parents=[common.profile_options()],
                               help="create a record from a JSON file of answers")
    fill.add_argument("form", metavar="FORM_ID", help="form id (or STUDY/FORM_ID[@VERSION])")
    fill.add_argument("--answers", metavar="ANSWERS.json", required=True,
                      help="a JSON object of path -> value, applied in file order")
    fill.add_argument("--finalise", action="store_true",
                      help="finalise the record (a revision) if nothing prevents it")
    fill.add_argument("--language", metavar="L", default=None)
    fill.add_argument("--json", action="store_true", help="print JSON")
    fill.set_defaults(handler=run_fill)

    listing = commands.add_parser("list", parents=[common.profile_options()],
                                  help="list the records in the profile")
    listing.add_argument("--status", choices=("draft", "finalised", "sent", "acknowledged"))
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)

    show = commands.add_parser("show", parents=[common.profile_options()],
                               help="show one record: answers, revisions, attachments")
    show.add_argument("record", metavar="UUID")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)


def _read_answers(path: str) -> dict[str, Any]:
    return read_json_object(path, "the answer file")


def _apply(fill: RecordFill, path: str, value: Any, base: Path) -> None:
    if fill.answer_type(path) in MEDIA_TYPES and isinstance(value, str) and value:
        file = base / value
        try:
            file.open("rb").close()
        except OSError as exc:
            raise CliError(f"cannot read the file for '{path}': {file}: {exc.strerror}") from None
        fill.attach(path, str(file))
    else:
        fill.set_answer(path, value)


@command
def run_fill(args: argparse.Namespace) -> int:
    answers = _read_answers(args.answers)
    base = Path(args.answers).resolve().parent
    with common.unlock(args) as ctx:
        form = ctx.studies.resolve(args.form)
        record = ctx.records.create(form.id, language=args.language)
        fill = RecordFill(record)
        try:
            for path, value in answers.items():
                _apply(fill, path, value, base)
            errors = fill.problems()
            revision = None
            if args.finalise:
                outcome = fill.finalise()
                if isinstance(outcome, Moved):
                    raise CannotFinalise(str(record.record_id), [
                        (p.path, p.kind, p.message) for p in outcome.problems])
                revision = outcome
        except QICaptureError as error:
            # A half-applied answers file is no one's draft: the file still holds every
            # answer, so nothing is lost by removing it (and no stray record is left
            # behind in the list or the next sync).
            record.close()
            ctx.records.delete_draft(record.record_id)
            code = common.report(error)
            print("no record was kept: correct the answers file and run the command again",
                  file=sys.stderr)
            return code
        record.close()
        summary = ctx.records.summary(record.record_id)
    if args.json:
        print(json.dumps({
            "record_id": str(summary.id), "status": summary.status,
            "form": f"{form.study_id}/{form.form_id}", "form_version": form.version,
            "revision_id": None if revision is None else revision.id,
            "remaining_errors": [{"path": i.path, "kind": i.kind} for i in errors],
        }, indent=2))
    else:
        print(f"record {summary.id} {summary.status}"
              + ("" if revision is None else f" (revision {revision.id})"))
        if revision is None and errors:
            print(f"{len(errors)} question(s) still to answer or correct before finalising")
    return EXIT_OK


def _summary_json(r: RecordSummary) -> dict[str, Any]:
    return {
        "id": str(r.id), "form_version_id": r.form_version_id, "status": r.status,
        "editing": r.editing, "instance_name": r.instance_name, "interviewer": r.interviewer,
        "head_revision_id": r.head_revision_id, "created": r.created.isoformat(),
        "updated": r.updated.isoformat(),
    }


@command
def run_list(args: argparse.Namespace) -> int:
    with common.unlock(args) as ctx:
        records = ctx.records.list_records(status=args.status)
        forms = {f.id: f for f in ctx.studies.list_forms(include_hidden=True)}
        local = ctx.studies.local_only_form_versions()
        titles = {s.id: s.title for s in ctx.studies.list_studies(include_hidden=True)}
    if args.json:
        print(json.dumps([_summary_json(r) | {"form_id": forms[r.form_version_id].form_id,
                                              "study_id": forms[r.form_version_id].study_id,
                                              "study_has_pack": r.form_version_id not in local}
                          for r in records], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not records:
        print("no records")
    else:
        rows = []
        shown = short_ids([str(r.id) for r in records])
        for r in records:
            form = forms[r.form_version_id]
            state = record_state(r, local_only=r.form_version_id in local)
            rows.append((shown[str(r.id)], r.instance_name or "-", _STATE_WORDS.get(state, state),
                         f"{form.form_id} v{form.version}", f"{r.updated:%Y-%m-%d %H:%M}"))
        print_table([Column("ID"), Column("NAME", wrap=True), Column("STATE"),
                     Column("FORM", wrap=True), Column("UPDATED")], rows)
    stranded = sorted({forms[r.form_version_id].study_id for r in records
                       if r.form_version_id in local})
    for study_id in stranded:
        count = sum(1 for r in records if forms[r.form_version_id].study_id == study_id)
        print(f"note: {count} record(s) of '{titles.get(study_id, study_id)}' stay on this "
              "laptop until the study pack is imported (qi-capture study import PACK moves "
              "them into the pack's study; they go with the next sync)")
    return EXIT_OK


#: How ``record list`` words a record's state (`record_state`).
_STATE_WORDS = {
    "draft": "draft",
    "editing": "being edited",
    "finalised": "finalised",
    STAYS_ON_LAPTOP: "stays on laptop",
    "sent": "sent",
    "acknowledged": "acknowledged",
}


def _view_json(view: RecordView) -> dict[str, Any]:
    return {
        **_summary_json(view.summary),
        "form": {"study_id": view.form.study_id, "form_id": view.form.form_id,
                 "version": view.form.version, "sha256": view.form.sha256},
        "answers": view.answers,
        "revisions": [{"id": r.id, "parents": list(r.parents), "device_seq": r.device_seq,
                       "created": r.created.isoformat()} for r in view.revisions],
        "attachments": [{"id": str(a.id), "name": a.name, "media_type": a.media_type,
                         "size": a.size, "sha256": a.sha256} for a in view.attachments],
        "paradata_events": view.paradata_events,
    }


@command
def run_show(args: argparse.Namespace) -> int:
    with common.unlock(args) as ctx:
        view = ctx.records.get(ctx.records.find(args.record).id)
    if args.json:
        print(json.dumps(_view_json(view), indent=2, ensure_ascii=False))
        return EXIT_OK
    s = view.summary
    print(f"record {s.id}")
    print(f"status: {s.status}{' (editing)' if s.editing else ''}")
    if not view.study_has_pack:
        print("note: its study has no study pack: the record stays on this laptop until "
              "the pack is imported (qi-capture study import PACK)")
    print(f"form: {view.form.study_id}/{view.form.form_id} version {view.form.version}")
    print(f"interviewer: {s.interviewer}")
    print(f"created: {s.created:%Y-%m-%d %H:%M:%S}  updated: {s.updated:%Y-%m-%d %H:%M:%S}")
    print("answers:")
    for path, value in view.answers.items():
        print(f"  {path} = {value}")
    print(f"revisions ({len(view.revisions)}):")
    for r in view.revisions:
        parents = ", ".join(p[:12] for p in r.parents) or "-"
        print(f"  {r.id}  seq {r.device_seq}  parents {parents}")
    print(f"attachments ({len(view.attachments)}):")
    for a in view.attachments:
        print(f"  {a.name}  {a.media_type}  {a.size} bytes")
    print(f"paradata events: {view.paradata_events}")
    return EXIT_OK
