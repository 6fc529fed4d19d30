"""Plain, frozen results of the central store. No ORM row leaves `qi_capture.central`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from qi_capture.storage.canonical import JsonValue


@dataclass(frozen=True)
class SeqRange:
    first: int
    last: int

    def to_json(self) -> dict[str, int]:
        return {"first": self.first, "last": self.last}


@dataclass(frozen=True)
class DeviceGaps:
    """What is missing from one device: sequence numbers no imported bundle covered, and
    manifests named as ``prev`` by an imported bundle but never imported themselves."""

    device_id: uuid.UUID
    missing_seqs: tuple[SeqRange, ...] = ()
    missing_manifests: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.missing_seqs or self.missing_manifests)

    def to_json(self) -> dict[str, Any]:
        return {
            "device_id": str(self.device_id),
            "missing_seqs": [r.to_json() for r in self.missing_seqs],
            "missing_manifests": list(self.missing_manifests),
        }


@dataclass(frozen=True)
class CloneAlert:
    device_id: uuid.UUID
    device_seq: int
    revisions: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "device_id": str(self.device_id),
            "device_seq": self.device_seq,
            "revisions": list(self.revisions),
        }


@dataclass(frozen=True)
class BundleReport:
    """What merging one bundle did. ``outcome``: ``imported``, ``already_imported``,
    ``quarantined`` or ``refused`` (then ``reason`` and ``message`` say why)."""

    outcome: str
    bundle_id: str | None = None
    manifest_hash: str | None = None
    device_id: uuid.UUID | None = None
    source: str | None = None
    new_revisions: int = 0
    known_revisions: int = 0
    records_touched: int = 0
    conflicts_opened: tuple[str, ...] = ()
    clone_alerts: tuple[CloneAlert, ...] = ()
    reason: str | None = None
    message: str | None = None
    #: Erasure revisions (consent withdrawn) the bundle brought that were new here.
    erasures: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "source": self.source,
            "bundle_id": self.bundle_id,
            "manifest_hash": self.manifest_hash,
            "device_id": None if self.device_id is None else str(self.device_id),
            "new_revisions": self.new_revisions,
            "known_revisions": self.known_revisions,
            "records_touched": self.records_touched,
            "conflicts_opened": list(self.conflicts_opened),
            "clone_alerts": [a.to_json() for a in self.clone_alerts],
            "reason": self.reason,
            "message": self.message,
        }


@dataclass(frozen=True)
class CentralDevice:
    id: uuid.UUID
    name: str
    status: str
    fingerprint: str | None
    public_key: bytes | None
    enrolled: datetime | None
    revoked: datetime | None
    last_seq: int
    chain_head: str | None
    bundles: int = 0
    quarantined: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "status": self.status,
            "fingerprint": self.fingerprint,
            "enrolled": None if self.enrolled is None else self.enrolled.isoformat(),
            "revoked": None if self.revoked is None else self.revoked.isoformat(),
            "last_seq": self.last_seq,
            "chain_head": self.chain_head,
            "bundles": self.bundles,
            "quarantined": self.quarantined,
        }


@dataclass(frozen=True)
class TrustedKey:
    """A device key the registry trusts or has revoked, by fingerprint: what bundle
    checks read. Several devices may share a key (a copied laptop): revoked if any of
    them is revoked; ``name`` is the first non-empty name among them."""

    fingerprint: str
    public_key: bytes
    name: str
    revoked: bool


@dataclass(frozen=True)
class AdoptedKey:
    """One entry of an admin profile's old list of trusted keys, as it is moved into the
    central registry (`qi_capture.central.devices.adopt_keys`)."""

    fingerprint: str
    public_key: bytes
    name: str
    revoked: bool
    enrolled: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class QuarantinedBundle:
    file_sha256: str
    device_id: uuid.UUID
    fingerprint: str | None
    public_key: bytes | None
    received: datetime
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class RevisionSummary:
    id: str
    record_id: uuid.UUID
    device_id: uuid.UUID
    device_seq: int
    parents: tuple[str, ...]
    kind: str
    deleted: bool
    form_version: str
    interviewer: str
    created: str
    answers: dict[str, JsonValue]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "record_id": str(self.record_id),
            "device_id": str(self.device_id),
            "device_seq": self.device_seq,
            "parents": list(self.parents),
            "kind": self.kind,
            "deleted": self.deleted,
            "form_version": self.form_version,
            "interviewer": self.interviewer,
            "created": self.created,
            "answers": self.answers,
        }


@dataclass(frozen=True)
class ConflictInfo:
    id: str
    record_id: uuid.UUID
    kind: str
    status: str
    heads: tuple[str, ...]
    winner: str
    opened: datetime
    closed: datetime | None
    resolution: str | None
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "record_id": str(self.record_id),
            "kind": self.kind,
            "status": self.status,
            "heads": list(self.heads),
            "winner": self.winner,
            "opened": self.opened.isoformat(),
            "closed": None if self.closed is None else self.closed.isoformat(),
            "resolution": self.resolution,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ConflictDetail:
    conflict: ConflictInfo
    heads: tuple[RevisionSummary, ...]
    #: Paths whose values differ between the heads.
    differing_paths: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            **self.conflict.to_json(),
            "head_revisions": [h.to_json() for h in self.heads],
            "differing_paths": list(self.differing_paths),
        }


@dataclass(frozen=True)
class ReviewInfo:
    record_id: uuid.UUID
    status: str
    updated: datetime
    by: str | None
    comments: tuple[tuple[datetime, str | None, str, str], ...] = ()


@dataclass(frozen=True)
class ExportRecord:
    """One record as exports see it: the displayed winner's answers and the metadata
    columns. (Structurally what `qi_capture.export` asks for.)"""

    record_id: uuid.UUID
    device_id: uuid.UUID
    interviewer: str
    form_version: str
    review_status: str
    submitted: str
    updated: str
    revision_id: str
    in_conflict: bool
    deleted: bool
    answers: dict[str, JsonValue]


@dataclass(frozen=True)
class ExportBatch:
    """A batch of records as exports read them, column by column: the fields of
    `ExportRecord` in lists of one length, ids as their canonical text (what the
    exported files hold), so no object is made per record. (Structurally what
    `qi_capture.export.model.RecordBatchLike` asks for.)"""

    record_ids: list[str]
    device_ids: list[str]
    interviewers: list[str]
    form_versions: list[str]
    review_statuses: list[str]
    submitted: list[str]
    updated: list[str]
    revision_ids: list[str]
    in_conflict: list[bool]
    deleted: list[bool]
    answers: list[dict[str, JsonValue]]

    def __len__(self) -> int:
        return len(self.record_ids)


@dataclass(frozen=True)
class ExportParadata:
    record_id: uuid.UUID
    device_id: uuid.UUID
    seq: int
    kind: str
    session_id: uuid.UUID
    session_started_at: str
    elapsed_ms: int
    payload_json: str


@dataclass(frozen=True)
class FormVersionJson:
    study_id: str
    form_id: str
    version: str
    title: str
    sha256: str
    compiled_json: str


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    params: JsonValue


@dataclass(frozen=True)
class RecordListing:
    """One row of a form's records table: the record's derived state, its displayed
    winner's instance name and its review status."""

    record_id: uuid.UUID
    form_id: str
    form_version: str
    device_id: uuid.UUID
    interviewer: str
    instance_name: str | None
    review_status: str
    submitted: str
    updated: str
    in_conflict: bool
    deleted: bool
    winner: str


@dataclass(frozen=True)
class AttachmentMeta:
    """An attachment's description (never its bytes)."""

    id: uuid.UUID
    record_id: uuid.UUID
    name: str
    media_type: str
    size: int
    sha256: str
