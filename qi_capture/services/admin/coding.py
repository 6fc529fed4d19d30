"""`CodingDesk`: thematic coding of a study's interviews at the central store, for the
console's Coding page and the ``qi-capture coding`` commands.

Opened from the admin door for one study and one coder (who each change is made by)::

    with AdminDesk.open("/srv/central", passphrase) as desk:
        coding = desk.coding(coder="alice")          # study: the store's only one
        tree = coding.codebook()                     # CodeNode tree with counts
        first = coding.interviews()[0]
        page = coding.transcript(first.record_id)    # sections, texts, codings
        item = page.sections[0].items[0]
        coding.apply_codes(first.record_id, item.field, 0, 20, [tree[0].code.guid])

Threads: methods that read may also write (the first `codebook` of a study seeds it from
the field tags; `transcript`, `passages`, `agreement`, `matrix`, `themes`, `flagged` and
the exports first re-anchor passages whose record changed), so the console runs every
call of this desk through its serial write queue.

Every method opens its own transaction and returns frozen values
(`qi_capture.coding.model`), never rows; every change is written to the audit log in the
same transaction (guids and counts, never words). Codes may be named by guid (or its
text) or, where unambiguous, by name.

Codebook
    `codebook` (tree of `CodeNode` with codings and interviews counted; seeds from the
    field tags on first use), `codes` (flat, every code), `code`, `create_code`,
    `update_code` (rename, describe, colour), `move_code` (new parent, no cycles),
    `merge_codes` (the source's codings follow to the target; the source is retired and
    remembers where it went), `retire_code`.
Field tags
    `seed_from_field`: each quick tag and ``#word`` in the interviews' notes and quotes
    becomes a code (guid derived from study and tag, so stable), and the text answer it
    is in comes coded with origin ``field`` by coder ``field``. Run on first use of the
    codebook and again on demand (new interviews, new tags); a coding an analyst undid
    is not brought back. `confirm_coding` / `undo_coding` settle one.
Coding
    `interviews` (the list), `transcript` (one interview's sections, questions, texts
    and codings), `apply_codes` (one or more codes on ``[start, end)`` of a field; the
    same span shares one passage), `remove_coding`, `set_memo` (on a code or a passage;
    empty text deletes it), `memos`, `passages` (every coded passage of a code with its
    interview, section, stakeholder group and footprint), `flagged` and `settle_flag`.
Re-anchoring
    Before reading codings, passages coded on an older revision of their record are
    moved onto the displayed revision: kept where their words still stand, re-anchored
    where the words moved within the field, flagged for review where they changed
    (`qi_capture.coding.anchor`).
Comparing
    `coders`, `agreement` (Cohen's kappa and percentage agreement per code between two
    coders, with the units where they differ; `qi_capture.coding.agreement` defines the
    unit), `matrix` (codes by stakeholder group or by footprint, counting interviews
    mentioning each code, with their quotes; cells from 1 to ``min_cell - 1`` hidden by
    the report's disclosure rules, `qi_capture.report.suppress`).
Exchange
    `export` (``qdpx``, ``qdc``, ``csv`` coded passages, ``codebook-csv``) and
    `import_file` (``.qdpx``/``.qdc``), through `qi_capture.coding.refi`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection

from qi_capture.central import coding as db
from qi_capture.central.coding import DbRow
from qi_capture.central.note_marks import quick_tags_in
from qi_capture.central.store import CentralStore
from qi_capture.coding import agreement as kappa
from qi_capture.coding import matrix
from qi_capture.coding.anchor import reanchor
from qi_capture.coding.csvfiles import code_paths
from qi_capture.coding.errors import (
    CodeColourInvalid,
    CodeMoveInvalid,
    CodeNameInvalid,
    CodeNameTaken,
    CodeNotFound,
    CodeRetired,
    CoderUnknown,
    CodingNotFound,
    FieldNotCodable,
    InterviewNotFound,
    MemoTargetInvalid,
    NoInterviewForm,
    NotFromField,
    PassageOutOfRange,
    RecordingRangeInvalid,
    StudyNeeded,
    StudyUnknown,
)
from qi_capture.coding.model import (
    EXCHANGE_FORMATS,
    FIELD_CODER,
    RECORDING_FIELD,
    Agreement,
    Code,
    CodeAgreement,
    CodedPassage,
    CodeNode,
    Coder,
    CodeTheme,
    Coding,
    Difference,
    ExchangeResult,
    InterviewRef,
    Matrix,
    MatrixCell,
    MatrixRow,
    Memo,
    ThemeQuote,
    Transcript,
    TranscriptItem,
    TranscriptSection,
)
from qi_capture.coding.tags import TAG, tag_code, tagged_fields
from qi_capture.report.suppress import Disclosure
from qi_capture.services.admin import report as report_service
from qi_capture.services.admin.errors import RecordingNotFound
from qi_capture.services.admin.interviews import Interview, Layout, read_interview, study_layouts

#: The values the UI gets are re-exported here, so a page imports from one module.
__all__ = ["EXCHANGE_FORMATS", "MATRIX_BY", "Agreement", "Code", "CodeAgreement", "CodeNode",
           "CodeTheme",
           "CodedPassage", "Coder", "Coding", "CodingDesk", "Difference", "ExchangeResult",
           "InterviewRef", "Matrix", "MatrixCell", "MatrixRow", "Memo", "SeedResult",
           "ThemeQuote", "Transcript", "TranscriptItem", "TranscriptSection"]

#: What the matrix can break codes down by.
MATRIX_BY = ("group", "footprint")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
DEFAULT_COLOUR = "#5D6D7E"


class SeedResult(tuple[int, int]):
    """(codes made, codings made) by one seeding from the field tags."""

    @property
    def codes(self) -> int:
        return self[0]

    @property
    def codings(self) -> int:
        return self[1]


def _code(r: DbRow) -> Code:
    return Code(r.guid, r.name, r.description or "", r.colour, r.parent, bool(r.retired),
                r.merged_into, r.tag)


def _coding(r: DbRow, memo: str | None = None) -> Coding:
    return Coding(r[0], r[1], r[2], r[3], r[4], int(r[5]), int(r[6]), r[7], r[8], r[9],
                  r[10], bool(r[11]), bool(r[12]), memo,
                  None if r[13] is None else int(r[13]), None if r[14] is None else int(r[14]))


def resolve_study(central: CentralStore, study_id: str | None) -> tuple[str, tuple[str, ...]]:
    known = report_service.studies(central)
    if study_id is None:
        if len(known) != 1:
            if known:
                raise StudyNeeded(list(known))
            raise StudyUnknown("", [])
        study_id = next(iter(known))
    if study_id not in known:
        raise StudyUnknown(study_id, list(known))
    return study_id, known[study_id]


class CodingDesk:
    """One study's thematic coding, changes made as ``coder``."""

    def __init__(self, central: CentralStore, study_id: str | None = None, *,
                 coder: str | None = None) -> None:
        self._central = central
        self.study_id, forms = resolve_study(central, study_id)
        self._layouts: dict[str, Layout] = study_layouts(central, forms)
        if not self._layouts:
            raise NoInterviewForm(self.study_id)
        self.coder = (coder or central.actor).strip() or "admin"
        self._seeded = False

    # -- plumbing -------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._central.engine.begin() as conn:
            yield conn

    #: One transaction for a change (the exchange module's import runs in it).
    writing = _write

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._central.engine.connect() as conn:
            yield conn

    def _audit(self, conn: Connection, action: str, **params: Any) -> None:
        db.audit(conn, self._central.actor, f"coding.{action}",
                 {"study": self.study_id, "coder": self.coder, **params})

    audit = _audit

    def log(self, action: str, **params: Any) -> None:
        """An audit entry in a transaction of its own (guids and counts only)."""
        with self._write() as conn:
            self._audit(conn, action, **params)

    def _interviews(self, conn: Connection,
                    record_ids: Iterable[uuid.UUID] | None = None) -> Iterator[Interview]:
        for r in db.interviews(conn, self.study_id, tuple(self._layouts), record_ids):
            yield self._interview(r)

    def _interview(self, r: DbRow) -> Interview:
        doc_form = _form_of(r[4])
        layout = self._layouts.get(doc_form) or next(iter(self._layouts.values()))
        return read_interview(layout, r[0], r[1], r[2], r[4])

    def _one(self, conn: Connection, record_id: uuid.UUID | str) -> Interview:
        rid = _as_uuid(record_id)
        found = None if rid is None else next(self._interviews(conn, [rid]), None)
        if found is None:
            raise InterviewNotFound(str(record_id))
        return found

    def _code_row(self, conn: Connection, ref: uuid.UUID | str) -> DbRow:
        guid = _as_uuid(ref)
        if guid is not None:
            row = db.code(conn, guid)
            if row is not None and row.study_id == self.study_id:
                return row
        else:
            named = [r for r in db.codes(conn, self.study_id)
                     if r.name.casefold() == str(ref).strip().casefold()]
            live = [r for r in named if not r.retired] or named
            if len(live) == 1:
                return live[0]
        raise CodeNotFound(str(ref))

    # -- re-anchoring ---------------------------------------------------------------------
    def _sync(self) -> int:
        """Move passages coded on an older revision onto the displayed one (see the
        module docstring); returns how many were looked at."""
        with self._read() as conn:
            stale = db.stale_passages(conn, self.study_id)
        if not stale:
            return 0
        kept = moved = changed = 0
        answers: dict[str, dict[str, Any]] = {}
        with self._write() as conn:
            for r in stale:
                doc = answers.get(r.winner)
                if doc is None:  # a record's passages share one parse of its revision
                    doc = answers[r.winner] = _answers(r.canonical_json)
                value = doc.get(r.field)
                text = value if isinstance(value, str) else ""
                anchor = reanchor(r.text, int(r.start), int(r.end), text)
                values: dict[str, Any] = {"revision": r.winner, "start": anchor.start,
                                          "end": anchor.end}
                if anchor.status == "changed":
                    changed += 1
                    values["flagged"] = True
                else:
                    kept += anchor.status == "kept"
                    moved += anchor.status == "moved"
                db.update_passage(conn, r.guid, **values)
            self._audit(conn, "reanchor", kept=kept, moved=moved, flagged=changed)
        return len(stale)

    # -- field tags -----------------------------------------------------------------------
    def seed_from_field(self) -> SeedResult:
        """Make codes of the quick tags and ``#words`` in the interviews' texts and code
        the texts they are in (origin ``field``, coder ``field``); idempotent."""
        self._sync()
        with self._write() as conn:
            interviews = list(self._interviews(conn))
            notes = quick_tags_in(conn, [i.record_id for i in interviews])
            structured = {(rid, path): [t.tag for t in tags]
                          for rid, state in notes.items() for path, tags in state.tags.items()}
            fields = tagged_fields(((i.record_id, p, t) for i in interviews
                                    for p, t in i.texts.items()), structured)
            revisions = {i.record_id: i.revision for i in interviews}
            by_tag: dict[str, uuid.UUID] = {}
            made_codes = 0
            existing = db.codes(conn, self.study_id)
            by_guid = {r.guid: r for r in existing}
            for r in existing:
                if r.tag:
                    by_tag.setdefault(r.tag, _follow(by_guid, r.guid))
            others = len([r for r in existing if r.tag])
            for f in fields:
                for tag in f.tags:
                    if tag in by_tag:
                        continue
                    made = tag_code(self.study_id, tag, others)
                    others += 1
                    if made.guid in by_guid:  # e.g. its tag was cleared by a rename
                        by_tag[tag] = _follow(by_guid, made.guid)
                        continue
                    db.insert_code(conn, {
                        "guid": made.guid, "study_id": self.study_id,
                        "name": self.free_name(conn, made.name, None),
                        "description": made.description, "colour": made.colour,
                        "parent": None, "retired": False, "merged_into": None,
                        "tag": tag})
                    by_tag[tag] = made.guid
                    made_codes += 1
            done = db.field_coding_keys(conn, self.study_id)
            coder = db.coder_guid(conn, FIELD_CODER)
            passages: list[dict[str, Any]] = []
            codings: list[dict[str, Any]] = []
            for f in fields:
                passage: uuid.UUID | None = None
                for tag in f.tags:
                    code = by_tag[tag]
                    if (f.record_id, f.field, code) in done:
                        continue
                    done.add((f.record_id, f.field, code))
                    if passage is None:
                        existing_passage = db.find_passage(conn, f.record_id, f.field, 0,
                                                           len(f.text))
                        if existing_passage is not None:
                            passage = existing_passage.guid
                        else:
                            passage = uuid.uuid4()
                            passages.append({
                                "guid": passage, "study_id": self.study_id,
                                "record_id": f.record_id, "field": f.field,
                                "revision": revisions[f.record_id], "start": 0,
                                "end": len(f.text), "text": f.text, "flagged": False})
                    codings.append({"guid": uuid.uuid4(), "study_id": self.study_id,
                                    "passage": passage, "record_id": f.record_id,
                                    "code": code, "coder": coder,
                                    "origin": "field", "confirmed": False, "undone": False})
            for chunk in _chunks(passages):
                db.insert_passages(conn, chunk)
            for chunk in _chunks(codings):
                db.insert_codings(conn, chunk)
            self._audit(conn, "seed", codes=made_codes, codings=len(codings))
        self._seeded = True
        return SeedResult((made_codes, len(codings)))

    def free_name(self, conn: Connection, name: str, parent: uuid.UUID | None) -> str:
        taken = {r.name.casefold() for r in db.codes(conn, self.study_id)
                 if r.parent == parent and not r.retired}
        candidate, n = name, 2
        while candidate.casefold() in taken:
            candidate, n = f"{name} ({n})", n + 1
        return candidate

    # -- codebook -------------------------------------------------------------------------
    def codes(self) -> tuple[Code, ...]:
        """Every code of the study (retired and merged ones too), by name."""
        with self._read() as conn:
            return tuple(_code(r) for r in db.codes(conn, self.study_id))

    def code(self, ref: uuid.UUID | str) -> Code:
        with self._read() as conn:
            return _code(self._code_row(conn, ref))

    def codebook(self, *, retired: bool = False) -> tuple[CodeNode, ...]:
        """The codebook as a tree (top-level codes, children by name) with each code's
        codings and interviews counted; retired codes only when ``retired``. The first
        call on a study without codes seeds them from the field tags."""
        if not self._seeded:
            with self._read() as conn:
                empty = not db.codes(conn, self.study_id)
            if empty:
                self.seed_from_field()
            self._seeded = True
        with self._read() as conn:
            rows = db.codes(conn, self.study_id)
            counts = db.code_counts(conn, self.study_id)
        shown = [_code(r) for r in rows if retired or not r.retired]
        children: dict[uuid.UUID | None, list[Code]] = {}
        guids = {c.guid for c in shown}
        for c in shown:
            children.setdefault(c.parent if c.parent in guids else None, []).append(c)

        def node(c: Code, seen: frozenset[uuid.UUID]) -> CodeNode:
            n, i = counts.get(c.guid, (0, 0))
            kids = tuple(node(k, seen | {c.guid}) for k in children.get(c.guid, [])
                         if k.guid not in seen)
            return CodeNode(c, n, i, kids)

        return tuple(node(c, frozenset()) for c in children.get(None, []))

    def _check_name(self, conn: Connection, name: str, parent: uuid.UUID | None,
                    guid: uuid.UUID | None) -> str:
        clean = " ".join(name.split())
        if not clean:
            raise CodeNameInvalid("is empty")
        if len(clean) > 200:
            raise CodeNameInvalid(f"is {len(clean)} characters long")
        for r in db.codes(conn, self.study_id):
            if r.guid != guid and r.parent == parent and not r.retired \
                    and r.name.casefold() == clean.casefold():
                raise CodeNameTaken(clean)
        return clean

    def create_code(self, name: str, *, description: str = "", colour: str | None = None,
                    parent: uuid.UUID | str | None = None,
                    guid: uuid.UUID | None = None) -> Code:
        """Add a code (under ``parent`` when given)."""
        colour = _colour(colour or DEFAULT_COLOUR)
        with self._write() as conn:
            parent_guid = None if parent is None else self._code_row(conn, parent).guid
            clean = self._check_name(conn, name, parent_guid, None)
            new = guid or uuid.uuid4()
            db.insert_code(conn, {"guid": new, "study_id": self.study_id, "name": clean,
                                  "description": description.strip(), "colour": colour,
                                  "parent": parent_guid, "retired": False,
                                  "merged_into": None, "tag": None})
            self._audit(conn, "code_create", code=str(new))
            return _code(self._code_row(conn, new))

    def update_code(self, ref: uuid.UUID | str, *, name: str | None = None,
                    description: str | None = None, colour: str | None = None) -> Code:
        """Rename a code, or change its description or colour."""
        with self._write() as conn:
            row = self._code_row(conn, ref)
            values: dict[str, Any] = {}
            if name is not None:
                values["name"] = self._check_name(conn, name, row.parent, row.guid)
            if description is not None:
                values["description"] = description.strip()
            if colour is not None:
                values["colour"] = _colour(colour)
            if values:
                db.update_code(conn, row.guid, **values)
                self._audit(conn, "code_update", code=str(row.guid), changed=sorted(values))
            return _code(self._code_row(conn, row.guid))

    def rename_code(self, ref: uuid.UUID | str, name: str) -> Code:
        return self.update_code(ref, name=name)

    def move_code(self, ref: uuid.UUID | str, parent: uuid.UUID | str | None) -> Code:
        """Put a code under ``parent`` (None: the top level)."""
        with self._write() as conn:
            row = self._code_row(conn, ref)
            target = None if parent is None else self._code_row(conn, parent)
            if target is not None:
                by_guid = {r.guid: r for r in db.codes(conn, self.study_id)}
                walk: uuid.UUID | None = target.guid
                while walk is not None:
                    if walk == row.guid:
                        raise CodeMoveInvalid("put a code under itself or its own child")
                    walk = by_guid[walk].parent if walk in by_guid else None
            new_parent = None if target is None else target.guid
            self._check_name(conn, row.name, new_parent, row.guid)
            db.update_code(conn, row.guid, parent=new_parent)
            self._audit(conn, "code_move", code=str(row.guid),
                        parent=None if new_parent is None else str(new_parent))
            return _code(self._code_row(conn, row.guid))

    def merge_codes(self, source: uuid.UUID | str, target: uuid.UUID | str) -> Code:
        """Move every coding of ``source`` to ``target`` (a passage both coded by the
        same coder keeps one), its children under ``target``; ``source`` is retired,
        remembering ``target`` (so its tag seeds ``target`` from now on)."""
        with self._write() as conn:
            src = self._code_row(conn, source)
            dst = self._code_row(conn, target)
            if src.guid == dst.guid:
                raise CodeMoveInvalid("merge a code into itself")
            if dst.retired:
                raise CodeRetired(str(dst.guid))
            moved = db.move_codings(conn, src.guid, dst.guid)
            for r in db.codes(conn, self.study_id):
                if r.parent == src.guid and r.guid != dst.guid:
                    db.update_code(conn, r.guid, parent=dst.guid)
            if dst.parent == src.guid:
                db.update_code(conn, dst.guid, parent=src.parent)
            db.update_code(conn, src.guid, retired=True, merged_into=dst.guid)
            self._audit(conn, "code_merge", code=str(src.guid), into=str(dst.guid),
                        codings=moved)
            return _code(self._code_row(conn, dst.guid))

    def retire_code(self, ref: uuid.UUID | str, retired: bool = True) -> Code:
        """Retire a code (kept with its codings, offered no more), or bring it back."""
        with self._write() as conn:
            row = self._code_row(conn, ref)
            if not retired and row.merged_into is not None:
                raise CodeRetired(str(row.guid))
            db.update_code(conn, row.guid, retired=retired)
            self._audit(conn, "code_retire" if retired else "code_restore",
                        code=str(row.guid))
            return _code(self._code_row(conn, row.guid))

    # -- interviews and transcripts -------------------------------------------------------
    def interviews(self) -> tuple[InterviewRef, ...]:
        """The study's interviews (not deleted), by submission time."""
        with self._read() as conn:
            return tuple(InterviewRef(i.record_id, i.name, i.group, i.footprint,
                                      i.review_status) for i in self._interviews(conn))

    def transcript(self, record_id: uuid.UUID | str) -> Transcript:
        """One interview: its sections in form order (each question with its text and
        field path), the revision those texts are from, and its codings (by field and
        position) with their passage memos."""
        self._sync()
        with self._read() as conn:
            interview = self._one(conn, record_id)
            rows = db.codings(conn, self.study_id, record_id=interview.record_id)
            memos = {m.passage: m.text for m in db.memos(conn, self.study_id)
                     if m.passage is not None}
        layout = self._layouts[interview.form_id]
        return Transcript(interview.record_id, interview.name, interview.revision,
                          interview.group, interview.footprint, interview.sections(layout),
                          tuple(_coding(r, memos.get(r[1])) for r in rows))

    def apply_codes(self, record_id: uuid.UUID | str, field: str, start: int, end: int,
                    codes: Sequence[uuid.UUID | str]) -> tuple[Coding, ...]:
        """Apply ``codes`` to characters ``[start, end)`` of the interview's ``field`` as
        it reads now (the span shares a passage with other codings on it); a code this
        coder already put there is not doubled. Returns the passage's codings."""
        self._sync()
        with self._write() as conn:
            interview = self._one(conn, record_id)
            layout = self._layouts[interview.form_id]
            if layout.field(field) is None:
                raise FieldNotCodable(field)
            text = interview.texts.get(field, "")
            if not (0 <= start < end <= len(text)):
                raise PassageOutOfRange(field, start, end, len(text))
            rows = [self._code_row(conn, c) for c in codes]
            for r in rows:
                if r.retired:
                    raise CodeRetired(str(r.guid))
            coder = db.coder_guid(conn, self.coder)
            found = db.find_passage(conn, interview.record_id, field, start, end)
            if found is None or found.flagged:
                passage = uuid.uuid4()
                db.insert_passages(conn, [{
                    "guid": passage, "study_id": self.study_id,
                    "record_id": interview.record_id, "field": field,
                    "revision": interview.revision, "start": start, "end": end,
                    "text": text[start:end], "flagged": False}])
            else:
                passage = found.guid
            have = {(r.code, r.coder) for r in db.codings(conn, self.study_id,
                                                            record_id=interview.record_id)
                    if r[1] == passage}
            new = [{"guid": uuid.uuid4(), "study_id": self.study_id, "passage": passage,
                    "record_id": interview.record_id,
                    "code": r.guid, "coder": coder, "origin": "analyst", "confirmed": True,
                    "undone": False}
                   for r in dict.fromkeys(rows) if (r.guid, self.coder) not in have]
            db.insert_codings(conn, new)
            self._audit(conn, "apply", record=str(interview.record_id), field=field,
                        passage=str(passage), codes=[str(n["code"]) for n in new])
            out = db.codings(conn, self.study_id, record_id=interview.record_id)
            return tuple(_coding(r) for r in out if r[1] == passage)

    def recording_name(self, record_id: uuid.UUID) -> str | None:
        """The name of the interview's recording (its first audio attachment), if any."""
        found = [a for a in self._central.record_attachments(record_id)
                 if a.media_type.startswith("audio/")]
        return found[0].name if found else None

    def recording_ms(self, record_id: uuid.UUID | str) -> int:
        """How long the interview's recording lasts, in milliseconds (its first audio
        attachment, as the player opens it). Raises `RecordingNotFound`."""
        with self._read() as conn:
            interview = self._one(conn, record_id)
        found = [a for a in self._central.record_attachments(interview.record_id)
                 if a.media_type.startswith("audio/")]
        if not found:
            raise RecordingNotFound(interview.record_id.hex[:8], None)
        # Only the header is read (the frame count), through the decrypting stream.
        from qi_capture.audio.playback import AudioReader

        with AudioReader(self._central.attachments.open(found[0].id)) as reader:
            return round(reader.frames * 1000 / reader.sample_rate)

    def code_recording(self, record_id: uuid.UUID | str, start_ms: int, end_ms: int,
                       codes: Sequence[uuid.UUID | str]) -> tuple[Coding, ...]:
        """Apply ``codes`` to the stretch ``[start_ms, end_ms)`` of the interview's
        recording (an audio passage, shared by the codings on the same stretch); a code
        this coder already put there is not doubled. Returns the passage's codings.
        Raises `RecordingNotFound`, `RecordingRangeInvalid` and the code's errors."""
        duration = self.recording_ms(record_id)
        if not (0 <= start_ms < end_ms <= duration):
            raise RecordingRangeInvalid(start_ms, end_ms, duration)
        with self._write() as conn:
            interview = self._one(conn, record_id)
            rows = [self._code_row(conn, c) for c in codes]
            for r in rows:
                if r.retired:
                    raise CodeRetired(str(r.guid))
            coder = db.coder_guid(conn, self.coder)
            found = db.find_audio_passage(conn, interview.record_id, start_ms, end_ms)
            if found is None:
                passage = uuid.uuid4()
                db.insert_passages(conn, [{
                    "guid": passage, "study_id": self.study_id,
                    "record_id": interview.record_id, "field": RECORDING_FIELD,
                    "revision": interview.revision, "start": 0, "end": 0, "text": "",
                    "flagged": False, "start_ms": start_ms, "end_ms": end_ms}])
            else:
                passage = found.guid
            have = {(r.code, r.coder) for r in db.codings(conn, self.study_id,
                                                            record_id=interview.record_id)
                    if r[1] == passage}
            new = [{"guid": uuid.uuid4(), "study_id": self.study_id, "passage": passage,
                    "record_id": interview.record_id,
                    "code": r.guid, "coder": coder, "origin": "analyst", "confirmed": True,
                    "undone": False}
                   for r in dict.fromkeys(rows) if (r.guid, self.coder) not in have]
            db.insert_codings(conn, new)
            self._audit(conn, "apply", record=str(interview.record_id), field=RECORDING_FIELD,
                        passage=str(passage), start_ms=start_ms, end_ms=end_ms,
                        codes=[str(n["code"]) for n in new])
            out = db.codings(conn, self.study_id, record_id=interview.record_id)
            return tuple(_coding(r) for r in out if r[1] == passage)

    def _coding_row(self, conn: Connection, guid: uuid.UUID | str) -> DbRow:
        g = _as_uuid(guid)
        row = None if g is None else db.coding_row(conn, g)
        if row is None or row.study_id != self.study_id or row.undone:
            raise CodingNotFound(str(guid))
        return row

    def remove_coding(self, guid: uuid.UUID | str) -> None:
        """Take a code off a passage (a coding from the field is undone instead, so that
        seeding does not bring it back)."""
        with self._write() as conn:
            row = self._coding_row(conn, guid)
            if row.origin == "field":
                db.update_coding(conn, row.guid, undone=True)
            else:
                db.delete_coding(conn, row.guid)
            self._audit(conn, "remove", coding=str(row.guid))

    def confirm_coding(self, guid: uuid.UUID | str) -> Coding:
        """Accept a coding from the field (it stays coded, marked confirmed)."""
        with self._write() as conn:
            row = self._coding_row(conn, guid)
            if row.origin != "field":
                raise NotFromField(str(row.guid))
            db.update_coding(conn, row.guid, confirmed=True)
            self._audit(conn, "confirm", coding=str(row.guid))
            return self._coding_value(conn, row.guid)

    def undo_coding(self, guid: uuid.UUID | str) -> None:
        """Reject a coding from the field: it no longer counts, and seeding will not
        bring it back."""
        with self._write() as conn:
            row = self._coding_row(conn, guid)
            if row.origin != "field":
                raise NotFromField(str(row.guid))
            db.update_coding(conn, row.guid, undone=True, confirmed=False)
            self._audit(conn, "undo", coding=str(row.guid))

    def _coding_value(self, conn: Connection, guid: uuid.UUID) -> Coding:
        for r in db.codings(conn, self.study_id):
            if r[0] == guid:
                return _coding(r)
        raise CodingNotFound(str(guid))

    def flagged(self) -> tuple[Coding, ...]:
        """Codings whose passage's words changed in a later revision, to review."""
        self._sync()
        with self._read() as conn:
            return tuple(_coding(r) for r in db.codings(conn, self.study_id) if r[12])

    def settle_flag(self, passage: uuid.UUID | str, *, keep: bool) -> None:
        """A flagged passage reviewed: ``keep`` it on the words now under it, or remove
        its codings."""
        with self._write() as conn:
            g = _as_uuid(passage)
            row = None if g is None else db.passage(conn, g)
            if row is None or row.study_id != self.study_id:
                raise CodingNotFound(str(passage))
            interview = self._one(conn, row.record_id)
            text = interview.texts.get(row.field, "")
            if keep and row.end > row.start:
                db.update_passage(conn, row.guid, flagged=False,
                                  text=text[row.start:row.end])
            else:
                for r in db.codings(conn, self.study_id, record_id=row.record_id):
                    if r[1] == row.guid:
                        db.update_coding(conn, r[0], undone=True) if r[10] == "field" \
                            else db.delete_coding(conn, r[0])
                db.update_passage(conn, row.guid, flagged=False)
            self._audit(conn, "settle", passage=str(row.guid), keep=keep)

    # -- memos ----------------------------------------------------------------------------
    def set_memo(self, text: str, *, code: uuid.UUID | str | None = None,
                 passage: uuid.UUID | str | None = None) -> Memo | None:
        """Write the memo of a code or of a passage (empty text deletes it)."""
        if (code is None) == (passage is None):
            raise MemoTargetInvalid()
        with self._write() as conn:
            code_guid = None if code is None else self._code_row(conn, code).guid
            passage_guid = None
            if passage is not None:
                g = _as_uuid(passage)
                row = None if g is None else db.passage(conn, g)
                if row is None or row.study_id != self.study_id:
                    raise CodingNotFound(str(passage))
                passage_guid = row.guid
            existing = db.memo_of(conn, code=code_guid, passage=passage_guid)
            if not text.strip():
                if existing is not None:
                    db.delete_memo(conn, existing.guid)
                    self._audit(conn, "memo_delete", memo=str(existing.guid))
                return None
            guid = existing.guid if existing is not None else uuid.uuid4()
            author = db.coder_guid(conn, self.coder)
            db.set_memo(conn, {"guid": guid, "study_id": self.study_id, "code": code_guid,
                               "passage": passage_guid, "author": author,
                               "text": text.strip()})
            self._audit(conn, "memo", memo=str(guid))
            return Memo(guid, text.strip(), self.coder, code_guid, passage_guid)

    def memos(self) -> tuple[Memo, ...]:
        with self._read() as conn:
            return tuple(Memo(m.guid, m.text, m.author, m.code, m.passage)
                         for m in db.memos(conn, self.study_id))

    # -- a code's passages ----------------------------------------------------------------
    def passages(self, code: uuid.UUID | str) -> tuple[CodedPassage, ...]:
        """Every passage coded with ``code`` (not its children), with its interview,
        section, question, stakeholder group and footprint; by interview then place."""
        self._sync()
        with self._read() as conn:
            row = self._code_row(conn, code)
            rows = db.codings(conn, self.study_id, code=row.guid)
            records = {r[2] for r in rows}
            interviews = {i.record_id: i for i in self._interviews(conn, records)}
            memos = {m.passage: m.text for m in db.memos(conn, self.study_id)
                     if m.passage is not None}
        out = []
        for r in rows:
            interview = interviews.get(r[2])
            if interview is None:
                continue
            field = self._layouts[interview.form_id].field(r[3])
            recording = r[3] == RECORDING_FIELD
            out.append(CodedPassage(
                _coding(r, memos.get(r[1])), interview.name,
                field.section if field else "Recording" if recording else "",
                field.question if field else "The interview's recording" if recording
                else r[3],
                interview.group, interview.footprint))
        return tuple(out)

    # -- coders and agreement -------------------------------------------------------------
    def coders(self) -> tuple[Coder, ...]:
        """Everyone who has coded anything in this study (``field`` included)."""
        with self._read() as conn:
            used = db.coder_names(conn, self.study_id)
            return tuple(Coder(r.guid, r.name) for r in db.coders(conn) if r.name in used)

    def agreement(self, coder_a: str, coder_b: str) -> Agreement:
        """Cohen's kappa and percentage agreement per code between two coders, over the
        fields of the interviews both coded (`qi_capture.coding.agreement`), and the
        units where they differ."""
        self._sync()
        with self._read() as conn:
            names = [c.name for c in self.coders()]
            for name in (coder_a, coder_b):
                if name not in names:
                    raise CoderUnknown(name, names)
            rows = db.codings(conn, self.study_id, coders_named=[coder_a, coder_b])
            code_rows = {r.guid: r for r in db.codes(conn, self.study_id)}
            by_coder: dict[str, list[DbRow]] = {coder_a: [], coder_b: []}
            for r in rows:
                by_coder[r[9]].append(r)
            records = ({r[2] for r in by_coder[coder_a]} & {r[2] for r in by_coder[coder_b]})
            interviews = list(self._interviews(conn, records))
        units: list[tuple[object, str]] = [(i.record_id, f) for i in interviews
                                           for f in i.texts]
        texts = {(i.record_id, f): t for i in interviews for f, t in i.texts.items()}
        # An interview's recording is one more unit where either coder coded a stretch.
        for rid in sorted({r[2] for name in by_coder for r in by_coder[name]
                           if r[3] == RECORDING_FIELD and r[2] in records}, key=str):
            units.append((rid, RECORDING_FIELD))
            texts[(rid, RECORDING_FIELD)] = ""
        sets: tuple[dict[object, set[tuple[object, str]]], ...] = ({}, {})
        for side, name in enumerate((coder_a, coder_b)):
            for r in by_coder[name]:
                if r[2] in records:
                    sets[side].setdefault(r[8], set()).add((r[2], r[3]))
        tables = kappa.per_code(units, sets[0], sets[1])
        ordered = sorted(tables, key=lambda c: (code_rows[c].name.casefold()
                                                if c in code_rows else "", str(c)))
        codes = []
        differences = []
        for c in ordered:
            t = tables[c]
            assert isinstance(c, uuid.UUID)
            codes.append(CodeAgreement(c, code_rows[c].name if c in code_rows else str(c),
                                       t.units, t.both, t.only_a, t.only_b, t.neither,
                                       t.percent, t.kappa))
            for unit in sorted(sets[0].get(c, set()) ^ sets[1].get(c, set()),
                               key=lambda u: (str(u[0]), u[1])):
                if unit not in texts:
                    continue
                rid, field = unit

                def there(name: str, rid: object = rid, field: str = field,
                          code: uuid.UUID = c) -> tuple[Coding, ...]:
                    return tuple(_coding(r) for r in by_coder[name]
                                 if r[2] == rid and r[3] == field and r[8] == code)

                assert isinstance(rid, uuid.UUID)
                differences.append(Difference(c, rid, field, texts[unit], there(coder_a),
                                              there(coder_b)))
        return Agreement(coder_a, coder_b, len(interviews), len(units), tuple(codes),
                         tuple(differences))

    # -- the matrix -----------------------------------------------------------------------
    def matrix(self, by: str = "group", *, min_cell: int = 5,
               statuses: Sequence[str] | None = ("approved",)) -> Matrix:
        """Codes (not retired) by stakeholder group (``by="group"``) or by footprint:
        how many interviews mention each code in each group (any coder, codings from
        the field not undone included), with the quotes behind each cell (key quotes
        only, only where the participant agreed to quotes). Only interviews whose review
        status is in ``statuses`` (None: all). A count from 1 to ``min_cell - 1`` is
        not shown, nor are its quotes (the report's rules, `qi_capture.report.suppress`)."""
        if by not in MATRIX_BY:
            raise ValueError(f"matrix by {by!r}: use one of {', '.join(MATRIX_BY)}")
        disclosure = Disclosure(min_cell=min_cell)
        self._sync()
        with self._read() as conn:
            interviews = [i for i in self._interviews(conn)
                          if statuses is None or i.review_status in statuses]
            rows = db.codings(conn, self.study_id)
            code_rows = [r for r in db.codes(conn, self.study_id) if not r.retired]
        kept = {i.record_id: i for i in interviews}
        group_of = {i.record_id: (i.group if by == "group" else i.footprint) or "Not known"
                    for i in interviews}
        labels = self._group_order(by)
        groups = [g for g in labels if g in set(group_of.values())]
        groups += sorted(set(group_of.values()) - set(groups))
        mentions: dict[uuid.UUID, dict[str, set[uuid.UUID]]] = {}
        quotes: dict[tuple[uuid.UUID, str], dict[str, None]] = {}
        for r in rows:
            interview = kept.get(r[2])
            if interview is None:
                continue
            group = group_of[r[2]]
            mentions.setdefault(r[8], {}).setdefault(group, set()).add(r[2])
            layout = self._layouts[interview.form_id]
            field = layout.field(r[3])
            if field is not None and field.quote and interview.quotes_allowed:
                words = _strip_tags(r[7])
                if words:
                    quotes.setdefault((r[8], group), {})[words] = None
        return matrix.build(by=by, codes=[_code(c) for c in code_rows], groups=groups,
                            mentions=mentions,
                            quotes={k: tuple(v) for k, v in quotes.items()},
                            interviews=len(interviews), min_cell=min_cell,
                            hidden=disclosure.hidden)

    def themes(self, *, statuses: Sequence[str] | None = ("approved",)
               ) -> tuple[CodeTheme, ...]:
        """The codes (not retired) for the report: per code the interviews mentioning it
        and its quotes, over interviews whose review status is in ``statuses``; most
        mentioned first. Counts are not suppressed here: the report does that."""
        self._sync()
        with self._read() as conn:
            interviews = {i.record_id: i for i in self._interviews(conn)
                          if statuses is None or i.review_status in statuses}
            rows = db.codings(conn, self.study_id)
            codes = [_code(r) for r in db.codes(conn, self.study_id)]
        paths = code_paths(codes)
        records: dict[uuid.UUID, set[uuid.UUID]] = {}
        quotes: dict[uuid.UUID, dict[str, ThemeQuote]] = {}
        passages: dict[uuid.UUID, list[ThemeQuote]] = {}
        for r in rows:
            interview = interviews.get(r[2])
            if interview is None:
                continue
            records.setdefault(r[8], set()).add(r[2])
            field = self._layouts[interview.form_id].field(r[3])
            words = _strip_tags(r[7])
            section = field.section if field is not None else ""
            if words:
                passages.setdefault(r[8], []).append(ThemeQuote(words, r[2], section, r[3]))
            if field is not None and field.quote and interview.quotes_allowed and words:
                quotes.setdefault(r[8], {}).setdefault(
                    words, ThemeQuote(words, r[2], field.section, r[3]))
        out = [CodeTheme(c, paths[c.guid], frozenset(records.get(c.guid, ())),
                         tuple(quotes.get(c.guid, {}).values()),
                         tuple(passages.get(c.guid, ())))
               for c in codes if not c.retired]
        out.sort(key=lambda t: (-len(t.records), t.path.casefold()))
        return tuple(out)

    def _group_order(self, by: str) -> list[str]:
        out: list[str] = []
        for layout in self._layouts.values():
            labels = layout.role_labels if by == "group" else layout.footprint_labels
            out += [v for v in labels.values() if v not in out]
        return out

    # -- exchange -------------------------------------------------------------------------
    def export_data(self) -> tuple[list[Interview], list[Code], list[Coding], list[Memo],
                                   list[Coder]]:
        """Everything an exchange file holds: interviews, codes, codings, memos, coders."""
        self._sync()
        with self._read() as conn:
            interviews = list(self._interviews(conn))
            codes = [_code(r) for r in db.codes(conn, self.study_id)]
            codings = [_coding(r) for r in db.codings(conn, self.study_id)]
            memos = [Memo(m.guid, m.text, m.author, m.code, m.passage)
                     for m in db.memos(conn, self.study_id)]
            used = {c.coder for c in codings} | {m.author for m in memos}
            coders = [Coder(r.guid, r.name) for r in db.coders(conn) if r.name in used]
        return interviews, codes, codings, memos, coders

    def export_rows(self) -> tuple[list[Interview], list[Code], list[DbRow], list[Memo],
                                   list[Coder]]:
        """As `export_data`, the codings as rows (columns of
        `qi_capture.central.coding.CODING_COLUMNS`): for the exchange module only."""
        self._sync()
        with self._read() as conn:
            interviews = list(self._interviews(conn))
            codes = [_code(r) for r in db.codes(conn, self.study_id)]
            rows = db.codings(conn, self.study_id)
            memos = [Memo(m.guid, m.text, m.author, m.code, m.passage)
                     for m in db.memos(conn, self.study_id)]
            used = db.coder_names(conn, self.study_id) | {m.author for m in memos}
            coders = [Coder(r.guid, r.name) for r in db.coders(conn) if r.name in used]
        return interviews, codes, rows, memos, coders

    def layout(self, form_id: str) -> Layout:
        return self._layouts[form_id]

    def current_interviews(self) -> list[Interview]:
        """The study's interviews as they read now (passages re-anchored first)."""
        self._sync()
        with self._read() as conn:
            return list(self._interviews(conn))

    def export(self, fmt: str, out: str | Path) -> ExchangeResult:
        """Write the study's coding to ``out`` as ``qdpx`` (REFI-QDA project: interviews
        as sources, codes, codings, memos, coders as users, one case per interview with
        its stakeholder group and footprint), ``qdc`` (codebook), ``csv`` (coded
        passages) or ``codebook-csv``; logged. NOT encrypted
        (`qi_capture.services.admin.coding_exchange`)."""
        from qi_capture.services.admin import coding_exchange  # lxml: only when exchanging

        return coding_exchange.export(self, fmt, Path(out))

    def import_file(self, path: str | Path) -> ExchangeResult:
        """Import a REFI-QDA ``.qdpx`` project, or a ``.qdc`` or ``.csv`` codebook: codes
        and codings made elsewhere land on the same passages; all or nothing; logged."""
        from qi_capture.services.admin import coding_exchange  # lxml: only when exchanging

        return coding_exchange.import_file(self, Path(path))


# -- helpers ------------------------------------------------------------------------------
def _as_uuid(ref: uuid.UUID | str) -> uuid.UUID | None:
    if isinstance(ref, uuid.UUID):
        return ref
    try:
        return uuid.UUID(str(ref).strip())
    except ValueError:
        return None


def _colour(colour: str) -> str:
    if not _COLOUR.match(colour.strip()):
        raise CodeColourInvalid(colour)
    return colour.strip().upper()


def _follow(by_guid: Mapping[uuid.UUID, DbRow], guid: uuid.UUID) -> uuid.UUID:
    """The code a merged code's codings went to (following chains of merges)."""
    seen = set()
    while guid in by_guid and by_guid[guid].merged_into is not None and guid not in seen:
        seen.add(guid)
        guid = by_guid[guid].merged_into
    return guid


def _form_of(canonical_json: str) -> str:
    match = re.search(r'"form_id":"([^"]*)"', canonical_json)
    return match.group(1) if match else ""


def _answers(canonical_json: str) -> dict[str, Any]:
    doc = orjson.loads(canonical_json)
    answers = doc.get("answers") if isinstance(doc, dict) else None
    return answers if isinstance(answers, dict) else {}


def _strip_tags(text: str) -> str:
    return re.sub(r"\s{2,}", " ", TAG.sub("", text)).strip()


def _chunks(rows: list[dict[str, Any]], size: int = 2_000) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]

