"""Where and why msgspec refused a document, in terms a document module can word.

msgspec reports one refusal per document as text such as ``Expected `int`, got `str` -
at `$.records[0].size```. `Refusal` splits that into the path (``("records", 0,
"size")``) and the kind of problem, so each document module maps a path to the
message its readers know, and `key_problem` rebuilds the "missing or unknown fields"
detail from the document itself (msgspec names only the first such field).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, overload

import msgspec

_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_STEP = re.compile(r"\.(?P<key>[A-Za-z_][A-Za-z0-9_]*)|\[(?P<index>\d+)\]")

Kind = Literal["missing", "unknown", "not_object", "value"]


@dataclass(frozen=True)
class Refusal:
    path: tuple[str | int, ...]
    kind: Kind
    detail: str


def refusal(exc: msgspec.ValidationError) -> Refusal:
    text = str(exc)
    match = _AT.search(text)
    detail = text[: match.start()] if match else text
    path: tuple[str | int, ...] = ()
    if match:
        path = tuple(
            step["key"] if step["key"] is not None else int(step["index"])
            for step in _STEP.finditer(match["path"])
        )
    kind: Kind = "value"
    if detail.startswith("Object missing required field"):
        kind = "missing"
    elif detail.startswith("Object contains unknown field"):
        kind = "unknown"
    elif detail.startswith("Expected `object`"):
        kind = "not_object"
    return Refusal(path, kind, detail)


def describe(problem: Refusal) -> str:
    """A refusal as a reader may show it: the place, then msgspec's detail (never a
    value: msgspec names types and fields only)."""
    where = ".".join(str(step) for step in problem.path)
    return f"{where}: {problem.detail}" if where else problem.detail


def value_at(doc: object, path: Iterable[str | int]) -> object:
    """The value at ``path`` in a plain decoded document (None where it is absent)."""
    for step in path:
        if isinstance(step, int) and isinstance(doc, list) and step < len(doc):
            doc = doc[step]
        elif isinstance(step, str) and isinstance(doc, dict):
            doc = doc.get(step)
        else:
            return None
    return doc


def key_problem(value: object, keys: Iterable[str]) -> tuple[list[str], list[str]]:
    """(missing, unknown) field names of the object ``value`` against ``keys``."""
    expected = set(keys)
    present = set(value) if isinstance(value, dict) else set()
    return sorted(expected - present), sorted(present - expected)


def field_names(struct: type[msgspec.Struct]) -> tuple[str, ...]:
    return tuple(f.encode_name for f in msgspec.structs.fields(struct))


T = TypeVar("T")


@overload
def convert(value: object, target: type[T]) -> T: ...
@overload
def convert(value: object, target: Any) -> Any: ...
def convert(value: object, target: Any) -> Any:
    """`msgspec.convert` of a value decoded by another JSON reader. Such a value may hold
    text with a lone surrogate (a ``\\ud800`` escape), which msgspec cannot name in its
    refusal (a `UnicodeEncodeError`): that is refused too, as a `msgspec.ValidationError`
    that names no place."""
    try:
        return msgspec.convert(value, target)
    except UnicodeEncodeError:
        raise msgspec.ValidationError("Expected text without a lone surrogate") from None
