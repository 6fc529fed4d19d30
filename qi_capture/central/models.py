"""The central store's tables, as typed SQLAlchemy models (``Central...Row``).

They live beside the admin profile's own tables (SQLCipher) or in a PostgreSQL database,
so every name starts with ``central_`` and the metadata is separate from the interviewer
store's: its own Alembic scripts and version table (`qi_capture.central.migrate`).

What is stored versus derived: revisions, attachments, paradata, devices, bundles, review
state, quarantine and the audit log are stored facts. Records (their heads and winner),
conflicts and clone alerts are derived from the revisions and recomputed by every merge
for the records it touched, so the same set of revisions always gives the same state,
whatever the import order.
"""

from __future__ import annotations

import uuid
from datetime import datetime
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
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from qi_capture.storage.models import NAMING_CONVENTION, UtcDateTime

DEVICE_STATUSES = ("enrolled", "revoked", "central")
REVIEW_STATUSES = ("received", "has_issues", "approved", "rejected")
CONFLICT_STATUSES = ("open", "resolved", "superseded", "closed")
REVISION_KINDS = ("edit", "resolution")


class CentralBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        uuid.UUID: Uuid(as_uuid=True),
    }


class CentralDeviceRow(CentralBase):
    """An interviewer laptop (or the central admin itself, status ``central``, whose
    ``last_seq`` numbers resolution revisions). ``last_seq`` and ``chain_head`` are the
    highest sequence number seen and the manifest hash of the bundle that reached it."""

    __tablename__ = "central_device"
    __table_args__ = (
        CheckConstraint("status IN ('enrolled', 'revoked', 'central')", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    fingerprint: Mapped[str | None] = mapped_column(String(100))
    enrolled: Mapped[datetime | None]
    revoked: Mapped[datetime | None]
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    chain_head: Mapped[str | None] = mapped_column(String(64))


class CentralBundleRow(CentralBase):
    """An imported bundle, keyed by the SHA-256 of its canonical manifest."""

    __tablename__ = "central_bundle"
    __table_args__ = (Index("ix_central_bundle_device_id", "device_id"),)

    manifest_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    bundle_id: Mapped[str] = mapped_column(String(100))
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("central_device.id"))
    seq_first: Mapped[int]
    seq_last: Mapped[int]
    prev_manifest_hash: Mapped[str | None] = mapped_column(String(64))
    imported: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(32))
    new_revisions: Mapped[int]
    known_revisions: Mapped[int]
    conflicts_opened: Mapped[int]


class CentralBundleFileRow(CentralBase):
    """Every bundle file seen (SHA-256 of its encrypted bytes), so a file merged before
    is recognised without decrypting it again."""

    __tablename__ = "central_bundle_file"

    file_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    manifest_hash: Mapped[str] = mapped_column(ForeignKey("central_bundle.manifest_hash"))
    first_seen: Mapped[datetime]


class CentralQuarantineRow(CentralBase):
    """A bundle from a device not (yet) enrolled: kept, encrypted as it came, until the
    device is enrolled (then merged) or the admin discards it."""

    __tablename__ = "central_quarantine"

    file_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[uuid.UUID]
    fingerprint: Mapped[str | None] = mapped_column(String(100))
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    received: Mapped[datetime]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    released: Mapped[datetime | None]


class CentralRevisionRow(CentralBase):
    """An immutable revision; ``canonical_json`` is exactly what ``id`` hashes."""

    __tablename__ = "central_revision"
    __table_args__ = (
        CheckConstraint("kind IN ('edit', 'resolution')", name="kind"),
        Index("ix_central_revision_record_id", "record_id"),
        # Holds the id too: acknowledgements and clone alerts read it from the index.
        Index("ix_central_revision_device_seq", "device_id", "device_seq", "id"),
        # Erasure revisions (deletions) of a study, found without reading every row
        # (migration c0007).
        Index("ix_central_revision_deletions", "deleted", "study_id", "record_id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID]
    device_seq: Mapped[int]
    parents_json: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    deleted: Mapped[bool]
    study_id: Mapped[str] = mapped_column(String(200))
    form_id: Mapped[str] = mapped_column(String(200))
    form_version: Mapped[str] = mapped_column(String(100))
    interviewer: Mapped[str] = mapped_column(String(200))
    created: Mapped[str] = mapped_column(String(40))
    canonical_json: Mapped[str] = mapped_column(Text)


class CentralRecordRow(CentralBase):
    """A record's derived state: its heads, the displayed winner, conflict or not."""

    __tablename__ = "central_record"
    __table_args__ = (
        # (form_id, id): exports page through a form's records in id order.
        Index("ix_central_record_form_id", "form_id", "id"),
        # The records table lists a form's records by submission time (then id), without
        # the deleted ones: page and count from this index alone (migration c0003).
        Index("ix_central_record_listing", "form_id", "submitted", "id", "deleted"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    study_id: Mapped[str] = mapped_column(String(200))
    form_id: Mapped[str] = mapped_column(String(200))
    heads_json: Mapped[str] = mapped_column(Text)
    winner: Mapped[str] = mapped_column(String(64))
    in_conflict: Mapped[bool]
    deleted: Mapped[bool]
    form_version: Mapped[str] = mapped_column(String(100))
    device_id: Mapped[uuid.UUID]
    interviewer: Mapped[str] = mapped_column(String(200))
    submitted: Mapped[str] = mapped_column(String(40))
    updated: Mapped[str] = mapped_column(String(40))


class CentralConflictRow(CentralBase):
    """One conflict episode: ``id`` is the SHA-256 of the record id and its sorted
    heads, so the same heads always name the same conflict."""

    __tablename__ = "central_conflict"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'resolved', 'superseded', 'closed')", name="status"),
        Index("ix_central_conflict_record_id", "record_id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(32))
    heads_json: Mapped[str] = mapped_column(Text)
    winner: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    opened: Mapped[datetime]
    closed: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)


class CentralCloneAlertRow(CentralBase):
    """The same (device, sequence) arrived with different revisions: a cloned or
    restored laptop database."""

    __tablename__ = "central_clone_alert"

    device_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    device_seq: Mapped[int] = mapped_column(primary_key=True)
    revisions_json: Mapped[str] = mapped_column(Text)


class CentralAttachmentRow(CentralBase):
    """An attachment's description and its file's key (c0005: the bytes moved out of
    the database into files beside it)."""

    __tablename__ = "central_attachment"
    __table_args__ = (Index("ix_central_attachment_record_id", "record_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    record_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    chunk_count: Mapped[int]
    #: The key of the attachment's encrypted file (`qi_capture.central.attachments`),
    #: for that file only; the bytes themselves are never in the database.
    file_key: Mapped[bytes] = mapped_column(LargeBinary)


class CentralParadataRow(CentralBase):
    """The form-session audit log of a record, as each device recorded it."""

    __tablename__ = "central_paradata"

    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    device_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[uuid.UUID]
    session_started_at: Mapped[str] = mapped_column(String(40))
    elapsed_ms: Mapped[int]
    payload_json: Mapped[str] = mapped_column(Text)


class CentralReviewRow(CentralBase):
    __tablename__ = "central_review"
    __table_args__ = (
        CheckConstraint(
            "status IN ('received', 'has_issues', 'approved', 'rejected')", name="status"
        ),
    )

    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    updated: Mapped[datetime]
    by: Mapped[str | None] = mapped_column(String(200))


class CentralReviewCommentRow(CentralBase):
    __tablename__ = "central_review_comment"
    __table_args__ = (Index("ix_central_review_comment_record_id", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    record_id: Mapped[uuid.UUID]
    at: Mapped[datetime]
    by: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text)


class CentralFormRow(CentralBase):
    """A form version the exports label columns with (the compiled form JSON)."""

    __tablename__ = "central_form"

    study_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    form_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    compiled_json: Mapped[str] = mapped_column(Text)
    added: Mapped[datetime]


class CentralAuditRow(CentralBase):
    """What admins did: merges, enrolments, revocations, resolutions, reviews, exports.
    Ids and counts only, never answers."""

    __tablename__ = "central_audit"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    params_json: Mapped[str] = mapped_column(Text)


# -- thematic coding (migration c0004; `qi_capture.central.coding`) --------------------------
class CentralCoderRow(CentralBase):
    """Someone who codes: an analyst, or ``field`` (the interviewers' quick tags)."""

    __tablename__ = "central_coder"

    guid: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created: Mapped[datetime]


class CentralCodeRow(CentralBase):
    """A code of a study's codebook. Retired and merged codes stay, with their guid, so an
    exchange round trip still finds them."""

    __tablename__ = "central_code"
    __table_args__ = (Index("ix_central_code_study_id", "study_id"),)

    guid: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    study_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    colour: Mapped[str] = mapped_column(String(7))
    parent: Mapped[uuid.UUID | None]
    retired: Mapped[bool]
    merged_into: Mapped[uuid.UUID | None]
    tag: Mapped[str | None] = mapped_column(String(64))
    created: Mapped[datetime]


class CentralPassageRow(CentralBase):
    """A span ``[start, end)`` of one text answer of a record, as it read in
    ``revision``; ``text`` is the words under it then, which re-anchors it when a later
    revision moves them and flags it when they changed."""

    __tablename__ = "central_passage"
    __table_args__ = (
        Index("ix_central_passage_record", "record_id", "field", "start"),
        Index("ix_central_passage_study", "study_id"),
    )

    guid: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    study_id: Mapped[str] = mapped_column(String(200))
    record_id: Mapped[uuid.UUID]
    field: Mapped[str] = mapped_column(String(500))
    revision: Mapped[str] = mapped_column(String(64))
    start: Mapped[int]
    end: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    flagged: Mapped[bool]
    #: A stretch of the record's recording instead of text (migration c0006): its start
    #: and end in milliseconds; ``field`` is then `RECORDING_FIELD` and ``text`` empty.
    start_ms: Mapped[int | None]
    end_ms: Mapped[int | None]


class CentralCodingRow(CentralBase):
    """One code on one passage by one coder (``record_id`` repeats the passage's).
    ``undone``: a coding from the field an analyst undid (kept so that seeding from the
    field tags does not bring it back)."""

    __tablename__ = "central_coding"
    __table_args__ = (
        CheckConstraint("origin IN ('field', 'analyst')", name="origin"),
        Index("ix_central_coding_passage", "passage", "code"),
        Index("ix_central_coding_code", "code"),
        # Counts per code (codings, interviews) read from this index alone.
        Index("ix_central_coding_study", "study_id", "undone", "code", "record_id"),
    )

    guid: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    study_id: Mapped[str] = mapped_column(String(200))
    passage: Mapped[uuid.UUID] = mapped_column(ForeignKey("central_passage.guid"))
    #: The passage's record (a passage never leaves its record), kept here for counting.
    record_id: Mapped[uuid.UUID]
    code: Mapped[uuid.UUID] = mapped_column(ForeignKey("central_code.guid"))
    coder: Mapped[uuid.UUID] = mapped_column(ForeignKey("central_coder.guid"))
    origin: Mapped[str] = mapped_column(String(16))
    confirmed: Mapped[bool]
    undone: Mapped[bool]
    created: Mapped[datetime]


class CentralMemoRow(CentralBase):
    """A memo on a code or on a passage (exactly one of the two)."""

    __tablename__ = "central_memo"
    __table_args__ = (
        CheckConstraint("(code IS NULL) <> (passage IS NULL)", name="target"),
        Index("ix_central_memo_study", "study_id"),
    )

    guid: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    study_id: Mapped[str] = mapped_column(String(200))
    code: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("central_code.guid"))
    passage: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("central_passage.guid"))
    author: Mapped[uuid.UUID] = mapped_column(ForeignKey("central_coder.guid"))
    text: Mapped[str] = mapped_column(Text)
    updated: Mapped[datetime]


class CentralExportChunkRow(CentralBase):
    """An export-ready copy of a range of one form's records: the typed tables an export
    writes for them, as the export layer packs them (``blob``, opaque here). A copy
    serves an export only while ``digest`` still matches what the range's records are
    (`qi_capture.central.export_copies`): a merge, a resolution or a deletion makes it
    stale (a review does not: the status is read at every export), and it is patched
    after the merge or by the next export. Erasure deletes every copy
    (`qi_capture.central.erasure.purge`). The ranges partition the record ids: ``lo``
    (exclusive; '' for the first) to ``hi`` (inclusive; null for the last), as the
    store's raw record-id text orders them."""

    __tablename__ = "central_export_chunk"

    form_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    lo: Mapped[str] = mapped_column(String(64), primary_key=True)
    hi: Mapped[str | None] = mapped_column(String(64))
    #: The form versions and the export code the copy was built with.
    layout_key: Mapped[str] = mapped_column(String(64))
    #: BLAKE2b of the range's records as they were: ids, winners, flags, metadata.
    digest: Mapped[str] = mapped_column(String(64))
    records: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[int] = mapped_column(Integer)
    blob: Mapped[bytes] = mapped_column(LargeBinary)


class CentralExportFormRow(CentralBase):
    """Per form, a count of the changes to its records (``generation``: triggers on
    ``central_record``, SQLite's (c0008) or PostgreSQL's (c0009), add one for every row
    inserted, updated or deleted; no code can forget to) and the generation at which
    every stored copy of the form was last found current (``checked``). While the two
    agree, an export takes the stored copies without reading a summary of each range."""

    __tablename__ = "central_export_form"

    form_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer)
    checked: Mapped[int] = mapped_column(Integer)
