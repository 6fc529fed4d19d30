"""The tables of a profile database, as typed SQLAlchemy 2 declarative models.

Only `qi_capture.storage` sees these ``...Row`` classes; everything outside gets the
frozen dataclasses in `qi_capture.storage.dto`. A schema change here needs an Alembic
revision in ``migrations/versions`` (a test compares the two).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

RECORD_STATUSES = ("draft", "finalised", "sent", "acknowledged")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes stored as ISO-8601 text ending in Z: sortable, unambiguous,
    and readable by any SQLite tool (SQLite has no datetime type of its own)."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC time")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def process_result_value(self, value: str | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        uuid.UUID: Uuid(as_uuid=True),
    }


class DeviceRow(Base):
    """This laptop profile's identity. ``last_sequence`` is the device sequence counter
    bumped by every finalise, so (device, sequence) never repeats."""

    __tablename__ = "device"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    signing_key: Mapped[bytes] = mapped_column(LargeBinary)
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[datetime]


class StudyRow(Base):
    __tablename__ = "study"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    created: Mapped[datetime]


class FormVersionRow(Base):
    """One exact form as captured with: the XLSForm bytes, their hash and the compiled form."""

    __tablename__ = "form_version"
    __table_args__ = (UniqueConstraint("study_id", "form_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    study_id: Mapped[str] = mapped_column(ForeignKey("study.id"))
    form_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    xlsform: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    compiled_json: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime]


class RecordRow(Base):
    """A questionnaire response or interview. ``session_state`` is the form session's own
    JSON (current screen, repeat instances) so a draft resumes exactly where it stopped."""

    __tablename__ = "record"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'finalised', 'sent', 'acknowledged')", name="status"),
        Index("ix_record_status", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_version.id"))
    status: Mapped[str] = mapped_column(String(16))
    # True while a finalised record is being edited: its draft answers live in draft_answer.
    editing: Mapped[bool] = mapped_column(default=False)
    instance_name: Mapped[str | None] = mapped_column(String(500))
    interviewer: Mapped[str] = mapped_column(String(200))
    head_revision_id: Mapped[str | None] = mapped_column(String(64))
    session_state: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime]
    updated: Mapped[datetime]


class DraftAnswerRow(Base):
    """Autosave: one row per answered question path, written the moment it changes."""

    __tablename__ = "draft_answer"

    record_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("record.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(String(1000), primary_key=True)
    value_json: Mapped[str] = mapped_column(Text)
    updated: Mapped[datetime]


class RevisionRow(Base):
    """An immutable snapshot. ``canonical_json`` is exactly what ``id`` hashes."""

    __tablename__ = "revision"
    __table_args__ = (
        UniqueConstraint("device_id", "device_seq"),
        Index("ix_revision_record_id", "record_id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("record.id"))
    parents_json: Mapped[str] = mapped_column(Text)
    device_id: Mapped[uuid.UUID]
    device_seq: Mapped[int]
    canonical_json: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime]


class ParadataEventRow(Base):
    """Audit log of a form session. ``session_started_at`` is the wall clock once, at
    session start; ``elapsed_ms`` comes from a monotonic clock, so changing the laptop's
    clock mid-session cannot rewrite the durations (ODK's approach)."""

    __tablename__ = "paradata_event"
    __table_args__ = (UniqueConstraint("record_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[uuid.UUID]
    session_started_at: Mapped[datetime]
    elapsed_ms: Mapped[int]
    payload_json: Mapped[str] = mapped_column(Text)


class AttachmentRow(Base):
    """An attachment. Its bytes live in an encrypted file named by ``id`` in the profile
    folder (`qi_capture.storage.attachment_files`), sealed with ``file_key``, a random
    32-byte key that exists only here: deleting the row (``secure_delete``) destroys the
    key, so any copy of the file left anywhere is unreadable.

    ``file_key`` is NULL only for an attachment written before migration 0004 whose
    bytes are still in ``attachment_chunk`` (``chunk_count`` rows; 0 once in a file):
    opening the profile moves them into a file."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_record_id", "record_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    chunk_count: Mapped[int]
    created: Mapped[datetime]
    file_key: Mapped[bytes | None] = mapped_column(LargeBinary)


class RecordingRow(Base):
    """An attachment still being written by a recorder (interview audio): its key must be
    in the database before the first byte reaches the file, so that a crash leaves a file
    that can be read. The file is ``attachments/<shard>/<id>.qirec`` until the recording
    stops; then, in one transaction, this row goes and an `AttachmentRow` with the same
    id and key takes its place. A row left by a crash is finished when the profile opens
    (`qi_capture.storage.recordings.Recordings.recover`)."""

    __tablename__ = "recording"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(200))
    created: Mapped[datetime]
    file_key: Mapped[bytes] = mapped_column(LargeBinary)


class AttachmentChunkRow(Base):
    """Legacy (schema before 0004): attachment bytes as BLOB chunks. Nothing writes here
    any more; opening a profile moves each attachment still here into its file and
    deletes its chunks, so the table is empty after the first open. It stays in the
    schema because Alembic runs before that move (a migration dropping it would drop
    attachments not moved yet); a later migration may drop it once it refuses to run
    on a non-empty table."""

    __tablename__ = "attachment_chunk"

    attachment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attachment.id", ondelete="CASCADE"), primary_key=True
    )
    idx: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class SettingRow(Base):
    """Sensitive settings live here, inside the encrypted database (values are JSON)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value_json: Mapped[str] = mapped_column(Text)


class SyncRevisionRow(Base):
    """Where a revision of this device stands in folder sync: in which bundle it last
    left (``sent``), and when the admin acknowledged it. No row: never sent."""

    __tablename__ = "sync_revision"

    revision_id: Mapped[str] = mapped_column(
        ForeignKey("revision.id", ondelete="CASCADE"), primary_key=True
    )
    bundle_id: Mapped[str] = mapped_column(String(36))
    sent: Mapped[datetime]
    acknowledged: Mapped[datetime | None]


class SyncParadataRow(Base):
    """How far a record's paradata has gone out in folder sync: every event up to
    ``sent_seq`` left in a bundle (the last in ``bundle_id``). No row: none sent."""

    __tablename__ = "sync_paradata"

    record_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("record.id", ondelete="CASCADE"), primary_key=True
    )
    sent_seq: Mapped[int]
    bundle_id: Mapped[str] = mapped_column(String(36))
    sent: Mapped[datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)
