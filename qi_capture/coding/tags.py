"""The interviewers' quick tags, as starting codes.

A tag is ``#`` and a word (a letter, then up to 40 letters, digits, ``_`` or ``-``) not
glued to a word or another ``#`` before it: the rule the field app's notes and the
report's "What we heard" use. The five quick tags come with names, colours and
descriptions; any other ``#word`` becomes a code named by the word.

Quick tags are kept beside the notes as structured tags (each note field's tag list,
kept with the record); ``#word`` text in the notes is still read, as records made before
that carry their tags so. A tagged passage is the whole text answer the tag is in (a
note or a key quote is one thought); the tag words stay in it, as the interviewer typed
them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

TAG = re.compile(r"(?<![\w#])#([A-Za-z][\w-]{0,40})")

#: tag -> (code name, colour, description) for the field app's quick tags.
QUICK_TAGS: Mapping[str, tuple[str, str, str]] = {
    "barrier": ("Barrier", "#C0392B", "Something that gets in the way of improvement."),
    "enabler": ("Enabler", "#27AE60", "Something that helps improvement happen."),
    "example": ("Example", "#2E86C1", "A concrete example of improvement work."),
    "idea": ("Idea", "#8E44AD", "A suggestion for the future London approach."),
    "follow-up": ("Follow-up", "#D68910", "Something to follow up after the interview."),
}
#: Colours of codes from other #words, in turn.
PALETTE = ("#16A085", "#2C3E50", "#F39C12", "#7F8C8D", "#E74C3C", "#1ABC9C", "#34495E")
#: Namespace of the guids of codes seeded from tags: the same study and tag always name
#: the same code, so seeding twice (or on two stores) never makes two.
_NAMESPACE = uuid.UUID("6f7c5c8e-2f1e-4a53-9a55-5c0d1e7c0d17")


def tags_in(text: str) -> list[str]:
    """The distinct tags in ``text``, lower-cased, in order of first appearance."""
    seen: dict[str, None] = {}
    for tag in TAG.findall(text):
        seen.setdefault(tag.lower(), None)
    return list(seen)


def tag_code_guid(study_id: str, tag: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{study_id}\n{tag.lower()}")


@dataclass(frozen=True)
class TagCode:
    guid: uuid.UUID
    tag: str
    name: str
    colour: str
    description: str


def tag_code(study_id: str, tag: str, index: int = 0) -> TagCode:
    """The starting code of ``tag`` (``index``: its place among non-quick tags, for a
    colour)."""
    name, colour, description = QUICK_TAGS.get(
        tag, (tag.replace("-", " ").replace("_", " ").capitalize(),
              PALETTE[index % len(PALETTE)], f"Tagged #{tag} in the field."))
    return TagCode(tag_code_guid(study_id, tag), tag, name, colour, description)


@dataclass(frozen=True)
class TaggedField:
    record_id: uuid.UUID
    field: str
    text: str
    tags: tuple[str, ...]


def tagged_fields(
    fields: Iterable[tuple[uuid.UUID, str, str]],
    structured: Mapping[tuple[uuid.UUID, str], Sequence[str]] | None = None,
) -> list[TaggedField]:
    """(record id, field, text) -> the fields carrying at least one tag: a ``#tag`` in
    the text or a ``structured`` tag kept beside the field ((record id, field) -> tags;
    text tags first, then the structured ones, without repeats)."""
    kept = structured or {}
    out = []
    for record_id, field, text in fields:
        found = list(dict.fromkeys([*tags_in(text),
                                    *(t.lower() for t in kept.get((record_id, field), ()))]))
        if found:
            out.append(TaggedField(record_id, field, text, tuple(found)))
    return out
