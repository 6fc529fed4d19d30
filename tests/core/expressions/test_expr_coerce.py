"""Type conversion and comparison (FORMS.md section 7) and what calculations store."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import pytest

from qi_capture.forms.expressions import to_boolean, to_number, to_stored, to_string
from qi_capture.forms.expressions.coerce import format_number

Ev = Callable[..., object]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", math.nan),
        ("  ", math.nan),
        (" 12 ", 12.0),
        ("-12.5", -12.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("-", math.nan),
        (".", math.nan),
        ("+1", math.nan),
        ("1e3", math.nan),
        ("Infinity", math.nan),
        ("NaN", math.nan),
        ("0x10", math.nan),
        ("1 000", math.nan),
        ("4,6", 4.6),  # JavaRosa reads a comma as the decimal point
        ("١٢", math.nan),  # only ASCII digits
        ("\t\n 3 \r", 3.0),
        ("2008-09-05", 14127.0),
        ("1970-1-2", 1.0),
        ("1970-01-01T12:00:00Z", 0.5),
        ("1970-01-01T12:00:00+12:00", 0.0),
        ("2021-02-30", math.nan),
        (True, 1.0),
        (False, 0.0),
        (2.5, 2.5),
        (dt.date(1970, 1, 11), 10.0),
        (dt.datetime(1970, 1, 2, 6, tzinfo=dt.UTC), 1.25),
        ([], math.nan),
        (None, math.nan),
        (7, 7.0),
    ],
)
def test_to_number(value: object, expected: float) -> None:
    result = to_number(value)
    if math.isnan(expected):
        assert math.isnan(result)
    else:
        assert result == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, "1"),
        (-0.0, "0"),
        (123456.0, "123456"),
        (0.5, "0.5"),
        (-12345.6789, "-12345.6789"),
        (1e21, "1000000000000000000000"),
        (1.5e-7, "0.00000015"),
        (1e-13, "0"),  # JavaRosa: within 1e-12 of zero
        (0.1 * 3, "0.30000000000000004"),
        (0.1 * 30, "3"),  # JavaRosa: within 1e-12 of an integer
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        (2.0**60, "1152921504606847000"),  # shortest round-trip digits
    ],
)
def test_format_number(value: float, expected: str) -> None:
    assert format_number(value) == expected
    assert "e" not in format_number(value).lower().replace("infinity", "")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("x", "x"),
        (True, "true"),
        (False, "false"),
        (7.0, "7"),
        (dt.date(2024, 1, 2), "2024-01-02"),
        (
            dt.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=dt.timezone(dt.timedelta(hours=-7))),
            "2024-01-02T03:04:05.006-07:00",
        ),
        (dt.datetime(2024, 1, 2, tzinfo=dt.UTC), "2024-01-02T00:00:00.000+00:00"),
        ([], ""),
        (None, ""),
    ],
)
def test_to_string(value: object, expected: str) -> None:
    assert to_string(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, False),
        (-0.0, False),
        (math.nan, False),
        (1e-13, False),  # JavaRosa's tolerance
        (0.001, True),
        (math.inf, True),
        ("", False),
        (" ", True),
        ("false", True),
        ("0", True),
        ([], False),
        (dt.date(2020, 1, 1), True),
        (True, True),
    ],
)
def test_to_boolean(value: object, expected: bool) -> None:
    assert to_boolean(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (math.nan, ""),
        ("", ""),
        (7305.0, "7305"),
        (2.5, "2.5"),
        (True, "true"),
        (dt.date(2020, 2, 29), "2020-02-29"),
        (math.inf, "Infinity"),
    ],
)
def test_to_stored(value: object, expected: str) -> None:
    assert to_stored(value) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # booleans win, then numbers, then strings
        ("true() = 'false'", True),
        ("false() = ''", True),
        ("0 = false()", True),
        ("'0017.' = 17", True),
        ("'017.' = '17.000'", False),
        ("'abc' = 'abc'", True),
        ("1 div 0 = 1 div 0", True),
        ("0 div 0 = 0 div 0", False),
        ("0 div 0 != 0 div 0", True),
        ("0.1 + 0.2 = 0.3", True),  # JavaRosa's 1e-12 tolerance
        # relational operators always compare numbers
        ("'abc' < 'abcd'", False),
        ("'10' > '9'", True),
        ("'' < 1", False),
        ("true() > false()", True),
        ("'2020-01-02' > '2020-01-01'", True),  # date strings compare as days
        ("date('2020-01-01') = '2020-01-01'", True),  # dates compare as text with text
        ("date('2020-01-01') = 18262", True),  # and as days with numbers
        ("today() = '2024-06-15'", True),
    ],
)
def test_scalar_comparison(ev: Ev, expr: str, expected: bool) -> None:
    assert ev(expr) is expected


REPEAT = {"rep": [{"v": "1"}, {"v": "5"}, {"v": "x"}]}


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("${v} = 5", True),  # some member equals
        ("${v} = '5'", True),
        ("${v} = 7", False),
        ("${v} != 1", True),  # some member differs (not the negation of =)
        ("${v} = 'x' and ${v} != 'x'", True),
        ("${v} > 4", True),
        ("${v} < 1", False),
        ("${v} = true()", True),  # compared as boolean(node-set)
        ("${v} = ${v}", True),
        ("${v}[false()] = ''", False),  # an empty node-set equals nothing
        ("${v}[false()] != ''", False),
        ("count(${v}[. = 'x'])", None),
    ],
)
def test_node_set_comparison(ev: Ev, expr: str, expected: bool | None) -> None:
    result = ev(expr, REPEAT)
    if expected is not None:
        assert result is expected


def test_empty_values_in_math(ev: Ev) -> None:
    # FORMS.md s7 / ODK docs "Empty values in math": '' is NaN, never 0.
    assert math.isnan(ev("${a} + 1", {"a": ""}))  # type: ignore[arg-type]
    assert ev("coalesce(${a}, 0) + 1", {"a": ""}) == 1.0
    assert ev("string(${a} * 2)", {"a": ""}) == "NaN"
    assert to_stored(ev("${a} * 2", {"a": ""})) == ""


def test_stored_booleans_are_text(ev: Ev) -> None:
    assert ev("if(${flag}, 'y', 'n')", {"flag": "false"}) == "y"
    assert ev("${flag} = 'true'", {"flag": False}) is False
    assert ev("boolean-from-string(${flag})", {"flag": True}) is True


def test_arithmetic_edge_cases(ev: Ev) -> None:
    assert ev("-5 mod 3") == -2.0
    assert ev("5 mod -3") == 2.0
    assert ev("-1 div 0") == -math.inf
    assert ev("1 div -0") == -math.inf
    assert math.isnan(ev("0 div 0"))  # type: ignore[arg-type]
    assert math.isnan(ev("(1 div 0) mod 2"))  # type: ignore[arg-type]
    assert ev("5 mod (1 div 0)") == 5.0
    assert ev("'3' + '4'") == 7.0  # + never concatenates
    assert ev("- '2'") == -2.0
    assert ev("true() * 3") == 3.0
    assert ev("date('2008-09-08') - date('1983-10-06')") == 9104.0
    assert ev("${d} + 1", {"d": "2020-12-31"}) == 18628.0
