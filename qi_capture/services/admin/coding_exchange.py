"""Export and import of a study's thematic coding (`CodingDesk.export`,
`CodingDesk.import_file`): REFI-QDA ``.qdpx`` and ``.qdc`` (`qi_capture.coding.refi`,
`qi_capture.coding.refi_read`) and CSV (`qi_capture.coding.csvfiles`; a codebook CSV
is read back by `qi_capture.coding.csv_read`).

Import lands codes and codings made elsewhere on the same passages:

* a source is matched to an interview by its GUID (our record id), else by its text
  (an interview laid out as `qi_capture.coding.source` does), else by its name; a text
  source matching none is an error;
* a selection's characters are mapped onto the answers they cover (one passage per
  answer; the question and heading lines are left out). When the interview changed
  since the export, the selection's words are looked for in the interview as it reads
  now; words no longer there are an error;
* an audio source (a recording's coded stretches) is matched to an interview by its
  GUID (derived from the record id, `qi_capture.coding.refi.audio_guid`); one matching
  none while it has selections is an error. Its stretches become audio passages as they
  are (milliseconds; the recording is not in the file to check them against);
* codes are matched by GUID, else by name under the same parent, else added (with the
  file's GUID where it is free); codings and notes already here (same GUID) are left
  as they are, so importing the same file twice changes nothing.

All of it is one transaction: any error leaves the store as it was. Files written are
written atomically (`qi_capture.crypto.atomic`) and are NOT encrypted.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qi_capture.central import coding as db
from qi_capture.coding import csvfiles, refi
from qi_capture.coding.csv_read import read_codebook_csv
from qi_capture.coding.errors import ExchangeFormatUnknown, ExchangeInvalid
from qi_capture.coding.model import (
    EXCHANGE_FORMATS,
    RECORDING_FIELD,
    CodedPassage,
    ExchangeResult,
)
from qi_capture.coding.refi_read import ReadCode, ReadProject, read_codebook, read_project
from qi_capture.coding.source import SourceText, render
from qi_capture.crypto.atomic import atomic_write_bytes
from qi_capture.storage.models import utcnow

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from qi_capture.services.admin.coding import CodingDesk
    from qi_capture.services.admin.interviews import Interview

FORMATS = EXCHANGE_FORMATS
VARIABLES = ("Stakeholder group", "Footprint")


def _sources(desk: CodingDesk, interviews: Sequence[Interview]) -> dict[uuid.UUID, SourceText]:
    return {i.record_id: render(i.name, i.sections(desk.layout(i.form_id)))
            for i in interviews}


def export(desk: CodingDesk, fmt: str, out: Path) -> ExchangeResult:
    """Write the study's coding as ``fmt`` to ``out`` (see `FORMATS`); logged."""
    if fmt not in FORMATS:
        raise ExchangeFormatUnknown(fmt, FORMATS)
    if fmt == "qdpx":
        data, result = _qdpx(desk, out)
        atomic_write_bytes(out, data)
        desk.log("export", format=fmt, codes=result.codes, codings=result.codings,
                 memos=result.memos, sources=result.sources)
        return result
    interviews, codes, codings, memos, _coders = desk.export_data()
    if fmt == "qdc":
        data = refi.codebook_xml(codes)
        result = ExchangeResult(str(out), len([c for c in codes if c.merged_into is None]),
                                0, 0, 0)
    elif fmt == "codebook-csv":
        counts: dict[uuid.UUID, tuple[int, int]] = {}
        records: dict[uuid.UUID, set[uuid.UUID]] = {}
        for c in codings:
            n, _i = counts.get(c.code, (0, 0))
            records.setdefault(c.code, set()).add(c.record_id)
            counts[c.code] = (n + 1, len(records[c.code]))
        data = csvfiles.codebook_csv(codes, counts)
        result = ExchangeResult(str(out), len(codes), 0, 0, 0)
    else:
        memo_of = {m.passage: m.text for m in memos if m.passage is not None}
        by_id = {i.record_id: i for i in interviews}
        passages = []
        for c in codings:
            interview = by_id.get(c.record_id)
            if interview is None:
                continue
            field = desk.layout(interview.form_id).field(c.field)
            recording = c.field == RECORDING_FIELD
            passages.append(CodedPassage(
                replace(c, memo=memo_of.get(c.passage)), interview.name,
                field.section if field else "Recording" if recording else "",
                field.question if field else "The interview's recording" if recording
                else c.field,
                interview.group, interview.footprint))
        data = csvfiles.passages_csv(passages, codes)
        result = ExchangeResult(str(out), len(codes), len(passages), 0, len(interviews))
    atomic_write_bytes(out, data)
    desk.log("export", format=fmt, codes=result.codes, codings=result.codings,
             memos=result.memos, sources=result.sources)
    return result


def _qdpx(desk: CodingDesk, out: Path) -> tuple[bytes, ExchangeResult]:
    # Rows, not Coding values: 20,000 frozen values cost more than the XML around them.
    interviews, codes, rows, memos, coders = desk.export_rows()
    texts = _sources(desk, interviews)
    memo_of = {m.passage: m.guid for m in memos if m.passage is not None}
    # passage -> (record, field, start, end, [(coding, code, coder)])
    by_passage: dict[uuid.UUID, tuple[uuid.UUID, str, int, int, list[refi.SelectionCoding]]] = {}
    for r in rows:
        entry = by_passage.get(r[1])
        if entry is None:
            entry = by_passage[r[1]] = (r[2], r[3], int(r[5]), int(r[6]), [])
        entry[4].append((r[0], r[8], r[9]))
    per_record: dict[uuid.UUID, list[tuple[uuid.UUID, Any]]] = {}
    # passage -> (record, start ms, end ms) of the stretches of a recording
    stretches = {r[1]: (r[2], int(r[13]), int(r[14])) for r in rows if r[13] is not None}
    audio: dict[uuid.UUID, list[refi.Selection]] = {}
    for passage, entry in by_passage.items():
        if passage in stretches:
            rid, begin, end = stretches[passage]
            audio.setdefault(rid, []).append((passage, begin, end, entry[4],
                                              memo_of.get(passage)))
            continue
        per_record.setdefault(entry[0], []).append((passage, entry))
    sources = []
    exported = 0
    for i in interviews:
        st = texts[i.record_id]
        selections = []
        for passage, (_rid, field, start, end, group) in per_record.get(i.record_id, []):
            span = st.spans.get(field)
            if span is None or end > span[1]:
                continue  # the answer is empty now (a flagged passage): nothing to select
            selections.append((passage, span[0] + start, span[0] + end, group,
                               memo_of.get(passage)))
            exported += len(group)
        selections.sort(key=lambda s: (s[1], s[2], s[0]))
        variables = {k: v for k, v in zip(VARIABLES, (i.group, i.footprint), strict=True)
                     if v is not None}
        sources.append(refi.ExportSource(i.record_id, i.name, st.text, variables,
                                         tuple(selections), _audio(desk, i, audio)))
        exported += sum(len(a[3]) for a in audio.get(i.record_id, ()))
    project = refi.project_xml(study_id=desk.study_id, name=f"{desk.study_id} interviews",
                               coders=coders, codes=codes, sources=sources, memos=memos,
                               variables=VARIABLES, created=utcnow())
    data = refi.qdpx_bytes(project, sources)
    return data, ExchangeResult(str(out), len([c for c in codes if c.merged_into is None]),
                                exported, len(memos), len(sources))


def _audio(desk: CodingDesk, interview: Interview,
           audio: Mapping[uuid.UUID, list[refi.Selection]]) -> refi.ExportAudio | None:
    """The interview's recording as a source, if stretches of it are coded."""
    selections = audio.get(interview.record_id)
    if not selections:
        return None
    name = desk.recording_name(interview.record_id) or "recording"
    return refi.ExportAudio(
        refi.audio_guid(desk.study_id, interview.record_id), name,
        # Where `export --attachments` decrypts it, relative to the export folder.
        f"relative://attachments/{interview.record_id}/{name}",
        sorted(selections, key=lambda s: (s[1], s[2], s[0])))


# -- import -------------------------------------------------------------------------------
def import_file(desk: CodingDesk, path: Path) -> ExchangeResult:
    """Import a ``.qdpx`` project, or a ``.qdc`` or ``.csv`` codebook (by its extension)."""
    suffix = path.suffix.lower()
    if suffix in (".qdc", ".csv"):
        codes = read_codebook(path) if suffix == ".qdc" else read_codebook_csv(path)
        with desk.writing() as conn:
            mapped, new_codes = _codes(desk, conn, codes)
            desk.audit(conn, "import", format=suffix[1:], codes=len(codes),
                       new_codes=new_codes)
        return ExchangeResult(str(path), len(codes), 0, 0, 0, new_codes=new_codes)
    if suffix != ".qdpx":
        raise ExchangeFormatUnknown(suffix or path.name, (".qdpx", ".qdc", ".csv"))
    project = read_project(path)
    interviews = desk.current_interviews()
    texts = _sources(desk, interviews)
    with desk.writing() as conn:
        mapped, new_codes = _codes(desk, conn, list(project.codes))
        result = _codings(desk, conn, path.name, project, interviews, texts, mapped)
        notes = _code_notes(desk, conn, project, mapped)
        desk.audit(conn, "import", format="qdpx", codes=len(project.codes),
                   new_codes=new_codes, codings=result[0], new_codings=result[1],
                   memos=result[2] + notes, skipped=result[3])
    return ExchangeResult(str(path), len(project.codes), result[0], result[2] + notes,
                          len(project.sources), new_codes=new_codes, new_codings=result[1])


def _codes(desk: CodingDesk, conn: Connection, codes: Sequence[ReadCode]
           ) -> tuple[dict[uuid.UUID, uuid.UUID], int]:
    """File code guid -> ours, adding the codes not here; (mapping, codes added)."""
    ours = {r.guid: r for r in db.codes(conn, desk.study_id)}
    mapped: dict[uuid.UUID, uuid.UUID] = {}
    made = 0
    for c in codes:
        parent = None if c.parent is None else mapped.get(c.parent)
        if c.guid in ours:
            mapped[c.guid] = c.guid
            row = ours[c.guid]
            values: dict[str, Any] = {}
            if c.colour and c.colour.upper() != row.colour:
                values["colour"] = c.colour.upper()
            if c.description.strip() and c.description.strip() != row.description:
                values["description"] = c.description.strip()
            if values:
                db.update_code(conn, c.guid, **values)
            continue
        same = [r for r in ours.values() if r.parent == parent and not r.retired
                and r.name.casefold() == c.name.casefold()]
        if same:
            mapped[c.guid] = same[0].guid
            continue
        guid = c.guid if db.code(conn, c.guid) is None else uuid.uuid4()
        values = {"guid": guid, "study_id": desk.study_id,
                  "name": desk.free_name(conn, c.name, parent),
                  "description": c.description.strip(),
                  "colour": (c.colour or "#5D6D7E").upper(), "parent": parent,
                  "retired": not c.codable, "merged_into": None, "tag": None}
        db.insert_code(conn, values)
        ours[guid] = db.code(conn, guid)  # type: ignore[assignment]
        mapped[c.guid] = guid
        made += 1
    return mapped, made


def _match_sources(file: str, project: ReadProject, interviews: Sequence[Interview],
                   texts: Mapping[uuid.UUID, SourceText]) -> dict[uuid.UUID, uuid.UUID]:
    """File source guid -> record id."""
    by_text = {t.text: rid for rid, t in texts.items()}
    by_name: dict[str, list[uuid.UUID]] = {}
    for i in interviews:
        by_name.setdefault(i.name, []).append(i.record_id)
    out = {}
    for s in project.sources:
        if s.guid in texts:
            out[s.guid] = s.guid
        elif s.text in by_text:
            out[s.guid] = by_text[s.text]
        elif len(by_name.get(s.name, [])) == 1:
            out[s.guid] = by_name[s.name][0]
        elif s.selections:
            raise ExchangeInvalid(file, f"source {s.name[:60]!r}",
                                  "it is not one of this study's interviews (matched by "
                                  "GUID, then text, then name); import it into the study "
                                  "it came from, or remove its codings")
    return out


def _codings(desk: CodingDesk, conn: Connection, file: str, project: ReadProject,
             interviews: Sequence[Interview], texts: Mapping[uuid.UUID, SourceText],
             mapped: Mapping[uuid.UUID, uuid.UUID]) -> tuple[int, int, int, int]:
    """(codings read, codings added, memos set, selections skipped)."""
    sources = _match_sources(file, project, interviews, texts)
    revisions = {i.record_id: i for i in interviews}
    coders: dict[uuid.UUID | None, uuid.UUID] = {}
    # Read once, not per coding: a project of 20,000 codings would ask 20,000 times.
    ours_guids, all_guids, have = db.coding_keys(conn, desk.study_id)
    by_audio = {refi.audio_guid(desk.study_id, rid): rid for rid in revisions}
    read = added = memos = skipped = 0
    for s in project.sources:
        record = sources.get(s.guid)
        if record is None:
            continue
        ours = texts[record]
        interview = revisions[record]
        for sel in s.selections:
            read += len(sel.codings)
            start, end = sel.start, sel.end
            if s.text != ours.text:
                words = s.text[start:end]
                found = _nearest(ours.text, words, start)
                if found is None:
                    raise ExchangeInvalid(file, f"source {s.name[:60]!r}",
                                          f"the words of selection {sel.guid} are no longer "
                                          "in the interview (it changed since); re-export "
                                          "it and code the new text")
                start, end = found, found + len(words)
            pieces = ours.field_at(start, end)
            if not pieces:
                skipped += 1
                continue
            for n, (field, fs, fe) in enumerate(pieces):
                passage = _passage(desk, conn, sel.guid if n == 0 else None, record, field,
                                   fs, fe, interview.revision, interview.texts[field])
                for cod in sel.codings:
                    if n == 0 and cod.guid in ours_guids:
                        continue  # imported before (or exported from here): as it is
                    user = cod.user or sel.user
                    if user not in coders:
                        name = project.users.get(user) if user is not None else None
                        guid = db.coder_guid(conn, name or desk.coder)
                        assert guid is not None
                        coders[user] = guid
                    code = mapped[cod.code]
                    if (passage, code, coders[user]) in have:
                        continue
                    new = cod.guid if n == 0 and cod.guid not in all_guids else uuid.uuid4()
                    db.insert_codings(conn, [{
                        "guid": new, "study_id": desk.study_id, "passage": passage,
                        "record_id": record, "code": code,
                        "coder": coders[user], "origin": "analyst", "confirmed": True,
                        "undone": False}])
                    have.add((passage, code, coders[user]))
                    all_guids.add(new)
                    added += 1
                if n == 0:
                    for note in sel.notes:
                        _memo(desk, conn, project, note, passage=passage)
                        memos += 1
    for a in project.audio_sources:
        record = by_audio.get(a.guid)
        if record is None:
            if a.selections:
                raise ExchangeInvalid(file, f"audio source {a.name[:60]!r}",
                                      "it is not the recording of one of this study's "
                                      "interviews (matched by GUID); import it into the "
                                      "study it came from, or remove its codings")
            continue
        for sel in a.selections:
            read += len(sel.codings)
            passage = _audio_passage(desk, conn, sel.guid, record, sel.start, sel.end,
                                     revisions[record].revision)
            for cod in sel.codings:
                if cod.guid in ours_guids:
                    continue
                user = cod.user or sel.user
                if user not in coders:
                    name = project.users.get(user) if user is not None else None
                    guid = db.coder_guid(conn, name or desk.coder)
                    assert guid is not None
                    coders[user] = guid
                code = mapped[cod.code]
                if (passage, code, coders[user]) in have:
                    continue
                new = cod.guid if cod.guid not in all_guids else uuid.uuid4()
                db.insert_codings(conn, [{
                    "guid": new, "study_id": desk.study_id, "passage": passage,
                    "record_id": record, "code": code, "coder": coders[user],
                    "origin": "analyst", "confirmed": True, "undone": False}])
                have.add((passage, code, coders[user]))
                all_guids.add(new)
                added += 1
            for note in sel.notes:
                _memo(desk, conn, project, note, passage=passage)
                memos += 1
    return read, added, memos, skipped


def _audio_passage(desk: CodingDesk, conn: Connection, guid: uuid.UUID, record: uuid.UUID,
                   start_ms: int, end_ms: int, revision: str) -> uuid.UUID:
    row = db.passage(conn, guid)
    if row is not None and row.study_id == desk.study_id and row.record_id == record \
            and row.start_ms is not None:
        return guid
    found = db.find_audio_passage(conn, record, start_ms, end_ms)
    if found is not None:
        return found.guid  # type: ignore[no-any-return]
    new = guid if row is None else uuid.uuid4()
    db.insert_passages(conn, [{"guid": new, "study_id": desk.study_id, "record_id": record,
                               "field": RECORDING_FIELD, "revision": revision, "start": 0,
                               "end": 0, "text": "", "flagged": False,
                               "start_ms": start_ms, "end_ms": end_ms}])
    return new


def _nearest(text: str, words: str, near: int) -> int | None:
    if not words:
        return None
    best = None
    found = text.find(words)
    while found != -1:
        if best is None or abs(found - near) < abs(best - near):
            best = found
        found = text.find(words, found + 1)
    return best


def _passage(desk: CodingDesk, conn: Connection, guid: uuid.UUID | None, record: uuid.UUID,
             field: str, start: int, end: int, revision: str, text: str) -> uuid.UUID:
    if guid is not None:
        row = db.passage(conn, guid)
        if row is not None and row.study_id == desk.study_id and row.record_id == record \
                and row.field == field:
            return guid
    found = db.find_passage(conn, record, field, start, end)
    if found is not None and not found.flagged:
        return found.guid  # type: ignore[no-any-return]
    new = guid if guid is not None and db.passage(conn, guid) is None else uuid.uuid4()
    db.insert_passages(conn, [{"guid": new, "study_id": desk.study_id, "record_id": record,
                               "field": field, "revision": revision, "start": start,
                               "end": end, "text": text[start:end], "flagged": False}])
    return new


def _memo(desk: CodingDesk, conn: Connection, project: ReadProject, note: uuid.UUID, *,
          passage: uuid.UUID | None = None, code: uuid.UUID | None = None) -> None:
    read = project.notes[note]
    if not read.text.strip():
        return
    existing = db.memo_of(conn, code=code, passage=passage)
    name = project.users.get(read.user) if read.user is not None else None
    author = db.coder_guid(conn, name or desk.coder)
    guid = existing.guid if existing is not None else (
        note if not _memo_guid_used(conn, note) else uuid.uuid4())
    db.set_memo(conn, {"guid": guid, "study_id": desk.study_id, "code": code,
                       "passage": passage, "author": author, "text": read.text.strip()})


def _memo_guid_used(conn: Connection, guid: uuid.UUID) -> bool:
    from sqlalchemy import select

    return conn.scalar(select(db.MEMO.c.guid).where(db.MEMO.c.guid == guid)) is not None


def _code_notes(desk: CodingDesk, conn: Connection, project: ReadProject,
                mapped: Mapping[uuid.UUID, uuid.UUID]) -> int:
    done = 0
    for c in project.codes:
        if c.note is not None:
            _memo(desk, conn, project, c.note, code=mapped[c.guid])
            done += 1
    return done
