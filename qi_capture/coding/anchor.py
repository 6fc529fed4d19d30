"""Keeping a passage on its words when the record gets a new revision.

A passage remembers the words under it when it was coded. In the new text of its field:

* the same words at the same place: it stays (``kept``);
* the words elsewhere in the field (text was added or removed before them): it moves to
  the occurrence nearest its old place (``moved``);
* the words nowhere (they were edited, or the answer was cleared): it stays where it was,
  clamped to the new text, and is flagged for review (``changed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["kept", "moved", "changed"]


@dataclass(frozen=True)
class Anchor:
    start: int
    end: int
    status: Status


def reanchor(words: str, start: int, end: int, text: str) -> Anchor:
    """Where the passage ``[start, end)`` that covered ``words`` sits in ``text``."""
    if text[start:end] == words:
        return Anchor(start, end, "kept")
    if words:
        best: int | None = None
        found = text.find(words)
        while found != -1:
            if best is None or abs(found - start) < abs(best - start):
                best = found
            found = text.find(words, found + 1)
        if best is not None:
            return Anchor(best, best + len(words), "moved")
    clamped = min(start, len(text))
    return Anchor(clamped, max(clamped, min(end, len(text))), "changed")
