"""Where "What we heard" gets its themes from: a plain value, `ThemeSource`.

The report does not care how themes were found. Today they are the interviewers' quick
tags (`quick_tags.quick_tag_themes`); once thematic coding exists, its codes and coded
passages are handed over in the same shape, and the report (`themes.heard`) counts,
suppresses, attributes and quotes them exactly as it does the quick tags.

The shape::

    ThemeSource(
        source="thematic coding",          # said in the report: where themes came from
        note="Themes are ...",             # one or two sentences for the reader
        themes=(
            SourceTheme(
                code="workforce",          # stable id (results.json, links)
                name="Workforce pressures",  # as shown
                description="Staff shortages and ...",  # optional, shown under the name
                records={
                    # interview record id (str(uuid)) -> what it holds under the theme
                    "6f1c...": Mentions(
                        passages=(Excerpt("barriers/barriers_main", "No cover..."),),
                        quotes=(Excerpt("barriers/key_quote_barriers", "We..."),),
                    ),
                },
            ),
            ...
        ),
    )

Rules the report applies, whatever the source (so a source need not):

* Only interviews approved in review count; records of any other status, or not in the
  study, are ignored.
* An interview *mentions* a theme when it has at least one passage or quote under it;
  themes are listed by how many interviews mention them (most first, then by code), and
  a theme no approved interview mentions is left out.
* A quote is shown only where the participant agreed to quotes, without the interview's
  organisation or footprint, once per theme however many interviews said the same words.
* An ``Excerpt.question`` is the export column key of the text question the words come
  from (``group/name``); it places the quote in its section and orders quotes as the
  interview guide does.
* A ``catch_all`` theme (the quick tags' "Other key quotes") only gathers quotes: it is
  listed last and its interviews are not counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Excerpt:
    """Words from one answer of one interview."""

    #: The export column key of the text question they come from.
    question: str
    text: str


@dataclass(frozen=True)
class Mentions:
    """What one interview holds under one theme."""

    #: Passages placed under the theme (counted, never quoted).
    passages: tuple[Excerpt, ...] = ()
    #: Key quotes under the theme (quoted where the participant agreed).
    quotes: tuple[Excerpt, ...] = ()


@dataclass(frozen=True)
class SourceTheme:
    code: str
    name: str
    description: str = ""
    #: Interview record id -> its passages and quotes under the theme.
    records: Mapping[str, Mentions] = field(default_factory=dict)
    #: Gathers quotes under no other theme: listed last, interviews not counted.
    catch_all: bool = False


@dataclass(frozen=True)
class ThemeSource:
    #: Where the themes came from, as the report says it ("quick tags", "thematic coding").
    source: str
    themes: tuple[SourceTheme, ...]
    #: For the reader, under "What we heard".
    note: str = ""
