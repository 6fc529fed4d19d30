"""Study packs, as declared schemas.

A pack is read in stages, so that its signature is checked before anything the signer
is answerable for, each with the messages the pack's reader has always given:

1. the envelope's fields (`PackEnvelope`, each any JSON), then its format and version;
2. the body's fields and the admin's (`PackBodyFields`, `AdminFields`), and the signing
   key and signature as base64 (`Base64`): enough to check the signature over the
   canonical JSON of the body as decoded;
3. signed, the body's types (`PackBody`): text that must not be empty, whole numbers
   within an SQLite integer, forms as base64, the policy's optional limits.

What spans fields (a form's hash and size against its bytes, the quarantine limits
against each other, the key against its fingerprint, the admin's name) stays with the
reader, `qi_capture.sync.pack.read_pack`. `body_message` words a refusal of the signed
body: the fields of an object are checked before its values, objects in the order the
hand-written checks took them, so a body with one problem is refused as it always was.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from qi_capture.sync.schemas.fields import Count, DeviceFingerprint, Hex64, Strict
from qi_capture.sync.schemas.refusal import Refusal, field_names, key_problem, value_at

FormatName = Literal["qi-capture-study-pack"]
FormatVersion = Literal[1]

#: Text a pack may not leave empty (a study id, a form's file name, a recipient).
Filled = Annotated[str, msgspec.Meta(min_length=1)]
#: Bytes written as standard, padded base64 (what ``base64.b64encode`` writes), not empty.
Base64 = Annotated[bytes, msgspec.Meta(min_length=1)]


class PackEnvelope(Strict):
    body: Any
    format: Any
    format_version: Any
    signature: Any


class AdminFields(Strict):
    """The admin's fields, each any JSON (``name`` optional): enough to find the key."""

    bundle_recipient: Any
    signing_public_key: Any
    signing_key_fingerprint: Any
    recovery_recipient: Any
    name: Any = msgspec.UNSET


class PackBodyFields(Strict):
    pack_id: Any
    created: Any
    study: Any
    forms: Any
    admin: AdminFields
    policy: Any


class StudyDoc(Strict):
    id: Filled
    title: Filled


class FormDoc(Strict):
    filename: Filled
    sha256: Hex64
    size: Count
    data: Base64


class AdminDoc(Strict):
    bundle_recipient: Filled
    signing_public_key: Base64
    signing_key_fingerprint: DeviceFingerprint
    recovery_recipient: Filled
    name: str | msgspec.UnsetType = msgspec.UNSET


class PolicyDoc(Strict):
    """The policy; the quarantine limits come both or neither, the caps each or not.
    Absent optional limits are UNSET (the defaults), never null."""

    idle_lock_minutes: Count
    retention_days: Count
    sync_folder: Filled | None
    quarantine_bundle_bytes: Count | msgspec.UnsetType = msgspec.UNSET
    quarantine_total_bytes: Count | msgspec.UnsetType = msgspec.UNSET
    max_recording_minutes: Count | msgspec.UnsetType = msgspec.UNSET
    max_bundle_bytes: Count | msgspec.UnsetType = msgspec.UNSET


class PackBody(Strict):
    pack_id: Filled
    created: Filled
    study: StudyDoc
    forms: Annotated[list[FormDoc], msgspec.Meta(min_length=1)]
    admin: AdminDoc
    policy: PolicyDoc


QUARANTINE_FIELDS = ("quarantine_bundle_bytes", "quarantine_total_bytes")


def base64_message(value: object, what: str) -> str:
    """Why ``value`` is not the base64 of ``what``: not (non-empty) text, or not base64."""
    if not isinstance(value, str) or not value:
        return f"{what} must be text"
    return f"{what} is not base64"


def fields_message(body: object) -> str:
    """The message for a body whose fields, or the admin's, are not the expected ones
    (only the admin's are typed at this stage: a body with its fields has them wrong)."""
    missing, extra = key_problem(body, field_names(PackBodyFields))
    if not isinstance(body, dict) or missing or extra:
        return "body does not have the expected fields"
    return "admin does not have the expected fields"


# -- wording a refusal of the signed body ------------------------------------------------
def _fields_wrong(value: object, struct: type[msgspec.Struct]) -> bool:
    """Not an object, or one without a required field or with an unknown one."""
    if not isinstance(value, dict):
        return True
    fields = msgspec.structs.fields(struct)
    return any(f.required and f.encode_name not in value for f in fields) or not set(
        value) <= {f.encode_name for f in fields}


def _keys_message(body: dict[str, Any]) -> str | None:
    """The first object, in the order the pack was always checked, whose fields are not
    its schema's."""
    if _fields_wrong(body.get("study"), StudyDoc):
        return "study does not have the expected fields"
    policy = body.get("policy")
    if not isinstance(policy, dict) or _fields_wrong(policy, PolicyDoc) or sum(
            key in policy for key in QUARANTINE_FIELDS) == 1:
        return "policy does not have the expected fields"
    forms = body.get("forms")
    if not isinstance(forms, list) or not forms:
        return "the pack holds no forms"
    for i, form in enumerate(forms):
        if _fields_wrong(form, FormDoc):
            return f"form {i} does not have the expected fields"
    return None


_TEXT: dict[tuple[str | int, ...], str] = {
    ("pack_id",): "pack_id", ("created",): "created", ("study", "id"): "study id",
    ("study", "title"): "study title", ("policy", "sync_folder"): "sync folder",
    ("admin", "bundle_recipient"): "bundle_recipient",
    ("admin", "recovery_recipient"): "recovery_recipient"}


def _form_message(path: tuple[str | int, ...], body: dict[str, Any]) -> str:
    i, field = path[1], str(path[2]) if len(path) > 2 else ""
    form = value_at(body, ("forms", i))
    if field == "filename":
        return f"form {i} filename must be text"
    if field == "data":
        return base64_message(value_at(form, ("data",)), f"form {i}")
    return f"form {value_at(form, ('filename',))} does not match its hash"


def body_message(problem: Refusal, body: object) -> str:
    """The message for a signed body that does not have its declared types (``body``:
    the body as decoded, to check objects' fields in the order the reader always did)."""
    if not isinstance(body, dict):
        return "body does not have the expected fields"
    keys = _keys_message(body)
    if keys is not None:
        return keys
    path = problem.path
    if path in _TEXT:
        return f"{_TEXT[path]} must be text"
    if path[:1] == ("forms",) and len(path) > 1:
        return _form_message(path, body)
    if path == ("admin", "signing_key_fingerprint"):
        return "the signing key does not match its fingerprint"
    if path == ("admin", "name"):
        return "the admin's name must be text"
    if path[:1] == ("policy",) and len(path) == 2:
        return f"{str(path[1]).replace('_', ' ')} must be a whole number"
    if path[:1] == ("admin",):
        return "admin does not have the expected fields"
    return "body does not have the expected fields"
