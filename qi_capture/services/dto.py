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
    "grouped_fingerprint",
    "record_state",
    "short_fingerprint",
]

#: The state of a finalised record whose study has no study pack: it cannot be sent and
#: stays on this laptop until the pack is imported (which moves it into the pack's study).
STAYS_ON_LAPTOP = "stays_on_laptop"


def record_state(summary: RecordSummary, *, local_only: bool) -> str:
    """What a person is told about a record: ``editing`` (a finalised record being
    edited), ``draft``, `STAYS_ON_LAPTOP` (finalised, but its study has no pack), else its
    status (``finalised``: waiting for the next sync; ``sent``; ``acknowledged``)."""
    if summary.editing:
        return "editing"
    if local_only and summary.status == "finalised":
        return STAYS_ON_LAPTOP
    return summary.status


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
    #: False while the record's study has no study pack (it cannot be sent yet).
    study_has_pack: bool = True


def grouped_fingerprint(fingerprint: str) -> str:
    """``ed25519:f807...`` as ``ed25519: f80735f4 d42b8dc2 ...``: the same digits, in
    groups of eight, so that two people can read them out and compare."""
    kind, _, digits = fingerprint.rpartition(":")
    groups = " ".join(digits[i:i + 8] for i in range(0, len(digits), 8))
    return f"{kind}: {groups}" if kind else groups


def short_fingerprint(fingerprint: str) -> str:
    """The first 16 digits of a key's fingerprint as ``F807-35F4-D42B-8DC2``: short
    enough to read out over the phone, long enough that a forged key cannot match it
    (64 bits). ``qi-capture admin`` shows the same code."""
    digits = fingerprint.rpartition(":")[2][:16].upper()
    return "-".join(digits[i:i + 4] for i in range(0, len(digits), 4))


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
