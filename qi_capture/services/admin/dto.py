"""The frozen values the admin door hands out: what the CLI prints and the console shows.
No engine, session or ORM row is ever among them. ``to_json`` gives the CLI's ``--json``
shapes (fields may be added, never renamed)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qi_capture.audio.marks import NoteMark
from qi_capture.central.dto import (
    AttachmentMeta,
    AuditEntry,
    BundleReport,
    CentralDevice,
    CloneAlert,
    ConflictDetail,
    ConflictInfo,
    DeviceGaps,
    ReviewInfo,
)
from qi_capture.storage.canonical import JsonValue

__all__ = [
    "AttachmentMeta",
    "AuditEntry",
    "BundleReport",
    "ConflictInfo",
    "ConflictLine",
    "ConflictView",
    "DeviceSummary",
    "DisplayItem",
    "DisplaySection",
    "Enrolment",
    "FilterQuestion",
    "FormOutline",
    "FormSummary",
    "MergeResult",
    "NoteMark",
    "QuarantinedMerge",
    "RecordCursor",
    "RecordDetail",
    "RecordPage",
    "RecordRow",
    "ReviewInfo",
    "RevisionView",
    "short_id",
]

#: Digits of an id the lists show; any unique prefix of at least `MIN_PREFIX` is accepted.
SHORT_ID = 8
MIN_PREFIX = 4

#: A place in a form's records listing: (submitted, record id), the listing's order.
#: The next page starts past it (keyset paging), however deep into 100,000 records.
RecordCursor = tuple[str, uuid.UUID]

OUTCOMES = ("imported", "already_imported", "quarantined", "refused")


def short_id(value: uuid.UUID | str) -> str:
    """The first `SHORT_ID` hex digits of an id (as git shortens commits)."""
    text = value.hex if isinstance(value, uuid.UUID) else value
    return text[:SHORT_ID]


@dataclass(frozen=True)
class MergeResult:
    """What one merge did, bundle by bundle, then per device."""

    reports: tuple[BundleReport, ...]
    gaps: tuple[DeviceGaps, ...]
    clones: tuple[CloneAlert, ...]
    #: (device id, acknowledgement file) written or already in place.
    ack_files: tuple[tuple[uuid.UUID, Path], ...]
    #: Stopped by the cancel token before every file was merged.
    cancelled: bool

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.reports if r.outcome == outcome)

    @property
    def refused(self) -> int:
        return self.count("refused")

    @property
    def quarantined(self) -> int:
        return self.count("quarantined")

    @property
    def waiting_devices(self) -> tuple[str, ...]:
        """Devices whose bundles wait in quarantine for their enrolment."""
        return tuple(sorted({str(r.device_id) for r in self.reports
                             if r.outcome == "quarantined" and r.device_id is not None}))

    def to_json(self) -> dict[str, Any]:
        return {
            "bundles": [r.to_json() for r in self.reports],
            "devices": [
                {**g.to_json(),
                 "clone_alerts": [c.to_json() for c in self.clones if c.device_id == g.device_id]}
                for g in self.gaps
            ],
            "acknowledgements": [{"device_id": str(d), "file": str(p)} for d, p in self.ack_files],
            "cancelled": self.cancelled,
            "totals": {outcome: self.count(outcome) for outcome in OUTCOMES},
        }


@dataclass(frozen=True)
class DeviceSummary:
    """A device as the devices page shows it."""

    device: CentralDevice
    #: The fingerprint in groups of eight digits, as the laptop's About box shows it.
    fingerprint_grouped: str | None
    gaps: DeviceGaps
    clone_alerts: tuple[CloneAlert, ...]
    #: The bundle that reached the highest sequence: (bundle id, last sequence), if any.
    last_bundle: tuple[str, int] | None
    #: The interviewer names its revisions carry.
    interviewers: tuple[str, ...] = ()

    @property
    def id(self) -> uuid.UUID:
        return self.device.id

    @property
    def short_id(self) -> str:
        return short_id(self.device.id)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.device.to_json(),
            "short_id": self.short_id,
            "fingerprint_grouped": self.fingerprint_grouped,
            "last_bundle": None if self.last_bundle is None else {
                "bundle_id": self.last_bundle[0], "last_seq": self.last_bundle[1]},
            "gaps": self.gaps.to_json(),
            "clone_alerts": [c.to_json() for c in self.clone_alerts],
            "interviewers": list(self.interviewers),
        }


@dataclass(frozen=True)
class QuarantinedMerge:
    file_sha256: str
    report: BundleReport


@dataclass(frozen=True)
class Enrolment:
    """An enrolment: the device, the fingerprint accepted, what its quarantine held."""

    device: DeviceSummary
    fingerprint: str
    merged: tuple[QuarantinedMerge, ...]
    #: Quarantined bundles left waiting because the admin keys were not at hand.
    waiting_for_keys: int

    @property
    def refused(self) -> int:
        return sum(1 for m in self.merged
                   if m.report.outcome not in ("imported", "already_imported"))


@dataclass(frozen=True)
class RecordRow:
    """One row of the records table."""

    record_id: uuid.UUID
    instance_name: str | None
    form_id: str
    form_version: str
    device_id: uuid.UUID
    device_name: str
    interviewer: str
    review_status: str
    submitted: str
    updated: str
    in_conflict: bool
    deleted: bool

    @property
    def short_id(self) -> str:
        return short_id(self.record_id)

    @property
    def title(self) -> str:
        """What a person calls the record: its instance name, else its short id."""
        return self.instance_name or self.short_id

    @property
    def cursor(self) -> RecordCursor:
        """The row's place in the listing order, for paging past it."""
        return (self.submitted, self.record_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "record_id": str(self.record_id),
            "short_id": self.short_id,
            "instance_name": self.instance_name,
            "form_id": self.form_id,
            "form_version": self.form_version,
            "device_id": str(self.device_id),
            "device_name": self.device_name,
            "interviewer": self.interviewer,
            "status": self.review_status,
            "submitted": self.submitted,
            "updated": self.updated,
            "in_conflict": self.in_conflict,
            "deleted": self.deleted,
        }


@dataclass(frozen=True)
class RecordPage:
    rows: tuple[RecordRow, ...]
    #: How many records match the filters in all (for the table's row count); None when
    #: the page was asked for without counting (a table counts once per query).
    total: int | None
    offset: int
    limit: int | None

    @property
    def next_after(self) -> RecordCursor | None:
        """Where the next page starts (``after=`` of `AdminDesk.records`): past this
        page's last row; None for an empty page."""
        return self.rows[-1].cursor if self.rows else None


@dataclass(frozen=True)
class DisplayItem:
    """One line of a rendered record. ``kind``: ``answer``; ``note`` (the form's text,
    no value); ``calculated`` (a calculation or metadata the interviewer never saw);
    ``unknown`` (a stored answer the form version does not describe)."""

    path: str
    label: str
    kind: str
    #: The value as a person reads it (choice labels, not choice names); None for notes.
    text: str | None
    value: JsonValue

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "label": self.label, "kind": self.kind, "text": self.text,
                "value": self.value}


@dataclass(frozen=True)
class DisplaySection:
    """A run of items under one heading: the form's top level (``title`` None), a group,
    or one instance of a repeat (``instance`` from 1). ``depth`` is the nesting."""

    title: str | None
    path: str
    depth: int
    instance: int | None
    items: tuple[DisplayItem, ...]

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "path": self.path, "depth": self.depth,
                "instance": self.instance, "items": [i.to_json() for i in self.items]}


@dataclass(frozen=True)
class RevisionView:
    """One revision in a record's history: who (device, interviewer) and when."""

    id: str
    device_id: uuid.UUID
    device_name: str
    device_seq: int
    interviewer: str
    created: str
    kind: str
    deleted: bool
    form_version: str
    parents: tuple[str, ...]
    #: Answer paths added, changed or removed against its first parent (all, for the first).
    changed: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "device_id": str(self.device_id), "device_name": self.device_name,
                "device_seq": self.device_seq, "interviewer": self.interviewer,
                "created": self.created, "kind": self.kind, "deleted": self.deleted,
                "form_version": self.form_version, "parents": list(self.parents),
                "changed": list(self.changed)}


def review_json(info: ReviewInfo) -> dict[str, Any]:
    return {
        "record_id": str(info.record_id),
        "status": info.status,
        "updated": info.updated.isoformat(),
        "by": info.by,
        "comments": [{"at": at.isoformat(), "by": by, "status": status, "comment": comment}
                     for at, by, status, comment in info.comments],
    }


@dataclass(frozen=True)
class RecordDetail:
    """A record rendered for display: the displayed winner's answers as the
    questionnaire reads them, its history, attachments and review."""

    row: RecordRow
    form_title: str
    #: The language the labels are in (None: the form is not translated).
    language: str | None
    languages: tuple[str, ...]
    #: False when the central store does not know the record's form version (then the
    #: newest known version labels it, or, with none, the answers show by path).
    form_version_known: bool
    sections: tuple[DisplaySection, ...]
    revisions: tuple[RevisionView, ...]
    attachments: tuple[AttachmentMeta, ...]
    review: ReviewInfo
    #: The open conflict of the record, if it has one.
    conflict_id: str | None
    #: Where in the record's recordings its notes were typed (interviews recorded with
    #: consent); empty for every other record.
    note_marks: tuple[NoteMark, ...] = ()
    #: The interviewer's comment for the reviewer, given when the record was last
    #: finalised ('' when none).
    finalise_comment: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            **review_json(self.review),
            "record": self.row.to_json(),
            "form_title": self.form_title,
            "language": self.language,
            "languages": list(self.languages),
            "form_version_known": self.form_version_known,
            "sections": [s.to_json() for s in self.sections],
            "revisions": [r.to_json() for r in self.revisions],
            "attachments": [{"id": str(a.id), "name": a.name, "media_type": a.media_type,
                             "size": a.size, "sha256": a.sha256} for a in self.attachments],
            "conflict_id": self.conflict_id,
            "note_marks": [m.to_json() for m in self.note_marks],
            "finalise_comment": self.finalise_comment,
        }


@dataclass(frozen=True)
class ConflictLine:
    """One answer path across the heads: label, each head's value as read, differing?"""

    path: str
    label: str
    texts: tuple[str | None, ...]
    differs: bool


@dataclass(frozen=True)
class ConflictView:
    """A conflict with its heads side by side (in ``detail.heads`` order)."""

    detail: ConflictDetail
    record: RecordRow | None
    lines: tuple[ConflictLine, ...]
    #: Per head: the device's name (or its short id).
    head_devices: tuple[str, ...]

    @property
    def conflict(self) -> ConflictInfo:
        return self.detail.conflict

    def to_json(self) -> dict[str, Any]:
        return {
            **self.detail.to_json(),
            "instance_name": None if self.record is None else self.record.instance_name,
            "lines": [{"path": line.path, "label": line.label, "texts": list(line.texts),
                       "differs": line.differs} for line in self.lines],
        }


@dataclass(frozen=True)
class AuditPage:
    """A page of the audit log, newest first, and how many entries match in all (None
    when not counted: a table counts once per query)."""

    entries: tuple[AuditEntry, ...]
    total: int | None
    limit: int

    @property
    def next_before(self) -> int | None:
        """Where the next (older) page starts (``before=`` of `AdminDesk.audit_page`);
        None for an empty page."""
        return self.entries[-1].id if self.entries else None


@dataclass(frozen=True)
class AuditChoices:
    """The actions and actors found in the audit log (what its filters offer)."""

    actions: tuple[str, ...]
    actors: tuple[str, ...]


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {"id": entry.id, "at": entry.at.isoformat(), "actor": entry.actor,
            "action": entry.action, "params": entry.params}




@dataclass(frozen=True)
class FormSummary:
    """A form of the central store, as the form chooser lists it."""

    form_id: str
    #: The newest stored version's title; None when only its records are here.
    title: str | None
    #: Records not deleted.
    records: int

    @property
    def display(self) -> str:
        return f"{self.title} ({self.form_id})" if self.title else self.form_id


@dataclass(frozen=True)
class FilterQuestion:
    """A single-choice question records can be filtered by (an answer equal to one of
    its choices): its path as answers are stored, its label and its (name, label)
    choices, in the chosen language."""

    path: str
    label: str
    choices: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FormOutline:
    """What the records and exports pages offer for one form (its newest version)."""

    form_id: str
    title: str
    languages: tuple[str, ...]
    default_language: str | None
    #: Single-choice questions outside repeats, in form order.
    filters: tuple[FilterQuestion, ...]
