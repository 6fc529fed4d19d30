"""The interviewers' quick tags as a theme source (`theme_source.ThemeSource`), until
thematic coding exists.

A quick tag is a word after ``#`` typed into an interview's notes (``#barrier``,
``#enabler``...). Each tag is a theme. An interview's passages under a theme are its
text answers carrying the tag; a key quote sits under the themes tagged in it or in the
notes of its own section of the same interview (quotes with no tag: under the catch-all
"Other key quotes"). Every record is read; the report keeps the approved ones.
"""

from __future__ import annotations

import re

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


def quick_tag_themes(ff: FormFrames) -> ThemeSource:
    """The quick tags of the interview form's records (``ff``) as themes."""
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
            for tag in tags_in(text):
                passages.setdefault(tag, {}).setdefault(ids[int(str(row))], []).append(
                    Excerpt(c.key, text))
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
            found = tags_in(text)
            for key in section:
                note = frame.at[i, key]
                if isinstance(note, str):
                    found |= tags_in(note)
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
