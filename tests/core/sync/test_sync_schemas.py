"""The declared schemas of bundle manifests, paradata lines and acknowledgements
(`qi_capture.sync.schemas`): what they accept is exactly what the writers write, and
what they refuse is refused with the message the readers have always given, naming the
field; random documents either parse (and then re-encode to the very bytes read) or are
refused by one of those messages, never with another exception."""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qi_capture.crypto import signing
from qi_capture.storage.canonical import canonical_json
from qi_capture.sync import ack as ack_module
from qi_capture.sync.errors import AckBadSignature, AckInvalid, BundleMalformed
from qi_capture.sync.manifest import paradata_lines, parse_manifest, parse_paradata
from tests.core.sync.test_sync_parsers_fuzz import (
    MANIFEST,
    PARADATA,
    PARADATA_ENTRY,
    encode,
    mutate,
)

PROPERTY = settings(max_examples=150, deadline=2000,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Every message a manifest refusal may carry (a field is named by its place).
_FIELD = (r"(record|attachment|paradata) \d+ [a-z_0-9]+|bundle_id|created|study_id|schema_version"
          r"|previous manifest hash|device (id|key fingerprint|public key)|sequence (first|last)"
          r"|app version|recipient fingerprint")
MANIFEST_MESSAGES = re.compile(
    r"the manifest's format or version is not supported|the manifest is not (JSON|valid)"
    r"|(the manifest|manifest (device|sequence|app)|(record|attachment|paradata) \d+) "
    r"(is not an object|has missing fields \[.*\] or unknown fields \[.*\])"
    r"|the manifest lists no recipients|records and attachments must be lists"
    r"|paradata must be a list|the manifest was not written by QI Capture"
    r"|the device public key is not base64|the manifest is not in canonical form"
    r"|(record|attachment|paradata) \d+ member name is not valid"
    r"|paradata \d+ sequence range is not valid"
    rf"|({_FIELD}) (is not a UUID|is not a valid number|is not valid)"
)
PARADATA_MESSAGES = re.compile(
    r"line \d+ (is not JSON|is not a paradata event|is not canonical JSON"
    r"|is out of sequence order)|line \d+: (a field is not valid|the event kind is not valid"
    r"|the note event is not valid \(.*\))|it holds \d+ events, the manifest says \d+"
    r"|its sequence range differs from the manifest|the last line is not terminated"
)
ACK_MESSAGES = re.compile(
    r"it is not JSON|the file is too large"
    r"|(the acknowledgement|body|a bundle entry) does not have the expected fields"
    r"|it is not a QI Capture acknowledgement of a supported version"
    r"|the (study id|acknowledgement id|creation time|device id|device key fingerprint)"
    r" is not text|the signature is not base64|the revision ids are not valid"
    r"|the bundles are not a list|the erased record ids are not valid"
)


def _manifest_doc(version: int = 2) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(MANIFEST.to_bytes())
    if version == 1:
        doc["format_version"] = 1
        del doc["paradata"]
    return doc


def _refused_with(doc: Any, message: str) -> None:
    with pytest.raises(BundleMalformed, match=re.escape(message)):
        parse_manifest(canonical_json(doc).encode())


@pytest.mark.parametrize(("path", "value", "message"), [
    (("records", 0, "size"), "100", "record 0 size is not a valid number"),
    (("records", 1, "device_seq"), 0, "record 1 device_seq is not a valid number"),
    (("records", 0, "size"), True, "record 0 size is not a valid number"),
    (("records", 0, "size"), 2**63, "record 0 size is not a valid number"),
    (("records", 0, "revision_id"), "D" * 64, "record 0 revision_id is not valid"),
    (("records", 0, "member"), "revisions/x.json", "record 0 member name is not valid"),
    (("attachments", 0, "attachment_id"), "x", "attachment 0 attachment_id is not a UUID"),
    (("paradata", 0, "events"), 3, "paradata 0 sequence range is not valid"),
    (("bundle_id",), str(uuid.UUID(int=2**127 + 10)).upper(), "bundle_id is not a UUID"),
    (("created",), 7, "created is not valid"),
    (("previous_manifest_sha256",), "0", "previous manifest hash is not valid"),
    (("device", "key_fingerprint"), "ed25519:00", "device key fingerprint is not valid"),
    (("device", "public_key"), "not base64!", "the device public key is not base64"),
    (("sequence", "first"), -1, "sequence first is not a valid number"),
    (("app", "name"), "other", "the manifest was not written by QI Capture"),
    (("recipients",), [], "the manifest lists no recipients"),
    (("recipients",), ["age-x25519:00"], "recipient fingerprint is not valid"),
    (("records",), {}, "records and attachments must be lists"),
    (("paradata",), None, "paradata must be a list"),
    (("device",), [], "manifest device is not an object"),
    (("format_version",), 3, "the manifest's format or version is not supported"),
    (("format",), "qi-capture-pack", "the manifest's format or version is not supported"),
])
def test_a_field_of_the_wrong_shape_is_refused_by_name(
    path: tuple[str | int, ...], value: Any, message: str
) -> None:
    doc = _manifest_doc()
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    _refused_with(doc, message)


def test_missing_and_unknown_fields_are_all_named() -> None:
    doc = _manifest_doc()
    del doc["device"]["id"]
    doc["device"]["name"] = "laptop"
    _refused_with(doc, "manifest device has missing fields ['id'] or unknown fields ['name']")
    doc = _manifest_doc(version=1)
    doc["paradata"] = []
    _refused_with(doc, "the manifest has missing fields [] or unknown fields ['paradata']")
    doc = _manifest_doc(version=2)
    del doc["paradata"]
    _refused_with(doc, "the manifest has missing fields ['paradata'] or unknown fields []")


def test_both_formats_read_and_only_the_canonical_bytes() -> None:
    for version in (1, 2):
        data = canonical_json(_manifest_doc(version)).encode()
        assert parse_manifest(data).to_bytes() == data
        with pytest.raises(BundleMalformed, match="canonical form"):
            parse_manifest(json.dumps(_manifest_doc(version), sort_keys=True).encode())
    with pytest.raises(BundleMalformed, match="not JSON"):
        parse_manifest(MANIFEST.to_bytes().replace(b'"qi"', b'"q\xff"'))


@PROPERTY
@given(data=st.data(), version=st.sampled_from([1, 2]))
def test_random_manifests_parse_canonically_or_are_refused_by_a_known_message(
    data: st.DataObject, version: int
) -> None:
    mutated = encode(mutate(data, _manifest_doc(version)))
    try:
        parsed = parse_manifest(mutated)
    except BundleMalformed as refused:
        assert MANIFEST_MESSAGES.fullmatch(_detail(refused)), _detail(refused)
        return
    assert parsed.to_bytes() == mutated and parsed.format_version == version
    for entry in (*parsed.records, *parsed.attachments, *parsed.paradata):
        assert 0 <= entry.size < 2**63


@PROPERTY
@given(data=st.data())
def test_random_paradata_lines_parse_canonically_or_are_refused_by_a_known_message(
    data: st.DataObject
) -> None:
    lines = [json.loads(line) for line in paradata_lines(PARADATA).splitlines()]
    which = data.draw(st.integers(0, len(lines) - 1))
    lines[which] = mutate(data, lines[which])
    raw = b"".join(encode(line) + b"\n" for line in lines)
    try:
        parsed = parse_paradata(PARADATA_ENTRY, raw)
    except ValueError as refused:
        assert PARADATA_MESSAGES.fullmatch(str(refused)), str(refused)
        return
    assert paradata_lines(parsed) == raw


# -- acknowledgements ------------------------------------------------------------------------
KEY = signing.generate_signing_key()


def _ack(erasures: list[str]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(ack_module.make_acknowledgement(
        KEY, study_id="qi", device_id=str(uuid.UUID(int=3)),
        device_key_fingerprint="ed25519:" + "a" * 64,
        bundles=[(str(uuid.UUID(int=2)), "9" * 64)], revision_ids=["d" * 64],
        erasures=erasures))
    return doc


def _signed(doc: dict[str, Any]) -> bytes:
    body = canonical_json(doc["body"]).encode()
    signature = signing.sign(KEY, ack_module.SIGNATURE_DOMAIN + body)
    return canonical_json({**doc, "signature": base64.b64encode(signature).decode()}).encode()


def test_an_acknowledgement_body_field_of_another_type_is_refused_once_signed() -> None:
    doc = _ack([])
    doc["body"]["ack_id"] = 12
    with pytest.raises(AckInvalid, match="the acknowledgement id is not text"):
        ack_module.parse_acknowledgement(_signed(doc), signing_public_key=signing.public_key(KEY))
    # Unsigned (altered after signing), the signature is what is reported.
    unsigned = canonical_json(doc).encode()
    with pytest.raises(AckBadSignature):
        ack_module.parse_acknowledgement(unsigned, signing_public_key=signing.public_key(KEY))


@PROPERTY
@given(data=st.data(), erased=st.booleans(), resign=st.booleans())
def test_random_acknowledgements_parse_or_are_refused_by_a_known_message(
    data: st.DataObject, erased: bool, resign: bool
) -> None:
    doc = mutate(data, _ack([str(uuid.UUID(int=9))] if erased else []))
    raw = (_signed(doc) if resign and isinstance(doc, dict) and isinstance(doc.get("body"), dict)
           else encode(doc))
    for key in (None, signing.public_key(KEY)):
        try:
            parsed = ack_module.parse_acknowledgement(raw, signing_public_key=key)
        except AckBadSignature:
            assert key is not None
        except AckInvalid as refused:
            assert ACK_MESSAGES.fullmatch(_detail(refused)), _detail(refused)
        else:
            assert all(isinstance(r, str) and len(r) == 64 for r in parsed.revision_ids)
            assert all(str(uuid.UUID(r)) == r for r in parsed.erasures)


def _detail(error: BundleMalformed | AckInvalid) -> str:
    """The reason within a typed error's message (its class words the rest)."""
    return str(error.params["detail"])
