"""What a form filler shows, as frozen values: the screen, its questions, the question
index, the interview's sections, progress and the record's problems.

The UI never holds the live `FormSession`: a `FormView` is read from it off the UI thread
(on the serial write queue, after the change that made it) and handed over whole, so the
widgets redraw from a value nothing else can change underneath them. The same values serve
every reader that needs "what would the interviewer see now" (the finalise review is built
from `FormView.problems`, `QuestionValue.required` and `SectionEntry` counts).
"""

from __future__ import annotations

from dataclasses import dataclass

#: `IndexEntry.state` values, in the order a person reads them.
ANSWERED, UNANSWERED, INVALID, SECTION = "answered", "unanswered", "invalid", "section"

#: `SectionEntry.key` of the questions before the first section (consent, details).
INTRODUCTION = ""


@dataclass(frozen=True, slots=True)
class Problem:
    """Why an answer is not accepted, or why the record cannot be finalised yet."""

    path: str
    #: The question's label now (its path when the question has gone with its repeat).
    label: str
    kind: str  # "required" | "constraint" | "expression"
    message: str


@dataclass(frozen=True, slots=True)
class QuestionValue:
    """One question as it stands now: what it is, what it says, what it holds."""

    path: str
    #: The element's name in the form (``age``), the same in every repeat instance.
    name: str
    #: The XLSForm question type (``text``, ``select_one``, ``image``...).
    type: str
    appearance: tuple[str, ...]
    #: The ``parameters`` column as (key, value) pairs (``start=1``, ``step=1``...).
    parameters: tuple[tuple[str, str], ...]
    #: Shown as a computed value, not an input (a calculation without a trigger).
    calculated: bool
    #: Has a choice list (select_one, select_multiple, rank), even if no choice is offered now.
    has_choices: bool
    label: str
    hint: str
    #: The choices offered now (after ``choice_filter``), as (name, label).
    choices: tuple[tuple[str, str], ...]
    #: The answer as stored text ('' for no answer).
    value: str
    relevant: bool
    required: bool
    read_only: bool
    #: What is wrong with the answer now, if anything (including "required" when empty).
    problem: Problem | None

    def parameter(self, key: str, default: str | None = None) -> str | None:
        return next((v for k, v in self.parameters if k == key), default)


@dataclass(frozen=True, slots=True)
class RepeatPosition:
    """Where a screen inside a repeat instance stands: the heading's "Visit 2 of 3"."""

    slot_path: str
    label: str
    index: int
    total: int

    @property
    def heading(self) -> str:
        return f"{self.label} {self.index} of {self.total}"


@dataclass(frozen=True, slots=True)
class RepeatInstance:
    """One entry on a repeat's closing screen."""

    path: str  # ``visit[2]``
    index: int
    #: The instance's first answered text, to tell instances apart ("…" when none).
    name: str


@dataclass(frozen=True, slots=True)
class ScreenValue:
    """One step of the form: a question, a field-list group, or a repeat's closing screen."""

    key: str
    kind: str  # "field" | "group" | "repeat"
    fields: tuple[str, ...]
    element: str
    relevant: bool
    #: The group's or repeat's label ('' for a single question).
    title: str
    #: The questions on the screen, in form order (relevant or not: they may come back).
    questions: tuple[QuestionValue, ...]
    #: Inside a repeat instance (and not its closing screen): which one.
    position: RepeatPosition | None
    #: A repeat's closing screen: the instances entered so far.
    instances: tuple[RepeatInstance, ...]
    #: The repeat of a closing screen (``visit`` for ``visit/*``), else ''.
    slot_path: str
    has_previous: bool
    has_next: bool
    #: The top-level section the screen belongs to (`INTRODUCTION` before the first).
    section: str
    #: The section's label (interview-style forms only, else '').
    section_title: str
    #: An interview's open question (one multi-line text): drawn with the notes layout.
    open_question: bool = False
    #: A single question's screen inside a group (not a field-list): the group's label,
    #: so the screen says which part of the form it is in ('' otherwise).
    group_title: str = ""

    def question(self, path: str) -> QuestionValue | None:
        return next((q for q in self.questions if q.path == path), None)


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """A line of the question index: a section heading or a question to jump to."""

    path: str
    label: str
    state: str
    depth: int = 0
    current: bool = False
    #: A question that must be answered before finalising (the review tells
    #: unanswered required questions from optional ones).
    required: bool = False


@dataclass(frozen=True, slots=True)
class SectionEntry:
    """An interview section with how far it has got."""

    key: str  # top-level group name (`INTRODUCTION` for the questions before the first)
    first_screen: str
    title: str
    answered: int
    total: int
    current: bool


@dataclass(frozen=True, slots=True)
class FormView:
    """Everything a filler draws, read at one moment from one record."""

    #: The screen the interviewer is on (None before the first one is found).
    screen: ScreenValue | None
    languages: tuple[str, ...]
    language: str | None
    #: (answered, total) questions that take an answer and are relevant now.
    answered: int
    total: int
    index: tuple[IndexEntry, ...]
    #: Interview-style forms only (else empty).
    sections: tuple[SectionEntry, ...]
    #: Interview-style forms: the section's key-quote question shown beside an open question.
    key_quote: QuestionValue | None
    #: Every problem stopping finalise; read only when asked for (None when not).
    problems: tuple[Problem, ...] | None
    #: Interview-style forms: the participant has agreed to be recorded (the form's
    #: ``consent_recording`` question is answered "yes"; see `RECORDING_CONSENT`).
    recording_consent: bool = False


@dataclass(frozen=True, slots=True)
class Moved:
    """The outcome of a move: ``refused`` (the screen's problems), ``moved``, or ``end``
    (Next on the last screen)."""

    outcome: str
    problems: tuple[Problem, ...] = ()
