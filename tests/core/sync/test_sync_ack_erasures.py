"""Acknowledgement format 2: the study's erased records travel back to the laptops as
record ids only (never the reason or a name); format 1 stays byte-for-byte as before;
the strict reader refuses anything else."""

from __future__ import annotations

import json
import uuid

import pytest

from qi_capture.crypto import signing
from qi_capture.storage.canonical import canonical_json
from qi_capture.sync.ack import make_acknowledgement, parse_acknowledgement
from qi_capture.sync.errors import AckBadSignature, AckInvalid

KEY = signing.generate_signing_key()
PUBLIC = signing.public_key(KEY)


def ack(erasures: list[str]) -> bytes:
    return make_acknowledgement(KEY, study_id="qi", device_id=str(uuid.uuid4()),
                                device_key_fingerprint="ed25519:" + "0" * 64,
                                bundles=[], revision_ids=["a" * 64], erasures=erasures)


def test_erased_record_ids_travel_and_nothing_else() -> None:
    erased = sorted(str(uuid.uuid4()) for _ in range(3))
    data = ack(erased)
    doc = json.loads(data)
    assert doc["format_version"] == 2 and doc["body"]["erasures"] == erased
    parsed = parse_acknowledgement(data, signing_public_key=PUBLIC)
    assert list(parsed.erasures) == erased
    assert b"consent" not in data.lower() and b"reason" not in data.lower()


def test_without_erasures_it_is_format_1_as_before() -> None:
    doc = json.loads(ack([]))
    assert doc["format_version"] == 1 and "erasures" not in doc["body"]
    assert parse_acknowledgement(ack([]), signing_public_key=PUBLIC).erasures == ()


def _resigned(doc: dict[str, object]) -> bytes:
    return canonical_json(doc).encode()  # type: ignore[arg-type]


@pytest.mark.parametrize("change", ["not_uuid", "v1_with_erasures", "v2_without", "upper"])
def test_the_reader_refuses_other_shapes(change: str) -> None:
    doc = json.loads(ack([str(uuid.uuid4())]))
    if change == "not_uuid":
        doc["body"]["erasures"] = ["not-a-record"]
    elif change == "v1_with_erasures":
        doc["format_version"] = 1
    elif change == "v2_without":
        del doc["body"]["erasures"]
    else:
        doc["body"]["erasures"] = [str(uuid.uuid4()).upper()]
    with pytest.raises(AckInvalid):
        parse_acknowledgement(_resigned(doc), signing_public_key=None)


def test_a_changed_erasure_list_breaks_the_signature() -> None:
    doc = json.loads(ack([str(uuid.uuid4())]))
    doc["body"]["erasures"] = [str(uuid.uuid4())]
    with pytest.raises(AckBadSignature):
        parse_acknowledgement(_resigned(doc), signing_public_key=PUBLIC)
