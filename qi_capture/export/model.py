"""What an export reads (structural types, so `qi_capture.central` and any other source
can feed it without either importing the other) and the column model it builds from
every version of a form."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from qi_capture.forms.model import Choice, Element, Form
from qi_capture.storage.canonical import JsonValue

#: Element types that hold no answer of their own.
NO_VALUE_TYPES = frozenset({"note"})
SELECT_TYPES = frozenset({"select_one", "select_multiple"})
NUMERIC_TYPES = frozenset({"integer", "decimal", "range"})


class RecordLike(Protocol):
    """One record as an export sees it (`qi_capture.central.dto.ExportRecord` fits)."""

    @property
    def record_id(self) -> uuid.UUID: ...
    @property
    def device_id(self) -> uuid.UUID: ...
    @property
    def interviewer(self) -> str: ...
    @property
    def form_version(self) -> str: ...
    @property
    def review_status(self) -> str: ...
    @property
    def submitted(self) -> str: ...
    @property
    def updated(self) -> str: ...
    @property
    def revision_id(self) -> str: ...
    @property
    def in_conflict(self) -> bool: ...
    @property
    def deleted(self) -> bool: ...
    @property
    def answers(self) -> Mapping[str, JsonValue]: ...


class RecordBatchLike(Protocol):
    """Records column by column (`qi_capture.central.dto.ExportBatch` fits): the fields
    of `RecordLike` in lists of one length, ids as their canonical text."""

    @property
    def record_ids(self) -> Sequence[str]: ...
    @property
    def device_ids(self) -> Sequence[str]: ...
    @property
    def interviewers(self) -> Sequence[str]: ...
    @property
    def form_versions(self) -> Sequence[str]: ...
    @property
    def review_statuses(self) -> Sequence[str]: ...
    @property
    def submitted(self) -> Sequence[str]: ...
    @property
    def updated(self) -> Sequence[str]: ...
    @property
    def revision_ids(self) -> Sequence[str]: ...
    @property
    def in_conflict(self) -> Sequence[bool]: ...
    @property
    def deleted(self) -> Sequence[bool]: ...
    @property
    def answers(self) -> Sequence[Mapping[str, JsonValue]]: ...


class ParadataLike(Protocol):
    @property
    def record_id(self) -> uuid.UUID: ...
    @property
    def device_id(self) -> uuid.UUID: ...
    @property
    def seq(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def session_id(self) -> uuid.UUID: ...
    @property
    def session_started_at(self) -> str: ...
    @property
    def elapsed_ms(self) -> int: ...
    @property
    def payload_json(self) -> str: ...


#: Metadata columns of the main table, in order: (name, label, value type).
META_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("record_id", "Record id", "text"),
    ("device_id", "Device id", "text"),
    ("interviewer", "Interviewer", "text"),
    ("form_version", "Form version", "text"),
    ("review_status", "Review status", "text"),
    ("submitted", "Submitted (UTC)", "datetime"),
    ("updated", "Last changed (UTC)", "datetime"),
    ("revision_id", "Revision shown", "text"),
    ("in_conflict", "In conflict (winner shown)", "flag"),
)
#: Key columns of a repeat table.
REPEAT_KEYS: tuple[tuple[str, str, str], ...] = (
    ("record_id", "Record id", "text"),
    ("parent_index", "Index of the parent repeat instance (empty: the record)", "integer"),
    ("index", "Index of this instance (from 1)", "integer"),
)
#: Columns of the audit-log table.
AUDIT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("record_id", "Record id", "text"),
    ("device_id", "Device id", "text"),
    ("seq", "Event number on the device", "integer"),
    ("kind", "Event kind", "text"),
    ("session_id", "Session id", "text"),
    ("session_started_at", "Session started (UTC)", "datetime"),
    ("elapsed_ms", "Milliseconds since the session started", "integer"),
    ("payload", "Event details (JSON)", "text"),
)

#: Value types of columns: how each is typed in every format.
VALUE_TYPES = (
    "text", "integer", "decimal", "date", "time", "datetime", "select_one",
    "select_multiple", "flag",
)
#: Internal keys of metadata and key columns start with "@", which no XLSForm name holds;
#: a choice column's key is "<field path>#<choice>" ("#" cannot occur in a path either).
META_PREFIX = "@"

_NUMERIC_FUNCTIONS = frozenset(
    {"sum", "count", "number", "int", "round", "pow", "abs", "floor", "ceiling", "count-selected",
     "min", "max", "log", "log10", "exp", "exp10", "sqrt", "sin", "cos", "tan", "asin", "acos",
     "atan", "atan2", "pi", "decimal-date-time", "decimal-time", "string-length",
     "count-non-empty", "position", "random", "area", "distance"}
)


def _numeric_expression(source: str) -> bool:
    """Whether a calculation always gives a number: arithmetic, a number literal, a numeric
    function, or ``if``/``coalesce`` whose every branch is one of those."""
    from qi_capture.forms.expressions import ExpressionError, ast, parse

    try:
        tree = parse(source).tree
    except ExpressionError:
        return False

    def numeric(node: ast.Node) -> bool:
        if isinstance(node, ast.Number | ast.Unary):
            return True
        if isinstance(node, ast.Binary):
            return node.op in ("+", "-", "*", "div", "mod")
        if isinstance(node, ast.Call):
            if node.name in _NUMERIC_FUNCTIONS:
                return True
            if node.name == "if" and len(node.args) == 3:
                return numeric(node.args[1]) and numeric(node.args[2])
        return False

    return numeric(tree)


def value_type(element: Element) -> str:
    """How a question's answers are typed in the exported files."""
    if element.type == "select_one":
        return "select_one"
    if element.type == "select_multiple":
        return "select_multiple"
    data_type = element.data_type
    if data_type == "int":
        return "integer"
    if data_type == "decimal":
        return "decimal"
    if data_type in ("date", "time"):
        return data_type
    if data_type == "dateTime":
        return "datetime"
    calculation = element.calculation
    numeric = calculation is not None and _numeric_expression(calculation.source)
    return "decimal" if numeric and element.type in ("calculate", "hidden") else "text"


@dataclass
class Column:
    """One output column: metadata, a question, or one 0/1 column of a select_multiple
    choice."""

    #: Internal key, unique within the table whatever the form's names.
    key: str
    #: The form's name (a question's name; for a choice column its choice's name).
    name: str
    label: str
    element: Element | None
    kind: str  # "meta", "key", "value", "choice"
    vtype: str
    #: For "choice": the choice's name; for selects: the list of choices (code order).
    choice: str | None = None
    choices: tuple[Choice, ...] = ()
    versions: list[str] = field(default_factory=list)
    #: For "choice": the question's label and the choice's label, apart.
    question_label: str = ""
    choice_label: str = ""
    #: Relevance conditions (expression sources) from the question up to its table's
    #: row (its own, its groups'): all true, or none, means the question was asked.
    gates: tuple[str, ...] = ()

    @property
    def type(self) -> str:
        return self.element.type if self.element is not None else self.kind

    @property
    def path(self) -> str:
        return "/".join(self.element.path) if self.element is not None else ""

    @property
    def likert(self) -> bool:
        return self.element is not None and "likert" in self.element.appearance


@dataclass
class Table:
    """The main table, one repeat's table, or the audit log."""

    name: str
    #: Element path of the repeat (empty for the main table and the audit log).
    repeat: tuple[str, ...]
    columns: list[Column]

    def column_keys(self) -> list[str]:
        return [c.key for c in self.columns]


@dataclass
class Layout:
    form_id: str
    title: str
    versions: list[str]
    tables: dict[tuple[str, ...], Table]
    #: Element path -> the element (latest version wins).
    elements: dict[tuple[str, ...], Element]
    #: Element path -> path of its nearest enclosing repeat (() for the main table).
    container: dict[tuple[str, ...], tuple[str, ...]]
    repeats: set[tuple[str, ...]]


def _text(element: Element, language: str | None) -> str:
    if element.label is not None:
        value = element.label.get(language)
        if value:
            return value
    return element.name


def choice_label(choice: Choice, language: str | None) -> str:
    if choice.label is not None:
        value = choice.label.get(language)
        if value:
            return value
    return choice.name


def meta_columns(spec: tuple[tuple[str, str, str], ...], kind: str) -> list[Column]:
    return [Column(META_PREFIX + n, n, lbl, None, kind, vt) for n, lbl, vt in spec]


def audit_table(form_id: str) -> Table:
    return Table(f"{form_id}-audit", (), meta_columns(AUDIT_COLUMNS, "meta"))


def build_layout(forms: Sequence[Form], language: str | None) -> Layout:
    """Columns for every field of every version, in form order of the version that
    introduced it; the latest version's labels and choices (plus choices only older
    versions had) win. Deleted questions keep their columns."""
    if not forms:
        raise ValueError("no form version to export")
    elements: dict[tuple[str, ...], Element] = {}
    order: list[tuple[str, ...]] = []
    repeats: set[tuple[str, ...]] = set()
    choices: dict[tuple[str, ...], dict[str, Choice]] = {}
    seen_in: dict[tuple[str, ...], list[str]] = {}
    for form in forms:
        for element in form.elements():
            if element.kind == "repeat":
                repeats.add(element.path)
            if element.path not in elements:
                order.append(element.path)
            elements[element.path] = element
            seen_in.setdefault(element.path, []).append(form.version)
            if element.type in SELECT_TYPES and element.list_name:
                merged = choices.setdefault(element.path, {})
                newest = {c.name: c for c in form.choices(element.list_name)}
                merged.update(newest)
    container = {
        path: max((r for r in repeats if path[: len(r)] == r and path != r), key=len, default=())
        for path in order
    }
    tables: dict[tuple[str, ...], Table] = {
        (): Table(forms[-1].form_id, (), meta_columns(META_COLUMNS, "meta"))
    }
    for path in order:
        if path in repeats:
            tables[path] = Table(
                f"{forms[-1].form_id}-{path[-1]}", path, meta_columns(REPEAT_KEYS, "key")
            )
    for path in order:
        element = elements[path]
        if element.kind != "field" or element.type in NO_VALUE_TYPES:
            continue
        home = container[path]
        table = tables[home]
        gates = tuple(
            elements[path[:n]].relevant.source  # type: ignore[union-attr]
            for n in range(len(path), len(home), -1)
            if path[:n] in elements and elements[path[:n]].relevant is not None
        )
        label = _text(element, language)
        opts = tuple(choices.get(path, {}).values())
        key = "/".join(path)
        table.columns.append(
            Column(key, element.name, label, element, "value", value_type(element),
                   choices=opts, versions=seen_in[path], gates=gates)
        )
        if element.type == "select_multiple":
            for c in opts:
                text = choice_label(c, language)
                table.columns.append(
                    Column(
                        f"{key}#{c.name}",
                        c.name,
                        f"{label}: {text}",
                        element,
                        "choice",
                        "flag",
                        choice=c.name,
                        versions=seen_in[path],
                        question_label=label,
                        choice_label=text,
                        gates=gates,
                    )
                )
    return Layout(
        forms[-1].form_id,
        forms[-1].title,
        [f.version for f in forms],
        tables,
        elements,
        container,
        repeats,
    )


_INDEXED = re.compile(r"^(?P<name>[^\[\]/]+)\[(?P<index>\d+)\]$")


def split_path(path: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """``household[2]/member[1]/age`` -> (("household", "member", "age"), (2, 1))."""
    names: list[str] = []
    indices: list[int] = []
    for part in path.strip("/").split("/"):
        match = _INDEXED.match(part)
        if match is not None:
            names.append(match["name"])
            indices.append(int(match["index"]))
        else:
            names.append(part)
    return tuple(names), tuple(indices)
