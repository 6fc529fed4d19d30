"""Plain, frozen results the store hands out. No ORM row ever leaves `qi_capture.storage`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from qi_capture.storage.canonical import JsonValue


@dataclass(frozen=True)
class DeviceInfo:
    id: uuid.UUID
    name: str
    public_key: bytes
    fingerprint: str
    last_sequence: int
    created: datetime


@dataclass(frozen=True)
class StudyInfo:
    id: str
    title: str
    created: datetime


@dataclass(frozen=True)
class FormVersionInfo:
    id: int
    study_id: str
    form_id: str
    version: str
    title: str
    sha256: str
    created: datetime


@dataclass(frozen=True)
class RecordSummary:
    id: uuid.UUID
    form_version_id: int
    status: str
    editing: bool
    instance_name: str | None
    interviewer: str
    head_revision_id: str | None
    created: datetime
    updated: datetime


@dataclass(frozen=True)
class RecordDetail:
    """A record with what a form session needs to resume: the current answers (the
    draft while drafting or editing, else the head revision's snapshot) and the session
    state JSON."""

    summary: RecordSummary
    answers: dict[str, JsonValue]
    session_state: JsonValue


@dataclass(frozen=True)
class RevisionInfo:
    id: str
    record_id: uuid.UUID
    parents: tuple[str, ...]
    device_id: uuid.UUID
    device_seq: int
    created: datetime
    canonical_json: str
    answers: dict[str, JsonValue]


@dataclass(frozen=True)
class ParadataEvent:
    """One audit event. ``elapsed_ms`` is monotonic time since ``session_started_at``."""

    kind: str
    session_id: uuid.UUID
    session_started_at: datetime
    elapsed_ms: int
    payload: JsonValue = None


@dataclass(frozen=True)
class StoredParadataEvent:
    record_id: uuid.UUID
    seq: int
    event: ParadataEvent


@dataclass(frozen=True)
class AttachmentInfo:
    id: uuid.UUID
    record_id: uuid.UUID
    name: str
    media_type: str
    size: int
    sha256: str
    created: datetime


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created: datetime
    key_id: str
    size: int


@dataclass(frozen=True)
class IntegrityReport:
    """Problems found by a check: of the database pages (HMAC), of its structure, and of
    the attachment files (one line per attachment whose file is missing or refused)."""

    cipher_problems: tuple[str, ...] = ()
    integrity_problems: tuple[str, ...] = ()
    attachment_problems: tuple[str, ...] = ()
    #: Files and folders of the profile open to other accounts (POSIX; see fileperms).
    permission_problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.cipher_problems and not self.integrity_problems and not (
            self.attachment_problems
        ) and not self.permission_problems


@dataclass(frozen=True)
class ProfileInfo:
    """What can be shown about a profile without its passphrase (from the key file)."""

    folder: Path
    profile_id: str | None
    label: str | None
    created: str | None
    has_recovery: bool = False
    error: str | None = field(default=None)
