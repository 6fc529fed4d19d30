"""The declared schema of study packs (`qi_capture.sync.schemas.pack`): a pack built by
`build_pack` reads back as built; a field unknown, missing, of another type (a bool or a
float for a whole number) or out of bounds is refused with the message the pack reader
has always given, before the signature is checked for the envelope and the admin's key,
after it for everything the signer answers for."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from qi_capture.crypto import signing
from qi_capture.crypto.envelope import generate_identity
from qi_capture.storage.canonical import canonical_json
from qi_capture.storage.store import Store
from qi_capture.sync import pack as pack_module
from qi_capture.sync.admin import AdminKeys
from qi_capture.sync.errors import PackBadSignature, PackInvalid
from qi_capture.sync.pack import PackForm, StudyPolicy, build_pack, read_pack
from tests.core.sync.test_sync_parsers_fuzz import FORM, resign_pack

POLICY = StudyPolicy(idle_lock_minutes=5, retention_days=7, sync_folder="S:/qi",
                     quarantine_bundle_bytes=10, quarantine_total_bytes=20,
                     max_recording_minutes=90, max_bundle_bytes=4096)


@pytest.fixture(scope="module")
def keys() -> AdminKeys:
    identity, _ = generate_identity()
    _, recovery = generate_identity()
    return AdminKeys("qi", "QI", identity, signing.generate_signing_key(), recovery,
                     admin_name="Ann Example")


@pytest.fixture(scope="module")
def pack(keys: AdminKeys) -> bytes:
    return build_pack(keys, [PackForm("f.md", FORM.encode())], POLICY)


def changed(keys: AdminKeys, pack: bytes, change: Callable[[dict[str, Any]], object]) -> bytes:
    """The pack with ``change`` made to its body, signed again by its admin."""
    doc = json.loads(pack)
    change(doc["body"])
    return resign_pack(keys, doc)


def test_a_built_pack_reads_back_as_built(keys: AdminKeys, pack: bytes) -> None:
    read = read_pack(pack)
    assert read.policy == POLICY
    assert (read.study_id, read.study_title, read.admin_name) == ("qi", "QI", "Ann Example")
    assert read.signing_public_key == keys.signing_public_key
    assert [(f.filename, f.data) for f in read.forms] == [("f.md", FORM.encode())]
    # The signed bytes are the canonical JSON of the body as decoded, as before.
    body = json.loads(pack)["body"]
    assert canonical_json(body).encode() in pack
    default = build_pack(keys, [PackForm("f.md", FORM.encode())], StudyPolicy())
    assert read_pack(default).policy == StudyPolicy()


def _set(path: tuple[str | int, ...], value: object) -> Callable[[dict[str, Any]], object]:
    def change(body: dict[str, Any]) -> None:
        target: Any = body
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return change


def _drop(path: tuple[str | int, ...]) -> Callable[[dict[str, Any]], object]:
    def change(body: dict[str, Any]) -> None:
        target: Any = body
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]
    return change


@pytest.mark.parametrize(("change", "message"), [
    # unknown and missing fields, wherever they are
    (_set(("extra",), 1), "body does not have the expected fields"),
    (_set(("policy", "colour"), "blue"), "policy does not have the expected fields"),
    (_drop(("policy", "idle_lock_minutes")), "policy does not have the expected fields"),
    (_drop(("policy", "quarantine_total_bytes")), "policy does not have the expected fields"),
    (_set(("study", "lead"), "x"), "study does not have the expected fields"),
    (_drop(("forms", 0, "size")), "form 0 does not have the expected fields"),
    # a bool or a float for a whole number, and bounds
    (_set(("policy", "retention_days"), True), "retention days must be a whole number"),
    (_set(("policy", "retention_days"), 7.0), "retention days must be a whole number"),
    (_set(("policy", "retention_days"), -1), "retention days must be a whole number"),
    (_set(("policy", "max_bundle_bytes"), 2**63), "max bundle bytes must be a whole number"),
    (_set(("policy", "max_bundle_bytes"), None), "max bundle bytes must be a whole number"),
    (_set(("policy", "quarantine_bundle_bytes"), False),
     "quarantine bundle bytes must be a whole number"),
    (_set(("policy", "quarantine_bundle_bytes"), 30),
     "the quarantine limits must be positive, and the limit per bundle at most the total"),
    (_set(("policy", "idle_lock_minutes"), "5"), "idle lock minutes must be a whole number"),
    (_set(("policy", "sync_folder"), ""), "sync folder must be text"),
    # text and base64
    (_set(("pack_id",), 7), "pack_id must be text"),
    (_set(("study", "id"), ""), "study id must be text"),
    (_set(("study", "title"), ["QI"]), "study title must be text"),
    (_set(("forms",), []), "the pack holds no forms"),
    (_set(("forms",), {"f.md": 1}), "the pack holds no forms"),
    (_set(("forms", 0, "filename"), 3), "form 0 filename must be text"),
    (_set(("forms", 0, "data"), ""), "form 0 must be text"),
    (_set(("forms", 0, "data"), "not base64!"), "form 0 is not base64"),
    (_set(("forms", 0, "size"), True), "form f.md does not match its hash"),
    (_set(("forms", 0, "sha256"), "0" * 64), "form f.md does not match its hash"),
    (_set(("admin", "bundle_recipient"), 1), "bundle_recipient must be text"),
    (_set(("admin", "recovery_recipient"), "age1nope"),
     "an admin recipient is not an age X25519 key"),
    (_set(("admin", "signing_key_fingerprint"), "ed25519:" + "0" * 64),
     "the signing key does not match its fingerprint"),
    (_set(("admin", "signing_key_fingerprint"), None),
     "the signing key does not match its fingerprint"),
    (_set(("admin", "name"), 42), "the admin's name must be text"),
])
def test_a_signed_body_not_of_its_schema_is_refused_by_name(
    keys: AdminKeys, pack: bytes, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    with pytest.raises(PackInvalid) as refused:
        read_pack(changed(keys, pack, change))
    assert refused.value.message == f"This is not a valid study pack: {message}."


def _top(pack: bytes, key: str, value: object) -> bytes:
    doc = json.loads(pack)
    doc[key] = value
    return json.dumps(doc).encode()


@pytest.mark.parametrize(("key", "value", "message"), [
    ("comment", "hi", "the pack does not have the expected fields"),
    ("format", "qi-capture-bundle", "it is not a QI Capture study pack"),
    ("format_version", 2, "pack format version 2 is not supported"),
    ("format_version", True, "pack format version True is not supported"),
    ("format_version", 1.0, "pack format version 1.0 is not supported"),
    ("signature", 5, "the signature must be text"),
    ("signature", "%%%", "the signature is not base64"),
])
def test_the_envelope_is_checked_before_the_signature(
    pack: bytes, key: str, value: object, message: str
) -> None:
    with pytest.raises(PackInvalid) as refused:
        read_pack(_top(pack, key, value))
    assert refused.value.message == f"This is not a valid study pack: {message}."


@pytest.mark.parametrize(("change", "message"), [
    (_set(("admin", "email"), "a@b.c"), "admin does not have the expected fields"),
    (_drop(("admin", "recovery_recipient")), "admin does not have the expected fields"),
    (_drop(("policy",)), "body does not have the expected fields"),
    (_set(("admin", "signing_public_key"), 12), "the signing key must be text"),
    (_set(("admin", "signing_public_key"), "QQ=x"), "the signing key is not base64"),
    (_set(("admin", "signing_public_key"), base64.b64encode(b"short").decode()),
     "the signing key is not an Ed25519 public key"),
])
def test_the_admin_key_is_checked_before_the_signature(
    pack: bytes, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    doc = json.loads(pack)
    change(doc["body"])  # not signed again: these are refused before the signature
    with pytest.raises(PackInvalid) as refused:
        read_pack(json.dumps(doc).encode())
    assert refused.value.message == f"This is not a valid study pack: {message}."


def test_a_well_typed_change_still_breaks_the_signature(pack: bytes) -> None:
    doc = json.loads(pack)
    doc["body"]["policy"]["retention_days"] = 3650
    with pytest.raises(PackBadSignature):
        read_pack(json.dumps(doc).encode())


def test_a_zero_idle_lock_reads_as_one_minute(keys: AdminKeys, pack: bytes) -> None:
    read = read_pack(changed(keys, pack, _set(("policy", "idle_lock_minutes"), 0)))
    assert read.policy.idle_lock_minutes == 1


def test_the_admin_policy_falls_back_to_the_defaults(laptop: Store) -> None:
    pack_module.save_admin_policy(laptop, POLICY)
    assert pack_module.admin_policy(laptop) == POLICY
    saved = laptop.settings.get("admin.policy")
    assert isinstance(saved, dict)
    for broken in (None, [], {**saved, "retention_days": True},
                   {**saved, "quarantine_bundle_bytes": 30}):
        laptop.settings.set("admin.policy", broken)
        assert pack_module.admin_policy(laptop) == StudyPolicy()
