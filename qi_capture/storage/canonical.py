"""Canonical JSON and revision ids, as SECURITY.md defines them.

Canonical JSON: keys sorted, no whitespace, UTF-8 (non-ASCII kept as is), no NaN or
infinity. ``revision_id = SHA-256(canonical JSON of the revision)`` in lower-case hex.
Bundles and the central store recompute it, so this must never change for schema 1.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import TypeAlias

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"


def _check(value: object, where: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: NaN and infinity have no JSON form")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{where}: object keys must be text")
            _check(v, f"{where}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check(v, f"{where}[{i}]")
    elif value is not None and not isinstance(value, bool | int | float | str):
        raise ValueError(f"{where}: {type(value).__name__} is not a JSON value")


def canonical_json(value: JsonValue) -> str:
    _check(value, "")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def revision_id(canonical: str) -> str:
    return sha256_hex(canonical.encode("utf-8"))


def dumps(value: JsonValue) -> str:
    """Compact JSON for storage columns (canonical, so equal values store equal text)."""
    return canonical_json(value)


def loads(text: str | None) -> JsonValue:
    if text is None:
        return None
    result: JsonValue = json.loads(text)
    return result
