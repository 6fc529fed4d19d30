"""An interview as one plain text, the way REFI-QDA sources carry it, and where each
coded answer sits in it.

Layout (every line ends in ``\\n``)::

    <interview name>
    <blank>
    <section title>
    <blank>
    <question>
    <answer text>
    <blank>
    ...

A passage ``[start, end)`` of a field is ``[offset + start, offset + end)`` of the
source, ``offset`` being where the field's answer begins. The same interview always
gives the same text, so positions survive a round trip through another tool.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qi_capture.coding.model import TranscriptSection


@dataclass(frozen=True)
class SourceText:
    text: str
    #: field path -> (offset of its answer in ``text``, length of the answer)
    spans: Mapping[str, tuple[int, int]]

    def field_at(self, start: int, end: int) -> list[tuple[str, int, int]]:
        """The fields a source selection ``[start, end)`` overlaps, each with the
        overlap as field-relative ``[start, end)`` (question and heading text left out)."""
        out = []
        for field, (offset, length) in self.spans.items():
            lo, hi = max(start, offset), min(end, offset + length)
            if lo < hi:
                out.append((field, lo - offset, hi - offset))
        return out


def render(name: str, sections: Sequence[TranscriptSection]) -> SourceText:
    parts: list[str] = []
    size = 0
    spans: dict[str, tuple[int, int]] = {}

    def put(text: str) -> None:
        nonlocal size
        parts.append(text)
        size += len(text)

    put(f"{_line(name)}\n\n")
    for section in sections:
        put(f"{_line(section.title)}\n\n")
        for item in section.items:
            put(f"{_line(item.question)}\n")
            spans[item.field] = (size, len(item.text))
            put(f"{item.text}\n\n")
    return SourceText("".join(parts), spans)


def _line(text: str) -> str:
    return " ".join(text.split())
