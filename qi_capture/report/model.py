"""The results report as values: sections, charts, their cells, themes, quotes and the
methods note. Frozen and JSON-serialisable: ``results.json`` is `Report.to_json()`, and
every output (HTML, PDF, slides, the console's live charts) draws from these values
alone, so what is shown is exactly what can be checked."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: Chart kinds: what each draws.
#: ``bars`` select_one (percent of those who answered), ``multi`` select_multiple (percent
#: of respondents, may add up to more than 100), ``likert`` diverging stacked bars (one
#: series per statement), ``grouped`` a select question broken down by a grouping
#: question (one series per group), ``histogram`` numbers (bins, median and quartiles),
#: ``timeline`` counts over time, ``text`` answers listed (no drawing); and the
#: breakdowns of numbers and dates: ``spread`` a number's median and quartiles per group
#: (one series per group, its ``summary`` set, no cells), ``timelines`` counts over time
#: per group (one series per group, the same periods in each); and ``likert_by`` the
#: statements of an agreement scale broken down by group (one series per statement and
#: group, statement by statement; ``Series.statement`` names the statement).
CHART_KINDS = ("bars", "multi", "likert", "grouped", "histogram", "timeline", "text",
               "spread", "timelines", "likert_by")


@dataclass(frozen=True)
class Cell:
    """One bar, bin or segment. ``count``/``percent`` are None when suppressed (a count
    under the minimum cell size, or one that would reveal such a count)."""

    code: str
    label: str
    count: int | None
    percent: float | None
    suppressed: bool = False


@dataclass(frozen=True)
class Series:
    """The cells of one distribution: the whole sample, one group, or one statement."""

    name: str
    #: Respondents (or repeat rows) behind the percentages; None when suppressed.
    n: int | None
    cells: tuple[Cell, ...]
    suppressed: bool = False
    #: For a Likert statement: its own missing answers.
    missing: Missing | None = None
    #: For a number broken down by group: the group's median and quartiles.
    summary: Summary | None = None
    #: For an agreement scale broken down by group: the statement this group's bar is of.
    statement: str = ""


@dataclass(frozen=True)
class Missing:
    """Rows without an answer: not asked (skip logic, an older form version) or left
    blank. Counts under the minimum cell size are None and ``suppressed``."""

    total: int | None
    not_asked: int | None
    left_blank: int | None
    suppressed: bool = False


@dataclass(frozen=True)
class Summary:
    """Median and quartiles of a number question (never the minimum or maximum: each is
    one respondent's answer)."""

    median: float
    q1: float
    q3: float
    mean: float


@dataclass(frozen=True)
class Chart:
    id: str
    kind: str
    title: str
    #: The question's path in the form (or a made-up key, e.g. ``@submitted``).
    question: str
    #: What ``n`` counts: "respondents", "interviews", or a repeat's rows ("projects").
    unit: str
    n: int | None
    missing: Missing | None
    series: tuple[Series, ...] = ()
    note: str = ""
    summary: Summary | None = None
    texts: tuple[str, ...] = ()
    #: Texts answered in all (``texts`` may be the first few).
    texts_total: int = 0
    #: The "other, specify" answers listed under a select question.
    other_texts: tuple[str, ...] = ()
    #: For grouped charts: the grouping question's label.
    by: str = ""
    #: The whole chart withheld (fewer answers than the minimum cell size).
    suppressed: bool = False
    #: One or two sentences saying what the chart shows (its text alternative).
    alt: str = ""

    def has_numbers(self) -> bool:
        """Whether any of its numbers may be shown. A distribution whose every cell is
        suppressed (say 296 "yes" and 4 "no": the 4 is hidden, and so the 296, which
        would give it away) has none, and is not drawn."""
        if self.suppressed:
            return False
        if self.kind in ("spread", "likert", "likert_by"):
            return any(s.n for s in self.series)
        cells = [c for s in self.series for c in s.cells]
        return not cells or any(not c.suppressed and (c.count or 0) > 0 for c in cells)

    def withheld_reason(self, k: int) -> str:
        """Why a chart is not drawn, for the reader ("" when it is drawn or is text)."""
        if self.suppressed:
            return f"Not shown: fewer than {k} answered."
        if not self.has_numbers():
            return (f"Not shown: every answer's count is under {k}, or would reveal one "
                    "that is.")
        return ""


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    form_id: str
    charts: tuple[Chart, ...]
    intro: str = ""


@dataclass(frozen=True)
class Quote:
    text: str
    #: Stakeholder group and footprint labels: never an organisation or a name.
    group: str
    section: str


@dataclass(frozen=True)
class Theme:
    code: str
    label: str
    #: Interviews (approved) mentioning the theme; None when under the minimum.
    interviews: int | None
    by_group: Series
    by_footprint: Series
    quotes: tuple[Quote, ...]
    #: What the theme covers (from thematic coding; the quick tags have none).
    description: str = ""


@dataclass(frozen=True)
class Heard:
    """What we heard: themes of the interviews (from a `theme_source.ThemeSource`: the
    interviewers' quick tags until thematic coding exists) and key quotes, from approved
    records only."""

    form_id: str
    source: str
    interviews: int
    themes: tuple[Theme, ...]
    note: str = ""


@dataclass(frozen=True)
class FormMethods:
    form_id: str
    title: str
    versions: tuple[str, ...]
    #: Review status -> records (all of the form's records, before any filter).
    statuses: dict[str, int]
    included: int
    excluded: dict[str, int]
    first: str | None
    last: str | None


@dataclass(frozen=True)
class Methods:
    command: str
    generated: str
    min_cell: int
    statuses: tuple[str, ...] | None
    by: str
    language: str | None
    forms: tuple[FormMethods, ...]
    #: Plain sentences: what disclosure control did, what was left out and why.
    suppression: tuple[str, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class InvitedFootprint:
    footprint: str
    invited: int
    #: Invited organisations of the footprint that answered; None when under the minimum.
    responded: int | None
    rate: float | None


@dataclass(frozen=True)
class Invited:
    organisations: int
    responded: int
    by_footprint: tuple[InvitedFootprint, ...]
    #: Organisations invited that have not answered yet (names as in the invited list).
    not_yet: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    title: str
    study_id: str
    who: Section
    sections: tuple[Section, ...]
    heard: Heard | None
    methods: Methods
    invited: Invited | None = None
    schema: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def charts(self) -> list[Chart]:
        """Every chart, in report order (who answered first)."""
        return [c for s in (self.who, *self.sections) for c in s.charts]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
