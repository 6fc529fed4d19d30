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


#: Metadata columns of the main table, in order, with their labels.
META_COLUMNS: tuple[tuple[str, str], ...] = (
    ("record_id", "Record id"),
    ("device_id", "Device id"),
    ("interviewer", "Interviewer"),
    ("form_version", "Form version"),
    ("review_status", "Review status"),
    ("submitted", "Submitted (UTC)"),
    ("updated", "Last changed (UTC)"),
    ("revision_id", "Revision shown"),
    ("in_conflict", "In conflict (winner shown)"),
)
#: Key columns of a repeat table.
REPEAT_KEYS: tuple[tuple[str, str], ...] = (
    ("record_id", "Record id"),
    ("parent_index", "Index of the parent repeat instance (empty: the record)"),
    ("index", "Index of this instance (from 1)"),
)


@dataclass
class Column:
    """One output column: a question, or one 0/1 column of a select_multiple choice."""

    name: str
    label: str
    element: Element | None
    kind: str  # "meta", "key", "value", "choice"
    #: For "choice": the choice's name; for selects: the list of choices (code order).
    choice: str | None = None
    choices: tuple[Choice, ...] = ()
    versions: list[str] = field(default_factory=list)

    @property
    def type(self) -> str:
        return self.element.type if self.element is not None else self.kind


@dataclass
class Table:
    """The main table or one repeat's table."""

    name: str
    #: Element path of the repeat (empty for the main table).
    repeat: tuple[str, ...]
    columns: list[Column]

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


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
        (): Table(forms[-1].form_id, (), [Column(n, lbl, None, "meta") for n, lbl in META_COLUMNS])
    }
    for path in order:
        if path in repeats:
            tables[path] = Table(
                f"{forms[-1].form_id}-{path[-1]}",
                path,
                [Column(n, lbl, None, "key") for n, lbl in REPEAT_KEYS],
            )
    for path in order:
        element = elements[path]
        if element.kind != "field" or element.type in NO_VALUE_TYPES:
            continue
        table = tables[container[path]]
        label = _text(element, language)
        opts = tuple(choices.get(path, {}).values())
        table.columns.append(
            Column(element.name, label, element, "value", choices=opts, versions=seen_in[path])
        )
        if element.type == "select_multiple":
            for c in opts:
                table.columns.append(
                    Column(
                        f"{element.name}_{c.name}",
                        f"{label}: {choice_label(c, language)}",
                        element,
                        "choice",
                        choice=c.name,
                        versions=seen_in[path],
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
