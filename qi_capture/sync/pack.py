"""Study packs: how a study reaches a laptop, signed by the study's admin.

File format (``*.qipack``, canonical JSON, UTF-8, at most `MAX_PACK_BYTES`)::

    {"format": "qi-capture-study-pack", "format_version": 1,
     "body": {"pack_id": UUID, "created": ISO-8601 UTC,
              "study": {"id": str, "title": str},
              "forms": [{"filename": str, "sha256": hex, "size": int, "data": b64}],
              "admin": {"bundle_recipient": "age1...", "signing_public_key": b64,
                        "signing_key_fingerprint": "ed25519:<hex>",
                        "recovery_recipient": "age1...",
                        "name": str},                         # optional
              "policy": {"idle_lock_minutes": int, "retention_days": int,
                         "sync_folder": str | null,
                         "quarantine_bundle_bytes": int,      # optional
                         "quarantine_total_bytes": int,       # optional
                         "max_recording_minutes": int,        # optional
                         "max_bundle_bytes": int}},           # optional
     "signature": b64}

The two quarantine limits bound what a device nobody has enrolled yet may leave at the
admin (`qi_capture.central.quarantine`): each bundle, and all of them together. The two
caps bound what a laptop makes: an interview recording's length (it stops at the cap and
is kept) and a bundle's size (a sync splits its records into several bundles). Each is
absent, or 0, for no cap. Both kinds of limit are written only when they differ from the
defaults, so a pack with the default policy is
byte-for-byte what earlier versions write and read. The admin keeps the policy of the
last pack built (`save_admin_policy`, `admin_policy`): that is what the merge applies.

``admin.name`` is the admin's name as given to ``admin init`` (checked by
`admin_name_problem`: one line, no control characters, at most `MAX_ADMIN_NAME_CHARS`);
it is absent for an admin profile without a name, so such a pack is byte-for-byte what
earlier versions write, and a pack without it still installs.

``signature`` is Ed25519 over `SIGNATURE_DOMAIN` + the canonical JSON of ``body``, by the
key in ``body.admin``. The first pack of a study is trusted on import (the interviewer
got it from their admin); every later pack for the same study must be signed by the
same key, or it is refused (`PackSignedByOtherKey`). The forms are the XLSForm source
bytes; the laptop compiles and stores them as new versions beside the old ones.

On the laptop the pack's keys and policy are kept in the encrypted settings under
``sync.study.<study id>``, with the list of such studies under ``sync.studies``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec

from qi_capture.crypto import signing
from qi_capture.crypto.envelope import recipient_fingerprint
from qi_capture.crypto.errors import CryptoError
from qi_capture.forms import load_form_bytes
from qi_capture.storage.canonical import JsonValue, canonical_json
from qi_capture.storage.store import Store
from qi_capture.sync.admin import AdminKeys, admin_name_problem
from qi_capture.sync.errors import PackBadSignature, PackInvalid, PackSignedByOtherKey
from qi_capture.sync.schemas import pack as schema
from qi_capture.sync.schemas.refusal import convert, refusal

FORMAT = "qi-capture-study-pack"
FORMAT_VERSION = 1
SIGNATURE_DOMAIN = b"qi-capture/study-pack/v1\n"
MAX_PACK_BYTES = 64 * 1024 * 1024
PACK_SUFFIX = ".qipack"
DEFAULT_IDLE_LOCK_MINUTES = 10
DEFAULT_RETENTION_DAYS = 30
DEFAULT_QUARANTINE_BUNDLE_BYTES = 256 * 1024 * 1024
DEFAULT_QUARANTINE_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
_STUDIES = "sync.studies"
_ADMIN_POLICY = "admin.policy"


def _study_key(study_id: str) -> str:
    return f"sync.study.{study_id}"


@dataclass(frozen=True)
class StudyPolicy:
    idle_lock_minutes: int = DEFAULT_IDLE_LOCK_MINUTES
    retention_days: int = DEFAULT_RETENTION_DAYS
    sync_folder: str | None = None
    #: The largest bundle a device not yet enrolled may leave in quarantine, and the
    #: most the quarantine holds in all (bytes).
    quarantine_bundle_bytes: int = DEFAULT_QUARANTINE_BUNDLE_BYTES
    quarantine_total_bytes: int = DEFAULT_QUARANTINE_TOTAL_BYTES
    #: The longest an interview recording may run, in minutes (0: no cap).
    max_recording_minutes: int = 0
    #: The largest bundle a sync writes, in bytes (0: no cap).
    max_bundle_bytes: int = 0

    def to_json(self) -> dict[str, JsonValue]:
        doc: dict[str, JsonValue] = {
            "idle_lock_minutes": self.idle_lock_minutes,
            "retention_days": self.retention_days,
            "sync_folder": self.sync_folder,
        }
        if (self.quarantine_bundle_bytes, self.quarantine_total_bytes) != (
            DEFAULT_QUARANTINE_BUNDLE_BYTES, DEFAULT_QUARANTINE_TOTAL_BYTES
        ):
            doc["quarantine_bundle_bytes"] = self.quarantine_bundle_bytes
            doc["quarantine_total_bytes"] = self.quarantine_total_bytes
        if self.max_recording_minutes:
            doc["max_recording_minutes"] = self.max_recording_minutes
        if self.max_bundle_bytes:
            doc["max_bundle_bytes"] = self.max_bundle_bytes
        return doc


@dataclass(frozen=True)
class PackForm:
    filename: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class StudyPack:
    pack_id: str
    created: str
    study_id: str
    study_title: str
    forms: tuple[PackForm, ...]
    bundle_recipient: str
    signing_public_key: bytes
    recovery_recipient: str
    policy: StudyPolicy
    #: The signing admin's name ("" when the pack carries none).
    admin_name: str = ""

    @property
    def signing_fingerprint(self) -> str:
        return signing.fingerprint(self.signing_public_key)


@dataclass(frozen=True)
class InstalledStudy:
    """What a laptop keeps from the newest pack of a study."""

    study_id: str
    study_title: str
    bundle_recipient: str
    signing_public_key: bytes
    recovery_recipient: str
    policy: StudyPolicy
    pack_id: str
    pack_created: str
    #: The admin's name from the newest pack ("" when it carries none).
    admin_name: str = ""

    @property
    def signing_fingerprint(self) -> str:
        return signing.fingerprint(self.signing_public_key)

    @property
    def recipients(self) -> list[str]:
        """What bundles are encrypted to: the study's key and the recovery key."""
        return list(dict.fromkeys([self.bundle_recipient, self.recovery_recipient]))


@dataclass(frozen=True)
class PackImported:
    study: InstalledStudy
    forms_added: int
    forms_already_present: int
    first_install: bool


# -- building (admin) ------------------------------------------------------------------
def build_pack(
    keys: AdminKeys,
    forms: Sequence[PackForm],
    policy: StudyPolicy,
    *,
    now: datetime | None = None,
) -> bytes:
    """A signed pack of ``forms`` (each compiled first, so a broken form is refused here
    with `FormError` rather than on every laptop)."""
    if not forms:
        raise PackInvalid("a study pack needs at least one form")
    for form in forms:
        load_form_bytes(form.data, form.filename)
    if policy.idle_lock_minutes < 1 or policy.retention_days < 0:
        raise PackInvalid("idle lock must be at least 1 minute and retention at least 0 days")
    _check_quarantine(policy.quarantine_bundle_bytes, policy.quarantine_total_bytes)
    if policy.max_recording_minutes < 0 or policy.max_bundle_bytes < 0:
        raise PackInvalid("the recording length and bundle size caps must be 0 (no cap) "
                          "or more")
    body: JsonValue = {
        "pack_id": str(uuid.uuid4()),
        "created": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "study": {"id": keys.study_id, "title": keys.study_title},
        "forms": [
            {
                "filename": f.filename,
                "sha256": f.sha256,
                "size": len(f.data),
                "data": base64.b64encode(f.data).decode("ascii"),
            }
            for f in forms
        ],
        "admin": {
            "bundle_recipient": keys.bundle_recipient,
            "signing_public_key": base64.b64encode(keys.signing_public_key).decode("ascii"),
            "signing_key_fingerprint": keys.signing_fingerprint,
            "recovery_recipient": keys.recovery_recipient,
            **({"name": keys.admin_name} if keys.admin_name else {}),
        },
        "policy": policy.to_json(),
    }
    signature = signing.sign(keys.signing_key, SIGNATURE_DOMAIN + canonical_json(body).encode())
    doc: JsonValue = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "body": body,
        "signature": base64.b64encode(signature).decode("ascii"),
    }
    data = canonical_json(doc).encode("utf-8")
    if len(data) > MAX_PACK_BYTES:
        raise PackInvalid(f"the pack would be larger than {MAX_PACK_BYTES} bytes")
    return data


# -- reading (laptop) ------------------------------------------------------------------
def read_pack(data: bytes) -> StudyPack:
    """Parse a pack and verify its signature against the key it carries. Raises
    `PackInvalid` (not a pack) or `PackBadSignature` (altered after signing). The
    shape is `qi_capture.sync.schemas.pack`'s, read in its stages."""
    if len(data) > MAX_PACK_BYTES:
        raise PackInvalid(f"the file is larger than {MAX_PACK_BYTES} bytes")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise PackInvalid("it is not a QI Capture study pack (not JSON)") from exc
    top = _envelope(doc)
    plain = top.body
    try:
        fields = convert(plain, schema.PackBodyFields)
    except msgspec.ValidationError:
        raise PackInvalid(schema.fields_message(plain)) from None
    public = _base64(fields.admin.signing_public_key, "the signing key")
    signature = _base64(top.signature, "the signature")
    try:
        valid = len(signature) == signing.SIGNATURE_BYTES and signing.verify(
            public, SIGNATURE_DOMAIN + canonical_json(plain).encode("utf-8"), signature
        )
    except (CryptoError, ValueError) as exc:
        raise PackInvalid("the signing key is not an Ed25519 public key") from exc
    if not valid:
        raise PackBadSignature()
    # Signed: what follows checks the admin's own tool did its job.
    try:
        body = convert(plain, schema.PackBody)
    except msgspec.ValidationError as exc:
        raise PackInvalid(schema.body_message(refusal(exc), plain)) from None
    return _pack(body, public)


def _envelope(doc: object) -> schema.PackEnvelope:
    """The envelope's fields, its format and version."""
    try:
        top = convert(doc, schema.PackEnvelope)
    except msgspec.ValidationError:
        raise PackInvalid("the pack does not have the expected fields") from None
    try:
        convert(top.format, schema.FormatName)
    except msgspec.ValidationError:
        raise PackInvalid("it is not a QI Capture study pack") from None
    try:
        convert(top.format_version, schema.FormatVersion)
    except msgspec.ValidationError:
        raise PackInvalid(f"pack format version {top.format_version!r} is not supported") \
            from None
    return top


def _base64(value: object, what: str) -> bytes:
    try:
        return convert(value, schema.Base64)
    except msgspec.ValidationError:
        raise PackInvalid(schema.base64_message(value, what)) from None


def _pack(body: schema.PackBody, public: bytes) -> StudyPack:
    """The pack a signed body of the declared types holds, once what spans its fields
    is checked: each form's bytes against their hash and size, the recipients, the key
    against its fingerprint, the admin's name and the quarantine limits."""
    _check_quarantine_fields(body.policy)
    forms = []
    for f in body.forms:
        form = PackForm(f.filename, f.data)
        if form.sha256 != f.sha256 or len(form.data) != f.size:
            raise PackInvalid(f"form {form.filename} does not match its hash")
        forms.append(form)
    admin = body.admin
    try:
        for recipient in (admin.bundle_recipient, admin.recovery_recipient):
            recipient_fingerprint(recipient)
    except CryptoError as exc:
        raise PackInvalid("an admin recipient is not an age X25519 key") from exc
    if admin.signing_key_fingerprint != signing.fingerprint(public):
        raise PackInvalid("the signing key does not match its fingerprint")
    admin_name = "" if isinstance(admin.name, msgspec.UnsetType) else _admin_name(admin.name)
    return StudyPack(
        pack_id=body.pack_id,
        created=body.created,
        study_id=body.study.id,
        study_title=body.study.title,
        forms=tuple(forms),
        bundle_recipient=admin.bundle_recipient,
        signing_public_key=public,
        recovery_recipient=admin.recovery_recipient,
        admin_name=admin_name,
        policy=_policy(body.policy, idle_floor=1),
    )


def _admin_name(value: str) -> str:
    """The admin's name from a pack. A name that could not come from ``admin init``
    (control characters, text-direction tricks, a page of text) refuses the pack: the
    name is what an interviewer checks before installing."""
    problem = admin_name_problem(value)
    if problem is not None:
        raise PackInvalid(f"the admin's name cannot be shown: {problem}")
    return value


def _check_quarantine(bundle_bytes: int, total_bytes: int) -> None:
    if not 0 < bundle_bytes <= total_bytes:
        raise PackInvalid("the quarantine limits must be positive, and the limit per bundle "
                          "at most the total")


def _check_quarantine_fields(doc: schema.PolicyDoc) -> None:
    """The two quarantine limits come together, or neither does."""
    if isinstance(doc.quarantine_bundle_bytes, msgspec.UnsetType) != isinstance(
        doc.quarantine_total_bytes, msgspec.UnsetType
    ):
        raise PackInvalid("policy does not have the expected fields")


def _set(value: int | msgspec.UnsetType, default: int) -> int:
    return default if isinstance(value, msgspec.UnsetType) else value


def _policy(doc: schema.PolicyDoc, *, idle_floor: int = 0) -> StudyPolicy:
    """The policy a declared policy document holds (absent limits: the defaults).
    ``idle_floor``: the shortest idle lock taken (a pack's 0 minutes lock after 1)."""
    _check_quarantine_fields(doc)
    policy = StudyPolicy(
        idle_lock_minutes=max(idle_floor, doc.idle_lock_minutes),
        retention_days=doc.retention_days,
        sync_folder=doc.sync_folder,
        quarantine_bundle_bytes=_set(doc.quarantine_bundle_bytes,
                                     DEFAULT_QUARANTINE_BUNDLE_BYTES),
        quarantine_total_bytes=_set(doc.quarantine_total_bytes, DEFAULT_QUARANTINE_TOTAL_BYTES),
        max_recording_minutes=_set(doc.max_recording_minutes, 0),
        max_bundle_bytes=_set(doc.max_bundle_bytes, 0),
    )
    _check_quarantine(policy.quarantine_bundle_bytes, policy.quarantine_total_bytes)
    return policy


# -- the admin's own copy of the policy ------------------------------------------------
def save_admin_policy(store: Store, policy: StudyPolicy) -> None:
    """Keep, in the admin profile, the policy of the pack just built: the merge applies
    its quarantine limits."""
    store.settings.set(_ADMIN_POLICY, {
        **policy.to_json(),
        "quarantine_bundle_bytes": policy.quarantine_bundle_bytes,
        "quarantine_total_bytes": policy.quarantine_total_bytes,
    })


def admin_policy(store: Store) -> StudyPolicy:
    """The policy of the last pack the admin built (the defaults before the first)."""
    try:
        return _policy(convert(store.settings.get(_ADMIN_POLICY), schema.PolicyDoc))
    except (msgspec.ValidationError, PackInvalid):
        return StudyPolicy()


# -- installing (laptop) ---------------------------------------------------------------
def _installed_from_json(doc: JsonValue) -> InstalledStudy | None:
    if not isinstance(doc, dict):
        return None
    policy = doc["policy"]
    assert isinstance(policy, dict)
    sync_folder = policy.get("sync_folder")
    return InstalledStudy(
        study_id=str(doc["study_id"]),
        study_title=str(doc["study_title"]),
        bundle_recipient=str(doc["bundle_recipient"]),
        signing_public_key=base64.b64decode(str(doc["signing_public_key"])),
        recovery_recipient=str(doc["recovery_recipient"]),
        policy=StudyPolicy(
            idle_lock_minutes=int(str(policy["idle_lock_minutes"])),
            retention_days=int(str(policy["retention_days"])),
            sync_folder=None if sync_folder is None else str(sync_folder),
            max_recording_minutes=int(str(policy.get("max_recording_minutes", 0))),
            max_bundle_bytes=int(str(policy.get("max_bundle_bytes", 0))),
        ),
        pack_id=str(doc["pack_id"]),
        pack_created=str(doc["pack_created"]),
        admin_name=str(doc.get("admin_name") or ""),
    )


def installed_study(store: Store, study_id: str) -> InstalledStudy | None:
    return _installed_from_json(store.settings.get(_study_key(study_id)))


def installed_studies(store: Store) -> list[InstalledStudy]:
    ids = store.settings.get(_STUDIES, [])
    out = []
    for study_id in ids if isinstance(ids, list) else []:
        study = installed_study(store, str(study_id))
        if study is not None:
            out.append(study)
    return out


#: Installs one form: (XLSForm bytes, file name, study id, study title) -> newly added?
FormInstaller = Callable[[bytes, str, str, str], bool]


def import_pack(store: Store, data: bytes, install_form: FormInstaller) -> PackImported:
    """Verify a pack, refuse it if the study is installed under another admin key, then
    install its forms (through ``install_form``) and record its keys and policy. A pack
    older than the installed one adds its forms but does not roll the policy back."""
    pack = read_pack(data)
    current = installed_study(store, pack.study_id)
    if current is not None and current.signing_public_key != pack.signing_public_key:
        raise PackSignedByOtherKey(pack.study_id, current.signing_fingerprint,
                                   pack.signing_fingerprint)
    added = 0
    for form in pack.forms:
        if install_form(form.data, form.filename, pack.study_id, pack.study_title):
            added += 1
    study = InstalledStudy(
        study_id=pack.study_id,
        study_title=pack.study_title,
        bundle_recipient=pack.bundle_recipient,
        signing_public_key=pack.signing_public_key,
        recovery_recipient=pack.recovery_recipient,
        policy=pack.policy,
        pack_id=pack.pack_id,
        pack_created=pack.created,
        admin_name=pack.admin_name,
    )
    if current is None or pack.created >= current.pack_created:
        store.settings.set(
            _study_key(pack.study_id),
            {
                "study_id": study.study_id,
                "study_title": study.study_title,
                "bundle_recipient": study.bundle_recipient,
                "signing_public_key": base64.b64encode(study.signing_public_key).decode(),
                "recovery_recipient": study.recovery_recipient,
                "policy": study.policy.to_json(),
                "pack_id": study.pack_id,
                "pack_created": study.pack_created,
                **({"admin_name": study.admin_name} if study.admin_name else {}),
            },
        )
    else:
        study = current
    ids = store.settings.get(_STUDIES, [])
    known = [str(i) for i in ids] if isinstance(ids, list) else []
    if pack.study_id not in known:
        store.settings.set(_STUDIES, [*known, pack.study_id])
    return PackImported(study, added, len(pack.forms) - added, current is None)
