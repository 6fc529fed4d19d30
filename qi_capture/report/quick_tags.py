"""The interviewers' quick tags as a theme source (`theme_source.ThemeSource`), until
thematic coding exists.

A quick tag is a structured tag the interviewer put beside a note field (kept with the
record as a note event, `qi_capture.audio.marks`), or, in records made before tags were
kept that way, a word after ``#`` typed into the notes (``#barrier``, ``#enabler``...);
both are read. Each tag is a theme. An interview's passages under a theme are its
text answers carrying the tag; a key quote sits under the themes tagged in it or in the
notes of its own section of the same interview (quotes with no tag: under the catch-all
"Other key quotes"). Every record is read; the report keeps the approved ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from qi_capture.report import questions as q
from qi_capture.report.frames import FormFrames
from qi_capture.report.theme_source import Excerpt, Mentions, SourceTheme, ThemeSource

TAG = re.compile(r"(?<![\w#])#([A-Za-z][\w-]{0,40})")
UNTAGGED = "@untagged"
NOTE = ("Themes are the interviewers' quick tags until thematic coding exists; only "
        "interviews approved in review are counted or quoted.")


def tags_in(text: str) -> set[str]:
    return {t.lower() for t in TAG.findall(text)}


def strip_tags(text: str) -> str:
    return re.sub(r"\s{2,}", " ", TAG.sub("", text)).strip()


#: record id -> field path -> the structured quick tags of that note field.
StructuredTags = Mapping[str, Mapping[str, Sequence[str]]]


def quick_tag_themes(ff: FormFrames, structured: StructuredTags | None = None) -> ThemeSource:
    """The quick tags of the interview form's records (``ff``) as themes: ``#tag`` text
    and the ``structured`` tags kept beside the fields."""
    kept = structured or {}

    def tags_of(record_id: str, path: str, text: str) -> set[str]:
        return tags_in(text) | {t.lower() for t in kept.get(record_id, {}).get(path, ())}

    table = ff.layout.tables[()]
    frame = ff.main
    texts = [c for c in table.columns if c.kind == "value" and c.vtype == "text"
             and not q.identifying(c)]
    by_section: dict[tuple[str, ...], list[str]] = {}
    for c in texts:
        assert c.element is not None
        by_section.setdefault(c.element.path[:-1], []).append(c.key)
    ids = frame["@record_id"].astype(str).tolist()
    passages: dict[str, dict[str, list[Excerpt]]] = {}
    quotes: dict[str, dict[str, list[Excerpt]]] = {}
    for c in texts:
        for row, value in frame[c.key].dropna().items():
            text = str(value)
            for tag in tags_of(ids[int(str(row))], c.path, text):
                passages.setdefault(tag, {}).setdefault(ids[int(str(row))], []).append(
                    Excerpt(c.key, text))
    paths = {c.key: c.path for c in texts}
    for c in texts:
        if not q.key_quote(c):
            continue
        assert c.element is not None
        section = by_section.get(c.element.path[:-1], [])
        for row, value in frame[c.key].dropna().items():
            text = str(value)
            if not strip_tags(text):
                continue
            i = int(str(row))
            found = tags_of(ids[i], c.path, text)
            for key in section:
                note = frame.at[i, key]
                if isinstance(note, str):
                    found |= tags_of(ids[i], paths[key], note)
            for tag in sorted(found) or [UNTAGGED]:
                quotes.setdefault(tag, {}).setdefault(ids[i], []).append(
                    Excerpt(c.key, strip_tags(text)))
    themes = []
    for tag in sorted((set(passages) | set(quotes)) - {UNTAGGED}):
        records = {rid: Mentions(tuple(passages.get(tag, {}).get(rid, ())),
                                 tuple(quotes.get(tag, {}).get(rid, ())))
                   for rid in dict.fromkeys([*passages.get(tag, {}), *quotes.get(tag, {})])}
        themes.append(SourceTheme(tag, f"#{tag}", records=records))
    if UNTAGGED in quotes:
        themes.append(SourceTheme(UNTAGGED, "Other key quotes", catch_all=True,
                                  records={rid: Mentions(quotes=tuple(found)) for rid, found
                                           in quotes[UNTAGGED].items()}))
    return ThemeSource("quick tags", tuple(themes), NOTE)
