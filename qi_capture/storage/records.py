"""Record lifecycle: create, autosave each answer change, finalise into an immutable
revision, edit (a new revision whose parent is the previous head), forward-only status.

Every method is one transaction. Answers are JSON values keyed by question path; the
form engine owns what the paths mean.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from qi_capture.storage.attachment_files import AttachmentFiles
from qi_capture.storage.canonical import JsonValue, canonical_json, dumps, loads, revision_id
from qi_capture.storage.database import Database
from qi_capture.storage.dto import ParadataEvent, RecordDetail, RecordSummary, RevisionInfo
from qi_capture.storage.errors import (
    FormVersionNotFound,
    InvalidAnswerValue,
    InvalidStatusTransition,
    RecordErased,
    RecordNotDeletable,
    RecordNotEditable,
    RecordNotFound,
)
from qi_capture.storage.models import (
    RECORD_STATUSES,
    AttachmentRow,
    DeviceRow,
    DraftAnswerRow,
    FormVersionRow,
    RecordRow,
    RevisionRow,
    utcnow,
)
from qi_capture.storage.paradata import append_core, append_in

REVISION_TYPE = "qi-capture.revision"
REVISION_SCHEMA = 1


class _Keep:
    """Sentinel: leave the session state as it is."""


KEEP: Final = _Keep()

_RECORD = RecordRow.metadata.tables[RecordRow.__tablename__]
_ANSWER = DraftAnswerRow.metadata.tables[DraftAnswerRow.__tablename__]
_upsert = sqlite_insert(_ANSWER)
#: Autosave of one answer: insert it, or replace the stored value (SQLite's upsert).
_UPSERT_ANSWER = _upsert.on_conflict_do_update(
    index_elements=[_ANSWER.c.record_id, _ANSWER.c.path],
    set_={"value_json": _upsert.excluded.value_json, "updated": _upsert.excluded.updated},
)
_CLEAR_ANSWER = delete(_ANSWER).where(
    _ANSWER.c.record_id == bindparam("rid"), _ANSWER.c.path == bindparam("p")
)
#: Autosave touches the record only while it may be edited; no row updated: refuse.
_TOUCH_DRAFT = (
    update(_RECORD)
    .where(
        _RECORD.c.id == bindparam("rid"),
        or_(_RECORD.c.status == "draft", _RECORD.c.editing.is_(True)),
    )
    .values(updated=bindparam("now"))
)
_TOUCH_DRAFT_WITH_STATE = _TOUCH_DRAFT.values(session_state=bindparam("session_state"))


def _summary(row: RecordRow) -> RecordSummary:
    return RecordSummary(
        id=row.id,
        form_version_id=row.form_version_id,
        status=row.status,
        editing=row.editing,
        instance_name=row.instance_name,
        interviewer=row.interviewer,
        head_revision_id=row.head_revision_id,
        created=row.created,
        updated=row.updated,
    )


def _revision_info(row: RevisionRow) -> RevisionInfo:
    doc = loads(row.canonical_json)
    answers = doc.get("answers") if isinstance(doc, dict) else None
    parents = loads(row.parents_json)
    return RevisionInfo(
        id=row.id,
        record_id=row.record_id,
        parents=tuple(str(p) for p in parents) if isinstance(parents, list) else (),
        device_id=row.device_id,
        device_seq=row.device_seq,
        created=row.created,
        canonical_json=row.canonical_json,
        answers=dict(answers) if isinstance(answers, dict) else {},
    )


def _get(db_session: Session, record_id: uuid.UUID) -> RecordRow:
    row = db_session.get(RecordRow, record_id)
    if row is None:
        raise RecordNotFound(str(record_id))
    return row


def _draft_answers(db_session: Session, record_id: uuid.UUID) -> dict[str, JsonValue]:
    rows = db_session.scalars(
        select(DraftAnswerRow)
        .where(DraftAnswerRow.record_id == record_id)
        .order_by(DraftAnswerRow.path)
    )
    return {r.path: loads(r.value_json) for r in rows}


def attachment_ids_of(db_session: Session, record_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """The attachments of these records: collect them before deleting the records
    (``ON DELETE CASCADE`` removes the rows inside SQLite, out of Python's sight), to
    remove their files once the deletion has committed."""
    found: list[uuid.UUID] = []
    for start in range(0, len(record_ids), 500):
        found.extend(
            db_session.scalars(
                select(AttachmentRow.id).where(
                    AttachmentRow.record_id.in_(record_ids[start : start + 500])
                )
            )
        )
    return found


class Records:
    def __init__(self, db: Database, device_id: uuid.UUID, files: AttachmentFiles) -> None:
        self._db = db
        self._device_id = device_id
        self._files = files

    # -- creating and autosaving --------------------------------------------------
    def create_record(
        self,
        form_version_id: int,
        *,
        interviewer: str,
        instance_name: str | None = None,
        record_id: uuid.UUID | None = None,
        session_state: JsonValue = None,
        event: ParadataEvent | None = None,
        answers: Mapping[str, JsonValue] | None = None,
    ) -> RecordSummary:
        """A new draft for a form version, with the form session's initial state and
        answers (metadata, defaults) and an optional first paradata event: one
        transaction."""
        encoded: dict[str, str] = {}
        for path, value in (answers or {}).items():
            if value is None:
                continue
            try:
                encoded[path] = dumps(value)
            except ValueError as exc:
                raise InvalidAnswerValue(path, str(exc)) from exc
        now = utcnow()
        with self._db.write() as s:
            if s.get(FormVersionRow, form_version_id) is None:
                raise FormVersionNotFound(str(form_version_id))
            row = RecordRow(
                id=record_id or uuid.uuid4(),
                form_version_id=form_version_id,
                status="draft",
                editing=False,
                instance_name=instance_name,
                interviewer=interviewer,
                head_revision_id=None,
                session_state=None if session_state is None else dumps(session_state),
                created=now,
                updated=now,
            )
            s.add(row)
            s.flush()
            for path, text in encoded.items():
                s.add(DraftAnswerRow(record_id=row.id, path=path, value_json=text, updated=now))
            if event is not None:
                append_in(s, row.id, event)
            return _summary(row)

    def save_answer_change(
        self,
        record_id: uuid.UUID,
        path: str,
        value: JsonValue,
        *,
        session_state: JsonValue | _Keep = KEEP,
        event: ParadataEvent | None = None,
    ) -> None:
        """Autosave one answer (``None`` clears it) in its own durable transaction,
        with the session state and a paradata event if given. When this returns the
        change survives a crash."""
        self.save_answer_changes(record_id, {path: value}, session_state=session_state, event=event)

    def save_answer_changes(
        self,
        record_id: uuid.UUID,
        changes: Mapping[str, JsonValue],
        *,
        session_state: JsonValue | _Keep = KEEP,
        event: ParadataEvent | None = None,
        events: Sequence[ParadataEvent] = (),
    ) -> None:
        """Several paths at once (e.g. removing a repeat instance, or an answer and the
        calculations it changed), with the session state and paradata events (``event``
        first, then ``events``): one durable transaction."""
        encoded: dict[str, str | None] = {}
        for path, value in changes.items():
            try:
                encoded[path] = None if value is None else dumps(value)
            except ValueError as exc:
                raise InvalidAnswerValue(path, str(exc)) from exc
        state: dict[str, str | None] = {}
        if not isinstance(session_state, _Keep):
            state["session_state"] = None if session_state is None else dumps(session_state)
        now = utcnow()
        # Core statements, not the ORM: this runs on every answer change, and loading the
        # rows into a session and flushing them cost several times the SQL itself.
        with self._db.write_core() as conn:
            touched = conn.execute(
                _TOUCH_DRAFT_WITH_STATE if state else _TOUCH_DRAFT,
                {"rid": record_id, "now": now, **state},
            )
            if touched.rowcount != 1:
                status = conn.scalar(select(_RECORD.c.status).where(_RECORD.c.id == record_id))
                if status is None:
                    raise RecordNotFound(str(record_id))
                raise RecordNotEditable(str(record_id), status)
            upserts = [
                {"record_id": record_id, "path": path, "value_json": text, "updated": now}
                for path, text in encoded.items()
                if text is not None
            ]
            if upserts:
                conn.execute(_UPSERT_ANSWER, upserts)
            cleared = [{"rid": record_id, "p": path} for path, t in encoded.items() if t is None]
            if cleared:
                conn.execute(_CLEAR_ANSWER, cleared)
            append_core(conn, record_id, [e for e in (event, *events) if e is not None])

    def save_session_state(self, record_id: uuid.UUID, session_state: JsonValue) -> None:
        with self._db.write() as s:
            row = _get(s, record_id)
            row.session_state = None if session_state is None else dumps(session_state)
            row.updated = utcnow()

    def set_instance_name(self, record_id: uuid.UUID, instance_name: str | None) -> None:
        with self._db.write() as s:
            row = _get(s, record_id)
            row.instance_name = instance_name
            row.updated = utcnow()

    # -- finalising and editing ---------------------------------------------------
    def finalise(
        self,
        record_id: uuid.UUID,
        *,
        event: ParadataEvent | None = None,
        events: Sequence[ParadataEvent] = (),
        answers: Mapping[str, JsonValue] | None = None,
        instance_name: str | _Keep | None = KEEP,
    ) -> RevisionInfo:
        """Snapshot the answers as a new revision (parent: the previous head, if any),
        bump the device sequence, clear the draft. One transaction.

        ``answers`` is the snapshot to keep (the form session's submission); without it
        the draft answers are snapshotted as they are."""
        snapshot: dict[str, JsonValue] | None = None
        if answers is not None:
            snapshot = {}
            for path, value in answers.items():
                try:
                    snapshot[path] = loads(dumps(value))
                except ValueError as exc:
                    raise InvalidAnswerValue(path, str(exc)) from exc
        now = utcnow()
        with self._db.write() as s:
            row = _get(s, record_id)
            if row.status != "draft" and not row.editing:
                raise InvalidStatusTransition(str(record_id), row.status, "finalised")
            form = s.get(FormVersionRow, row.form_version_id)
            device = s.get(DeviceRow, self._device_id)
            if form is None or device is None:  # foreign keys make this unreachable
                raise RecordNotFound(str(record_id))
            device.last_sequence += 1
            if not isinstance(instance_name, _Keep):
                row.instance_name = instance_name
            parents: list[JsonValue] = (
                [] if row.head_revision_id is None else [row.head_revision_id]
            )
            document: JsonValue = {
                "type": REVISION_TYPE,
                "schema": REVISION_SCHEMA,
                "record_id": str(record_id),
                "form": {
                    "study_id": form.study_id,
                    "form_id": form.form_id,
                    "version": form.version,
                    "sha256": form.sha256,
                },
                "parents": parents,
                "device_id": str(self._device_id),
                "device_seq": device.last_sequence,
                "created": _iso(now),
                "interviewer": row.interviewer,
                "instance_name": row.instance_name,
                "answers": _draft_answers(s, record_id) if snapshot is None else snapshot,
            }
            canonical = canonical_json(document)
            rev = RevisionRow(
                id=revision_id(canonical),
                record_id=record_id,
                parents_json=dumps(parents),
                device_id=self._device_id,
                device_seq=device.last_sequence,
                canonical_json=canonical,
                created=now,
            )
            s.add(rev)
            s.execute(delete(DraftAnswerRow).where(DraftAnswerRow.record_id == record_id))
            row.head_revision_id = rev.id
            if row.status == "draft":
                row.status = "finalised"
            row.editing = False
            row.session_state = None
            row.updated = now
            for item in (event, *events):
                if item is not None:
                    append_in(s, record_id, item)
            s.flush()
            return _revision_info(rev)

    def begin_edit(
        self,
        record_id: uuid.UUID,
        *,
        session_state: JsonValue | _Keep = KEEP,
        event: ParadataEvent | None = None,
    ) -> None:
        """Open a finalised (or sent, or acknowledged) record for editing: its head
        snapshot becomes the draft. Status does not move back; the next `finalise`
        writes a new revision whose parent is the current head. A record already being
        edited (or a draft) is left as it is."""
        now = utcnow()
        with self._db.write() as s:
            row = _get(s, record_id)
            if row.status == "draft" or row.editing:
                return
            head = s.get(RevisionRow, row.head_revision_id)
            if head is not None and '"deleted":true,"device_id":' in head.canonical_json:
                raise RecordErased(str(record_id))  # see qi_capture.storage.erasure
            answers = {} if head is None else _revision_info(head).answers
            for path, value in answers.items():
                s.add(
                    DraftAnswerRow(
                        record_id=record_id, path=path, value_json=dumps(value), updated=now
                    )
                )
            row.editing = True
            if not isinstance(session_state, _Keep):
                row.session_state = None if session_state is None else dumps(session_state)
            if event is not None:
                append_in(s, record_id, event)
            row.updated = now

    def delete_draft(self, record_id: uuid.UUID) -> None:
        """Delete a record that was never finalised, with its answers, paradata and
        attachments (``secure_delete`` overwrites the freed pages; the attachments'
        keys go with their rows, and their files are removed after the commit).
        Finalised records are never deleted: their revisions are history."""
        with self._db.write() as s:
            row = _get(s, record_id)
            if row.status != "draft" or row.head_revision_id is not None:
                raise RecordNotDeletable(str(record_id), row.status)
            gone = attachment_ids_of(s, [record_id])
            s.delete(row)
        self._files.remove(gone)

    def set_status(self, record_id: uuid.UUID, status: str) -> None:
        """Move a record one step forward: finalised -> sent -> acknowledged.
        (draft -> finalised goes through `finalise`.)"""
        with self._db.write() as s:
            row = _get(s, record_id)
            current = RECORD_STATUSES.index(row.status)
            if (
                status not in RECORD_STATUSES
                or status == "finalised"
                or RECORD_STATUSES.index(status) != current + 1
            ):
                raise InvalidStatusTransition(str(record_id), row.status, status)
            row.status = status
            row.updated = utcnow()

    # -- reading -------------------------------------------------------------------
    def get_record(self, record_id: uuid.UUID) -> RecordDetail:
        with self._db.read() as s:
            row = _get(s, record_id)
            if row.status == "draft" or row.editing:
                answers = _draft_answers(s, record_id)
            else:
                head = s.get(RevisionRow, row.head_revision_id)
                answers = {} if head is None else _revision_info(head).answers
            return RecordDetail(
                summary=_summary(row), answers=answers, session_state=loads(row.session_state)
            )

    def list_records(
        self, *, status: str | None = None, form_version_id: int | None = None
    ) -> list[RecordSummary]:
        with self._db.read() as s:
            query = select(RecordRow).order_by(RecordRow.created, RecordRow.id)
            if status is not None:
                query = query.where(RecordRow.status == status)
            if form_version_id is not None:
                query = query.where(RecordRow.form_version_id == form_version_id)
            return [_summary(r) for r in s.scalars(query)]

    def revisions(self, record_id: uuid.UUID) -> list[RevisionInfo]:
        """A record's revisions, oldest first."""
        with self._db.read() as s:
            rows = s.scalars(
                select(RevisionRow)
                .where(RevisionRow.record_id == record_id)
                .order_by(RevisionRow.device_seq)
            )
            return [_revision_info(r) for r in rows]

    def get_revision(self, rev_id: str) -> RevisionInfo:
        with self._db.read() as s:
            row = s.get(RevisionRow, rev_id)
            if row is None:
                raise RecordNotFound(rev_id)
            return _revision_info(row)

    def revisions_after(self, device_seq: int) -> list[RevisionInfo]:
        """This device's revisions with a sequence number above ``device_seq`` (for
        incremental bundles)."""
        with self._db.read() as s:
            rows = s.scalars(
                select(RevisionRow)
                .where(
                    RevisionRow.device_id == self._device_id, RevisionRow.device_seq > device_seq
                )
                .order_by(RevisionRow.device_seq)
            )
            return [_revision_info(r) for r in rows]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
