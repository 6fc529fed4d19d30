"""The device registry, one interface over its two records.

The central store's registry (`qi_capture.central.devices`: id, name, status, key,
fingerprint, chain state) is the one the desk lists and names devices from. The admin
profile keeps its own list of trusted keys by fingerprint (`qi_capture.sync.admin`),
which `qi-capture admin verify` reads without a central store. Until that second list
is migrated into the central store, every enrolment, revocation and renaming goes
through `DeviceRegistry`, which writes both, and `known` is the one view of them that
bundle checks read (revoked in either means revoked).
"""

from __future__ import annotations

import uuid

from qi_capture.central.dto import CentralDevice
from qi_capture.central.store import CentralStore
from qi_capture.sync.admin import AdminProfile
from qi_capture.sync.bundle import KnownDevice


class DeviceRegistry:
    """The central store's registry, kept in step with the admin profile's when the
    admin keys are open (``admin``)."""

    def __init__(self, central: CentralStore, admin: AdminProfile | None) -> None:
        self._central = central
        self._admin = admin

    def known(self) -> dict[str, KnownDevice]:
        """Fingerprint -> device, from both records; revoked in either means revoked."""
        devices = dict(self._admin.devices()) if self._admin is not None else {}
        for d in self._central.devices():
            if d.fingerprint is None or d.public_key is None or d.status == "unknown":
                continue
            other = devices.get(d.fingerprint)
            devices[d.fingerprint] = KnownDevice(
                public_key=d.public_key,
                name=d.name,
                revoked=d.status == "revoked" or (other is not None and other.revoked),
            )
        return devices

    def enrol(self, device_id: uuid.UUID, *, name: str, public_key: bytes,
              fingerprint: str) -> CentralDevice:
        device = self._central.enrol(device_id, name=name, fingerprint=fingerprint,
                                     public_key=public_key)
        if self._admin is not None:
            self._admin.enrol(public_key, name)
        return device

    def revoke(self, device_id: uuid.UUID) -> CentralDevice:
        device = self._central.revoke(device_id)
        if self._admin is not None and device.fingerprint is not None:
            if device.public_key is not None:  # known to the profile before it is revoked
                self._admin.enrol(device.public_key, device.name)
            self._admin.revoke(device.fingerprint)
        return device

    def rename(self, device_id: uuid.UUID, name: str) -> CentralDevice:
        device = self._central.rename_device(device_id, name)
        if self._admin is not None and device.public_key is not None \
                and device.status == "enrolled":
            self._admin.enrol(device.public_key, name)
        return device
