"""The frozen dataclasses services hand out. The store's own DTOs are re-exported here so
the UI can name them without importing `qi_capture.storage`."""

from __future__ import annotations

from dataclasses import dataclass

from qi_capture.storage.canonical import JsonValue
from qi_capture.storage.dto import (
    AttachmentInfo,
    BackupInfo,
    DeviceInfo,
    FormVersionInfo,
    IntegrityReport,
    ParadataEvent,
    ProfileInfo,
    RecordSummary,
    RevisionInfo,
    StoredParadataEvent,
    StudyInfo,
)

__all__ = [
    "AttachmentInfo",
    "BackupInfo",
    "DeviceInfo",
    "FormAdded",
    "FormVersionInfo",
    "IntegrityReport",
    "JsonValue",
    "ParadataEvent",
    "PassphraseStrength",
    "ProfileInfo",
    "RecordSummary",
    "RecordView",
    "RevisionInfo",
    "StoredParadataEvent",
    "StudyInfo",
]


@dataclass(frozen=True)
class FormAdded:
    """The result of adding an XLSForm: the stored version, whether it was new (adding the
    same bytes again returns the stored one), and the loader's warnings (located texts)."""

    form: FormVersionInfo
    created: bool
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordView:
    """A record with everything ``record show`` and the record browser display."""

    summary: RecordSummary
    form: FormVersionInfo
    #: The draft answers while drafting or editing (every value, path -> text), else the
    #: head revision's snapshot (relevant values only).
    answers: dict[str, JsonValue]
    revisions: tuple[RevisionInfo, ...]
    attachments: tuple[AttachmentInfo, ...]
    paradata_events: int


@dataclass(frozen=True)
class PassphraseStrength:
    """How a new passphrase fares, for the meter under the passphrase field.

    ``score`` is zxcvbn's 0-4; ``reason``/``message`` the first rule it fails (``None``
    when it is acceptable); ``warning`` and ``suggestions`` zxcvbn's feedback (English)."""

    score: int
    reason: str | None
    message: str
    warning: str
    suggestions: tuple[str, ...]

    @property
    def acceptable(self) -> bool:
        return self.reason is None
