"""Folder-sync bookkeeping for this device's revisions: which are still to send, marking
them sent (with the bundle chain) and acknowledged, and purging acknowledged records
after the retention period. Every method is one transaction.

Paradata goes with its record's revisions: ``sync_paradata`` keeps, per record, the
highest event seq sent (events are append-only with increasing seq), so a bundle
carries only the events after it (or all, when everything is re-sent).

Status moves with it: a record goes ``finalised -> sent`` when a bundle carrying its
revisions has been written, ``sent -> acknowledged`` when the admin acknowledges its head
revision. A record edited after acknowledgement keeps its status (it never moves back)
but its new head is unacknowledged, so it is sent again and is not purged.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, delete, func, select

from qi_capture.storage.attachment_files import AttachmentFiles, read_pieces
from qi_capture.storage.canonical import JsonValue, dumps
from qi_capture.storage.database import Database
from qi_capture.storage.dto import AttachmentInfo, RevisionInfo
from qi_capture.storage.models import (
    AttachmentRow,
    FormVersionRow,
    ParadataEventRow,
    RecordRow,
    RevisionRow,
    SettingRow,
    SyncParadataRow,
    SyncRevisionRow,
)
from qi_capture.storage.records import _revision_info, attachment_ids_of


@dataclass(frozen=True)
class OutgoingRevision:
    """What a bundle needs of a revision (no parsing of its answers)."""

    id: str
    record_id: uuid.UUID
    device_seq: int
    canonical_json: str


@dataclass(frozen=True)
class OutgoingParadata:
    """One paradata event as a bundle carries it (``session_started_at`` as stored:
    ISO-8601 UTC with microseconds and ``Z``; ``payload_json`` canonical JSON)."""

    record_id: uuid.UUID
    seq: int
    kind: str
    session_id: uuid.UUID
    session_started_at: str
    elapsed_ms: int
    payload_json: str


PARADATA_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")


class SyncLedger:
    def __init__(self, db: Database, device_id: uuid.UUID, files: AttachmentFiles) -> None:
        self._db = db
        self._device_id = device_id
        self._files = files

    def _to_send(self, query: _Query, study_id: str, include_sent: bool) -> _Query:
        """``query`` narrowed to this device's revisions of ``study_id``'s records, in
        sequence order: those never sent, or (``include_sent``) every one on the laptop."""
        query = (
            query.join(RecordRow, RecordRow.id == RevisionRow.record_id)
            .join(FormVersionRow, FormVersionRow.id == RecordRow.form_version_id)
            .outerjoin(SyncRevisionRow, SyncRevisionRow.revision_id == RevisionRow.id)
            .where(RevisionRow.device_id == self._device_id, FormVersionRow.study_id == study_id)
            .order_by(RevisionRow.device_seq)
        )
        return query if include_sent else query.where(SyncRevisionRow.revision_id.is_(None))

    def revisions_to_send(self, study_id: str, *, include_sent: bool = False) -> list[RevisionInfo]:
        """This device's revisions of ``study_id``'s records, in sequence order: those never
        sent, or (``include_sent``) every one still on the laptop."""
        with self._db.read() as s:
            query = self._to_send(select(RevisionRow), study_id, include_sent)
            return [_revision_info(r) for r in s.scalars(query)]

    def outgoing(self, study_id: str, *, include_sent: bool = False) -> list[OutgoingRevision]:
        """Like `revisions_to_send`, without decoding each revision (for bundles)."""
        with self._db.read() as s:
            query = self._to_send(
                select(RevisionRow.id, RevisionRow.record_id, RevisionRow.device_seq,
                       RevisionRow.canonical_json),
                study_id, include_sent,
            )
            return [OutgoingRevision(*row) for row in s.execute(query)]

    def paradata_to_send(
        self, record_ids: Iterable[uuid.UUID], *, include_sent: bool = False
    ) -> list[OutgoingParadata]:
        """The paradata events of these records not sent yet (``include_sent``: every one
        still on the laptop), by record then seq, in one read transaction."""
        wanted = list(dict.fromkeys(record_ids))
        out: list[OutgoingParadata] = []
        with self._db.read() as s:
            for start in range(0, len(wanted), 500):
                query = (
                    select(ParadataEventRow.record_id, ParadataEventRow.seq,
                           ParadataEventRow.kind, ParadataEventRow.session_id,
                           ParadataEventRow.session_started_at, ParadataEventRow.elapsed_ms,
                           ParadataEventRow.payload_json)
                    .outerjoin(SyncParadataRow,
                               SyncParadataRow.record_id == ParadataEventRow.record_id)
                    .where(ParadataEventRow.record_id.in_(wanted[start : start + 500]))
                    .order_by(ParadataEventRow.record_id, ParadataEventRow.seq)
                )
                if not include_sent:
                    query = query.where(
                        (SyncParadataRow.sent_seq.is_(None))
                        | (ParadataEventRow.seq > SyncParadataRow.sent_seq)
                    )
                out.extend(
                    OutgoingParadata(record_id, seq, kind, session_id,
                                     started.astimezone(UTC).strftime(PARADATA_TIME_FORMAT),
                                     elapsed_ms, payload_json)
                    for record_id, seq, kind, session_id, started, elapsed_ms, payload_json
                    in s.execute(query)
                )
        return out

    def attachment_sources(
        self, record_ids: Iterable[uuid.UUID]
    ) -> list[tuple[AttachmentInfo, Callable[[], Iterator[bytes]]]]:
        """The attachments of these records in one query, by record then creation, each
        with a function streaming its bytes as `attachment_pieces` does (the file keys
        read in the same query: a bundle of many attachments looks no row up again)."""
        wanted = list(dict.fromkeys(record_ids))
        out: list[tuple[AttachmentInfo, Callable[[], Iterator[bytes]]]] = []
        with self._db.read() as s:
            for start in range(0, len(wanted), 500):
                rows = s.scalars(
                    select(AttachmentRow)
                    .where(AttachmentRow.record_id.in_(wanted[start : start + 500]))
                    .order_by(AttachmentRow.record_id, AttachmentRow.created, AttachmentRow.id)
                )
                for r in rows:
                    info = AttachmentInfo(r.id, r.record_id, r.name, r.media_type, r.size,
                                          r.sha256, r.created)
                    out.append((info, self._source(r.id, r.file_key, r.size)))
        return out

    def _source(
        self, attachment_id: uuid.UUID, key: bytes | None, size: int
    ) -> Callable[[], Iterator[bytes]]:
        if key is None:  # still in the database (not moved to a file yet)
            return lambda: read_pieces(self._db, self._files, attachment_id)
        return lambda: self._files.read(attachment_id, key, size)

    def attachment_pieces(self, attachment_id: uuid.UUID) -> Iterator[bytes]:
        """An attachment's bytes in order, one authenticated chunk at a time, streamed
        from its encrypted file (a bundle streams them). Raises `AttachmentNotFound`,
        `AttachmentFileMissing` or `AttachmentFileDamaged`: never wrong bytes."""
        return read_pieces(self._db, self._files, attachment_id)

    def mark_sent(
        self,
        bundle_id: str,
        revision_ids: Iterable[str],
        *,
        at: datetime,
        settings: dict[str, JsonValue] | None = None,
        paradata: Mapping[uuid.UUID, int] | None = None,
    ) -> None:
        """Record that these revisions left in ``bundle_id`` (their records become
        ``sent``), that each record's paradata up to ``paradata[record_id]`` (a seq)
        went with them, and write ``settings`` (the bundle chain), in one transaction."""
        ids = list(revision_ids)
        with self._db.write() as s:
            for record_id, last_seq in (paradata or {}).items():
                if s.get(RecordRow, record_id) is None:
                    continue
                mark = s.get(SyncParadataRow, record_id)
                if mark is None:
                    s.add(SyncParadataRow(record_id=record_id, sent_seq=last_seq,
                                          bundle_id=bundle_id, sent=at))
                elif last_seq >= mark.sent_seq:
                    mark.sent_seq, mark.bundle_id, mark.sent = last_seq, bundle_id, at
            records: set[uuid.UUID] = set()
            for rev_id in ids:
                rev = s.get(RevisionRow, rev_id)
                if rev is None:
                    continue
                records.add(rev.record_id)
                row = s.get(SyncRevisionRow, rev_id)
                if row is None:
                    s.add(SyncRevisionRow(revision_id=rev_id, bundle_id=bundle_id, sent=at,
                                          acknowledged=None))
                else:
                    row.bundle_id, row.sent = bundle_id, at
            for record_id in records:
                record = s.get(RecordRow, record_id)
                if record is not None and record.status == "finalised":
                    record.status, record.updated = "sent", at
            for key, value in (settings or {}).items():
                s.merge(SettingRow(key=key, value_json=dumps(value)))

    def mark_acknowledged(self, revision_ids: Iterable[str], *, at: datetime) -> list[str]:
        """Mark sent revisions acknowledged; returns those that were not already. A record
        whose head revision is acknowledged becomes ``acknowledged``. Ids that were never
        sent from here (or are unknown) are ignored."""
        newly: list[str] = []
        wanted = sorted(set(revision_ids))
        if not wanted:
            return newly
        with self._db.write() as s:
            records: set[uuid.UUID] = set()
            for rev_id in wanted:
                row = s.get(SyncRevisionRow, rev_id)
                if row is None or row.acknowledged is not None:
                    continue
                row.acknowledged = at
                newly.append(rev_id)
                rev = s.get(RevisionRow, rev_id)
                if rev is not None:
                    records.add(rev.record_id)
            for record_id in records:
                record = s.get(RecordRow, record_id)
                if record is None or record.status != "sent" or record.head_revision_id is None:
                    continue
                head = s.get(SyncRevisionRow, record.head_revision_id)
                if head is not None and head.acknowledged is not None:
                    record.status, record.updated = "acknowledged", at
        return newly

    def acknowledged_revision_ids(self) -> set[str]:
        with self._db.read() as s:
            return set(
                s.scalars(
                    select(SyncRevisionRow.revision_id).where(
                        SyncRevisionRow.acknowledged.is_not(None)
                    )
                )
            )

    def purge_acknowledged(
        self, study_id: str, *, acknowledged_before: datetime
    ) -> list[uuid.UUID]:
        """Delete ``study_id``'s records whose every revision was acknowledged before
        ``acknowledged_before`` (and that are not being edited), with their revisions,
        answers, paradata and attachments. ``secure_delete`` overwrites the freed pages;
        the attachments' keys go with their rows and their files are removed after the
        commit. A record with any unacknowledged revision is never purged."""
        purged: list[uuid.UUID] = []
        gone: list[uuid.UUID] = []
        with self._db.write() as s:
            candidates = list(
                s.scalars(
                    select(RecordRow.id)
                    .join(FormVersionRow, FormVersionRow.id == RecordRow.form_version_id)
                    .where(
                        FormVersionRow.study_id == study_id,
                        RecordRow.status == "acknowledged",
                        RecordRow.editing.is_(False),
                    )
                )
            )
            for record_id in candidates:
                total, acked, newest = s.execute(
                    select(
                        func.count(RevisionRow.id),
                        func.count(SyncRevisionRow.acknowledged),
                        func.max(SyncRevisionRow.acknowledged),
                    )
                    .select_from(RevisionRow)
                    .outerjoin(SyncRevisionRow, SyncRevisionRow.revision_id == RevisionRow.id)
                    .where(RevisionRow.record_id == record_id)
                ).one()
                if total == 0 or acked != total or newest is None:
                    continue
                if not isinstance(newest, datetime):  # max() keeps the column's type
                    newest = datetime.strptime(str(newest), "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                        tzinfo=UTC
                    )
                if newest >= acknowledged_before:
                    continue
                # Before the delete: the cascade removes the attachment rows inside SQLite.
                gone.extend(attachment_ids_of(s, [record_id]))
                s.execute(delete(RevisionRow).where(RevisionRow.record_id == record_id))
                s.execute(delete(RecordRow).where(RecordRow.id == record_id))
                purged.append(record_id)
        self._files.remove(gone)  # only once the deletion has committed
        return purged
