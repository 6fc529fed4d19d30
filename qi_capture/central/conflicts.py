"""Conflicts: list, show, resolve.

A conflict is open while a record has more than one head (two laptops edited the same
version, or one edited what another deleted). Resolving writes a new revision whose
parents are all the heads, numbered by the central device; re-importing the old
branches afterwards changes nothing, since they are its ancestors.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update

from qi_capture.central import sql
from qi_capture.central.devices import CENTRAL_DEVICE_ID
from qi_capture.central.dto import ConflictDetail, ConflictInfo
from qi_capture.central.errors import (
    ConflictChanged,
    ConflictNotFound,
    ConflictNotOpen,
    InvalidResolution,
    RevisionNotAHead,
)
from qi_capture.central.merge import REVISION_TYPE, derive_records, parse_revision
from qi_capture.central.models import (
    CentralConflictRow,
    CentralDeviceRow,
    CentralRecordRow,
    CentralRevisionRow,
)
from qi_capture.central.records import revision_summary
from qi_capture.storage.canonical import JsonValue, canonical_json, revision_id
from qi_capture.storage.models import utcnow

_CONFLICT = sql.table(CentralConflictRow)
_REVISION = sql.table(CentralRevisionRow)


def _info(r: Any) -> ConflictInfo:
    return ConflictInfo(
        id=r.id,
        record_id=r.record_id,
        kind=r.kind,
        status=r.status,
        heads=tuple(sql.json_list(r.heads_json)),
        winner=r.winner,
        opened=r.opened,
        closed=r.closed,
        resolution=r.resolution,
        reason=r.reason,
    )


def list_conflicts(engine: Engine, status: str | None = "open") -> list[ConflictInfo]:
    query = select(_CONFLICT).order_by(_CONFLICT.c.opened, _CONFLICT.c.id)
    if status is not None:
        query = query.where(_CONFLICT.c.status == status)
    with engine.connect() as conn:
        return [_info(r) for r in conn.execute(query)]


def find(engine: Engine, prefix: str) -> str:
    """The full id of the conflict whose id starts with ``prefix`` (ids are long)."""
    with engine.connect() as conn:
        ids = [
            str(i)
            for i in conn.scalars(
                select(_CONFLICT.c.id).where(_CONFLICT.c.id.like(f"{prefix}%")).limit(2)
            )
        ]
    if len(ids) != 1 or not prefix:
        raise ConflictNotFound(prefix)
    return ids[0]


def show(engine: Engine, conflict_id: str) -> ConflictDetail:
    with engine.connect() as conn:
        row = conn.execute(select(_CONFLICT).where(_CONFLICT.c.id == conflict_id)).one_or_none()
        if row is None:
            raise ConflictNotFound(conflict_id)
        info = _info(row)
        heads = tuple(
            revision_summary(r)
            for r in conn.execute(
                select(_REVISION).where(_REVISION.c.id.in_(info.heads)).order_by(_REVISION.c.id)
            )
        )
    paths = sorted({p for h in heads for p in h.answers})
    differing = tuple(p for p in paths if len({json.dumps(h.answers.get(p)) for h in heads}) > 1)
    return ConflictDetail(info, heads, differing)


def resolve(
    engine: Engine,
    conflict_id: str,
    *,
    reason: str,
    actor: str,
    keep: str | None = None,
    merged: Mapping[str, JsonValue] | None = None,
    now: datetime | None = None,
) -> ConflictInfo:
    """Write the resolution revision (parents: all heads) keeping one head's answers
    (``keep``) or the admin's ``merged`` answers, with the reason. One transaction."""
    if (keep is None) == (merged is None):
        raise InvalidResolution("give exactly one of --keep REV and --merge FILE")
    if not reason.strip():
        raise InvalidResolution("a reason is required")
    moment = now or utcnow()
    with engine.begin() as conn:
        sql.lock_merges(conn)
        row = conn.execute(select(_CONFLICT).where(_CONFLICT.c.id == conflict_id)).one_or_none()
        if row is None:
            raise ConflictNotFound(conflict_id)
        if row.status != "open":
            raise ConflictNotOpen(conflict_id, row.status)
        info = _info(row)
        record = conn.execute(
            select(CentralRecordRow.heads_json).where(CentralRecordRow.id == info.record_id)
        ).one()
        if sql.json_list(record.heads_json) != list(info.heads):
            raise ConflictChanged(conflict_id)
        base_id = keep if keep is not None else info.winner
        if base_id not in info.heads:
            raise RevisionNotAHead(str(base_id), conflict_id)
        base_row = conn.execute(select(_REVISION).where(_REVISION.c.id == base_id)).one()
        base = json.loads(base_row.canonical_json)
        if merged is not None:
            answers: dict[str, JsonValue] = dict(merged)
            deleted = False
        else:
            answers = dict(base.get("answers") or {})
            deleted = bool(base_row.deleted)
        dev = sql.table(CentralDeviceRow)
        seq = int(conn.scalar(select(dev.c.last_seq).where(dev.c.id == CENTRAL_DEVICE_ID)) or 0) + 1
        conn.execute(update(dev).where(dev.c.id == CENTRAL_DEVICE_ID).values(last_seq=seq))
        document: dict[str, JsonValue] = {
            "type": REVISION_TYPE,
            "schema": 1,
            "record_id": str(info.record_id),
            "form": base["form"],
            "parents": list(info.heads),
            "device_id": str(CENTRAL_DEVICE_ID),
            "device_seq": seq,
            "created": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "interviewer": base.get("interviewer"),
            "instance_name": base.get("instance_name"),
            "answers": answers,
            "resolution": {"conflict": conflict_id, "reason": reason, "kept": keep, "by": actor},
        }
        if deleted:
            document["deleted"] = True
        try:
            canonical = canonical_json(document)
        except ValueError as exc:
            raise InvalidResolution(str(exc)) from exc
        parsed = parse_revision(revision_id(canonical), canonical)
        sql.insert_ignore(conn, _REVISION, [parsed.row()])
        derive_records(conn, [info.record_id], moment)
        conn.execute(
            update(_CONFLICT)
            .where(_CONFLICT.c.id == conflict_id)
            .values(status="resolved", closed=moment, resolution=parsed.id, reason=reason)
        )
        sql.audit(
            conn,
            actor,
            "resolve_conflict",
            {
                "conflict_id": conflict_id,
                "record_id": str(info.record_id),
                "resolution": parsed.id,
                "kept": keep,
                "merged": merged is not None,
            },
            moment,
        )
    with engine.connect() as conn:
        return _info(conn.execute(select(_CONFLICT).where(_CONFLICT.c.id == conflict_id)).one())


def record_heads(engine: Engine, record_id: uuid.UUID) -> tuple[str, ...]:
    with engine.connect() as conn:
        text = conn.scalar(
            select(CentralRecordRow.heads_json).where(CentralRecordRow.id == record_id)
        )
    return tuple(sql.json_list(text)) if text else ()
