"""What we heard: the interviews' themes and key quotes.

Until thematic coding exists, a theme is one of the interviewers' quick tags
(``#barrier``, ``#enabler``... typed into the notes). An interview mentions a theme when
any of its notes or quotes carries the tag; a key quote sits under the themes tagged in
it or in the notes of its own section of the same interview (quotes with no tag: under
"Other key quotes"). Only records approved in review count, and a quote only where the
participant agreed to quotes. A quote is attributed to the participant's stakeholder
group when that group has at least the minimum cell size of approved interviews (else to
"Stakeholder"), and never to an organisation or a footprint.
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd

from qi_capture.report import questions as q
from qi_capture.report.aggregate import Aggregator, choice_labels
from qi_capture.report.frames import FormFrames
from qi_capture.report.model import Heard, Quote, Series, Theme

TAG = re.compile(r"(?<![\w#])#([A-Za-z][\w-]{0,40})")
UNTAGGED = "@untagged"


def tags_in(text: str) -> set[str]:
    return {t.lower() for t in TAG.findall(text)}


def strip_tags(text: str) -> str:
    return re.sub(r"\s{2,}", " ", TAG.sub("", text)).strip()


def heard(agg: Aggregator, ff: FormFrames) -> Heard:
    table = ff.layout.tables[()]
    frame = ff.main
    approved = frame[frame["@review_status"] == "approved"].reset_index(drop=True)
    texts = [c for c in table.columns if c.kind == "value" and c.vtype == "text"
             and not q.identifying(c)]
    quotes_cols = [c for c in texts if q.key_quote(c)]
    role = q.named(table, q.ROLE)
    footprint = q.named(table, q.FOOTPRINT)
    consent = q.named(table, q.CONSENT_QUOTES)
    role_labels = choice_labels(role, agg.language) if role is not None else {}
    fp_labels = choice_labels(footprint, agg.language) if footprint is not None else {}
    k = agg.d.min_cell

    # Theme -> row numbers of approved interviews mentioning it.
    mentions: dict[str, set[int]] = {}
    #: Section path -> text columns in it.
    by_section: dict[tuple[str, ...], list[str]] = {}
    for c in texts:
        assert c.element is not None
        by_section.setdefault(c.element.path[:-1], []).append(c.key)
    cells = approved[[c.key for c in texts]] if texts else pd.DataFrame(index=approved.index)
    for c in texts:
        column = cells[c.key]
        for row, value in column.dropna().items():
            for tag in tags_in(str(value)):
                mentions.setdefault(tag, set()).add(int(str(row)))

    roles = approved[role.key] if role is not None else pd.Series([None] * len(approved))
    role_sizes = Counter(str(v) for v in roles.dropna())
    quoted: dict[str, list[Quote]] = {}
    for c in quotes_cols:
        assert c.element is not None
        section_path = c.element.path[:-1]
        section_el = ff.layout.elements.get(section_path)
        section = ((section_el.label.get(agg.language) if section_el is not None
                    and section_el.label else None) or "/".join(section_path))
        for row, value in approved[c.key].dropna().items():
            text = str(value)
            if not strip_tags(text):
                continue
            i = int(str(row))
            if consent is not None and approved.at[i, consent.key] != "yes":
                continue
            found = tags_in(text)
            for key in by_section.get(section_path, []):
                note = approved.at[i, key]
                if isinstance(note, str):
                    found |= tags_in(note)
            code = str(roles.iat[i]) if roles.iat[i] is not None else ""
            group = role_labels.get(code, "Stakeholder") if role_sizes.get(code, 0) >= k \
                else "Stakeholder"
            quote = Quote(strip_tags(text), group, section)
            for tag in sorted(found) or [UNTAGGED]:
                listed = quoted.setdefault(tag, [])
                # The same words from two interviews are one quote under a theme.
                if all(other.text != quote.text for other in listed):
                    listed.append(quote)

    themes = []
    for tag in sorted(mentions, key=lambda t: (-len(mentions[t]), t)):
        rows = sorted(mentions[tag])
        themes.append(Theme(tag, f"#{tag}", agg.d.count(len(rows)),
                            _spread(agg, approved, role, role_labels, rows, "stakeholder group"),
                            _spread(agg, approved, footprint, fp_labels, rows, "footprint"),
                            tuple(quoted.get(tag, ()))))
    if UNTAGGED in quoted:
        themes.append(Theme(UNTAGGED, "Other key quotes", None,
                            Series("stakeholder group", None, ()),
                            Series("footprint", None, ()), tuple(quoted[UNTAGGED])))
    return Heard(ff.form.form_id, "quick tags", len(approved), tuple(themes),
                 note="Themes are the interviewers' quick tags until thematic coding "
                      "exists; only interviews approved in review are counted or quoted.")


def _spread(agg: Aggregator, frame: pd.DataFrame, column: object, labels: dict[str, str],
            rows: list[int], name: str) -> Series:
    """How many of the theme's interviews came from each group (small counts hidden)."""
    from qi_capture.export.model import Column

    if not isinstance(column, Column) or not rows:
        return Series(name, None, ())
    values = frame[column.key].iloc[rows].dropna().astype(str)
    counts = values.value_counts()
    triples = [(c, labels.get(c, c), int(counts.get(c, 0)))
               for c in [*labels, *sorted(set(counts.index) - set(labels))]]
    n = len(rows)
    return Series(name, agg.d.count(n), agg.d.cells(triples, n, exclusive=True))
