"""The values of thematic coding, as the services hand them out: frozen, never ORM rows.

A *passage* is a span of characters ``[start, end)`` of one text answer (its *field*,
named by its answer path, e.g. ``barriers/barriers_main``) of one interview record, as
it reads in the record's displayed revision (``revision``). A passage may
instead be a stretch of the interview's recording (an *audio passage*: field
`RECORDING_FIELD`, ``start_ms``/``end_ms`` in milliseconds). A *coding* applies one code
to one passage, made by one coder; several codings (codes, coders) may share a passage.
Positions count Unicode code points (Python string indices), as REFI-QDA's do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

#: Who made a coding: typed into a note in the field (a quick tag), or an analyst.
ORIGINS = ("field", "analyst")
#: The coder of every coding made from the field's quick tags.
FIELD_CODER = "field"
#: The field of a passage that is a stretch of the interview's recording rather than
#: text (its place is ``start_ms``/``end_ms``; ``start``/``end`` stay 0, ``text`` empty).
#: Brackets: no form's answer path has them, and no spreadsheet reads them as a formula.
RECORDING_FIELD = "(recording)"
#: What a study's coding can be exported as (`CodingDesk.export`).
EXCHANGE_FORMATS = ("qdpx", "qdc", "csv", "codebook-csv")


@dataclass(frozen=True)
class Code:
    """A theme in the codebook. ``parent``: the code it sits under (None: top level);
    ``retired``: kept (with its codings) but offered no more; ``merged_into``: the code
    that took its codings; ``tag``: the quick tag (without ``#``) it was seeded from."""

    guid: uuid.UUID
    name: str
    description: str = ""
    colour: str = "#808080"
    parent: uuid.UUID | None = None
    retired: bool = False
    merged_into: uuid.UUID | None = None
    tag: str | None = None


@dataclass(frozen=True)
class CodeNode:
    """A code in the codebook tree with its counts (codings not undone, in the study)
    and its children (by name)."""

    code: Code
    codings: int
    interviews: int
    children: tuple[CodeNode, ...] = ()


@dataclass(frozen=True)
class Coder:
    guid: uuid.UUID
    name: str


@dataclass(frozen=True)
class Coding:
    """One code on one passage. ``passage``: the passage's guid (shared by the codings on
    the same span); ``text``: the passage's words as coded; ``flagged``: the text under it
    changed in a later revision and it waits for review; ``confirmed``: an analyst
    accepted a coding from the field."""

    guid: uuid.UUID
    passage: uuid.UUID
    record_id: uuid.UUID
    field: str
    revision: str
    start: int
    end: int
    text: str
    code: uuid.UUID
    coder: str
    origin: str
    confirmed: bool
    flagged: bool
    memo: str | None = None
    #: An audio passage: the stretch of the recording, in milliseconds (None: text).
    start_ms: int | None = None
    end_ms: int | None = None

    @property
    def audio(self) -> bool:
        """The passage is a stretch of the recording, not of a text answer."""
        return self.start_ms is not None


@dataclass(frozen=True)
class Memo:
    """A memo on a code (``code`` set) or on a passage (``passage`` set)."""

    guid: uuid.UUID
    text: str
    author: str
    code: uuid.UUID | None = None
    passage: uuid.UUID | None = None


@dataclass(frozen=True)
class TranscriptItem:
    """One question of an interview, with the text answered (a note or a key quote) and
    its field path; ``quote``: a key quote field."""

    field: str
    question: str
    text: str
    quote: bool


@dataclass(frozen=True)
class TranscriptSection:
    title: str
    items: tuple[TranscriptItem, ...]


@dataclass(frozen=True)
class Transcript:
    """One interview as a transcript: its sections in form order, the current
    (displayed) revision every field's text is from, and the codings on it."""

    record_id: uuid.UUID
    name: str
    revision: str
    group: str | None
    footprint: str | None
    sections: tuple[TranscriptSection, ...]
    codings: tuple[Coding, ...]


@dataclass(frozen=True)
class InterviewRef:
    """An interview in a list: its id, display name, group and footprint (labels)."""

    record_id: uuid.UUID
    name: str
    group: str | None
    footprint: str | None
    review_status: str


@dataclass(frozen=True)
class CodedPassage:
    """A coded passage as a code's page lists it: the coding and where it sits."""

    coding: Coding
    interview: str
    section: str
    question: str
    group: str | None
    footprint: str | None


@dataclass(frozen=True)
class CodeAgreement:
    """Agreement of two coders on one code over the units both coded (see
    `qi_capture.coding.agreement`): ``both``/``only_a``/``only_b``/``neither`` units."""

    code: uuid.UUID
    name: str
    units: int
    both: int
    only_a: int
    only_b: int
    neither: int
    percent: float
    kappa: float | None


@dataclass(frozen=True)
class Difference:
    """A unit (one field of one interview) where one coder applied the code and the
    other did not, with each coder's codings there (side by side, to settle)."""

    code: uuid.UUID
    record_id: uuid.UUID
    field: str
    text: str
    codings_a: tuple[Coding, ...]
    codings_b: tuple[Coding, ...]


@dataclass(frozen=True)
class Agreement:
    coder_a: str
    coder_b: str
    #: The interviews both coders coded (the units are their fields).
    interviews: int
    units: int
    codes: tuple[CodeAgreement, ...]
    differences: tuple[Difference, ...]


@dataclass(frozen=True)
class MatrixCell:
    """Interviews mentioning a code in one group: ``count`` None when suppressed (from 1
    to min_cell - 1); ``quotes`` empty then too."""

    group: str
    count: int | None
    suppressed: bool
    quotes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MatrixRow:
    code: Code
    total: int | None
    cells: tuple[MatrixCell, ...]


@dataclass(frozen=True)
class Matrix:
    """Codes by stakeholder group or by footprint (``by``), counting the interviews
    mentioning each code, under disclosure control (``min_cell``)."""

    by: str
    groups: tuple[str, ...]
    rows: tuple[MatrixRow, ...]
    interviews: int
    min_cell: int
    suppressed: int


@dataclass(frozen=True)
class ExchangeResult:
    """What an export wrote or an import brought in (counts only)."""

    path: str
    codes: int
    codings: int
    memos: int
    sources: int
    new_codes: int = 0
    new_codings: int = 0


@dataclass(frozen=True)
class ThemeQuote:
    text: str
    record_id: uuid.UUID
    section: str
    #: The answer's field path (``group/name``), the report's column key.
    field: str = ""


@dataclass(frozen=True)
class CodeTheme:
    """A code as the report's "What we heard" can use it: the interviews mentioning it
    (record ids, for the report to count and break down under its own disclosure
    control) and its quotes (coded key-quote passages, tags taken out, only where the
    participant agreed to quotes)."""

    code: Code
    path: str
    records: frozenset[uuid.UUID]
    quotes: tuple[ThemeQuote, ...]
    #: Every coded passage under the code (tags taken out), for counting, never quoting.
    passages: tuple[ThemeQuote, ...] = ()
