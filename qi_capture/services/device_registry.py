"""The device registry's one door: enrol, revoke, rename and list devices, and the
devices bundle checks trust (`DeviceRegistry.known`).

There is one registry, the central store's (`qi_capture.central.devices`: id, name,
status, key, fingerprint, chain state): in the central folder's encrypted database, or
in the PostgreSQL store beside which the admin profile keeps the keys. A key enrolled
before any bundle from its device arrived (``qi-capture admin enrol --device-key``) is a
device known by its key alone until that bundle tells its id
(`qi_capture.central.enrolment`).

Admin profiles made before this kept their own list of trusted keys in their settings.
Opening the registry with the admin keys moves that list in (`adopt_legacy`): every key
it does not hold yet is added with its name, a revoked key stays revoked, and the list is
deleted, in the same transaction when the profile and the tables share a database (a
central folder); beside PostgreSQL the list is deleted once the store has committed
(running the move twice changes nothing).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from qi_capture.central.dto import AdoptedKey, CentralDevice, TrustedKey
from qi_capture.central.store import CentralStore
from qi_capture.crypto import signing
from qi_capture.sync.admin import LEGACY_DEVICES_SETTING, AdminProfile
from qi_capture.sync.bundle import KnownDevice
from qi_capture.sync.errors import DeviceNotEnrolled


@dataclass(frozen=True)
class RegisteredKey:
    """A device key as ``admin enrol``, ``admin revoke`` and ``admin devices`` show it."""

    fingerprint: str
    name: str
    revoked: bool


def _registered(key: TrustedKey) -> RegisteredKey:
    return RegisteredKey(key.fingerprint, key.name, key.revoked)


def adopt_legacy(central: CentralStore, admin: AdminProfile) -> int:
    """Move the admin profile's old list of trusted keys into ``central``'s registry (see
    the module); returns how many entries it held (0: none, or moved before)."""
    legacy = admin.legacy_devices()
    if legacy is None:
        return 0
    keys = [AdoptedKey(d.fingerprint, d.public_key, d.name, d.revoked, d.enrolled, d.revoked_at)
            for d in legacy]
    same_database = central.engine is admin.store.engine
    central.adopt_keys(keys, setting_key=LEGACY_DEVICES_SETTING if same_database else None)
    if not same_database:
        admin.forget_legacy_devices()
    return len(keys)


class DeviceRegistry:
    """The central store's registry. With the admin keys at hand (``admin``), an old
    profile's list of trusted keys is moved in first."""

    def __init__(self, central: CentralStore, admin: AdminProfile | None = None) -> None:
        self._central = central
        if admin is not None:
            adopt_legacy(central, admin)

    def known(self) -> dict[str, KnownDevice]:
        """Fingerprint -> device, for bundle checks: every key enrolled or revoked,
        devices known by their key alone included (revoked: any device holding the key
        is revoked)."""
        return {k.fingerprint: KnownDevice(public_key=k.public_key, name=k.name,
                                           revoked=k.revoked)
                for k in self._central.trusted_keys()}

    def keys(self) -> list[RegisteredKey]:
        """Every key, enrolled or revoked, by fingerprint (sorted)."""
        return [_registered(k) for k in self._central.trusted_keys()]

    def enrol_key(self, public_key: bytes, name: str = "") -> RegisteredKey:
        """Trust a device's key before its device is known (idempotent; a revoked key
        stays revoked: revocation is final)."""
        fingerprint = signing.fingerprint(public_key)
        return _registered(self._central.enrol_key(public_key, fingerprint, name=name))

    def revoke_key(self, fingerprint: str) -> RegisteredKey:
        """Refuse every future bundle signed with this key (`DeviceNotEnrolled` if no
        device holds it)."""
        key = self._central.revoke_key(fingerprint)
        if key is None:
            raise DeviceNotEnrolled(fingerprint)
        return _registered(key)

    def enrol(self, device_id: uuid.UUID, *, name: str, public_key: bytes,
              fingerprint: str) -> CentralDevice:
        return self._central.enrol(device_id, name=name, fingerprint=fingerprint,
                                   public_key=public_key)

    def revoke(self, device_id: uuid.UUID) -> CentralDevice:
        return self._central.revoke(device_id)

    def rename(self, device_id: uuid.UUID, name: str) -> CentralDevice:
        return self._central.rename_device(device_id, name)
