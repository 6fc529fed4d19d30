"""The bundle manifest (formats 1 and 2) and its paradata lines, as declared schemas.

The shapes are those `qi_capture.sync.manifest` documents and writes. Decoding checks
types, patterns and bounds; what spans fields (member names, the sequence range, the
canonical form) stays with the parser, which builds the `Manifest` from these.
`manifest_message` words a refusal exactly as the manifest's hand-written checks did.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from qi_capture.sync.schemas.fields import (
    Count,
    DeviceFingerprint,
    Hex64,
    RecipientFingerprint,
    Seq,
    Strict,
    Text,
    Time,
    Uuid,
)
from qi_capture.sync.schemas.refusal import Refusal, field_names, key_problem, value_at

FormatName = Literal["qi-capture-bundle"]
FormatVersion = Literal[1, 2]


class Envelope(msgspec.Struct):
    """Read first, alone: which format the rest is to be read as."""

    format: FormatName
    format_version: FormatVersion


class DeviceDoc(Strict):
    id: Uuid
    key_fingerprint: DeviceFingerprint
    public_key: str


class SequenceDoc(Strict):
    first: Seq
    last: Seq


class AppDoc(Strict):
    name: Literal["qi-capture"]
    version: Text


class RecordDoc(Strict):
    submission_id: Uuid
    revision_id: Hex64
    device_seq: Seq
    member: str
    sha256: Hex64
    size: Count


class AttachmentDoc(Strict):
    submission_id: Uuid
    attachment_id: Uuid
    name: Text
    media_type: Text
    member: str
    sha256: Hex64
    size: Count


class ParadataDoc(Strict):
    submission_id: Uuid
    member: str
    events: Seq
    first_seq: Seq
    last_seq: Seq
    sha256: Hex64
    size: Count


class ManifestV1Doc(Strict):
    format: FormatName
    format_version: FormatVersion
    bundle_id: Uuid
    created: Text
    study_id: Text
    device: DeviceDoc
    recipients: Annotated[list[RecipientFingerprint], msgspec.Meta(min_length=1)]
    sequence: SequenceDoc
    previous_manifest_sha256: Hex64 | None
    app: AppDoc
    schema_version: Seq
    records: list[RecordDoc]
    attachments: list[AttachmentDoc]


class ManifestV2Doc(ManifestV1Doc):
    paradata: list[ParadataDoc]


MANIFEST_DOCS: dict[int, type[ManifestV1Doc]] = {1: ManifestV1Doc, 2: ManifestV2Doc}


class ParadataLineDoc(Strict):
    """One paradata event; the payload is kept as its raw JSON for the parser to read."""

    elapsed_ms: Count
    kind: str
    payload: msgspec.Raw
    seq: Seq
    session_id: Uuid
    session_started_at: Time


# -- wording a refusal ------------------------------------------------------------------
_LISTS: dict[str, tuple[str, type[msgspec.Struct]]] = {
    "records": ("record", RecordDoc), "attachments": ("attachment", AttachmentDoc),
    "paradata": ("paradata", ParadataDoc)}
_PARTS: dict[str, tuple[str, type[msgspec.Struct]]] = {
    "device": ("manifest device", DeviceDoc), "sequence": ("manifest sequence", SequenceDoc),
    "app": ("manifest app", AppDoc)}
_NAMES: dict[tuple[str | int, ...], str] = {
    ("previous_manifest_sha256",): "previous manifest hash",
    ("device", "id"): "device id", ("device", "key_fingerprint"): "device key fingerprint",
    ("device", "public_key"): "device public key", ("sequence", "first"): "sequence first",
    ("sequence", "last"): "sequence last", ("app", "version"): "app version",
}
#: Messages for a place as a whole (``#``: any index), whatever was wrong there.
_FIXED: dict[tuple[str | int, ...], str] = {
    ("format",): "the manifest's format or version is not supported",
    ("format_version",): "the manifest's format or version is not supported",
    ("recipients",): "the manifest lists no recipients",
    ("recipients", "#"): "recipient fingerprint is not valid",
    ("records",): "records and attachments must be lists",
    ("attachments",): "records and attachments must be lists",
    ("paradata",): "paradata must be a list",
    ("app", "name"): "the manifest was not written by QI Capture",
}
_UUIDS = {"bundle_id", "id", "submission_id", "attachment_id"}
_NUMBERS = {"schema_version", "first", "last", "device_seq", "size", "events", "first_seq",
            "last_seq"}


def _field_message(what: str, field: str) -> str:
    if field in _UUIDS:
        return f"{what} is not a UUID"
    if field in _NUMBERS:
        return f"{what} is not a valid number"
    return f"{what} is not valid"


def _object_at(path: tuple[str | int, ...], version: int) -> tuple[str, type[msgspec.Struct]]:
    if not path:
        return "the manifest", MANIFEST_DOCS[version]
    head = str(path[0])
    if len(path) == 1 and head in _PARTS:
        return _PARTS[head]
    if len(path) == 2 and head in _LISTS:
        noun, struct = _LISTS[head]
        return f"{noun} {path[1]}", struct
    raise KeyError(path)


def _object_message(problem: Refusal, doc: object, version: int) -> str | None:
    """The message for an object with missing or unknown fields, or that is none."""
    if problem.kind not in ("missing", "unknown", "not_object"):
        return None
    try:
        what, struct = _object_at(problem.path, version)
    except KeyError:
        return None
    value = value_at(doc, problem.path)
    if not isinstance(value, dict):
        return f"{what} is not an object"
    missing, extra = key_problem(value, field_names(struct))
    return f"{what} has missing fields {missing} or unknown fields {extra}"


def _name(path: tuple[str | int, ...]) -> str:
    """How a field is named in a message: ``record 0 size``, ``device id``, ``created``."""
    field = str(path[-1])
    if len(path) == 3 and str(path[0]) in _LISTS:
        noun = _LISTS[str(path[0])][0]
        return f"{noun} {path[1]} {'member name' if field == 'member' else field}"
    return _NAMES.get(path, field)


def manifest_message(problem: Refusal, doc: object, version: int) -> str:
    """The message for ``problem`` in a manifest of format ``version`` (``doc``: the
    manifest decoded as plain JSON, to name every missing and unknown field)."""
    whole = _object_message(problem, doc, version)
    if whole is not None:
        return whole
    shape = tuple("#" if isinstance(step, int) else step for step in problem.path)
    if shape in _FIXED:
        return _FIXED[shape]
    if not problem.path:
        return "the manifest is not valid"
    return _field_message(_name(problem.path), str(problem.path[-1]))
