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
import json
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qi_capture.crypto import signing
from qi_capture.crypto.atomic import atomic_write_bytes
from qi_capture.storage.canonical import JsonValue, canonical_json
from qi_capture.sync.bundle import BundleSummary
from qi_capture.sync.errors import AckBadSignature, AckInvalid

FORMAT = "qi-capture-ack"
FORMAT_VERSION = 1
#: With ``erasures`` in the body.
ERASURES_VERSION = 2
SIGNATURE_DOMAIN = b"qi-capture/acknowledgement/v1\n"
ACK_SUFFIX = ".qiack"
INBOX = "inbox"
MAX_ACK_BYTES = 16 * 1024 * 1024
_HEX64 = re.compile(r"[0-9a-f]{64}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_BODY_KEYS = {"ack_id", "created", "study_id", "device_id", "device_key_fingerprint",
              "bundles", "revision_ids"}


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


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _obj(value: object, keys: set[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != keys:
        raise AckInvalid(f"{what} does not have the expected fields")
    return value


def peek_study(data: bytes) -> str:
    """The study an acknowledgement claims to be for (unverified: to pick the key)."""
    return parse_acknowledgement(data, signing_public_key=None).study_id


def parse_acknowledgement(data: bytes, *, signing_public_key: bytes | None) -> Acknowledgement:
    """Parse and (with a key) verify an acknowledgement. Raises `AckInvalid` or
    `AckBadSignature`."""
    if len(data) > MAX_ACK_BYTES:
        raise AckInvalid("the file is too large")
    try:
        # NaN and infinity refused here: what json.loads returns then is plain JSON.
        doc = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise AckInvalid("it is not JSON") from exc
    top = _obj(doc, {"format", "format_version", "body", "signature"}, "the acknowledgement")
    version = top["format_version"]
    if top["format"] != FORMAT or version not in (FORMAT_VERSION, ERASURES_VERSION) \
            or isinstance(version, bool):
        raise AckInvalid("it is not a QI Capture acknowledgement of a supported version")
    keys = _BODY_KEYS | ({"erasures"} if version == ERASURES_VERSION else set())
    body = _obj(top["body"], keys, "body")
    study_id = body["study_id"]
    if not isinstance(study_id, str):
        raise AckInvalid("the study id is not text")
    if signing_public_key is not None:
        try:
            signature = base64.b64decode(str(top["signature"]), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise AckInvalid("the signature is not base64") from exc
        message = SIGNATURE_DOMAIN + canonical_json(body, checked=True).encode("utf-8")
        if len(signature) != signing.SIGNATURE_BYTES or not signing.verify(
            signing_public_key, message, signature
        ):
            raise AckBadSignature(study_id)
    revisions = body["revision_ids"]
    bundles = body["bundles"]
    if not isinstance(revisions, list) or not all(
        isinstance(r, str) and _HEX64.fullmatch(r) for r in revisions
    ):
        raise AckInvalid("the revision ids are not valid")
    if not isinstance(bundles, list):
        raise AckInvalid("the bundles are not a list")
    erasures = body.get("erasures", [])
    if not isinstance(erasures, list) or not all(
        isinstance(r, str) and _UUID.fullmatch(r) for r in erasures
    ):
        raise AckInvalid("the erased record ids are not valid")
    pairs = []
    for item in bundles:
        b = _obj(item, {"bundle_id", "manifest_sha256"}, "a bundle entry")
        pairs.append((str(b["bundle_id"]), str(b["manifest_sha256"])))
    return Acknowledgement(
        ack_id=str(body["ack_id"]),
        created=str(body["created"]),
        study_id=study_id,
        device_id=str(body["device_id"]),
        device_key_fingerprint=str(body["device_key_fingerprint"]),
        bundles=tuple(pairs),
        revision_ids=tuple(revisions),
        erasures=tuple(erasures),
    )
