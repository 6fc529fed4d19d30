"""The bundle manifest: what a device says a bundle holds, signed with its Ed25519 key.

Canonical JSON (keys sorted, no whitespace, UTF-8), exactly these fields (format 2)::

    {"format": "qi-capture-bundle", "format_version": 2,
     "bundle_id": UUID, "created": ISO-8601 UTC, "study_id": str,
     "device": {"id": UUID, "key_fingerprint": "ed25519:<hex>", "public_key": b64},
     "recipients": ["age-x25519:<sha256 hex>", ...],        # sorted, what it was encrypted to
     "sequence": {"first": int, "last": int},             # device sequence range
     "previous_manifest_sha256": hex | null,              # per-device, per-study chain
     "app": {"name": "qi-capture", "version": str}, "schema_version": 1,
     "records": [{"submission_id": UUID, "revision_id": hex, "device_seq": int,
                  "member": "revisions/<revision_id>.json", "sha256": hex, "size": int}],
     "attachments": [{"submission_id": UUID, "attachment_id": UUID, "name": str,
                      "media_type": str, "member": "attachments/<attachment_id>",
                      "sha256": hex, "size": int}],
     "paradata": [{"submission_id": UUID, "member": "paradata/<submission_id>.jsonl",
                   "events": int, "first_seq": int, "last_seq": int,
                   "sha256": hex, "size": int}]}

Format 1 is the same without ``paradata`` (bundles written before paradata travelled);
it is still read, as a bundle with no paradata. Writers write format 2.

A paradata member holds a record's form-session audit events not sent before, one
canonical JSON object per line, each line ending in ``\n``, in increasing ``seq``::

    {"elapsed_ms": int, "kind": str, "payload": JSON, "seq": int,
     "session_id": UUID, "session_started_at": "YYYY-MM-DDTHH:MM:SS.ffffffZ"}

Paradata holds answers' old and new values: it only ever exists inside the age payload.
Among its events, the interview notes' marks and quick tags (`qi_capture.audio.marks`:
``note_mark``, ``quick_tag``, ``quick_tag_removed``) must have exactly their payload's
shape, since the centre reads them as data.

``schema_version`` is the revision documents' schema. A record's ``sha256`` is the hash of
its member's bytes, which are the revision's canonical JSON, so it equals the revision id;
the reader checks both. The signature covers `SIGNATURE_DOMAIN` + the manifest's bytes.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeVar

import msgspec

from qi_capture.audio.marks import NOTE_EVENTS, parse_event
from qi_capture.storage.canonical import JsonValue, canonical_json
from qi_capture.sync.errors import BundleMalformed
from qi_capture.sync.schemas import manifest as schema
from qi_capture.sync.schemas.refusal import refusal

FORMAT = "qi-capture-bundle"
FORMAT_VERSION = 2
#: Format versions the reader accepts (1: no paradata).
READABLE_VERSIONS = (1, 2)
SIGNATURE_DOMAIN = b"qi-capture/bundle-manifest/v1\n"
MANIFEST_MEMBER = "manifest.json"
SIGNATURE_MEMBER = "manifest.sig"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024

MAX_KIND_CHARS = 64


class _Listed(Protocol):
    @property
    def member(self) -> str: ...


@dataclass(frozen=True)
class RecordEntry:
    submission_id: str
    revision_id: str
    device_seq: int
    sha256: str
    size: int

    @property
    def member(self) -> str:
        return f"revisions/{self.revision_id}.json"


@dataclass(frozen=True)
class AttachmentEntry:
    submission_id: str
    attachment_id: str
    name: str
    media_type: str
    sha256: str
    size: int

    @property
    def member(self) -> str:
        return f"attachments/{self.attachment_id}"


@dataclass(frozen=True)
class ParadataEntry:
    submission_id: str
    events: int
    first_seq: int
    last_seq: int
    sha256: str
    size: int

    @property
    def member(self) -> str:
        return f"paradata/{self.submission_id}.jsonl"


@dataclass(frozen=True)
class ParadataLine:
    """One paradata event of a bundle (``payload_json``: the payload's canonical JSON)."""

    seq: int
    kind: str
    session_id: str
    session_started_at: str
    elapsed_ms: int
    payload_json: str

    def to_bytes(self) -> bytes:
        # The payload is canonical JSON already: splice it in rather than re-encode it.
        head = canonical_json({"elapsed_ms": self.elapsed_ms, "kind": self.kind})
        tail = canonical_json({"seq": self.seq, "session_id": self.session_id,
                               "session_started_at": self.session_started_at})
        return f'{head[:-1]},"payload":{self.payload_json},{tail[1:]}\n'.encode()


def paradata_lines(lines: list[ParadataLine]) -> bytes:
    return b"".join(line.to_bytes() for line in lines)


@dataclass(frozen=True)
class Manifest:
    bundle_id: str
    created: str
    study_id: str
    device_id: str
    device_key_fingerprint: str
    device_public_key: bytes
    recipients: tuple[str, ...]
    sequence_first: int
    sequence_last: int
    previous_manifest_sha256: str | None
    app_version: str
    schema_version: int
    records: tuple[RecordEntry, ...]
    attachments: tuple[AttachmentEntry, ...]
    paradata: tuple[ParadataEntry, ...] = ()
    format_version: int = FORMAT_VERSION

    def to_json(self) -> JsonValue:
        doc: dict[str, JsonValue] = {
            "format": FORMAT,
            "format_version": self.format_version,
            "bundle_id": self.bundle_id,
            "created": self.created,
            "study_id": self.study_id,
            "device": {
                "id": self.device_id,
                "key_fingerprint": self.device_key_fingerprint,
                "public_key": base64.b64encode(self.device_public_key).decode("ascii"),
            },
            "recipients": list(self.recipients),
            "sequence": {"first": self.sequence_first, "last": self.sequence_last},
            "previous_manifest_sha256": self.previous_manifest_sha256,
            "app": {"name": "qi-capture", "version": self.app_version},
            "schema_version": self.schema_version,
            "records": [
                {
                    "submission_id": r.submission_id,
                    "revision_id": r.revision_id,
                    "device_seq": r.device_seq,
                    "member": r.member,
                    "sha256": r.sha256,
                    "size": r.size,
                }
                for r in self.records
            ],
            "attachments": [
                {
                    "submission_id": a.submission_id,
                    "attachment_id": a.attachment_id,
                    "name": a.name,
                    "media_type": a.media_type,
                    "member": a.member,
                    "sha256": a.sha256,
                    "size": a.size,
                }
                for a in self.attachments
            ],
        }
        if self.format_version >= 2:
            doc["paradata"] = [
                {
                    "submission_id": p.submission_id,
                    "member": p.member,
                    "events": p.events,
                    "first_seq": p.first_seq,
                    "last_seq": p.last_seq,
                    "sha256": p.sha256,
                    "size": p.size,
                }
                for p in self.paradata
            ]
        elif self.paradata:
            raise ValueError("format 1 bundles carry no paradata")
        return doc

    def to_bytes(self) -> bytes:
        return self._canonical

    @functools.cached_property
    def _canonical(self) -> bytes:
        # Built once per manifest (the writer signs, writes and chains it; the reader
        # compares it with what it read, then hashes it): the fields are frozen.
        # Every field is typed and frozen (ints and text only), so no walk is needed to
        # refuse NaN or non-JSON values.
        return canonical_json(self.to_json(), checked=True).encode("utf-8")

    def sha256(self) -> str:
        return hashlib.sha256(self.to_bytes()).hexdigest()

    def members(self) -> list[tuple[str, str, int]]:
        """(member name, sha256, size) of every listed member, in the order written."""
        return (
            [(r.member, r.sha256, r.size) for r in self.records]
            + [(p.member, p.sha256, p.size) for p in self.paradata]
            + [(a.member, a.sha256, a.size) for a in self.attachments]
        )


def signed_message(manifest_bytes: bytes) -> bytes:
    return SIGNATURE_DOMAIN + manifest_bytes


# -- parsing ------------------------------------------------------------------------------
def _decode_plain(data: bytes) -> object:
    """The manifest as plain JSON, only to word a refusal (it is known to be JSON)."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def parse_manifest(data: bytes) -> Manifest:
    """Parse manifest bytes, refusing anything but the exact canonical form this module
    writes (`BundleMalformed`); the shape is `qi_capture.sync.schemas.manifest`'s."""
    try:
        version = msgspec.json.decode(data, type=schema.Envelope).format_version
    except msgspec.ValidationError:
        raise BundleMalformed("the manifest's format or version is not supported") from None
    except msgspec.DecodeError as exc:
        raise BundleMalformed("the manifest is not JSON") from exc
    try:
        doc = msgspec.json.decode(data, type=schema.MANIFEST_DOCS[version])
    except msgspec.ValidationError as exc:
        message = schema.manifest_message(refusal(exc), _decode_plain(data), version)
        raise BundleMalformed(message) from None
    except msgspec.DecodeError as exc:  # text the envelope's reading skipped: not UTF-8
        raise BundleMalformed("the manifest is not JSON") from exc
    try:
        public_key = base64.b64decode(doc.device.public_key, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BundleMalformed("the device public key is not base64") from exc
    manifest = Manifest(
        bundle_id=doc.bundle_id,
        created=doc.created,
        study_id=doc.study_id,
        device_id=doc.device.id,
        device_key_fingerprint=doc.device.key_fingerprint,
        device_public_key=public_key,
        recipients=tuple(doc.recipients),
        sequence_first=doc.sequence.first,
        sequence_last=doc.sequence.last,
        previous_manifest_sha256=doc.previous_manifest_sha256,
        app_version=doc.app.version,
        schema_version=doc.schema_version,
        records=tuple(_entries(doc.records, "record", _record)),
        attachments=tuple(_entries(doc.attachments, "attachment", _attachment)),
        paradata=tuple(_entries(getattr(doc, "paradata", []), "paradata", _paradata)),
        format_version=version,
    )
    if manifest.to_bytes() != data:
        raise BundleMalformed("the manifest is not in canonical form")
    return manifest


_D = TypeVar("_D", bound=_Listed)
_E = TypeVar("_E", RecordEntry, AttachmentEntry, ParadataEntry)


def _entries(docs: list[_D], noun: str, build: Callable[[_D], _E]) -> Iterator[_E]:
    """Each listed entry, refusing one whose member name is not the one its fields give."""
    for i, item in enumerate(docs):
        entry = build(item)
        if item.member != entry.member:
            raise BundleMalformed(f"{noun} {i} member name is not valid")
        if isinstance(entry, ParadataEntry) and \
                entry.events > entry.last_seq - entry.first_seq + 1:
            raise BundleMalformed(f"{noun} {i} sequence range is not valid")
        yield entry


def _record(r: schema.RecordDoc) -> RecordEntry:
    return RecordEntry(r.submission_id, r.revision_id, r.device_seq, r.sha256, r.size)


def _attachment(a: schema.AttachmentDoc) -> AttachmentEntry:
    return AttachmentEntry(a.submission_id, a.attachment_id, a.name, a.media_type, a.sha256,
                           a.size)


def _paradata(p: schema.ParadataDoc) -> ParadataEntry:
    return ParadataEntry(p.submission_id, p.events, p.first_seq, p.last_seq, p.sha256, p.size)


def parse_paradata(entry: ParadataEntry, data: bytes) -> list[ParadataLine]:
    """The events of a paradata member, refusing anything but the exact canonical lines
    `paradata_lines` writes, in increasing seq, agreeing with ``entry``. Raises
    `ValueError` with a message naming the line, never its content (it holds answers)."""
    if data and not data.endswith(b"\n"):
        raise ValueError("the last line is not terminated")
    raw = data.split(b"\n")[:-1]
    if len(raw) != entry.events:
        raise ValueError(f"it holds {len(raw)} events, the manifest says {entry.events}")
    lines: list[ParadataLine] = []
    for n, text in enumerate(raw, start=1):
        line = _paradata_line(n, text)
        if lines and line.seq <= lines[-1].seq:
            raise ValueError(f"line {n} is out of sequence order")
        lines.append(line)
    if lines and (lines[0].seq, lines[-1].seq) != (entry.first_seq, entry.last_seq):
        raise ValueError("its sequence range differs from the manifest")
    return lines


def _paradata_line(n: int, text: bytes) -> ParadataLine:
    try:
        doc = msgspec.json.decode(text, type=schema.ParadataLineDoc)
        payload = json.loads(bytes(doc.payload), parse_constant=_no_constant)
    except msgspec.ValidationError as exc:
        if refusal(exc).path:
            raise ValueError(f"line {n}: a field is not valid") from None
        raise ValueError(f"line {n} is not a paradata event") from None
    except (msgspec.DecodeError, ValueError, RecursionError) as exc:
        raise ValueError(f"line {n} is not JSON") from exc
    if not doc.kind or len(doc.kind) > MAX_KIND_CHARS:
        raise ValueError(f"line {n}: the event kind is not valid")
    if doc.kind in NOTE_EVENTS:
        # Note marks and quick tags are read by the centre as data, so they are held
        # to their exact shape here, like the rest of the bundle.
        try:
            parse_event(doc.kind, payload)
        except ValueError as exc:
            raise ValueError(f"line {n}: the note event is not valid ({exc})") from None
    line = ParadataLine(
        seq=doc.seq, kind=doc.kind, session_id=doc.session_id,
        session_started_at=doc.session_started_at, elapsed_ms=doc.elapsed_ms,
        payload_json=json.dumps(payload, sort_keys=True, separators=(",", ":"),
                                ensure_ascii=False, allow_nan=False),
    )
    if line.to_bytes() != text + b"\n":
        raise ValueError(f"line {n} is not canonical JSON")
    return line


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")
