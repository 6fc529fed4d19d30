"""Writing a device into the central registry: the one enrolment path, used by the
registry (`qi_capture.central.devices.enrol` and `enrol_key`) and by a merge that enrols
a device the caller already trusts in the same transaction as its first bundle
(`qi_capture.central.merge.Enrolment`).

A device may be known by its key alone: ``qi-capture admin enrol --device-key`` trusts a
key before any bundle from it has arrived, so its device id is not known yet. Such a
device is registered under `key_only_id` (a version-5 UUID made from its fingerprint;
laptops' own ids are random, version 4, so the two never meet). When a device with that
key is enrolled under its real id (its first bundle, or ``devices enrol``), it takes over
the key-only row: its name if it has none, its revocation (revocation is final), and the
key-only row goes.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Connection, delete, select

from qi_capture.central import sql
from qi_capture.central.models import CentralDeviceRow

#: The namespace of `key_only_id` (fixed: ids made in one version are found by the next).
_KEY_ONLY_NAMESPACE = uuid.UUID("6b3f2d4e-8a1c-5e7f-9b0d-2c4a6e8f0a1b")


def key_only_id(fingerprint: str) -> uuid.UUID:
    """The id a device known only by its key is registered under."""
    return uuid.uuid5(_KEY_ONLY_NAMESPACE, fingerprint)


def is_key_only(device_id: uuid.UUID, fingerprint: str | None) -> bool:
    return fingerprint is not None and device_id == key_only_id(fingerprint)


def enrol_in(
    conn: Connection,
    device_id: uuid.UUID,
    *,
    name: str,
    public_key: bytes | None,
    fingerprint: str,
    actor: str,
    now: datetime,
) -> bool:
    """Insert the device as enrolled (or revoked, when its key was revoked while known
    by the key alone) and audit it, inside ``conn``'s transaction; False (nothing
    written) if the registry holds that id already, e.g. because a concurrent merge
    enrolled it first."""
    t = sql.table(CentralDeviceRow)
    key_row = None
    if not is_key_only(device_id, fingerprint):
        key_row = conn.execute(select(t.c.name, t.c.status, t.c.revoked).where(
            t.c.id == key_only_id(fingerprint))).one_or_none()
    revoked = key_row is not None and key_row.status == "revoked"
    inserted = conn.execute(
        sql.insert_stmt(conn, t).on_conflict_do_nothing(),
        {
            "id": device_id,
            "name": name or (key_row.name if key_row is not None else ""),
            "status": "revoked" if revoked else "enrolled",
            "public_key": public_key,
            "fingerprint": fingerprint,
            "enrolled": now,
            "revoked": key_row.revoked if key_row is not None and revoked else None,
            "last_seq": 0,
            "chain_head": None,
        },
    ).rowcount
    if inserted:
        sql.audit(conn, actor, "enrol_device",
                  {"device_id": str(device_id), "fingerprint": fingerprint}, now)
        if key_row is not None:  # the device now carries what its key-only row said
            conn.execute(delete(t).where(t.c.id == key_only_id(fingerprint)))
    return bool(inserted)
