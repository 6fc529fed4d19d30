"""Interview notes beside their text: quick tags kept as structured tags, and marks of
where in the recording each paragraph, tag and key quote was typed.

Both are paradata events of the record (`qi_capture.audio.marks`: ``quick_tag``,
``quick_tag_removed``, ``note_mark``), so they are signed and travel in the bundle with
the record's other session events, with no change to the bundle or revision format,
and the centre stores them with the rest of the paradata. They hold field paths,
ordinals, tag names and positions only, never what was typed.

A mark is stamped only while the record's recording runs (not while it is paused): its
position is the recording's elapsed audio time.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from qi_capture.audio.marks import (
    MARK_EVENT,
    NOTE_EVENTS,
    TAG_EVENT,
    TAG_NAME,
    TAG_REMOVED_EVENT,
    NoteKind,
    NoteMark,
    NoteState,
    QuickTag,
    replay,
)
from qi_capture.services.errors import TagNameInvalid
from qi_capture.storage.canonical import JsonValue
from qi_capture.storage.paradata import SessionClock

if TYPE_CHECKING:
    from qi_capture.services.context import CoreContext

__all__ = ["NoteKind", "NoteMark", "NoteState", "NotesService", "QuickTag"]

log = logging.getLogger(__name__)


class NotesService:
    def __init__(self, ctx: CoreContext) -> None:
        self._ctx = ctx
        # One paradata session per record for the note events of this unlocked sitting.
        self._clocks: dict[uuid.UUID, SessionClock] = {}

    def state(self, record_id: uuid.UUID) -> NoteState:
        """The record's quick tags (by field path) and marks."""
        return replay(self._ctx.store.paradata.payloads(record_id, NOTE_EVENTS))

    def _append(self, record_id: uuid.UUID, kind: str, payload: dict[str, JsonValue]) -> None:
        clock = self._clocks.setdefault(record_id, SessionClock())
        self._ctx.store.paradata.append(record_id, clock.event(kind, payload))

    def mark(self, record_id: uuid.UUID, path: str, kind: NoteKind, index: int,
             tag: str = "") -> NoteMark | None:
        """Stamp note ``index`` of ``path`` with the position of the record's running
        recording; None (nothing written) when no recording is running."""
        active = self._ctx.recording.active_for(record_id)
        if active is None:
            return None
        status = active.status()
        if status.state != "recording":
            return None
        mark = NoteMark(path, kind, index, tag, active.name,
                        round(status.elapsed_seconds * 1000))
        self._append(record_id, MARK_EVENT, mark.to_json())
        return mark

    def add_tag(self, record_id: uuid.UUID, path: str,
                tag: str) -> tuple[QuickTag, NoteMark | None]:
        """Add quick tag ``tag`` to the note field ``path`` (stamped if recording).
        Raises `TagNameInvalid` for a name that is not a tag."""
        if not TAG_NAME.fullmatch(tag):
            raise TagNameInvalid()
        tag = tag.lower()
        index = self.state(record_id).next_index(path, "tag")
        added = QuickTag(path, index, tag)
        self._append(record_id, TAG_EVENT, {"path": path, "index": index, "tag": tag})
        return added, self.mark(record_id, path, "tag", index, tag)

    def remove_tag(self, record_id: uuid.UUID, path: str, index: int) -> None:
        """Remove quick tag ``index`` of ``path`` (and its mark)."""
        self._append(record_id, TAG_REMOVED_EVENT, {"path": path, "index": index})
