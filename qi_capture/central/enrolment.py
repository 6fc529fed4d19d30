"""Writing a device into the central registry: the one enrolment path, used by the
registry (`qi_capture.central.devices.enrol`) and by a merge that enrols a device the
caller already trusts in the same transaction as its first bundle
(`qi_capture.central.merge.Enrolment`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Connection

from qi_capture.central import sql
from qi_capture.central.models import CentralDeviceRow


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
    """Insert the device as enrolled and audit it, inside ``conn``'s transaction; False
    (nothing written) if the registry holds that id already, e.g. because a concurrent
    merge enrolled it first."""
    inserted = conn.execute(
        sql.insert_stmt(conn, sql.table(CentralDeviceRow)).on_conflict_do_nothing(),
        {
            "id": device_id,
            "name": name,
            "status": "enrolled",
            "public_key": public_key,
            "fingerprint": fingerprint,
            "enrolled": now,
            "revoked": None,
            "last_seq": 0,
            "chain_head": None,
        },
    ).rowcount
    if inserted:
        sql.audit(conn, actor, "enrol_device",
                  {"device_id": str(device_id), "fingerprint": fingerprint}, now)
    return bool(inserted)
