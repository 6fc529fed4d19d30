"""The device registry, the only one: enrol, revoke, rename, list; the keys bundle checks
trust (`trusted_keys`), including devices known only by their key (`enrol_key`, see
`qi_capture.central.enrolment`); the quarantine of bundles from devices not yet
enrolled.

Devices known only by their key are left out of `list_devices` (what the console and
``devices list`` show: a device appears there once its id is known) and are listed by
`trusted_keys`, by fingerprint."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, func, select, update

from qi_capture.central import enrolment, sql
from qi_capture.central.dto import (
    AdoptedKey,
    CentralDevice,
    DeviceGaps,
    QuarantinedBundle,
    TrustedKey,
)
from qi_capture.central.enrolment import is_key_only, key_only_id
from qi_capture.central.errors import DeviceAlreadyEnrolled, DeviceNotFound
from qi_capture.central.merge import device_gaps
from qi_capture.central.models import CentralBundleRow, CentralDeviceRow, CentralQuarantineRow
from qi_capture.storage.models import SettingRow, utcnow

#: The central store's own "device": it numbers the resolution revisions admins write.
CENTRAL_DEVICE_ID = uuid.UUID("5c1e0c8a-0000-4000-8000-00000000c0de")

_DEVICE = sql.table(CentralDeviceRow)
_QUARANTINE = sql.table(CentralQuarantineRow)


def ensure_central_device(engine: Engine) -> None:
    with engine.begin() as conn:
        sql.insert_ignore(
            conn,
            _DEVICE,
            [
                {
                    "id": CENTRAL_DEVICE_ID,
                    "name": "central",
                    "status": "central",
                    "public_key": None,
                    "fingerprint": None,
                    "enrolled": None,
                    "revoked": None,
                    "last_seq": 0,
                    "chain_head": None,
                }
            ],
        )


def device_names(engine: Engine) -> dict[uuid.UUID, str]:
    """Every device's name by id (the central one and those known by their key alone
    left out, as `list_devices` does)."""
    with engine.connect() as conn:
        return {r.id: r.name for r in conn.execute(
            select(_DEVICE.c.id, _DEVICE.c.name, _DEVICE.c.fingerprint)
            .where(_DEVICE.c.status != "central")) if not is_key_only(r.id, r.fingerprint)}


def list_devices(engine: Engine) -> list[CentralDevice]:
    with engine.connect() as conn:
        bundles = dict(
            conn.execute(
                select(CentralBundleRow.device_id, func.count()).group_by(
                    CentralBundleRow.device_id
                )
            ).all()
        )
        quarantined: dict[uuid.UUID, int] = dict(
            conn.execute(
                select(_QUARANTINE.c.device_id, func.count())
                .where(_QUARANTINE.c.released.is_(None))
                .group_by(_QUARANTINE.c.device_id)
            ).all()
        )
        known = {
            r.id: r
            for r in conn.execute(select(_DEVICE).where(_DEVICE.c.status != "central")).all()
            if not is_key_only(r.id, r.fingerprint)
        }
        out = [
            CentralDevice(
                id=r.id,
                name=r.name,
                status=r.status,
                fingerprint=r.fingerprint,
                public_key=r.public_key,
                enrolled=r.enrolled,
                revoked=r.revoked,
                last_seq=r.last_seq,
                chain_head=r.chain_head,
                bundles=bundles.get(r.id, 0),
                quarantined=quarantined.get(r.id, 0),
            )
            for r in known.values()
        ]
        # Devices seen only through quarantined bundles.
        for device_id, count in quarantined.items():
            if device_id in known:
                continue
            q = conn.execute(
                select(_QUARANTINE.c.fingerprint)
                .where(_QUARANTINE.c.device_id == device_id)
                .limit(1)
            ).one()
            out.append(
                CentralDevice(
                    id=device_id,
                    name="",
                    status="unknown",
                    fingerprint=q.fingerprint,
                    public_key=None,
                    enrolled=None,
                    revoked=None,
                    last_seq=0,
                    chain_head=None,
                    quarantined=count,
                )
            )
    return sorted(out, key=lambda d: (d.status, d.name, str(d.id)))


def get_device(engine: Engine, device_id: uuid.UUID) -> CentralDevice:
    for device in list_devices(engine):
        if device.id == device_id:
            return device
    raise DeviceNotFound(str(device_id))


def enrol(
    engine: Engine,
    device_id: uuid.UUID,
    *,
    name: str,
    public_key: bytes | None,
    fingerprint: str,
    actor: str,
    now: datetime | None = None,
) -> CentralDevice:
    """Accept a device. Enrolling it again with the same key changes nothing; a revoked
    device, or the same id under another key, is refused."""
    moment = now or utcnow()
    with engine.begin() as conn:
        query = select(_DEVICE.c.status, _DEVICE.c.fingerprint).where(_DEVICE.c.id == device_id)
        row = conn.execute(query).one_or_none()
        if row is None and not enrolment.enrol_in(
            conn, device_id, name=name, public_key=public_key, fingerprint=fingerprint,
            actor=actor, now=moment,
        ):
            row = conn.execute(query).one()  # a concurrent merge enrolled it first
        if row is not None and (row.status != "enrolled" or row.fingerprint != fingerprint):
            raise DeviceAlreadyEnrolled(str(device_id), row.status)
        if row is None and conn.scalar(select(_DEVICE.c.status).where(
                _DEVICE.c.id == device_id)) == "revoked":
            # Its key was revoked while the device was known by the key alone: revocation
            # is final, so nothing is enrolled (the transaction is rolled back).
            raise DeviceAlreadyEnrolled(str(device_id), "revoked")
    return get_device(engine, device_id)


def revoke(
    engine: Engine, device_id: uuid.UUID, *, actor: str, now: datetime | None = None
) -> CentralDevice:
    """Refuse the device's bundles from now on. What it sent before stays."""
    moment = now or utcnow()
    with engine.begin() as conn:
        row = conn.execute(select(_DEVICE.c.status).where(_DEVICE.c.id == device_id)).one_or_none()
        if row is None or row.status == "central":
            raise DeviceNotFound(str(device_id))
        if row.status != "revoked":
            conn.execute(
                update(_DEVICE)
                .where(_DEVICE.c.id == device_id)
                .values(status="revoked", revoked=moment)
            )
            sql.audit(conn, actor, "revoke_device", {"device_id": str(device_id)}, moment)
    return get_device(engine, device_id)


def rename(
    engine: Engine, device_id: uuid.UUID, name: str, *, actor: str, now: datetime | None = None
) -> CentralDevice:
    """Change an enrolled or revoked device's label (the audit log keeps the id only: a
    label may name a person)."""
    moment = now or utcnow()
    with engine.begin() as conn:
        row = conn.execute(select(_DEVICE.c.status).where(_DEVICE.c.id == device_id)).one_or_none()
        if row is None or row.status == "central":
            raise DeviceNotFound(str(device_id))
        conn.execute(update(_DEVICE).where(_DEVICE.c.id == device_id).values(name=name))
        sql.audit(conn, actor, "rename_device", {"device_id": str(device_id)}, moment)
    return get_device(engine, device_id)


def _rows_with_key(conn: Connection, fingerprint: str) -> list[Row[Any]]:
    return list(conn.execute(
        select(_DEVICE).where(_DEVICE.c.fingerprint == fingerprint,
                              _DEVICE.c.status.in_(("enrolled", "revoked")))
        .order_by(_DEVICE.c.enrolled, _DEVICE.c.id)))


def _trusted(rows: Sequence[Row[Any]]) -> TrustedKey | None:
    """What the rows sharing one fingerprint say together (None: no key among them)."""
    with_key = [r for r in rows if r.public_key is not None]
    if not with_key:
        return None
    return TrustedKey(
        fingerprint=with_key[0].fingerprint,
        public_key=with_key[0].public_key,
        name=next((r.name for r in rows if r.name), ""),
        revoked=any(r.status == "revoked" for r in rows),
    )


def trusted_keys(engine: Engine) -> list[TrustedKey]:
    """Every key the registry holds, enrolled or revoked, by fingerprint (sorted)."""
    by_key: dict[str, list[Row[Any]]] = {}
    with engine.connect() as conn:
        for r in conn.execute(
                select(_DEVICE).where(_DEVICE.c.status.in_(("enrolled", "revoked")),
                                      _DEVICE.c.fingerprint.is_not(None))
                .order_by(_DEVICE.c.enrolled, _DEVICE.c.id)):
            by_key.setdefault(r.fingerprint, []).append(r)
    found = (_trusted(rows) for _fp, rows in sorted(by_key.items()))
    return [k for k in found if k is not None]


def enrol_key(engine: Engine, public_key: bytes, fingerprint: str, *, name: str, actor: str,
              now: datetime | None = None) -> TrustedKey:
    """Trust a key before its device is known (a key-only row, `enrolment.key_only_id`).
    A key the registry holds already is left as it is: enrolled, or revoked (final)."""
    moment = now or utcnow()
    with engine.begin() as conn:
        if not _rows_with_key(conn, fingerprint):
            enrolment.enrol_in(conn, key_only_id(fingerprint), name=name,
                               public_key=public_key, fingerprint=fingerprint, actor=actor,
                               now=moment)
        trusted = _trusted(_rows_with_key(conn, fingerprint))
    assert trusted is not None  # just written, or there before with its key
    return trusted


def revoke_key(engine: Engine, fingerprint: str, *, actor: str,
               now: datetime | None = None) -> TrustedKey | None:
    """Revoke every device holding this key (None: the registry holds no such key)."""
    moment = now or utcnow()
    with engine.begin() as conn:
        rows = _rows_with_key(conn, fingerprint)
        if _trusted(rows) is None:
            return None
        _revoke_rows(conn, [r.id for r in rows if r.status == "enrolled"], actor, moment)
        return _trusted(_rows_with_key(conn, fingerprint))


def _revoke_rows(conn: Connection, ids: Sequence[uuid.UUID], actor: str,
                 moment: datetime) -> None:
    for device_id in ids:
        conn.execute(update(_DEVICE).where(_DEVICE.c.id == device_id)
                     .values(status="revoked", revoked=moment))
        sql.audit(conn, actor, "revoke_device", {"device_id": str(device_id)}, moment)


def adopt_keys(engine: Engine, keys: Sequence[AdoptedKey], *, actor: str,
               setting_key: str | None = None, now: datetime | None = None) -> None:
    """Move an admin profile's old list of trusted keys into the registry, in one
    transaction: a key it does not hold becomes a key-only row (its name, enrolment and
    revocation kept); a key it holds keeps its devices, revoked if the list revoked it,
    named from the list where they have no name. Running it again changes nothing.
    ``setting_key``: the list's row in this same database's settings, deleted in the
    same transaction (a central folder: the admin profile and the tables share it)."""
    moment = now or utcnow()
    with engine.begin() as conn:
        for key in keys:
            rows = _rows_with_key(conn, key.fingerprint)
            if not rows:
                _adopt_new(conn, key, actor, moment)
                continue
            if key.revoked:
                _revoke_rows(conn, [r.id for r in rows if r.status == "enrolled"], actor,
                             key.revoked_at or moment)
            if key.name:
                conn.execute(update(_DEVICE).where(
                    _DEVICE.c.id.in_([r.id for r in rows if not r.name])).values(name=key.name))
        if setting_key is not None:
            conn.execute(delete(SettingRow).where(SettingRow.key == setting_key))


def _adopt_new(conn: Connection, key: AdoptedKey, actor: str, moment: datetime) -> None:
    device_id = key_only_id(key.fingerprint)
    enrolment.enrol_in(conn, device_id, name=key.name, public_key=key.public_key,
                       fingerprint=key.fingerprint, actor=actor, now=key.enrolled or moment)
    if key.revoked:
        _revoke_rows(conn, [device_id], actor, key.revoked_at or moment)


def gaps(engine: Engine, device_id: uuid.UUID) -> DeviceGaps:
    with engine.connect() as conn:
        return device_gaps(conn, device_id)


def quarantine(
    engine: Engine,
    *,
    file_sha256: str,
    device_id: uuid.UUID,
    fingerprint: str | None,
    public_key: bytes | None,
    data: bytes,
    actor: str,
    now: datetime | None = None,
) -> bool:
    """Keep a bundle from an unknown device (encrypted, as it came). False if it was
    already there."""
    moment = now or utcnow()
    with engine.begin() as conn:
        exists = conn.scalar(
            select(_QUARANTINE.c.file_sha256).where(_QUARANTINE.c.file_sha256 == file_sha256)
        )
        if exists is not None:
            return False
        sql.insert_ignore(
            conn,
            _QUARANTINE,
            [
                {
                    "file_sha256": file_sha256,
                    "device_id": device_id,
                    "fingerprint": fingerprint,
                    "public_key": public_key,
                    "received": moment,
                    "data": data,
                    "released": None,
                }
            ],
        )
        sql.audit(
            conn,
            actor,
            "quarantine_bundle",
            {"file_sha256": file_sha256, "device_id": str(device_id)},
            moment,
        )
    return True


def quarantined(engine: Engine, device_id: uuid.UUID | None = None) -> list[QuarantinedBundle]:
    """Bundles still waiting in quarantine (of one device, or all), oldest first."""
    query = (
        select(_QUARANTINE)
        .where(_QUARANTINE.c.released.is_(None))
        .order_by(_QUARANTINE.c.received, _QUARANTINE.c.file_sha256)
    )
    if device_id is not None:
        query = query.where(_QUARANTINE.c.device_id == device_id)
    with engine.connect() as conn:
        return [
            QuarantinedBundle(
                file_sha256=r.file_sha256,
                device_id=r.device_id,
                fingerprint=r.fingerprint,
                public_key=r.public_key,
                received=r.received,
                data=r.data,
            )
            for r in conn.execute(query)
        ]


def release(engine: Engine, file_sha256: str, now: datetime | None = None) -> None:
    """Mark a quarantined bundle as merged (kept for the record; the data is dropped)."""
    with engine.begin() as conn:
        conn.execute(
            update(_QUARANTINE)
            .where(_QUARANTINE.c.file_sha256 == file_sha256)
            .values(released=now or utcnow(), data=b"")
        )
