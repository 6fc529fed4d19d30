"""Every case of ../shared/acceptance/expressions.jsonl (JavaRosa, Web Forms and ODK docs).

Read at test time from beside the project (never copied: licences vary). Non-divergent
cases must give ``expected``; divergent cases (``divergent: true``) give the JavaRosa / ODK
Collect value. Where that is not the recorded ``expected`` the case is listed in
``JAVAROSA_CHOICES`` with the reason, and its test id says so.

Time zones, as the notes say: JavaRosa's date cases ran in GMT and Web Forms' in
America/Phoenix (UTC-7, no DST); ``ctx.now()`` is pinned in that zone, which is the device
time zone the date functions use.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pytest

from qi_capture.forms.expressions import ExpressionError, evaluate, to_boolean, to_number
from qi_capture.forms.expressions.coerce import to_string
from qi_capture.forms.expressions.datetimes import parse_datetime
from tests import needs

JSONL = needs.ACCEPTANCE_DIR / "expressions.jsonl"
#: Every test here reads the corpus: without ../shared they skip (see tests/needs.py).
pytestmark = pytest.mark.needs_shared

GMT = dt.UTC
PHOENIX = dt.timezone(dt.timedelta(hours=-7), "America/Phoenix")

#: (expr, context as JSON) -> (the JavaRosa value we assert instead of ``expected``, why).
JAVAROSA_CHOICES: dict[tuple[str, str], tuple[Any, str]] = {
    ('regex(${node}, "[0-9]{3}")', '{"node": "1234"}'): (
        False,
        "javarosa-regex-whole-match: JavaRosa uses Pattern.matches (whole string); the "
        "recorded true is Web Forms' search semantics",
    ),
    ("round(-1.5)", "{}"): (
        -1,
        "javarosa-round-half-toward-zero-for-negatives: JavaRosa rounds the decimal text "
        "HALF_DOWN for negative numbers (round(-0.5) = -0, round('-12345.15', 1) = -12345.1); "
        "the recorded -2 is Web Forms' half-away-from-zero, not marked divergent",
    ),
}


def _load() -> list[dict[str, Any]]:
    if not JSONL.is_file():
        # One stand-in case, so the test is collected and skips (or, where the corpus is
        # required, fails) saying the corpus is missing.
        return [{"expr": "missing", "context": {}, "type": "missing", "expected": None}]
    with JSONL.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


CASES = _load()


def _key(case: dict[str, Any]) -> tuple[str, str]:
    return case["expr"], json.dumps(case["context"], sort_keys=True)


def _id(index: int, case: dict[str, Any]) -> str:
    tag = ""
    if _key(case) in JAVAROSA_CHOICES:
        tag = "-" + JAVAROSA_CHOICES[_key(case)][1].split(":")[0]
    elif case.get("divergent"):
        tag = "-divergent-javarosa"
    return f"{index:03d}{tag}-{case['expr'][:50]}"


def _zone(case: dict[str, Any]) -> dt.tzinfo:
    note = case.get("note", "")
    if "America/Phoenix" in note:
        return PHOENIX
    return GMT


def _expected_number(expected: Any) -> float:
    if isinstance(expected, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[expected]
    return float(expected)


def _same_number(actual: float, expected: float) -> bool:
    if math.isnan(expected):
        return math.isnan(actual)
    if math.isinf(expected):
        return actual == expected
    return actual == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("case", CASES, ids=[_id(i, c) for i, c in enumerate(CASES, 1)])
def test_acceptance_case(case: dict[str, Any]) -> None:
    tz = _zone(case)
    now = dt.datetime(2024, 6, 15, 12, 30, tzinfo=tz)
    expected = case["expected"]
    kind = case["type"]
    override = JAVAROSA_CHOICES.get(_key(case))
    if override is not None:
        expected = override[0]
    if kind == "error" and override is None:
        with pytest.raises(ExpressionError):
            evaluate(case["expr"], case["context"], now=now)
        return
    result = evaluate(case["expr"], case["context"], now=now)
    if kind == "number":
        assert _same_number(to_number(result), _expected_number(expected)), result  # type: ignore[arg-type]
    elif kind == "string":
        assert to_string(result) == expected  # type: ignore[arg-type]
    elif kind == "boolean":
        assert isinstance(result, bool)
        assert result is expected
    elif kind == "date":
        assert type(result) is dt.date
        assert result.isoformat() == expected
    elif kind == "dateTime":
        assert isinstance(result, dt.datetime)
        wanted = parse_datetime(expected, tz)
        assert wanted is not None
        assert result == wanted
    else:  # pragma: no cover - a new type in the corpus
        pytest.fail(f"unknown case type {kind!r}")
    assert to_boolean(result) is not None  # every value converts  # type: ignore[arg-type]


def test_corpus_has_every_case() -> None:
    assert len(CASES) == 198
    assert all(_key(c) in {_key(x) for x in CASES} for c in CASES)
