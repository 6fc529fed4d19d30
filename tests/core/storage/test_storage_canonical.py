"""`decode_canonical` (the fast reader of canonical JSON bundles and merges use) always
gives the answer of the definition: decode with `json`, re-encode with `canonical_json`,
accept only identical bytes. Floats are where orjson and `json` write differently."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qi_capture.storage.canonical import JsonValue, canonical_json, decode_canonical

scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e-05, 1e-06, 1e-07, 1e-08, 1e-09, 1.5e-05, 1e16, 1e-4, 0.0, -0.0])
    | st.text(st.characters(exclude_categories=["Cs"]))
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=5),
    max_leaves=30,
)


def definition(data: bytes) -> tuple[bool, JsonValue]:
    """(whether ``data`` is canonical JSON, its value), by the definition."""
    try:
        value = json.loads(data.decode("utf-8"),
                           parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
        return canonical_json(value).encode("utf-8") == data, value
    except (UnicodeError, ValueError, RecursionError):
        return False, None


def same(a: object, b: object) -> bool:
    # Equal as JSON values, with -0.0 and 0.0 told apart (they encode differently).
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def agrees(data: bytes) -> None:
    canonical, expected = definition(data)
    if not canonical:
        with pytest.raises(ValueError):
            decode_canonical(data)
    else:
        assert same(decode_canonical(data), expected)


@settings(max_examples=400, deadline=None)
@given(values)
def test_canonical_bytes_decode_to_their_value(value: JsonValue) -> None:
    data = canonical_json(value).encode("utf-8")
    assert same(decode_canonical(data), value)


@settings(max_examples=400, deadline=None)
@given(values, st.sampled_from(["ascii", "unsorted", "spaced", "orjson"]))
def test_other_encodings_get_the_definitions_answer(value: JsonValue, style: str) -> None:
    if style == "ascii":
        data = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    elif style == "unsorted":
        data = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    elif style == "spaced":
        data = json.dumps(value, sort_keys=True, ensure_ascii=False).encode()
    else:
        import orjson

        try:
            data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            return
    agrees(data)


@pytest.mark.parametrize("data", [
    b"[0.00001]", b"[1e-6]", b"[1E-05]", b"[1e-05]", b"[1.0]", b"[1]", b"[-0]", b"[01]",
    b'{"b":1,"a":2}', b'{"a":1,"a":2}', b'{"a": 1}', b"NaN", b"[Infinity]", b'"\\ud800"',
    b'"\\u00e9"', '"é"'.encode(), b'"\\u001f"', b'"\\u001F"', b'"\\/"', b"\xff", b"",
    b"[18446744073709551616]", b"[1e400]", b"{}", b"[]", b"null", b" null",
])
def test_edge_cases_get_the_definitions_answer(data: bytes) -> None:
    agrees(data)
