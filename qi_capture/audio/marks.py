"""Where in an interview's recording each note was written: the link between the
interviewer's notes and the audio, so that at the centre a click on a note plays that moment.

A mark holds positions and names only, never answer text: the note's field path, what kind
of note it is, its ordinal in that field (the paragraph, quick tag or quote counted from 0),
the tag's name for quick tags, the recording it refers to and the position in milliseconds
when it was typed. The laptop records them in interview mode; they travel with the record
to the centre, where the record view and the Coding page read them.
"""

from __future__ import annotations

from dataclasses import dataclass
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
