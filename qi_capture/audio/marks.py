"""Where in an interview's recording each note was written: the link between the
interviewer's notes and the audio, so that at the centre a click on a note plays that moment.

A mark holds positions and names only, never answer text: the note's field path, what kind
of note it is, its ordinal in that field (the paragraph, quick tag or quote counted from 0),
the tag's name for quick tags, the recording it refers to and the position in milliseconds
when it was typed. The laptop records them in interview mode; they travel with the record
to the centre, where the record view and the Coding page read them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

NoteKind = Literal["paragraph", "tag", "quote"]
NOTE_KINDS: tuple[NoteKind, ...] = ("paragraph", "tag", "quote")


@dataclass(frozen=True, slots=True)
class NoteMark:
    #: The note field's path in the record (e.g. ``approach/notes_approach``).
    path: str
    kind: NoteKind
    #: The paragraph, tag or quote's ordinal within the field, from 0.
    index: int
    #: The quick tag's name for ``tag`` marks (``barrier``); empty otherwise.
    tag: str
    #: The recording's attachment name within the record.
    recording: str
    #: The recording's position, in milliseconds, when the note was typed.
    position_ms: int

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "index": self.index, "tag": self.tag,
                "recording": self.recording, "position_ms": self.position_ms}


#: The paradata event kinds the notes add (their payloads are checked on the laptop, by
#: the bundle reader and by the centre; none carries text beyond a tag's name):
#: a mark (`NoteMark.to_json`), a quick tag added (``{"path", "index", "tag"}``) and
#: a quick tag removed (``{"path", "index"}``).
MARK_EVENT = "note_mark"
TAG_EVENT = "quick_tag"
TAG_REMOVED_EVENT = "quick_tag_removed"
NOTE_EVENTS = (MARK_EVENT, TAG_EVENT, TAG_REMOVED_EVENT)
#: A tag is a word: a letter, then up to 40 letters, digits, ``_`` or ``-`` (the rule of
#: ``#tag`` text in notes).
TAG_NAME = re.compile(r"[A-Za-z][\w-]{0,40}", re.ASCII)
MAX_PATH_CHARS = 400


@dataclass(frozen=True, slots=True)
class QuickTag:
    """A quick tag kept beside a note field's text: its ordinal among the field's tags
    (from 0, never reused, so a mark keeps naming it after others are removed)."""

    path: str
    index: int
    tag: str


@dataclass(frozen=True)
class NoteState:
    """A record's quick tags (field path -> tags in order, removed ones left out) and
    marks (those of removed tags left out), replayed from its note events."""

    tags: dict[str, tuple[QuickTag, ...]] = field(default_factory=dict)
    marks: tuple[NoteMark, ...] = ()
    #: Field path -> the next tag ordinal, counting removed tags too: an ordinal is never
    #: reused, or replaying an old removal would remove a new tag.
    tag_ordinals: dict[str, int] = field(default_factory=dict)

    def next_index(self, path: str, kind: NoteKind) -> int:
        """The ordinal a new note of ``kind`` in ``path`` gets."""
        if kind == "tag":
            return self.tag_ordinals.get(path, 0)
        taken = [m.index for m in self.marks if m.path == path and m.kind == kind]
        return max(taken, default=-1) + 1


def _field(payload: dict[str, Any], key: str, kind: type) -> Any:
    value = payload[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"the {key} is not valid")
    return value


def _path(payload: dict[str, Any]) -> str:
    path = _field(payload, "path", str)
    if not path or len(path) > MAX_PATH_CHARS:
        raise ValueError("the path is not valid")
    return str(path)


def _index(payload: dict[str, Any]) -> int:
    index = _field(payload, "index", int)
    if index < 0:
        raise ValueError("the index is not valid")
    return int(index)


def _tag(value: object, *, empty: bool = False) -> str:
    if not isinstance(value, str) or not (
        (empty and value == "") or TAG_NAME.fullmatch(value)
    ):
        raise ValueError("the tag is not a tag name")
    return value.lower()


def parse_event(kind: str, payload: object) -> NoteMark | QuickTag | tuple[str, int]:
    """A note event's payload as its value (a removal: ``(path, index)``). Raises
    `ValueError` (naming the field, never the value) if it is not exactly what the
    laptop writes."""
    keys = {MARK_EVENT: {"path", "kind", "index", "tag", "recording", "position_ms"},
            TAG_EVENT: {"path", "index", "tag"},
            TAG_REMOVED_EVENT: {"path", "index"}}.get(kind)
    if keys is None:
        raise ValueError("it is not a note event")
    if not isinstance(payload, dict) or set(payload) != keys:
        raise ValueError("its fields are not a note event's")
    if kind == TAG_REMOVED_EVENT:
        return _path(payload), _index(payload)
    if kind == TAG_EVENT:
        return QuickTag(_path(payload), _index(payload), _tag(payload["tag"]))
    note_kind = payload["kind"]
    if note_kind not in NOTE_KINDS:
        raise ValueError("the note kind is not valid")
    recording = _field(payload, "recording", str)
    if not recording or len(recording) > MAX_PATH_CHARS:
        raise ValueError("the recording is not valid")
    position = _field(payload, "position_ms", int)
    if position < 0:
        raise ValueError("the position is not valid")
    tag = _tag(payload["tag"], empty=note_kind != "tag")
    if (tag != "") != (note_kind == "tag"):
        raise ValueError("the tag is not valid for its kind")
    return NoteMark(_path(payload), note_kind, _index(payload), tag, recording, position)


def replay(events: Iterable[tuple[str, object]]) -> NoteState:
    """The state the note events (kind, payload) make, in order. Events of other kinds
    are skipped; a note event that is not valid is skipped too (the bundle reader has
    refused such events before they reach a store)."""
    tags: dict[tuple[str, int], QuickTag] = {}
    marks: dict[tuple[str, str, int], NoteMark] = {}
    removed: set[tuple[str, int]] = set()
    ordinals: dict[str, int] = {}
    for kind, payload in events:
        if kind not in NOTE_EVENTS:
            continue
        try:
            value = parse_event(kind, payload)
        except ValueError:
            continue
        if isinstance(value, QuickTag):
            tags.setdefault((value.path, value.index), value)
            ordinals[value.path] = max(ordinals.get(value.path, 0), value.index + 1)
        elif isinstance(value, NoteMark):
            # The first stamp of a paragraph or quote is when it was begun.
            marks.setdefault((value.path, value.kind, value.index), value)
        else:
            removed.add(value)
    by_path: dict[str, list[QuickTag]] = {}
    for key, tag in tags.items():
        if key not in removed:
            by_path.setdefault(tag.path, []).append(tag)
    kept = tuple(m for m in marks.values()
                 if m.kind != "tag" or ((m.path, m.index) in tags
                                        and (m.path, m.index) not in removed))
    return NoteState({p: tuple(sorted(t, key=lambda q: q.index)) for p, t in by_path.items()},
                     tuple(sorted(kept, key=lambda m: (m.recording, m.position_ms))),
                     ordinals)
