"""The central admin profile: the keys a study's admin holds, in an encrypted store like
an interviewer's (a `Profile` in ``<central>/admin``, unlocked with the admin's passphrase).

It holds, inside the encrypted database (settings):
- the study's id and title, and the admin's name (optional: profiles made before it was
  asked for have none), carried in every study pack so interviewers see who signed it;
- the study's age X25519 *bundle identity* (bundles are encrypted to its recipient);
- an Ed25519 *signing key* for study packs and acknowledgements;
- the *recovery recipient*: the public half of the offline recovery identity, which
  `init_admin` returns once for safekeeping and never stores; bundles are encrypted to it
  too, and the admin profile's own key file has a recovery slot for it;
- beside a PostgreSQL central store, that store's URL (password masked), so that
  commands given only this folder can say where the device registry is.

The devices the admin enrols and revokes are in the central store's registry
(`qi_capture.central.devices`), the only one. Profiles made before it kept a list of
trusted keys in their settings (`legacy_devices`); the registry takes it over the first
time both are open together (`qi_capture.services.device_registry`).
"""

from __future__ import annotations

import base64
import binascii
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType

from qi_capture.crypto import signing
from qi_capture.crypto.envelope import generate_identity, recipient_of
from qi_capture.crypto.errors import SigningKeyInvalid
from qi_capture.crypto.kdf import KdfParams
from qi_capture.fileperms import private_dir
from qi_capture.storage.errors import ProfileExists
from qi_capture.storage.profile import DB_NAME, KEYFILE_NAME, Profile
from qi_capture.storage.store import Store
from qi_capture.sync.errors import (
    AdminExists,
    AdminNameInvalid,
    AdminNotInitialised,
    DeviceKeyInvalid,
)

ADMIN_FOLDER = "admin"
ADMIN_LABEL = "Central admin"
_KEYS = "admin.keys"
#: Where profiles made before the one registry listed their devices (moved into the
#: central store's registry on first use, then deleted).
LEGACY_DEVICES_SETTING = "admin.devices"
_CENTRAL_STORE = "admin.central_store"
#: The longest admin name kept or accepted in a pack: a real name fits; a page of text
#: in the pack dialog's "Signed by" line does not.
MAX_ADMIN_NAME_CHARS = 120
#: Characters that reorder or hide text (bidi overrides and isolates, marks): a name
#: holding one can be shown as something other than what it is.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                           "\u2066\u2067\u2068\u2069")


def admin_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an admin's name (None: it can). Refused: empty, longer than
    `MAX_ADMIN_NAME_CHARS`, spaces at either end, control characters, line breaks,
    text-direction controls, unassigned or private-use code points. Joiners (used in
    some scripts' names) are allowed."""
    if not name:
        return "it is empty"
    if len(name) > MAX_ADMIN_NAME_CHARS:
        return f"it is {len(name)} characters long, more than the {MAX_ADMIN_NAME_CHARS} allowed"
    if name != name.strip():
        return "it starts or ends with a space"
    for char in name:
        category = unicodedata.category(char)
        if category in {"Cc", "Cs", "Co", "Cn", "Zl", "Zp"} or char in _BIDI_CONTROLS:
            return f"it holds the control or unassigned character U+{ord(char):04X}"
    return None


def check_admin_name(name: str) -> str:
    """``name`` with spaces at either end removed, or `AdminNameInvalid` saying why not."""
    name = name.strip()
    problem = admin_name_problem(name)
    if problem is not None:
        raise AdminNameInvalid(problem)
    return name


@dataclass(frozen=True)
class LegacyDevice:
    """One entry of a profile's old list of trusted keys."""

    fingerprint: str
    public_key: bytes
    name: str
    revoked: bool
    enrolled: datetime | None
    revoked_at: datetime | None


def _moment(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@dataclass(frozen=True)
class AdminKeys:
    study_id: str
    study_title: str
    bundle_identity: str = field(repr=False)
    signing_key: bytes = field(repr=False)
    recovery_recipient: str
    #: The admin's name ("" for a profile made before it was asked for).
    admin_name: str = ""

    @property
    def bundle_recipient(self) -> str:
        return recipient_of(self.bundle_identity)

    @property
    def signing_public_key(self) -> bytes:
        return signing.public_key(self.signing_key)

    @property
    def signing_fingerprint(self) -> str:
        return signing.fingerprint(self.signing_public_key)


@dataclass(frozen=True)
class AdminCreated:
    folder: Path
    study_id: str
    study_title: str
    bundle_recipient: str
    signing_fingerprint: str
    recovery_recipient: str
    #: Shown once for offline safekeeping; never stored anywhere.
    recovery_identity: str = field(repr=False)
    admin_name: str = ""


def admin_folder(central: Path) -> Path:
    return central / ADMIN_FOLDER


def parse_device_key(text: str) -> bytes:
    """A device public key as printed by the device (base64 of 32 raw bytes)."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DeviceKeyInvalid("it is not base64") from exc
    try:
        signing.fingerprint(raw)
    except SigningKeyInvalid as exc:
        raise DeviceKeyInvalid("it is not a 32-byte Ed25519 public key") from exc
    return raw


def init_admin(
    central: Path,
    passphrase: str,
    *,
    study_id: str,
    study_title: str,
    admin_name: str = "",
    kdf: KdfParams | None = None,
    central_store: str | None = None,
) -> AdminCreated:
    """Create the admin profile and the study's keys. The returned recovery identity is
    the only copy: the caller shows it once. ``admin_name`` may be empty (no name);
    otherwise it is checked (`AdminNameInvalid`) before anything is created.
    ``central_store``: the PostgreSQL store (URL, password masked) the keys serve, when
    the profile is made beside one."""
    admin_name = check_admin_name(admin_name) if admin_name.strip() else ""
    folder = admin_folder(central)
    if (folder / KEYFILE_NAME).exists() or (folder / DB_NAME).exists():
        raise AdminExists(str(central))
    recovery_identity, recovery_recipient = generate_identity()
    bundle_identity, _ = generate_identity()
    private_dir(central, parents=True)  # the central folder holds the admin's keys
    try:
        Profile.create(folder, ADMIN_LABEL, passphrase, recovery_recipient, kdf=kdf)
    except ProfileExists as exc:
        raise AdminExists(str(central)) from exc
    keys = AdminKeys(study_id, study_title, bundle_identity, signing.generate_signing_key(),
                     recovery_recipient, admin_name)
    with Profile.unlock(folder, passphrase) as store:
        store.settings.set(
            _KEYS,
            {
                "study_id": keys.study_id,
                "study_title": keys.study_title,
                "bundle_identity": keys.bundle_identity,
                "signing_key": keys.signing_key.hex(),
                "recovery_recipient": keys.recovery_recipient,
                **({"admin_name": admin_name} if admin_name else {}),
            },
        )
        if central_store:
            store.settings.set(_CENTRAL_STORE, central_store)
    return AdminCreated(
        folder=folder,
        study_id=study_id,
        study_title=study_title,
        bundle_recipient=keys.bundle_recipient,
        signing_fingerprint=keys.signing_fingerprint,
        recovery_recipient=recovery_recipient,
        recovery_identity=recovery_identity,
        admin_name=admin_name,
    )


class AdminProfile:
    """An unlocked admin profile. ``with AdminProfile.open(central, passphrase) as admin:``"""

    def __init__(self, store: Store) -> None:
        self.store = store

    @classmethod
    def open(cls, central: Path, passphrase: str) -> AdminProfile:
        folder = admin_folder(central)
        if not (folder / KEYFILE_NAME).exists():
            raise AdminNotInitialised(str(central))
        return cls(Profile.unlock(folder, passphrase))

    def keys(self) -> AdminKeys:
        doc = self.store.settings.get(_KEYS)
        if not isinstance(doc, dict):
            raise AdminNotInitialised(str(self.store.folder.parent))
        return AdminKeys(
            study_id=str(doc["study_id"]),
            study_title=str(doc["study_title"]),
            bundle_identity=str(doc["bundle_identity"]),
            signing_key=bytes.fromhex(str(doc["signing_key"])),
            recovery_recipient=str(doc["recovery_recipient"]),
            admin_name=str(doc.get("admin_name") or ""),
        )

    # -- the old list of trusted keys ---------------------------------------------------
    def legacy_devices(self) -> list[LegacyDevice] | None:
        """The devices a profile made before the one registry listed in its settings
        (None: it has no such list, or it was moved already). Read only to move them
        into the central store's registry (`qi_capture.services.device_registry`)."""
        doc = self.store.settings.get(LEGACY_DEVICES_SETTING)
        if not isinstance(doc, dict):
            return None
        out: list[LegacyDevice] = []
        for fp, item in sorted(doc.items()):
            if isinstance(item, dict) and item.get("public_key"):
                out.append(LegacyDevice(
                    fingerprint=str(fp),
                    public_key=base64.b64decode(str(item["public_key"])),
                    name=str(item.get("name") or ""),
                    revoked=bool(item.get("revoked")),
                    enrolled=_moment(item.get("enrolled")),
                    revoked_at=_moment(item.get("revoked_at")),
                ))
        return out

    def forget_legacy_devices(self) -> None:
        """Drop the old list once the central registry holds its entries."""
        self.store.settings.delete(LEGACY_DEVICES_SETTING)

    # -- where the central store is ----------------------------------------------------
    def central_store(self) -> str | None:
        """The PostgreSQL store (its URL, password masked) this profile's keys serve,
        if it is kept beside one rather than holding the central tables itself."""
        value = self.store.settings.get(_CENTRAL_STORE)
        return value if isinstance(value, str) and value else None

    def remember_central_store(self, target: str) -> None:
        if self.central_store() != target:
            self.store.settings.set(_CENTRAL_STORE, target)

    # -- lifetime ---------------------------------------------------------------------
    def lock(self) -> None:
        self.store.lock()

    def __enter__(self) -> AdminProfile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.lock()
