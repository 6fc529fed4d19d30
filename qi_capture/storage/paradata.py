"""Paradata: the per-record audit log of a form session, and the clock that stamps it.

Events carry the wall clock once (session start) and monotonic milliseconds after it,
so durations survive the laptop's clock being changed mid-interview.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, insert, select
from sqlalchemy.orm import Session

from qi_capture.storage.canonical import JsonValue, dumps, loads
from qi_capture.storage.database import Database
from qi_capture.storage.dto import ParadataEvent, StoredParadataEvent
from qi_capture.storage.errors import RecordNotFound
from qi_capture.storage.models import ParadataEventRow, RecordRow, utcnow


class SessionClock:
    """Stamps events for one form session."""

    def __init__(self, session_id: uuid.UUID | None = None) -> None:
        self.session_id = session_id or uuid.uuid4()
        self.started_at: datetime = utcnow()
        self._start = time.monotonic()

    def event(
        self, kind: str, payload: JsonValue = None, *, at: float | None = None
    ) -> ParadataEvent:
        """An event now, or at ``at`` (a ``time.monotonic()`` reading, as form session
        events carry)."""
        moment = time.monotonic() if at is None else at
        elapsed = max(0, round((moment - self._start) * 1000))
        return ParadataEvent(kind, self.session_id, self.started_at, elapsed, payload)


def append_in(db_session: Session, record_id: uuid.UUID, event: ParadataEvent) -> int:
    """Append inside an existing transaction (used by autosave); returns the event's seq."""
    last = db_session.scalar(
        select(func.max(ParadataEventRow.seq)).where(ParadataEventRow.record_id == record_id)
    )
    seq = (last or 0) + 1
    db_session.add(
        ParadataEventRow(
            record_id=record_id,
            seq=seq,
            kind=event.kind,
            session_id=event.session_id,
            session_started_at=event.session_started_at,
            elapsed_ms=event.elapsed_ms,
            payload_json=dumps(event.payload),
        )
    )
    return seq


_EVENTS = ParadataEventRow.metadata.tables[ParadataEventRow.__tablename__]
_LAST_SEQ = select(func.max(_EVENTS.c.seq)).where(_EVENTS.c.record_id == bindparam("rid"))
_INSERT_EVENT = insert(_EVENTS)


def append_core(
    conn: Connection, record_id: uuid.UUID, events: Sequence[ParadataEvent]
) -> None:
    """`append_in` for a Core connection (autosave), several events in one statement."""
    if not events:
        return
    last = conn.scalar(_LAST_SEQ, {"rid": record_id})
    first = (last or 0) + 1
    conn.execute(
        _INSERT_EVENT,
        [
            {
                "record_id": record_id,
                "seq": first + n,
                "kind": event.kind,
                "session_id": event.session_id,
                "session_started_at": event.session_started_at,
                "elapsed_ms": event.elapsed_ms,
                "payload_json": dumps(event.payload),
            }
            for n, event in enumerate(events)
        ],
    )


class Paradata:
    def __init__(self, db: Database) -> None:
        self._db = db

    def append(self, record_id: uuid.UUID, event: ParadataEvent) -> int:
        with self._db.write() as s:
            if s.get(RecordRow, record_id) is None:
                raise RecordNotFound(str(record_id))
            return append_in(s, record_id, event)

    def payloads(self, record_id: uuid.UUID, kinds: Sequence[str]) -> list[tuple[str, JsonValue]]:
        """(kind, payload) of the record's events of ``kinds``, in order (the notes'
        marks and tags, without loading the answer events)."""
        with self._db.read() as s:
            rows = s.execute(
                select(ParadataEventRow.kind, ParadataEventRow.payload_json)
                .where(ParadataEventRow.record_id == record_id,
                       ParadataEventRow.kind.in_(list(kinds)))
                .order_by(ParadataEventRow.seq)
            )
            return [(kind, loads(payload)) for kind, payload in rows]

    def list(self, record_id: uuid.UUID) -> list[StoredParadataEvent]:
        with self._db.read() as s:
            rows = s.scalars(
                select(ParadataEventRow)
                .where(ParadataEventRow.record_id == record_id)
                .order_by(ParadataEventRow.seq)
            )
            return [
                StoredParadataEvent(
                    record_id=r.record_id,
                    seq=r.seq,
                    event=ParadataEvent(
                        kind=r.kind,
                        session_id=r.session_id,
                        session_started_at=r.session_started_at,
                        elapsed_ms=r.elapsed_ms,
                        payload=loads(r.payload_json),
                    ),
                )
                for r in rows
            ]
