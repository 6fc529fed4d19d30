"""Fuzzing the parsers of files that come from elsewhere: bundle manifests and paradata
members, study packs and acknowledgements. Whatever the bytes, and whatever a signer
puts in a validly signed document, the parser returns a result or raises its own typed
error (never a KeyError, TypeError, RecursionError...), in bounded time.

Two kinds of input: arbitrary bytes, and a valid document with one field (anywhere in
it) replaced by arbitrary JSON, re-signed where the format is signed so the checks after
the signature are reached too."""

from __future__ import annotations

import base64
import contextlib
import json
import textwrap
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qi_capture.crypto import signing
from qi_capture.crypto.envelope import generate_identity
from qi_capture.storage.canonical import canonical_json
from qi_capture.sync import ack as ack_module
from qi_capture.sync import pack as pack_module
from qi_capture.sync.admin import AdminKeys
from qi_capture.sync.errors import SyncError
from qi_capture.sync.manifest import (
    AttachmentEntry,
    Manifest,
    ParadataEntry,
    ParadataLine,
    RecordEntry,
    paradata_lines,
    parse_manifest,
    parse_paradata,
)
from tests.json_paths import json_paths, json_replaced

FUZZ = settings(max_examples=60, deadline=2000,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

FORM = textwrap.dedent("""
    | survey   |           |          |          |
    |          | type      | name     | label    |
    |          | text      | org      | Org      |
    | settings |           |          |          |
    |          | form_id   | version  |          |
    |          | fuzz_form | 1        |          |
""")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                  max_size=4),
    max_leaves=12,
)


def mutate(data: st.DataObject, doc: Any) -> Any:
    """``doc`` with one value somewhere replaced by arbitrary JSON, or one key dropped."""
    path = data.draw(st.sampled_from(json_paths(doc)))
    if data.draw(st.booleans()) and len(path) and isinstance(
        _at(doc, path[:-1]), dict
    ):
        parent = dict(_at(doc, path[:-1]))
        del parent[path[-1]]
        return json_replaced(doc, path[:-1], parent)
    return json_replaced(doc, path, data.draw(json_values))


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def encode(doc: Any) -> bytes:
    try:
        return canonical_json(doc).encode("utf-8")
    except (ValueError, TypeError):
        assume(False)
        raise


# -- bundle manifests and paradata ----------------------------------------------------------
SUBMISSION = str(uuid.UUID(int=1))
MANIFEST = Manifest(
    bundle_id=str(uuid.UUID(int=2)),
    created="2025-03-01T00:00:00.000000Z",
    study_id="qi",
    device_id=str(uuid.UUID(int=3)),
    device_key_fingerprint="ed25519:" + "a" * 64,
    device_public_key=bytes(32),
    recipients=("age-x25519:" + "b" * 64, "age-x25519:" + "c" * 64),
    sequence_first=1,
    sequence_last=2,
    previous_manifest_sha256=None,
    app_version="1.0",
    schema_version=1,
    records=(RecordEntry(SUBMISSION, "d" * 64, 1, "d" * 64, 100),
             RecordEntry(SUBMISSION, "e" * 64, 2, "e" * 64, 120)),
    attachments=(AttachmentEntry(SUBMISSION, str(uuid.UUID(int=4)), "a.m4a", "audio/mp4",
                                 "f" * 64, 5000),),
    paradata=(ParadataEntry(SUBMISSION, 2, 1, 2, "0" * 64, 300),),
)


def test_the_valid_manifest_parses() -> None:
    assert parse_manifest(MANIFEST.to_bytes()) == MANIFEST


@FUZZ
@given(data=st.binary(max_size=4096))
def test_manifest_from_arbitrary_bytes(data: bytes) -> None:
    with contextlib.suppress(SyncError):
        parse_manifest(data)


@FUZZ
@given(data=st.data())
def test_manifest_with_any_field_replaced(data: st.DataObject) -> None:
    doc = json.loads(MANIFEST.to_bytes())
    mutated = encode(mutate(data, doc))
    try:
        parsed = parse_manifest(mutated)
    except SyncError:
        return
    assert parsed.to_bytes() == mutated  # accepted only in exactly the canonical form


PARADATA = [
    ParadataLine(1, "open", str(uuid.UUID(int=5)), "2025-03-01T00:00:00.000000Z", 0, "{}"),
    ParadataLine(2, "answer", str(uuid.UUID(int=5)), "2025-03-01T00:00:00.000000Z", 1500,
                 '{"path":"/org"}'),
]
PARADATA_ENTRY = ParadataEntry(SUBMISSION, 2, 1, 2, "0" * 64, 0)


@FUZZ
@given(data=st.data())
def test_paradata_lines_with_any_field_replaced(data: st.DataObject) -> None:
    lines = [json.loads(line) for line in paradata_lines(PARADATA).splitlines()]
    which = data.draw(st.integers(0, len(lines) - 1))
    lines[which] = mutate(data, lines[which])
    raw = b"".join(encode(line) + b"\n" for line in lines)
    with contextlib.suppress(ValueError):
        parse_paradata(PARADATA_ENTRY, raw)


@FUZZ
@given(data=st.binary(max_size=2048), events=st.integers(0, 5))
def test_paradata_from_arbitrary_bytes(data: bytes, events: int) -> None:
    entry = ParadataEntry(SUBMISSION, max(events, 1), 1, max(events, 1), "0" * 64, len(data))
    with contextlib.suppress(ValueError):
        parse_paradata(entry, data)


# -- study packs ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def admin_keys() -> AdminKeys:
    identity, _ = generate_identity()
    _, recovery = generate_identity()
    return AdminKeys("qi", "QI", identity, signing.generate_signing_key(), recovery)


@pytest.fixture(scope="module")
def pack(admin_keys: AdminKeys) -> bytes:
    return pack_module.build_pack(admin_keys, [pack_module.PackForm("f.md", FORM.encode())],
                                  pack_module.StudyPolicy())


def resign_pack(keys: AdminKeys, doc: Any) -> bytes:
    body = doc.get("body") if isinstance(doc, dict) else None
    if isinstance(doc, dict) and body is not None and "signature" in doc:
        signature = signing.sign(keys.signing_key,
                                 pack_module.SIGNATURE_DOMAIN + encode(body))
        doc = {**doc, "signature": base64.b64encode(signature).decode("ascii")}
    return encode(doc)


def test_the_valid_pack_reads_and_its_default_policy_is_unchanged(pack: bytes) -> None:
    read = pack_module.read_pack(pack)
    assert read.policy == pack_module.StudyPolicy()
    policy = json.loads(pack)["body"]["policy"]
    # Default limits are not written: earlier versions read this pack byte for byte.
    assert set(policy) == {"idle_lock_minutes", "retention_days", "sync_folder"}


def test_quarantine_limits_travel_in_the_pack(admin_keys: AdminKeys) -> None:
    policy = pack_module.StudyPolicy(quarantine_bundle_bytes=10, quarantine_total_bytes=20)
    data = pack_module.build_pack(admin_keys, [pack_module.PackForm("f.md", FORM.encode())],
                                  policy)
    assert pack_module.read_pack(data).policy == policy
    with pytest.raises(pack_module.PackInvalid):
        pack_module.build_pack(admin_keys, [pack_module.PackForm("f.md", FORM.encode())],
                               pack_module.StudyPolicy(quarantine_bundle_bytes=30,
                                                       quarantine_total_bytes=20))


@FUZZ
@given(data=st.binary(max_size=4096))
def test_pack_from_arbitrary_bytes(data: bytes) -> None:
    with contextlib.suppress(SyncError):
        pack_module.read_pack(data)


@FUZZ
@given(data=st.data())
def test_pack_with_any_field_replaced_and_signed_again(
    data: st.DataObject, pack: bytes, admin_keys: AdminKeys
) -> None:
    doc = json.loads(pack)
    mutated = mutate(data, doc)
    with contextlib.suppress(SyncError):
        pack_module.read_pack(resign_pack(admin_keys, mutated))


# -- acknowledgements ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ack_key() -> bytes:
    return signing.generate_signing_key()


@pytest.fixture(scope="module")
def ack(ack_key: bytes) -> bytes:
    return ack_module.make_acknowledgement(
        ack_key, study_id="qi", device_id=str(uuid.UUID(int=3)),
        device_key_fingerprint="ed25519:" + "a" * 64,
        bundles=[(str(uuid.UUID(int=2)), "9" * 64)], revision_ids=["d" * 64, "e" * 64])


@FUZZ
@given(data=st.binary(max_size=4096))
def test_acknowledgement_from_arbitrary_bytes(data: bytes, ack_key: bytes) -> None:
    for key in (None, signing.public_key(ack_key)):
        with contextlib.suppress(SyncError):
            ack_module.parse_acknowledgement(data, signing_public_key=key)


@FUZZ
@given(data=st.data())
def test_acknowledgement_with_any_field_replaced_and_signed_again(
    data: st.DataObject, ack: bytes, ack_key: bytes
) -> None:
    doc = mutate(data, json.loads(ack))
    body = doc.get("body") if isinstance(doc, dict) else None
    if isinstance(doc, dict) and body is not None and "signature" in doc:
        signature = signing.sign(ack_key, ack_module.SIGNATURE_DOMAIN + encode(body))
        doc = {**doc, "signature": base64.b64encode(signature).decode("ascii")}
    raw = encode(doc)
    for key in (None, signing.public_key(ack_key)):
        with contextlib.suppress(SyncError):
            ack_module.parse_acknowledgement(raw, signing_public_key=key)
