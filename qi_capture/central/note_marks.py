"""The interview notes' marks and quick tags at the centre.

They arrive as paradata events (`qi_capture.audio.marks`), checked event by event by
the bundle reader, and are stored with the rest of a record's paradata: nothing here
writes. This module reads them back as values: a record's `NoteState` (its quick tags by
field and the marks the record view and the Coding page play from), and the quick tags
of many records at once (the report's and the coding's tag sources).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Connection, Engine, select

from qi_capture.audio.marks import NOTE_EVENTS, NoteState, replay
from qi_capture.central import sql
from qi_capture.central.models import CentralParadataRow
from qi_capture.storage.canonical import loads

_PARA = sql.table(CentralParadataRow)


def note_state(engine: Engine, record_id: uuid.UUID) -> NoteState:
    """A record's quick tags and marks (each device's events in their order)."""
    return quick_tags(engine, [record_id]).get(record_id, NoteState())


def quick_tags(engine: Engine, record_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, NoteState]:
    """The `NoteState` of each record in ``record_ids`` that has note events."""
    with engine.connect() as conn:
        return quick_tags_in(conn, record_ids)


def quick_tags_in(conn: Connection,
                  record_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, NoteState]:
    """`quick_tags` inside an open connection (the coding's seeding transaction)."""
    events: dict[uuid.UUID, list[tuple[str, object]]] = {}
    for chunk in sql.chunks(sorted(set(record_ids))):
        rows = conn.execute(
            select(_PARA.c.record_id, _PARA.c.kind, _PARA.c.payload_json)
            .where(_PARA.c.record_id.in_(chunk), _PARA.c.kind.in_(NOTE_EVENTS))
            .order_by(_PARA.c.record_id, _PARA.c.device_id, _PARA.c.seq)
        ).all()
        for record_id, kind, payload in rows:
            events.setdefault(record_id, []).append((kind, loads(payload)))
    return {record_id: replay(found) for record_id, found in events.items()}
