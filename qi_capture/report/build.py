"""One study's report as values (`model.Report`): who answered, every question of every
form, the breakdowns, what we heard, the methods note."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from qi_capture.report import questions as q
from qi_capture.report.aggregate import (
    Aggregator,
    fieldwork_dates,
    form_methods,
    sections_of,
    who_charts,
    who_skip,
)
from qi_capture.report.errors import ByQuestionCannotGroup, ByQuestionUnknown
from qi_capture.report.frames import FormFrames
from qi_capture.report.groups import Grouping, choice_labels
from qi_capture.report.invited import InvitedOrg, normalise
from qi_capture.report.model import (
    Invited,
    InvitedFootprint,
    Methods,
    Report,
    Section,
)
from qi_capture.report.suppress import OTHER_LABEL, Disclosure, percent
from qi_capture.report.theme_source import ThemeSource
from qi_capture.report.themes import heard

DEFAULT_BY = "footprint"
#: Value types a breakdown can group by.
GROUPING_TYPES = ("select_one", "select_multiple")


@dataclass(frozen=True)
class ReportOptions:
    #: The choice question results are broken down by (None: the footprint).
    by: str | None = None
    min_cell: int = 5
    #: Review statuses included (None: every status).
    statuses: tuple[str, ...] | None = None
    language: str | None = None


def by_choices(data: Sequence[FormFrames]) -> list[str]:
    """Names of the questions a report can be broken down by: single- and
    multiple-choice questions of a questionnaire's main table (not agreement scales)."""
    out: list[str] = []
    for ff in data:
        if ff.form.style == "interview":
            continue
        for column in ff.layout.tables[()].columns:
            if column.kind == "value" and column.vtype in GROUPING_TYPES and \
                    column.element is not None and not column.likert and \
                    column.element.name not in out:
                out.append(column.element.name)
    return out


#: What a question that cannot group is, by value type, for the error.
_WHAT = {"text": "a text question", "integer": "a number question",
         "decimal": "a number question", "date": "a date question",
         "datetime": "a date and time question", "time": "a time question"}


def _why_not(data: Sequence[FormFrames], by: str) -> str | None:
    """What the question ``by`` is, when a study has it but cannot group by it (None:
    no form has a question of that name)."""
    for ff in data:
        for path, table in ff.layout.tables.items():
            for column in table.columns:
                element = column.element
                if column.kind != "value" or element is None or \
                        by not in (element.name, column.key):
                    continue
                if ff.form.style == "interview":
                    return "a question of the interview guide"
                if path:
                    return "asked once per entry of a repeat"
                if column.likert:
                    return "a statement on an agreement scale"
                return _WHAT.get(column.vtype, f"a {element.type} question")
    return None


def _grouping(agg: Aggregator, ff: FormFrames, by: str) -> Grouping | None:
    for column in ff.layout.tables[()].columns:
        if column.kind == "value" and column.vtype in GROUPING_TYPES and \
                not column.likert and column.element is not None and \
                by in (column.element.name, column.key):
            return agg.grouping(ff, column, column.label)
    return None


def build(study_id: str, data: Sequence[FormFrames], options: ReportOptions, *,
          command: str, invited: Sequence[InvitedOrg] | None = None,
          generated: datetime | None = None, themes: ThemeSource | None = None) -> Report:
    """The report of ``data`` (one `FormFrames` per form of the study). ``themes``: what
    "What we heard" reports (None: the interviewers' quick tags)."""
    by = options.by or DEFAULT_BY
    if options.by is not None and options.by not in by_choices(data):
        what = _why_not(data, options.by)
        if what is not None:
            raise ByQuestionCannotGroup(options.by, what, by_choices(data))
        raise ByQuestionUnknown(options.by, by_choices(data))
    d = Disclosure(options.min_cell)
    agg = Aggregator(d, options.language)
    ordered = sorted(data, key=lambda ff: ff.form.style == "interview")
    who = []
    sections: list[Section] = []
    notes: list[str] = []
    overlap: list[str] = []
    for ff in ordered:
        agg.language = ff.language
        who.extend(who_charts(agg, ff))
        grouping = None
        if ff.form.style != "interview":
            grouping = _grouping(agg, ff, by)
            if grouping is None:
                notes.append(f"{ff.form.title or ff.form.form_id} has no question {by!r}: "
                             "its results are not broken down.")
        sections.extend(sections_of(agg, ff, grouping, who_skip(ff)))
        if grouping is not None and grouping.overlap:
            overlap.append(grouping.label)
    interviews = [ff for ff in ordered if ff.form.style == "interview"]
    heard_part = heard(agg, interviews[0], themes) if interviews else None
    invited_part = _invited(d, ordered, invited) if invited is not None else None
    suppression = list(d.sentences())
    for label in dict.fromkeys(overlap):
        suppression.append(
            f"Breakdowns by \u201c{label}\u201d, a question with several answers allowed: a "
            "respondent belongs to every group they chose, so the groups overlap and do "
            "not add up to the total; a group's n counts everyone who chose it. Small "
            f"groups are merged into \u201c{OTHER_LABEL}\u201d, everyone who chose any of "
            "them, or left out when that is still too small; as the groups overlap, no "
            "answer's counts are checked down the groups (they add up to no total shown).")
    suppression.append("Organisation names are never shown beside answers; questions that "
                       "name an organisation or a person, and interview notes, are not "
                       "listed.")
    if invited_part is not None:
        suppression.append("The list of invited organisations that have not answered yet is "
                           "for the programme team's follow-up: it shows who answered, "
                           "not what they said. Leave --invited out for a report shared "
                           "more widely.")
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    methods = Methods(
        command=command, generated=when, min_cell=options.min_cell,
        statuses=options.statuses, by=by, language=options.language,
        forms=tuple(form_methods(ff, fieldwork_dates(ff)) for ff in ordered),
        suppression=tuple(suppression), notes=tuple(notes))
    title = next((ff.form.title for ff in ordered if ff.form.style != "interview"),
                 None) or study_id
    return Report(f"Results: {title}", study_id, Section("who", "Who answered", "",
                                                         tuple(who)),
                  tuple(sections), heard_part, methods, invited_part)


def _invited(d: Disclosure, data: Sequence[FormFrames],
             orgs: Sequence[InvitedOrg]) -> Invited:
    answered: set[str] = set()
    labels: dict[str, str] = {}
    for ff in data:
        table = ff.layout.tables[()]
        fp = q.named(table, q.FOOTPRINT)
        if fp is not None:
            labels.update(choice_labels(fp, ff.language))
        if ff.form.style == "interview":
            continue
        name = q.named(table, q.ORG_NAME)
        if name is not None:
            answered |= {normalise(str(v)) for v in ff.main[name.key].dropna()}
    rows = []
    for code in [*labels, *sorted({o.footprint for o in orgs} - set(labels))]:
        mine = [o for o in orgs if o.footprint == code]
        if not mine:
            continue
        done = sum(1 for o in mine if normalise(o.name) in answered)
        shown = d.count(done)
        if shown is None:
            d.cells_suppressed += 1
        rows.append(InvitedFootprint(labels.get(code, code), len(mine), shown,
                                     None if shown is None else percent(done, len(mine))))
    responded = sum(1 for o in orgs if normalise(o.name) in answered)
    not_yet = tuple(sorted(o.name for o in orgs if normalise(o.name) not in answered))
    return Invited(len(orgs), responded, tuple(rows), not_yet)
