"""Acknowledgements (formats 1 and 2), as declared schemas.

An acknowledgement is read in three steps, so that its signature is checked before
anything the signer is answerable for: the envelope's fields (`AckEnvelope`, each kept as
its raw JSON), the format and version, the body's fields and study id (`AckBodyFields`:
enough to pick the key and build the signed message), then, signed, the body's types
(`AckBodyV1`, `AckBodyV2`). The device fields are text as the admin wrote them (the
laptop compares them with its own), the revision and record ids exact hex and UUIDs.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from qi_capture.sync.schemas.fields import Hex64, Strict, Uuid
from qi_capture.sync.schemas.refusal import Refusal

FormatName = Literal["qi-capture-ack"]
FormatVersion = Literal[1, 2]


class AckEnvelope(Strict):
    body: msgspec.Raw
    format: msgspec.Raw
    format_version: msgspec.Raw
    signature: msgspec.Raw


class AckBodyFields(Strict):
    """Format 1's fields, each any JSON but the study id (text, to name the study)."""

    ack_id: Any
    created: Any
    study_id: str
    device_id: Any
    device_key_fingerprint: Any
    bundles: Any
    revision_ids: Any


class AckBodyFieldsV2(AckBodyFields):
    erasures: Any


class BundleRef(Strict):
    bundle_id: str
    manifest_sha256: str


class AckBodyV1(Strict):
    ack_id: str
    created: str
    study_id: str
    device_id: str
    device_key_fingerprint: str
    bundles: list[BundleRef]
    revision_ids: list[Hex64]


class AckBodyV2(AckBodyV1):
    erasures: list[Uuid]


BODY_FIELDS: dict[int, type[AckBodyFields]] = {1: AckBodyFields, 2: AckBodyFieldsV2}
BODIES: dict[int, type[AckBodyV1]] = {1: AckBodyV1, 2: AckBodyV2}


def body_fields_message(problem: Refusal) -> str:
    if problem.path == ("study_id",):
        return "the study id is not text"
    return "body does not have the expected fields"


def body_message(problem: Refusal) -> str:
    """The message for a signed body that does not have its declared types."""
    head = problem.path[0] if problem.path else None
    if head == "revision_ids":
        return "the revision ids are not valid"
    if head == "erasures":
        return "the erased record ids are not valid"
    if head == "bundles":
        return ("the bundles are not a list" if len(problem.path) == 1
                else "a bundle entry does not have the expected fields")
    return f"{_TEXT_FIELDS.get(str(head), 'the body')} is not text"


_TEXT_FIELDS = {"ack_id": "the acknowledgement id", "created": "the creation time",
                "study_id": "the study id", "device_id": "the device id",
                "device_key_fingerprint": "the device key fingerprint"}
