"""Acknowledgements: the admin's signed word that revisions arrived and were stored.

The central side writes one per imported bundle (the merge issue calls
`acknowledgement_for`), into the sync folder's ``inbox/``; the laptop reads them on its
next sync, checks the signature against the admin key its study pack installed, and
marks those revisions acknowledged. Only then may retention purge them.

File format (``*.qiack``, canonical JSON)::

    {"format": "qi-capture-ack", "format_version": 1,
     "body": {"ack_id": UUID, "created": ISO-8601 UTC, "study_id": str,
              "device_id": UUID, "device_key_fingerprint": "ed25519:<hex>",
              "bundles": [{"bundle_id": UUID, "manifest_sha256": hex}],
              "revision_ids": [hex, ...],
              "erasures": [UUID, ...]},       # format 2 only
     "signature": b64}          # Ed25519 over SIGNATURE_DOMAIN + canonical body

Format 2 adds ``erasures``: the ids of the study's records that were erased (consent
withdrawn), at the centre or on any laptop. The laptop erases its own copy of each it
still holds (`qi_capture.storage.erasure`). An acknowledgement with no erasures is
written as format 1, exactly as before; readers accept both.

An acknowledgement is signed but not encrypted: it holds only a pseudonymous device id,
its key fingerprint, revision hashes and record ids, never answers, names or the
reasons for an erasure. Its file name is random.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from qi_capture.crypto import signing
from qi_capture.crypto.atomic import atomic_write_bytes
from qi_capture.storage.canonical import JsonValue, canonical_json
from qi_capture.sync.bundle import BundleSummary
from qi_capture.sync.errors import AckBadSignature, AckInvalid
from qi_capture.sync.schemas import ack as schema
from qi_capture.sync.schemas.refusal import refusal

FORMAT = "qi-capture-ack"
FORMAT_VERSION = 1
#: With ``erasures`` in the body.
ERASURES_VERSION = 2
SIGNATURE_DOMAIN = b"qi-capture/acknowledgement/v1\n"
ACK_SUFFIX = ".qiack"
INBOX = "inbox"
MAX_ACK_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Acknowledgement:
    ack_id: str
    created: str
    study_id: str
    device_id: str
    device_key_fingerprint: str
    bundles: tuple[tuple[str, str], ...]
    revision_ids: tuple[str, ...]
    #: Records of the study erased (format 2; empty in format 1).
    erasures: tuple[str, ...] = ()


def make_acknowledgement(
    signing_key: bytes,
    *,
    study_id: str,
    device_id: str,
    device_key_fingerprint: str,
    bundles: Sequence[tuple[str, str]],
    revision_ids: Sequence[str],
    now: datetime | None = None,
    erasures: Sequence[str] = (),
) -> bytes:
    """The bytes of a signed acknowledgement. ``bundles`` are (bundle id, manifest
    SHA-256) pairs; ``erasures`` the ids of the study's erased records (format 2)."""
    body: JsonValue = {
        "ack_id": str(uuid.uuid4()),
        "created": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "study_id": study_id,
        "device_id": device_id,
        "device_key_fingerprint": device_key_fingerprint,
        "bundles": [{"bundle_id": b, "manifest_sha256": h} for b, h in bundles],
        "revision_ids": list[JsonValue](sorted(set(revision_ids))),
    }
    if erasures:
        assert isinstance(body, dict)
        body["erasures"] = list[JsonValue](sorted(set(erasures)))
    # Built from text only: no NaN or non-JSON value to walk for.
    signature = signing.sign(signing_key,
                             SIGNATURE_DOMAIN + canonical_json(body, checked=True).encode())
    doc: JsonValue = {
        "format": FORMAT,
        "format_version": ERASURES_VERSION if erasures else FORMAT_VERSION,
        "body": body,
        "signature": base64.b64encode(signature).decode("ascii"),
    }
    return canonical_json(doc, checked=True).encode("utf-8")


def acknowledgement_for(summary: BundleSummary, signing_key: bytes) -> bytes:
    """An acknowledgement of every revision in a verified (and imported) bundle."""
    m = summary.manifest
    return make_acknowledgement(
        signing_key,
        study_id=m.study_id,
        device_id=m.device_id,
        device_key_fingerprint=m.device_key_fingerprint,
        bundles=[(m.bundle_id, summary.manifest_sha256)],
        revision_ids=summary.revision_ids,
    )


def write_acknowledgement(sync_folder: Path, data: bytes) -> Path:
    """Write an acknowledgement into ``<sync folder>/inbox/`` under a random name
    (temp file, fsync, rename)."""
    inbox = sync_folder / INBOX
    inbox.mkdir(exist_ok=True)
    path = inbox / (secrets.token_hex(16) + ACK_SUFFIX)
    atomic_write_bytes(path, data)
    return path


def peek_study(data: bytes) -> str:
    """The study an acknowledgement claims to be for (unverified: to pick the key)."""
    return parse_acknowledgement(data, signing_public_key=None).study_id


def parse_acknowledgement(data: bytes, *, signing_public_key: bytes | None) -> Acknowledgement:
    """Parse and (with a key) verify an acknowledgement. Raises `AckInvalid` or
    `AckBadSignature`."""
    if len(data) > MAX_ACK_BYTES:
        raise AckInvalid("the file is too large")
    try:
        data.decode("utf-8")
        top = msgspec.json.decode(data, type=schema.AckEnvelope)
    except msgspec.ValidationError:  # (a DecodeError too: caught first)
        raise AckInvalid("the acknowledgement does not have the expected fields") from None
    except (UnicodeDecodeError, msgspec.DecodeError) as exc:
        raise AckInvalid("it is not JSON") from exc
    try:
        msgspec.json.decode(top.format, type=schema.FormatName)
        version = msgspec.json.decode(top.format_version, type=schema.FormatVersion)
    except msgspec.ValidationError:
        raise AckInvalid("it is not a QI Capture acknowledgement of a supported version") \
            from None
    try:
        plain = msgspec.json.decode(top.body)
    except msgspec.ValidationError as exc:  # a number beyond a float's range
        raise AckInvalid("it is not JSON") from exc
    try:
        study_id = msgspec.convert(plain, schema.BODY_FIELDS[version]).study_id
    except msgspec.ValidationError as exc:
        raise AckInvalid(schema.body_fields_message(refusal(exc))) from None
    if signing_public_key is not None:
        _verify(top, plain, study_id, signing_public_key)
    try:
        body = msgspec.convert(plain, schema.BODIES[version])
    except msgspec.ValidationError as exc:
        raise AckInvalid(schema.body_message(refusal(exc))) from None
    return Acknowledgement(
        ack_id=body.ack_id,
        created=body.created,
        study_id=body.study_id,
        device_id=body.device_id,
        device_key_fingerprint=body.device_key_fingerprint,
        bundles=tuple((b.bundle_id, b.manifest_sha256) for b in body.bundles),
        revision_ids=tuple(body.revision_ids),
        erasures=tuple(getattr(body, "erasures", ())),
    )


def _verify(top: schema.AckEnvelope, body: JsonValue, study_id: str, public_key: bytes) -> None:
    try:
        signature = base64.b64decode(msgspec.json.decode(top.signature, type=str),
                                     validate=True)
    except (msgspec.ValidationError, binascii.Error, ValueError) as exc:
        raise AckInvalid("the signature is not base64") from exc
    # Plain JSON decoded by msgspec: no NaN or non-JSON value to walk for.
    message = SIGNATURE_DOMAIN + canonical_json(body, checked=True).encode("utf-8")
    if len(signature) != signing.SIGNATURE_BYTES or not signing.verify(
        public_key, message, signature
    ):
        raise AckBadSignature(study_id)
