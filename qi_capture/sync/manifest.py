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
import re
from dataclasses import dataclass
from typing import Any

from qi_capture.audio.marks import NOTE_EVENTS, parse_event
from qi_capture.storage.canonical import JsonValue, canonical_json
from qi_capture.sync.errors import BundleMalformed

FORMAT = "qi-capture-bundle"
FORMAT_VERSION = 2
#: Format versions the reader accepts (1: no paradata).
READABLE_VERSIONS = (1, 2)
SIGNATURE_DOMAIN = b"qi-capture/bundle-manifest/v1\n"
MANIFEST_MEMBER = "manifest.json"
SIGNATURE_MEMBER = "manifest.sig"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024

_HEX64 = re.compile(r"[0-9a-f]{64}")
# Exactly the text ``str(uuid.UUID(...))`` gives: lower case, hyphenated.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_FP = re.compile(r"ed25519:[0-9a-f]{64}")
_RFP = re.compile(r"age-x25519:[0-9a-f]{64}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
MAX_KIND_CHARS = 64


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
def _obj(value: object, keys: set[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BundleMalformed(f"{what} is not an object")
    if set(value) != keys:
        missing, extra = sorted(keys - set(value)), sorted(set(value) - keys)
        raise BundleMalformed(f"{what} has missing fields {missing} or unknown fields {extra}")
    return value


def _str(value: object, what: str, pattern: re.Pattern[str] | None = None) -> str:
    if not isinstance(value, str) or (pattern is not None and pattern.fullmatch(value) is None):
        raise BundleMalformed(f"{what} is not valid")
    return value


def _uuid(value: object, what: str) -> str:
    if not isinstance(value, str) or _UUID.fullmatch(value) is None:
        raise BundleMalformed(f"{what} is not a UUID")
    return value


def _int(value: object, what: str, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise BundleMalformed(f"{what} is not a valid number")
    return value


def parse_manifest(data: bytes) -> Manifest:
    """Parse manifest bytes, refusing anything but the exact canonical form this module
    writes (`BundleMalformed`)."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise BundleMalformed("the manifest is not JSON") from exc
    version = doc.get("format_version") if isinstance(doc, dict) else None
    if (
        not isinstance(doc, dict) or doc.get("format") != FORMAT
        or not isinstance(version, int) or isinstance(version, bool)
        or version not in READABLE_VERSIONS
    ):
        raise BundleMalformed("the manifest's format or version is not supported")
    keys = {"format", "format_version", "bundle_id", "created", "study_id", "device",
            "recipients", "sequence", "previous_manifest_sha256", "app", "schema_version",
            "records", "attachments"}
    top = _obj(doc, keys | {"paradata"} if version >= 2 else keys, "the manifest")
    device = _obj(top["device"], {"id", "key_fingerprint", "public_key"}, "manifest device")
    try:
        public_key = base64.b64decode(_str(device["public_key"], "device public key"),
                                      validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BundleMalformed("the device public key is not base64") from exc
    sequence = _obj(top["sequence"], {"first", "last"}, "manifest sequence")
    app = _obj(top["app"], {"name", "version"}, "manifest app")
    recipients = top["recipients"]
    if not isinstance(recipients, list) or not recipients:
        raise BundleMalformed("the manifest lists no recipients")
    previous = top["previous_manifest_sha256"]
    records_json, attachments_json = top["records"], top["attachments"]
    if not isinstance(records_json, list) or not isinstance(attachments_json, list):
        raise BundleMalformed("records and attachments must be lists")
    records = []
    for i, item in enumerate(records_json):
        r = _obj(item, {"submission_id", "revision_id", "device_seq", "member", "sha256", "size"},
                 f"record {i}")
        entry = RecordEntry(
            submission_id=_uuid(r["submission_id"], f"record {i} submission_id"),
            revision_id=_str(r["revision_id"], f"record {i} revision_id", _HEX64),
            device_seq=_int(r["device_seq"], f"record {i} device_seq", 1),
            sha256=_str(r["sha256"], f"record {i} sha256", _HEX64),
            size=_int(r["size"], f"record {i} size"),
        )
        if r["member"] != entry.member:
            raise BundleMalformed(f"record {i} member name is not valid")
        records.append(entry)
    attachments = []
    for i, item in enumerate(attachments_json):
        a = _obj(item, {"submission_id", "attachment_id", "name", "media_type", "member",
                        "sha256", "size"}, f"attachment {i}")
        att = AttachmentEntry(
            submission_id=_uuid(a["submission_id"], f"attachment {i} submission_id"),
            attachment_id=_uuid(a["attachment_id"], f"attachment {i} attachment_id"),
            name=_str(a["name"], f"attachment {i} name"),
            media_type=_str(a["media_type"], f"attachment {i} media_type"),
            sha256=_str(a["sha256"], f"attachment {i} sha256", _HEX64),
            size=_int(a["size"], f"attachment {i} size"),
        )
        if a["member"] != att.member:
            raise BundleMalformed(f"attachment {i} member name is not valid")
        attachments.append(att)
    paradata_json = top.get("paradata", [])
    if not isinstance(paradata_json, list):
        raise BundleMalformed("paradata must be a list")
    paradata = []
    for i, item in enumerate(paradata_json):
        p = _obj(item, {"submission_id", "member", "events", "first_seq", "last_seq", "sha256",
                        "size"}, f"paradata {i}")
        entry_p = ParadataEntry(
            submission_id=_uuid(p["submission_id"], f"paradata {i} submission_id"),
            events=_int(p["events"], f"paradata {i} events", 1),
            first_seq=_int(p["first_seq"], f"paradata {i} first_seq", 1),
            last_seq=_int(p["last_seq"], f"paradata {i} last_seq", 1),
            sha256=_str(p["sha256"], f"paradata {i} sha256", _HEX64),
            size=_int(p["size"], f"paradata {i} size"),
        )
        if p["member"] != entry_p.member:
            raise BundleMalformed(f"paradata {i} member name is not valid")
        if entry_p.events > entry_p.last_seq - entry_p.first_seq + 1:
            raise BundleMalformed(f"paradata {i} sequence range is not valid")
        paradata.append(entry_p)
    manifest = Manifest(
        bundle_id=_uuid(top["bundle_id"], "bundle_id"),
        created=_str(top["created"], "created"),
        study_id=_str(top["study_id"], "study_id"),
        device_id=_uuid(device["id"], "device id"),
        device_key_fingerprint=_str(device["key_fingerprint"], "device key fingerprint", _FP),
        device_public_key=public_key,
        recipients=tuple(_str(x, "recipient fingerprint", _RFP) for x in recipients),
        sequence_first=_int(sequence["first"], "sequence first", 1),
        sequence_last=_int(sequence["last"], "sequence last", 1),
        previous_manifest_sha256=(
            None if previous is None else _str(previous, "previous manifest hash", _HEX64)
        ),
        app_version=_str(app["version"], "app version"),
        schema_version=_int(top["schema_version"], "schema_version", 1),
        records=tuple(records),
        attachments=tuple(attachments),
        paradata=tuple(paradata),
        format_version=version,
    )
    if app["name"] != "qi-capture":
        raise BundleMalformed("the manifest was not written by QI Capture")
    if manifest.to_bytes() != data:
        raise BundleMalformed("the manifest is not in canonical form")
    return manifest


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
        try:
            doc = json.loads(text.decode("utf-8"), parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ValueError(f"line {n} is not JSON") from exc
        if not isinstance(doc, dict) or set(doc) != {
            "elapsed_ms", "kind", "payload", "seq", "session_id", "session_started_at"
        }:
            raise ValueError(f"line {n} is not a paradata event")
        try:
            kind = _str(doc["kind"], "kind")
            line = ParadataLine(
                seq=_int(doc["seq"], "seq", 1),
                kind=kind,
                session_id=_uuid(doc["session_id"], "session id"),
                session_started_at=_str(doc["session_started_at"], "time", _TIME),
                elapsed_ms=_int(doc["elapsed_ms"], "elapsed"),
                payload_json=json.dumps(doc["payload"], sort_keys=True, separators=(",", ":"),
                                        ensure_ascii=False, allow_nan=False),
            )
        except BundleMalformed:
            raise ValueError(f"line {n}: a field is not valid") from None
        if not kind or len(kind) > MAX_KIND_CHARS:
            raise ValueError(f"line {n}: the event kind is not valid")
        if kind in NOTE_EVENTS:
            # Note marks and quick tags are read by the centre as data, so they are held
            # to their exact shape here, like the rest of the bundle.
            try:
                parse_event(kind, doc["payload"])
            except ValueError as exc:
                raise ValueError(f"line {n}: the note event is not valid ({exc})") from None
        if line.to_bytes() != text + b"\n":
            raise ValueError(f"line {n} is not canonical JSON")
        if lines and line.seq <= lines[-1].seq:
            raise ValueError(f"line {n} is out of sequence order")
        lines.append(line)
    if lines and (lines[0].seq, lines[-1].seq) != (entry.first_seq, entry.last_seq):
        raise ValueError("its sequence range differs from the manifest")
    return lines


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")
