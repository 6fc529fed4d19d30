"""Places in a JSON document, for the fuzz tests that mutate manifests, packs and
acknowledgements one value at a time."""

from __future__ import annotations

from typing import Any


def json_paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document (the root excluded)."""
    found: list[tuple[Any, ...]] = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(
        doc, list) else ()
    for key, value in items:
        found.append((*prefix, key))
        found.extend(json_paths(value, (*prefix, key)))
    return found


def json_replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    """``doc`` with the value at ``path`` replaced (a copy; ``doc`` is not changed)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        return {**doc, head: json_replaced(doc[head], rest, value)}
    out = list(doc)
    out[head] = json_replaced(doc[head], rest, value)
    return out
