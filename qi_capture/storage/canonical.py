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

import orjson

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


def canonical_json(value: JsonValue, *, checked: bool = False) -> str:
    """``checked``: the caller built ``value`` from validated, typed fields (no NaN, no
    non-JSON types), so the walk that refuses those can be skipped."""
    if not checked:
        _check(value, "")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


class _FloatSeen(Exception):
    """Raised by the decoder's float hook: the fast path does not handle floats."""


def _no_float(_text: str) -> float:
    raise _FloatSeen()


_FAST_DECODER = json.JSONDecoder(parse_float=_no_float, parse_constant=_no_constant)


def decode_canonical(data: bytes) -> JsonValue:
    """The value whose canonical JSON is exactly ``data``; `ValueError` if ``data`` is
    not canonical JSON (not UTF-8, not JSON, NaN, whitespace, unsorted keys...).

    Fast path, for a value without floats: `json`'s decoder, then orjson re-encodes it
    (several times faster than `json`'s encoder; for text, integers and structure it
    writes exactly what `canonical_json` writes, and a test holds it to that). orjson
    writes some floats differently (``0.00001`` for ``1e-05``), so a value with a float,
    and anything the fast path does not accept, takes the exact definition."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8: {exc}") from None
    try:
        value: JsonValue = _FAST_DECODER.decode(text)
        if orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == data:
            return value
    except (_FloatSeen, orjson.JSONEncodeError):
        pass
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    try:
        value = json.loads(text, parse_constant=_no_constant)
        canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                               allow_nan=False).encode("utf-8")
    except (UnicodeError, ValueError, RecursionError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if canonical != data:
        raise ValueError("not canonical JSON")
    return value


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
