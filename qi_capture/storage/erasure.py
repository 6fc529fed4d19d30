"""Withdrawal of consent on the laptop: erasing a record, and tombstones.

An erasure is a revision of its own kind (an *erasure revision*): the record's revision
document with no answers, ``"deleted": true`` and ``"erasure": {"by", "reason",
"origin"}``, its parent the record's head. It is written, numbered and sent like any
other revision (the next bundle carries it to the centre, which erases its copy), so
it is signed with the bundle and acknowledged like the rest.

In the same transaction everything personal of the record goes: its draft answers,
every earlier revision (their answers), its paradata (it holds answer values), its
attachments and recordings (their keys are in those rows: the encrypted files left
behind cannot be read, and are unlinked after the commit), and its instance name and
form-session state. ``secure_delete`` (a pragma of every connection) overwrites the
freed pages, and a ``wal_checkpoint(TRUNCATE)`` afterwards empties the WAL, so no old
page stays there either. What remains is the tombstone: the record row (id, form,
interviewer, status) and the erasure revision (who, when, why).

An erasure the centre made reaches the laptop with an acknowledgement
(`qi_capture.sync.ack`); `Erasures.apply_central` erases the laptop's copy the same way,
with an erasure revision of its own that goes back and confirms it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from qi_capture.storage.attachment_files import AttachmentFiles
from qi_capture.storage.canonical import JsonValue, canonical_json, dumps, loads, revision_id
from qi_capture.storage.database import Database
from qi_capture.storage.dto import RevisionInfo
from qi_capture.storage.errors import ErasureReasonMissing, RecordErased, RecordNotFound
from qi_capture.storage.models import (
    AttachmentChunkRow,
    AttachmentRow,
    DeviceRow,
    DraftAnswerRow,
    FormVersionRow,
    ParadataEventRow,
    RecordingRow,
    RecordRow,
    RevisionRow,
    SyncParadataRow,
    utcnow,
)
from qi_capture.storage.records import REVISION_SCHEMA, REVISION_TYPE, _iso, _revision_info

#: Canonical JSON sorts keys, so a revision document that is a deletion has exactly this
#: text ("deleted" sorts right before "device_id"); inside an answer the quotes would be
#: escaped, so no answer can contain it.
ERASED_MARK = '"deleted":true,"device_id":'
#: Longest reason kept (the tombstone is not a place for notes).
MAX_REASON_CHARS = 500
CENTRE_REASON = "erased at the centre"


@dataclass(frozen=True)
class Tombstone:
    """What is left of an erased record: no answers, no names of respondents."""

    record_id: uuid.UUID
    form_version_id: int
    interviewer: str
    erasure_revision_id: str
    erased_at: str
    by: str
    reason: str
    origin: str


def is_erasure(document: object) -> bool:
    """Whether a decoded revision document is an erasure revision."""
    return (isinstance(document, dict) and document.get("deleted") is True
            and isinstance(document.get("erasure"), dict))


class Erasures:
    def __init__(self, db: Database, device_id: uuid.UUID, files: AttachmentFiles) -> None:
        self._db = db
        self._device_id = device_id
        self._files = files

    def erased_ids(self, record_ids: Iterable[uuid.UUID] | None = None) -> set[uuid.UUID]:
        """The records (of ``record_ids``, or all) whose head is an erasure revision."""
        wanted = None if record_ids is None else list(record_ids)
        with self._db.read() as s:
            query = (
                select(RecordRow.id)
                .join(RevisionRow, RevisionRow.id == RecordRow.head_revision_id)
                .where(RevisionRow.canonical_json.contains(ERASED_MARK))
            )
            if wanted is None:
                return set(s.scalars(query))
            found: set[uuid.UUID] = set()
            for start in range(0, len(wanted), 500):
                found.update(s.scalars(query.where(RecordRow.id.in_(wanted[start:start + 500]))))
            return found

    def erase(
        self,
        record_id: uuid.UUID,
        *,
        reason: str,
        by: str,
        origin: str = "laptop",
        now: datetime | None = None,
    ) -> RevisionInfo:
        """Erase a record (draft, finalised, sent or acknowledged) and write its erasure
        revision; one transaction, then the attachment files are unlinked and the WAL
        truncated. Raises `RecordNotFound`, `RecordErased` or `ErasureReasonMissing`."""
        reason = " ".join(reason.split())
        if not reason:
            raise ErasureReasonMissing()
        reason = reason[:MAX_REASON_CHARS]
        moment = now or utcnow()
        with self._db.write() as s:
            row = s.get(RecordRow, record_id)
            if row is None:
                raise RecordNotFound(str(record_id))
            if row.head_revision_id is not None:
                head = s.get(RevisionRow, row.head_revision_id)
                if head is not None and ERASED_MARK in head.canonical_json:
                    raise RecordErased(str(record_id))
            form = s.get(FormVersionRow, row.form_version_id)
            device = s.get(DeviceRow, self._device_id)
            if form is None or device is None:  # foreign keys make this unreachable
                raise RecordNotFound(str(record_id))
            gone = self._delete_personal(s, record_id)
            device.last_sequence += 1
            parents: list[JsonValue] = (
                [] if row.head_revision_id is None else [row.head_revision_id]
            )
            document: JsonValue = {
                "type": REVISION_TYPE,
                "schema": REVISION_SCHEMA,
                "record_id": str(record_id),
                "form": {"study_id": form.study_id, "form_id": form.form_id,
                         "version": form.version, "sha256": form.sha256},
                "parents": parents,
                "device_id": str(self._device_id),
                "device_seq": device.last_sequence,
                "created": _iso(moment),
                "interviewer": row.interviewer,
                "instance_name": None,
                "answers": {},
                "deleted": True,
                "erasure": {"by": by, "reason": reason, "origin": origin},
            }
            canonical = canonical_json(document)
            rev = RevisionRow(id=revision_id(canonical), record_id=record_id,
                              parents_json=dumps(parents), device_id=self._device_id,
                              device_seq=device.last_sequence, canonical_json=canonical,
                              created=moment)
            s.add(rev)
            row.head_revision_id = rev.id
            row.instance_name = None
            row.session_state = None
            row.editing = False
            if row.status == "draft":
                row.status = "finalised"  # so that the next sync sends the erasure
            row.updated = moment
            s.flush()
            info = _revision_info(rev)
        self._files.remove(gone)
        self.checkpoint()
        return info

    def _delete_personal(self, s: Session, record_id: uuid.UUID) -> list[uuid.UUID]:
        """Delete what the record holds of a person; returns the attachment and
        recording ids whose files go after the commit."""
        gone = list(s.scalars(select(AttachmentRow.id).where(AttachmentRow.record_id == record_id)))
        gone += list(s.scalars(select(RecordingRow.id).where(RecordingRow.record_id == record_id)))
        if gone:
            s.execute(delete(AttachmentChunkRow).where(AttachmentChunkRow.attachment_id.in_(gone)))
        s.execute(delete(AttachmentRow).where(AttachmentRow.record_id == record_id))
        s.execute(delete(RecordingRow).where(RecordingRow.record_id == record_id))
        s.execute(delete(DraftAnswerRow).where(DraftAnswerRow.record_id == record_id))
        s.execute(delete(ParadataEventRow).where(ParadataEventRow.record_id == record_id))
        s.execute(delete(SyncParadataRow).where(SyncParadataRow.record_id == record_id))
        # Earlier revisions hold answers; their sync rows go with them (ON DELETE CASCADE).
        s.execute(delete(RevisionRow).where(RevisionRow.record_id == record_id))
        return gone

    def apply_central(self, record_ids: Iterable[uuid.UUID], *, by: str = "centre",
                      now: datetime | None = None) -> list[uuid.UUID]:
        """Erase this laptop's copy of records the centre erased (those held here and
        not erased yet); returns the ids erased now."""
        wanted = sorted(set(record_ids))
        if not wanted:
            return []
        with self._db.read() as s:
            held = [r for start in range(0, len(wanted), 500)
                    for r in s.scalars(select(RecordRow.id).where(
                        RecordRow.id.in_(wanted[start:start + 500])))]
        already = self.erased_ids(held)
        done: list[uuid.UUID] = []
        for record_id in sorted(set(held) - already):
            self.erase(record_id, reason=CENTRE_REASON, by=by, origin="centre", now=now)
            done.append(record_id)
        return done

    def tombstones(self) -> list[Tombstone]:
        """Every erased record still on the laptop, oldest erasure first."""
        out: list[Tombstone] = []
        with self._db.read() as s:
            rows = s.execute(
                select(RecordRow.id, RecordRow.form_version_id, RecordRow.interviewer,
                       RevisionRow.id, RevisionRow.canonical_json)
                .join(RevisionRow, RevisionRow.id == RecordRow.head_revision_id)
                .where(RevisionRow.canonical_json.contains(ERASED_MARK))
            ).all()
        for rid, fv, interviewer, rev_id, canonical in rows:
            doc = loads(canonical)
            if not is_erasure(doc):
                continue
            assert isinstance(doc, dict)
            erasure = doc["erasure"]
            assert isinstance(erasure, dict)
            out.append(Tombstone(rid, fv, interviewer, rev_id, str(doc.get("created")),
                                 str(erasure.get("by")), str(erasure.get("reason")),
                                 str(erasure.get("origin"))))
        return sorted(out, key=lambda t: (t.erased_at, str(t.record_id)))

    def checkpoint(self) -> None:
        """Copy the WAL into the database and truncate it to nothing, so pages from
        before an erasure do not linger in the ``-wal`` file."""
        self._db.checkpoint()
