"""What we heard: the interviews' themes and key quotes, from a theme source
(`theme_source.ThemeSource`: the interviewers' quick tags today, thematic coding later).

Only records approved in review count, and a quote only where the participant agreed to
quotes. How often each theme came up is counted by stakeholder group and by footprint
(interviews mentioning it, small counts suppressed as everywhere). A quote is attributed
to the participant's stakeholder group when that group has at least the minimum cell
size of approved interviews (else to "Stakeholder"), and never to an organisation or a
footprint.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from qi_capture.export.model import Column
from qi_capture.report import questions as q
from qi_capture.report.aggregate import Aggregator
from qi_capture.report.frames import FormFrames
from qi_capture.report.groups import choice_labels
from qi_capture.report.model import Heard, Quote, Series, Theme
from qi_capture.report.quick_tags import quick_tag_themes
from qi_capture.report.theme_source import ThemeSource


def heard(agg: Aggregator, ff: FormFrames, source: ThemeSource | None = None) -> Heard:
    """What we heard in the interview form ``ff``, themes from ``source`` (None: the
    interviewers' quick tags)."""
    if source is None:
        source = quick_tag_themes(ff)
    table = ff.layout.tables[()]
    frame = ff.main
    approved = frame[frame["@review_status"] == "approved"].reset_index(drop=True)
    row_of = {rid: i for i, rid in enumerate(approved["@record_id"].astype(str))}
    role = q.named(table, q.ROLE)
    footprint = q.named(table, q.FOOTPRINT)
    consent = q.named(table, q.CONSENT_QUOTES)
    role_labels = choice_labels(role, agg.language) if role is not None else {}
    fp_labels = choice_labels(footprint, agg.language) if footprint is not None else {}
    k = agg.d.min_cell
    #: Question key -> (its place in the guide, its section's label).
    places: dict[str, tuple[int, str]] = {}
    for index, column in enumerate(table.columns):
        if column.element is None:
            continue
        section_path = column.element.path[:-1]
        section_el = ff.layout.elements.get(section_path)
        places[column.key] = (index, (section_el.label.get(agg.language)
                                      if section_el is not None and section_el.label
                                      else None) or "/".join(section_path))

    roles = approved[role.key] if role is not None else pd.Series([None] * len(approved))
    role_sizes = Counter(str(v) for v in roles.dropna())

    themes: list[tuple[int, Theme]] = []
    gathered: list[Theme] = []
    for theme in source.themes:
        rows: list[int] = []
        found: list[tuple[int, int, int, str, str]] = []
        for rid, mentions in theme.records.items():
            i = row_of.get(rid)
            if i is None:
                continue  # not approved, or not one of this study's interviews
            if mentions.passages or mentions.quotes:
                rows.append(i)
            if consent is not None and approved.at[i, consent.key] != "yes":
                continue
            for n, excerpt in enumerate(mentions.quotes):
                place, section = places.get(excerpt.question, (len(table.columns), ""))
                found.append((place, i, n, excerpt.text, section))
        quotes: list[Quote] = []
        for _place, i, _n, text, section in sorted(found):
            code = str(roles.iat[i]) if roles.iat[i] is not None else ""
            group = role_labels.get(code, "Stakeholder") if role_sizes.get(code, 0) >= k \
                else "Stakeholder"
            # The same words from two interviews are one quote under a theme.
            if all(other.text != text for other in quotes):
                quotes.append(Quote(text, group, section))
        if theme.catch_all:
            if quotes:
                gathered.append(Theme(theme.code, theme.name, None,
                                      Series("stakeholder group", None, ()),
                                      Series("footprint", None, ()), tuple(quotes),
                                      theme.description))
            continue
        if not rows:
            continue
        rows.sort()
        themes.append((len(rows), Theme(
            theme.code, theme.name, agg.d.count(len(rows)),
            _spread(agg, approved, role, role_labels, rows, "stakeholder group"),
            _spread(agg, approved, footprint, fp_labels, rows, "footprint"),
            tuple(quotes), theme.description)))
    themes.sort(key=lambda pair: (-pair[0], pair[1].code))
    return Heard(ff.form.form_id, source.source, len(approved),
                 (*(t for _n, t in themes), *gathered), note=source.note)


def _spread(agg: Aggregator, frame: pd.DataFrame, column: Column | None,
            labels: dict[str, str], rows: list[int], name: str) -> Series:
    """How many of the theme's interviews came from each group (small counts hidden)."""
    if column is None or not rows:
        return Series(name, None, ())
    values = frame[column.key].iloc[rows].dropna().astype(str)
    counts = values.value_counts()
    triples = [(c, labels.get(c, c), int(counts.get(c, 0)))
               for c in [*labels, *sorted(set(counts.index) - set(labels))]]
    n = len(rows)
    return Series(name, agg.d.count(n), agg.d.cells(triples, n, exclusive=True))
