"""From the export layer's tables to the report's numbers: counts, percentages,
quantiles, breakdowns, every one passed through disclosure control (`suppress`).

One function per chart kind; `build` walks each form in form order and makes the
sections. Pandas does the counting (vectorised over every record); nothing here draws.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from qi_capture.export.model import Column, Table
from qi_capture.report import questions as q
from qi_capture.report.frames import FormFrames
from qi_capture.report.groups import Grouping, choice_labels, make_grouping
from qi_capture.report.model import (
    Cell,
    Chart,
    FormMethods,
    Missing,
    Section,
    Series,
    Summary,
)
from qi_capture.report.suppress import Disclosure

#: Free texts listed under one question at most (results.json holds as many).
TEXTS_MAX = 40


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def unit_of(ff: FormFrames, path: tuple[str, ...]) -> str:
    if path:
        element = ff.layout.elements[path]
        label = element.label.get(ff.language) if element.label is not None else None
        return f"entries of \u201c{label or element.name}\u201d"
    return "interviews" if ff.form.style == "interview" else "respondents"


class Aggregator:
    """Makes the charts of one report; ``disclosure`` keeps count of what it hid."""

    def __init__(self, disclosure: Disclosure, language: str | None) -> None:
        self.d = disclosure
        self.language = language

    # -- missing answers --------------------------------------------------------------
    def missing(self, ff: FormFrames, path: tuple[str, ...], key: str,
                answered: pd.Series, rows: np.ndarray | None = None) -> Missing:
        """Rows without an answer to ``key`` (among ``rows`` only, when given)."""
        mask = ff.not_asked[path].get(key)
        blank = ~answered.to_numpy(dtype=bool)
        if rows is not None:
            blank = blank & rows
        not_asked = int((blank & mask).sum()) if mask is not None else 0
        return self.d.missing(not_asked, int(blank.sum()) - not_asked)

    @staticmethod
    def missing_text(m: Missing | None, k: int) -> str:
        if m is None:
            return ""
        if m.total is None:
            return f"Missing: fewer than {k}."
        if m.total == 0:
            return "No missing answers."
        if m.not_asked is None or m.left_blank is None:
            return f"Missing: {m.total}."
        return f"Missing: {m.total} ({m.not_asked} not asked, {m.left_blank} left blank)."

    # -- selects ----------------------------------------------------------------------
    def _codes(self, column: Column, values: pd.Series) -> list[tuple[str, str]]:
        labels = choice_labels(column, self.language)
        extra = sorted(set(values.dropna().astype(str)) - set(labels))
        return [*labels.items(), *((c, c) for c in extra)]

    def select_counts(self, column: Column, frame: pd.DataFrame,
                      rows: np.ndarray | None = None,
                      codes: list[tuple[str, str]] | None = None,
                      ) -> tuple[list[tuple[str, str, int]], int]:
        """(code, label, count) of each answer over ``rows`` (all when None), and the
        number who answered; every code of the question, in choice order (``codes``: the
        question's codes, when already known)."""
        # Only the question's own columns are cut to ``rows`` (not the whole table).
        values = frame[column.key] if rows is None else frame[column.key][rows]
        n = int(values.notna().sum())
        if column.vtype == "select_one":
            counts = values.dropna().astype(str).value_counts()
            if codes is None:
                codes = self._codes(column, frame[column.key])
            return [(c, lbl, int(counts.get(c, 0))) for c, lbl in codes], n
        triples = []
        for c, lbl in choice_labels(column, self.language).items():
            flags = frame.get(f"{column.key}#{c}")
            if flags is not None and rows is not None:
                flags = flags[rows]
            triples.append((c, lbl, int(flags.fillna(0).sum()) if flags is not None else 0))
        return triples, n

    def select_series(self, column: Column, frame: pd.DataFrame, name: str,
                      rows: pd.Series | None = None) -> Series:
        """The distribution of one select question over ``rows`` (all when None)."""
        triples, n = self.select_counts(
            column, frame, None if rows is None else rows.to_numpy(dtype=bool))
        base = self.d.base(n)
        if base is None or n == 0:
            if base is None:
                self.d.withhold()
            empty = tuple(Cell(c, lbl, None, None, base is None) for c, lbl, _n in triples)
            return Series(name, base, empty, suppressed=base is None)
        return Series(name, n, self.d.cells(triples, n,
                                            exclusive=column.vtype == "select_one"))

    def group_series(self, column: Column, frame: pd.DataFrame, grouping: Grouping,
                     rows: np.ndarray | None = None, statement: str = "") -> list[Series]:
        """One distribution of ``column`` per group, with complementary suppression
        across the groups (`Disclosure.table`) where they do not overlap. ``rows``: the
        rows the question applies to (all when None)."""
        everyone = np.ones(len(frame), dtype=bool) if rows is None else rows
        # The codes once: finding the answers outside the choice list reads every row.
        codes = self._codes(column, frame[column.key]) \
            if column.vtype == "select_one" else None
        parts = [self.select_counts(column, frame, grouping.rows(code) & everyone, codes)
                 for code in grouping.order]
        totals = None
        if not grouping.overlap:
            totals = [n for _c, _l, n in
                      self.select_counts(column, frame, everyone, codes)[0]]
        bases = [n for _t, n in parts]
        tables = self.d.table([t for t, _n in parts], bases,
                              exclusive=column.vtype == "select_one", totals=totals)
        out = []
        for code, (triples, n), cells in zip(grouping.order, parts, tables, strict=True):
            name = grouping.labels[code]
            if cells is None:
                out.append(Series(name, None, tuple(Cell(c, lbl, None, None, True)
                                                    for c, lbl, _n in triples),
                                  suppressed=True, statement=statement))
            elif n == 0:
                out.append(Series(name, 0, tuple(Cell(c, lbl, None, None, False)
                                                 for c, lbl, _n in triples),
                                  statement=statement))
            else:
                out.append(Series(name, n, cells, statement=statement))
        return out

    def _breakdown_n(self, grouping: Grouping, series: Sequence[Series],
                     answered: np.ndarray) -> int | None:
        """Respondents behind a breakdown: those who answered in any group shown (each
        once, however many overlapping groups they are in)."""
        shown = [code for code, s in zip(grouping.order, series, strict=True)
                 if s.n is not None]
        return self.d.base(int((grouping.anyone(shown) & answered).sum()))

    def select_chart(self, ff: FormFrames, path: tuple[str, ...], column: Column,
                     others: Sequence[str], section: str) -> Chart:
        frame = ff.frames[path]
        series = self.select_series(column, frame, "All")
        answered = frame[column.key].notna()
        multi = column.vtype == "select_multiple"
        note = ("Respondents could choose more than one answer: percentages add up to more "
                "than 100%." if multi else "")
        if column.likert:
            note = "A single statement answered on an agreement scale."
        chart = Chart(
            id=f"{ff.form.form_id}.{_slug(column.key)}",
            kind="multi" if multi else "bars",
            title=column.label,
            question=column.key,
            unit=unit_of(ff, path),
            n=series.n,
            missing=self.missing(ff, path, column.key, answered),
            series=(series,),
            note=note,
            other_texts=tuple(others),
            suppressed=series.suppressed,
        )
        return _with_alt(chart, self.d.min_cell)

    def grouped_chart(self, ff: FormFrames, column: Column, grouping: Grouping) -> Chart:
        frame = ff.main
        out = self.group_series(column, frame, grouping)
        answered = frame[column.key].notna()
        chart = Chart(
            id=_by_id(ff, column, grouping),
            kind="grouped",
            title=f"{column.label} – by {grouping.label}",
            question=column.key,
            unit=unit_of(ff, ()),
            n=self._breakdown_n(grouping, out, answered.to_numpy(dtype=bool)),
            missing=self.missing(ff, (), column.key, answered, grouping.anyone()),
            series=tuple(out),
            note="Percentages of each group's respondents who answered."
                 + (" Respondents could choose more than one answer."
                    if column.vtype == "select_multiple" else "") + grouping.note(),
            by=grouping.label,
        )
        return _with_alt(chart, self.d.min_cell)

    def likert_by_chart(self, ff: FormFrames, columns: list[Column], title: str,
                        grouping: Grouping) -> Chart:
        """The statements of one agreement scale, each broken down by group: for each
        statement one diverging bar per group (series in statement order, then group
        order; ``Series.statement`` says which)."""
        frame = ff.main
        series: list[Series] = []
        worst: Missing | None = None
        anyone = np.zeros(len(frame), dtype=bool)
        for column in columns:
            answered = frame[column.key].notna()
            rows = self.group_series(column, frame, grouping, statement=column.label)
            series.extend(rows)
            anyone |= answered.to_numpy(dtype=bool) & grouping.anyone(
                [c for c, s in zip(grouping.order, rows, strict=True) if s.n is not None])
            m = self.missing(ff, (), column.key, answered, grouping.anyone())
            if worst is None or (m.total or 0) > (worst.total or 0):
                worst = m
        chart = Chart(
            id=f"{ff.form.form_id}.{_slug(columns[0].key)}.likert.by-"
               f"{_slug(grouping.column.key)}",
            kind="likert_by",
            title=f"{title} \u2013 by {grouping.label}",
            question=" ".join(c.key for c in columns),
            unit=unit_of(ff, ()),
            n=self.d.base(int(anyone.sum())),
            missing=worst,
            series=tuple(series),
            note="One panel per statement, one bar per group: disagreement to the left, "
                 "agreement to the right, the neutral answer split across the middle. "
                 "Percentages of each group's respondents who answered the statement. "
                 "The missing note is the statement with the most missing answers."
                 + grouping.note(),
            by=grouping.label,
            suppressed=not any(s.n for s in series),
        )
        return _with_alt(chart, self.d.min_cell)

    def likert_chart(self, ff: FormFrames, path: tuple[str, ...], columns: list[Column],
                     title: str) -> Chart:
        frame = ff.frames[path]
        series = []
        worst: Missing | None = None
        for column in columns:
            m = self.missing(ff, path, column.key, frame[column.key].notna())
            s = replace(self.select_series(column, frame, column.label), missing=m)
            series.append(s)
            if worst is None or (m.total or 0) > (worst.total or 0):
                worst = m
        shown = [s.n for s in series if s.n is not None]
        key = columns[0].key
        chart = Chart(
            id=f"{ff.form.form_id}.{_slug(key)}.likert",
            kind="likert",
            title=title,
            question=" ".join(c.key for c in columns),
            unit=unit_of(ff, path),
            n=max(shown) if shown else None,
            missing=worst,
            series=tuple(series),
            note="Each bar is one statement: disagreement to the left, agreement to the "
                 "right, the neutral answer split across the middle. n is the most answers "
                 "any one statement had; the missing note is the statement with the most "
                 "missing answers.",
            suppressed=not shown,
        )
        return _with_alt(chart, self.d.min_cell)

    # -- numbers and dates ----------------------------------------------------------------
    def number_chart(self, ff: FormFrames, path: tuple[str, ...], column: Column) -> Chart:
        frame = ff.frames[path]
        values = pd.to_numeric(frame[column.key], errors="coerce").astype("float64")
        answered = values.notna()
        clean = values[answered].to_numpy()
        n = len(clean)
        base = self.d.base(n)
        missing = self.missing(ff, path, column.key, answered)
        chart_id = f"{ff.form.form_id}.{_slug(column.key)}"
        if base is None or n == 0:
            if base is None:
                self.d.withhold()
            return _with_alt(Chart(chart_id, "histogram", column.label, column.key,
                                   unit_of(ff, path), base, missing, (),
                                   suppressed=base is None), self.d.min_cell)
        summary = summarise(clean)
        edges = nice_edges(clean)
        counts = np.histogram(np.clip(clean, edges[0], edges[-1]), bins=edges)[0]
        triples = []
        for i, count in enumerate(counts):
            lo, hi = edges[i], edges[i + 1]
            last = i == len(counts) - 1
            label = f"{_num(lo)} or more" if last and hi < clean.max() else \
                f"{_num(lo)}\u2013{_num(hi)}"
            triples.append((f"{lo:g}", label, int(count)))
        cells = self.d.cells(triples, n, exclusive=True)
        chart = Chart(chart_id, "histogram", column.label, column.key, unit_of(ff, path), n,
                      missing, (Series("All", n, cells),),
                      note="Bars: how many answered within each range (the last range is "
                           "open-ended). Lines: the median and the quartiles.",
                      summary=summary)
        return _with_alt(chart, self.d.min_cell)

    def timeline_chart(self, chart_id: str, title: str, question: str, unit: str,
                       stamps: pd.Series, missing: Missing | None) -> Chart:
        when = pd.to_datetime(stamps, errors="coerce").dropna()
        n = len(when)
        base = self.d.base(n)
        if base is None or n == 0:
            if base is None:
                self.d.withhold()
            return _with_alt(Chart(chart_id, "timeline", title, question, unit, base,
                                   missing, (), suppressed=base is None), self.d.min_cell)
        periods = Periods.of(when)
        cells = self.d.cells(periods.counts(when), n, exclusive=True)
        chart = Chart(chart_id, "timeline", title, question, unit, n, missing,
                      (Series("All", n, cells),), note=f"Counts per {periods.what}.")
        return _with_alt(chart, self.d.min_cell)

    # -- numbers and dates broken down --------------------------------------------------
    def spread_chart(self, chart_id: str, title: str, question: str, unit: str,
                     values: pd.Series, grouping: Grouping,
                     missing: Missing | None = None) -> Chart:
        """A number's median and quartiles in each group of ``grouping`` (a group with
        fewer answers than the minimum cell size: withheld). No counts per range: the
        quartiles say as much, and a histogram per group would be mostly small cells."""
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        out = []
        for code in grouping.order:
            clean = numbers[grouping.rows(code)].dropna().to_numpy()
            base = self.d.base(len(clean))
            if base is None:
                self.d.withhold()
                out.append(Series(grouping.labels[code], None, (), suppressed=True))
            else:
                out.append(Series(grouping.labels[code], base, (),
                                  summary=summarise(clean) if base else None))
        # The groups shown only: a withheld group's size stays hidden.
        answered = numbers.notna()
        everyone = numbers.dropna().to_numpy()
        chart = Chart(chart_id, "spread", f"{title} \u2013 by {grouping.label}", question,
                      unit, self._breakdown_n(grouping, out, answered.to_numpy(dtype=bool)),
                      missing, tuple(out),
                      note="Boxes: the middle half of each group's answers (from the lower "
                           "to the upper quartile); the line in a box is the group's "
                           "median; the dashed line is the median of everyone who answered."
                           + grouping.note(),
                      summary=summarise(everyone) if len(everyone) else None,
                      by=grouping.label, suppressed=not any(s.n for s in out))
        return _with_alt(chart, self.d.min_cell)

    def timelines_chart(self, chart_id: str, title: str, question: str, unit: str,
                        stamps: pd.Series, grouping: Grouping,
                        missing: Missing | None = None) -> Chart:
        """Counts over time in each group of ``grouping``, over the same periods (each
        group's counts pass disclosure control as a distribution of its own, and down
        each period across the groups where they do not overlap)."""
        when_all = pd.to_datetime(stamps, errors="coerce")
        known = when_all.dropna()
        periods = Periods.of(known) if not known.empty else None
        out = []
        if periods is None:
            for code in grouping.order:
                n = int(when_all[grouping.rows(code)].notna().sum())
                base = self.d.base(n)
                if base is None:
                    self.d.withhold()
                out.append(Series(grouping.labels[code], base, (),
                                  suppressed=base is None))
        else:
            parts = [periods.counts(when_all[grouping.rows(code)].dropna())
                     for code in grouping.order]
            bases = [sum(n for _c, _l, n in p) for p in parts]
            totals = None if grouping.overlap else \
                [n for _c, _l, n in periods.counts(known)]
            tables = self.d.table(parts, bases, exclusive=True, totals=totals)
            for code, base, cells in zip(grouping.order, bases, tables, strict=True):
                if cells is None:
                    out.append(Series(grouping.labels[code], None, (), suppressed=True))
                else:
                    out.append(Series(grouping.labels[code], base, cells if base else ()))
        what = periods.what if periods is not None else "period"
        chart = Chart(chart_id, "timelines", f"{title} \u2013 by {grouping.label}",
                      question, unit,
                      self._breakdown_n(grouping, out, when_all.notna().to_numpy()),
                      missing, tuple(out),
                      note=f"Counts per {what} in each group, on the same time scale."
                           + grouping.note(),
                      by=grouping.label, suppressed=not any(s.cells for s in out))
        return _with_alt(chart, self.d.min_cell)

    # -- free text ------------------------------------------------------------------------
    def text_chart(self, ff: FormFrames, path: tuple[str, ...], column: Column) -> Chart:
        frame = ff.frames[path]
        values = frame[column.key]
        answered = values.notna() & (values.astype(str).str.strip() != "")
        texts = [str(v).strip() for v in values[answered].tolist()]
        missing = self.missing(ff, path, column.key, answered)
        chart = Chart(f"{ff.form.form_id}.{_slug(column.key)}", "text", column.label,
                      column.key, unit_of(ff, path), self.d.count(len(texts)), missing,
                      texts=tuple(texts[:TEXTS_MAX]), texts_total=len(texts),
                      note="Answers as written, in the order they were received; never "
                           "with the respondent's organisation.")
        return _with_alt(chart, self.d.min_cell)

    # -- groups ---------------------------------------------------------------------------
    def grouping(self, ff: FormFrames, column: Column, label: str) -> Grouping:
        """The groups of ``column`` (see `groups.make_grouping`)."""
        return make_grouping(self.d, self.language, ff, column, label)


def summarise(values: np.ndarray) -> Summary:
    """Median, quartiles (numpy's default, linear interpolation) and mean, rounded."""
    q1, median, q3 = (float(v) for v in np.percentile(values, [25, 50, 75]))
    return Summary(round(median, 2), round(q1, 2), round(q3, 2),
                   round(float(values.mean()), 2))


@dataclass(frozen=True)
class Periods:
    """The periods a timeline counts by: days for up to a month of dates, weeks (from
    Monday) for up to half a year, else months; every period from the first date to the
    last, so a quiet week shows as zero."""

    period: str
    fmt: str
    what: str
    starts: tuple[pd.Timestamp, ...]

    @classmethod
    def of(cls, when: pd.Series) -> Periods:
        span = (when.max() - when.min()).days
        if span <= 31:
            period, fmt, what = "D", "%d %b %Y", "day"
        elif span <= 26 * 7:
            period, fmt, what = "W-SUN", "w/c %d %b %Y", "week"
        else:
            period, fmt, what = "M", "%b %Y", "month"
        full = pd.period_range(when.min(), when.max(), freq=period).start_time
        return cls(period, fmt, what, tuple(full))

    def counts(self, when: pd.Series) -> list[tuple[str, str, int]]:
        """(code, label, count) per period of the dates ``when``."""
        counts = when.dt.to_period(self.period).dt.start_time.value_counts()
        return [(d.strftime("%Y-%m-%d"), d.strftime(self.fmt), int(counts.get(d, 0)))
                for d in self.starts]


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def nice_edges(values: np.ndarray, bins: int = 8) -> np.ndarray:
    """Round bin edges from the minimum up to about the 95th percentile (the top bin is
    open-ended, so one very large answer does not squash the rest)."""
    lo = float(np.min(values))
    hi = float(np.percentile(values, 95))
    if hi <= lo:
        hi = float(np.max(values))
    if hi <= lo:
        return np.array([lo, lo + 1.0])
    raw = (hi - lo) / bins
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if bool(np.all(np.mod(values, 1) == 0)):
        step = max(1.0, float(math.ceil(step)))  # whole numbers: whole-number ranges
    start = math.floor(lo / step) * step
    edges = np.arange(start, hi + step, step, dtype="float64")
    if len(edges) < 2:
        edges = np.array([start, start + step])
    return edges


def _with_alt(chart: Chart, k: int) -> Chart:
    """The chart's text alternative: what it shows in a sentence or two."""
    if chart.suppressed:
        alt = f"{chart.title}: withheld, as fewer than {k} answered."
    elif chart.kind == "text":
        alt = f"{chart.title}: {chart.texts_total} written answers."
    elif chart.kind == "histogram" and chart.summary is not None:
        s = chart.summary
        alt = (f"{chart.title}: distribution of {chart.n} answers; median {_num(s.median)}, "
               f"quartiles {_num(s.q1)} and {_num(s.q3)}.")
    elif chart.kind in ("bars", "multi", "timeline") and chart.series:
        cells = [c for c in chart.series[0].cells if c.count is not None]
        top = sorted(cells, key=lambda c: -(c.count or 0))[:3]
        listed = "; ".join(f"{c.label} {c.percent:g}% ({c.count})" for c in top)
        lead = "counts over time" if chart.kind == "timeline" else "most common answers"
        alt = f"{chart.title} (n = {chart.n}): {lead}: {listed}."
    elif chart.kind == "likert":
        parts = []
        for row in chart.series:
            agree = [c for c in row.cells if c.code in ("agree", "strongly_agree")]
            if row.n is None or any(c.percent is None for c in agree):
                parts.append(f"{row.name}: not shown (small numbers)")
            else:
                parts.append(f"{row.name}: {sum(c.percent or 0 for c in agree):.0f}% agree")
        alt = f"{chart.title}. " + "; ".join(parts) + "."
    elif chart.kind == "likert_by":
        groups = list(dict.fromkeys(s.name for s in chart.series))
        statements = list(dict.fromkeys(s.statement for s in chart.series))
        alt = (f"{chart.title}: agreement with each of {len(statements)} statements in "
               f"each of {len(groups)} groups ({', '.join(groups)}); the table gives every "
               "percentage.")
    elif chart.kind == "spread":
        parts = [f"{row.name} {_num(row.summary.median)}" if row.summary is not None
                 else f"{row.name}: not shown (small numbers)" for row in chart.series]
        alt = f"{chart.title}: the median of each group: " + "; ".join(parts) + "."
    elif chart.kind == "timelines":
        alt = (f"{chart.title}: counts over time in each of {len(chart.series)} groups; "
               "the table gives every count.")
    elif chart.kind == "grouped":
        alt = (f"{chart.title}: the answers of each group side by side, "
               f"{len(chart.series)} groups; the table gives every percentage.")
    else:
        alt = chart.title
    return replace(chart, alt=alt)


def form_methods(ff: FormFrames, dates: tuple[str | None, str | None]) -> FormMethods:
    return FormMethods(ff.form.form_id, ff.form.title or ff.form.form_id,
                       tuple(f.version for f in ff.forms), dict(sorted(ff.statuses.items())),
                       ff.included, dict(ff.excluded), dates[0], dates[1])


def fieldwork_dates(ff: FormFrames) -> tuple[str | None, str | None]:
    """First and last day of fieldwork: the form's ``start`` time where it has one, else
    when the record was submitted."""
    table = ff.layout.tables[()]
    start = next((c for c in table.columns if c.element is not None
                  and c.element.type == "start"), None)
    key = start.key if start is not None else "@submitted"
    stamps = pd.to_datetime(ff.main[key], errors="coerce").dropna()
    if stamps.empty:
        return None, None
    return stamps.min().strftime("%Y-%m-%d"), stamps.max().strftime("%Y-%m-%d")


def sections_of(agg: Aggregator, ff: FormFrames, grouping: Grouping | None,
                skip: set[str]) -> list[Section]:
    """The form's questions, charted as their types ask, one section per top-level group
    (questions outside any group: one section of their own)."""
    interview = ff.form.style == "interview"
    buckets: dict[str, tuple[str, list[Chart]]] = {}

    def bucket(element_path: tuple[str, ...]) -> list[Chart]:
        top = element_path[0] if len(element_path) > 1 else ""
        if top not in buckets:
            if top:
                element = ff.layout.elements[(top,)]
                label = (element.label.get(ff.language) if element.label else None) or top
            else:
                label = ff.form.title or ff.form.form_id
            buckets[top] = (label, [])
        return buckets[top][1]

    for path, table in ff.layout.tables.items():
        others = _other_texts(ff, path, table)
        likert: dict[tuple[str, ...], list[Column]] = {}
        placeholders: dict[tuple[str, ...], tuple[list[Chart], int]] = {}
        for column in table.columns:
            element = column.element
            if column.kind != "value" or element is None or column.key in skip:
                continue
            if element.type in q.METADATA_TYPES:
                continue
            charts = bucket(element.path)
            if column.likert and column.vtype == "select_one":
                # The statements of one group make one chart, where the first one stood.
                if element.path[:-1] not in likert:
                    placeholders[element.path[:-1]] = (charts, len(charts))
                    charts.append(None)  # type: ignore[arg-type]
                likert.setdefault(element.path[:-1], []).append(column)
                continue
            if column.vtype in ("select_one", "select_multiple"):
                charts.append(agg.select_chart(ff, path, column,
                                               others.get(column.key, ()), ""))
                if grouping is not None and not path and column.key != grouping.column.key \
                        and not _gates(grouping, column):
                    charts.append(agg.grouped_chart(ff, column, grouping))
            elif column.vtype in ("integer", "decimal"):
                charts.append(agg.number_chart(ff, path, column))
                if grouping is not None and not path:
                    answered = ff.main[column.key].notna()
                    charts.append(agg.spread_chart(
                        _by_id(ff, column, grouping), column.label, column.key,
                        unit_of(ff, path), ff.main[column.key], grouping,
                        agg.missing(ff, path, column.key, answered, grouping.anyone())))
            elif column.vtype in ("date", "datetime"):
                answered = ff.frames[path][column.key].notna()
                charts.append(agg.timeline_chart(
                    f"{ff.form.form_id}.{_slug(column.key)}", column.label, column.key,
                    unit_of(ff, path), ff.frames[path][column.key],
                    agg.missing(ff, path, column.key, answered)))
                if grouping is not None and not path:
                    charts.append(agg.timelines_chart(
                        _by_id(ff, column, grouping), column.label, column.key,
                        unit_of(ff, path), ff.main[column.key], grouping,
                        agg.missing(ff, path, column.key, answered, grouping.anyone())))
            elif column.vtype == "text":
                if interview or q.identifying(column) or q.key_quote(column) or \
                        q.other_of(column, table) is not None:
                    continue
                charts.append(agg.text_chart(ff, path, column))
        # Last first: a breakdown inserted after its chart moves the places after it.
        for group_path, columns in reversed(likert.items()):
            element = ff.layout.elements.get(group_path)
            label = ((element.label.get(ff.language) if element is not None and element.label
                      else None) or (group_path[-1] if group_path else "Statements"))
            where, index = placeholders[group_path]
            where[index] = agg.likert_chart(ff, path, columns, label)
            if grouping is not None and not path and not any(
                    c.key == grouping.column.key or _gates(grouping, c) for c in columns):
                where.insert(index + 1, agg.likert_by_chart(ff, columns, label, grouping))
    out = []
    for top, (label, charts) in buckets.items():
        if charts:
            out.append(Section(f"{ff.form.form_id}.{_slug(top) or 'form'}", label,
                               ff.form.form_id, tuple(charts)))
    return out


def _by_id(ff: FormFrames, column: Column, grouping: Grouping) -> str:
    return f"{ff.form.form_id}.{_slug(column.key)}.by-{_slug(grouping.column.key)}"


def _gates(grouping: Grouping, column: Column) -> bool:
    """Whether the grouping question is asked only after an answer to ``column`` (a
    consent question, say): breaking that question down by it would say nothing."""
    name = column.element.name if column.element is not None else column.name
    return any(f"${{{name}}}" in gate for gate in grouping.column.gates)


def _other_texts(ff: FormFrames, path: tuple[str, ...], table: Table) -> dict[str, list[str]]:
    """Select question key -> its "other, specify" answers."""
    out: dict[str, list[str]] = {}
    frame = ff.frames[path]
    for column in table.columns:
        if column.kind != "value":
            continue
        target = q.other_of(column, table)
        if target is None:
            continue
        values = frame[column.key].dropna().astype(str).str.strip()
        out.setdefault(target.key, []).extend(v for v in values.tolist() if v)
    return out


def who_charts(agg: Aggregator, ff: FormFrames) -> list[Chart]:
    """Responses by footprint, organisation type and role, and over time."""
    table = ff.layout.tables[()]
    noun = "Interviews" if ff.form.style == "interview" else "Responses"
    charts = []
    for names, what in ((q.FOOTPRINT, "footprint"), (q.ORG_TYPE, "organisation type"),
                        (q.ROLE, "role")):
        column = q.named(table, names)
        if column is None:
            continue
        chart = agg.select_chart(ff, (), column, (), "")
        charts.append(_with_alt(replace(
            chart, id=f"{ff.form.form_id}.who.{_slug(what)}",
            title=f"{noun} by {what} ({ff.form.title or ff.form.form_id})"),
            agg.d.min_cell))
    charts.append(agg.timeline_chart(
        f"{ff.form.form_id}.who.over-time", f"{noun} received over time "
        f"({ff.form.title or ff.form.form_id})", "@submitted", unit_of(ff, ()),
        ff.main["@submitted"], None))
    return charts


def who_skip(ff: FormFrames) -> set[str]:
    """Questions charted under "Who answered" (not again in the form's own section)."""
    table = ff.layout.tables[()]
    out = set()
    for names in (q.FOOTPRINT, q.ORG_TYPE, q.ROLE):
        column = q.named(table, names)
        if column is not None:
            out.add(column.key)
    return out


def counts_by(values: pd.Series, groups: Mapping[str, str]) -> Counter[str]:
    return Counter(groups.get(str(v), str(v)) for v in values.dropna())
