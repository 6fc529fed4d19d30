"""Every function of FORMS.md section 6 with normal, empty and wrong-type arguments."""

from __future__ import annotations

import base64
import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import pytest

from qi_capture.forms.expressions import ExpressionError, parse
from qi_capture.forms.expressions.signatures import SIGNATURES

Ev = Callable[..., object]

NAN = math.nan
#: Must equal conftest.NOW (the ``ev`` fixture's clock).
NOW = dt.datetime(2024, 6, 15, 12, 30, 45, 123000, tzinfo=dt.UTC)
ERR = ExpressionError  # sentinel: evaluation must raise ExpressionError

REPEAT = {
    "rep": [
        {"age": "10", "pets": "1", "loc": "0 0"},
        {"age": "20", "pets": "2", "loc": "0 1"},
        {"age": "5", "pets": "", "loc": "1 1"},
    ]
}
INSTANCES = {
    "__instances__": {
        "cities": [
            {"name": "par", "label": "Paris", "country": "fr"},
            {"name": "ber", "label": "Berlin", "country": "de"},
        ]
    }
}
SQUARE = "0 0; 0 1; 1 1; 1 0; 0 0"

# (expression, values, expected). Numbers compare with a tolerance; NaN matches NaN.
CASES: list[tuple[str, dict[str, Any], Any]] = [
    # --- logic / control
    ("if(1 = 1, 'a', 'b')", {}, "a"),
    ("if('', 'a', 'b')", {}, "b"),
    # A single node is true only when answered, as in ODK Collect (JavaRosa unpacks it).
    ("if(${x}, 'a', 'b')", {"x": ""}, "b"),
    ("if(false(), date('bad'), 3)", {}, 3.0),  # the untaken branch is not evaluated
    ("not(0)", {}, True),
    ("not('')", {}, True),
    ("not('false')", {}, False),
    ("not(${x})", {"x": ""}, True),
    ("true()", {}, True),
    ("false()", {}, False),
    ("boolean(0 div 0)", {}, False),
    ("boolean(${x})", {"x": ""}, False),
    ("boolean(date('2020-01-01'))", {}, True),
    ("boolean-from-string('true')", {}, True),
    ("boolean-from-string('1')", {}, True),
    ("boolean-from-string('')", {}, False),
    ("boolean-from-string(true())", {}, True),
    ("boolean-from-string('yes')", {}, False),
    ("coalesce(${a}, ${b})", {"a": "", "b": "x"}, "x"),
    ("coalesce(${a}, 'y')", {"a": "v"}, "v"),
    ("coalesce('', '')", {}, ""),
    ("coalesce(0 div 0, 5)", {}, 5.0),
    ("coalesce(${a}, 0) + 1", {"a": ""}, 1.0),
    ("once(concat('a', 'b'))", {".": ""}, "ab"),
    ("once(1 div 0)", {".": ""}, "Infinity"),
    ("once('new')", {".": "old"}, "old"),
    ("once(random())", {".": ""}, "0.25"),
    ("checklist(-1, -1)", {}, True),
    ("checklist(2, -1, 'a', '', 1, 0)", {}, True),
    ("checklist(1, 2, ${age})", REPEAT, False),  # 3 non-empty members
    ("checklist('x', 'y', 1)", {}, False),  # NaN bounds count as 0 (Java's (int)NaN)
    ("weighted-checklist(3, 3, 1, 1, 1, 2, 0, 4)", {}, True),
    ("weighted-checklist(0, 30, ${age}, ${age})", REPEAT, False),  # 10 + 20 + 5
    ("weighted-checklist(0, 30, ${pets}, ${age})", REPEAT, True),  # 10 + 20 (3rd empty)
    ("weighted-checklist(0, 30, ${age}, ${pets})", REPEAT, False),  # an empty weight: NaN
    ("weighted-checklist(0, 1, 'x', 'not a number')", {}, False),  # NaN weight
    # --- selects
    ("selected('a b c', 'b')", {}, True),
    ("selected('a b c', ' c ')", {}, True),
    ("selected('a b c', 'a b')", {}, False),
    ("selected('', '')", {}, False),
    ("selected(${m}, 'x')", {"m": "x y"}, True),
    ("selected('1 2', ${v})", {"v": "2"}, True),
    ("selected('1 2', 1)", {}, ERR),  # JavaRosa: the value must be in quotes
    ("selected('1 2', true())", {}, ERR),
    ("is-selected('a b', 'a')", {}, True),
    ("count-selected('a  b   c')", {}, 3.0),
    ("count-selected(' ')", {}, 0.0),
    ("count-selected(12)", {}, 1.0),
    ("selected-at('a b c', 1)", {}, "b"),
    ("selected-at('a b c', 1.9)", {}, "b"),
    ("selected-at('a b c', 3)", {}, ""),
    ("selected-at('', 0)", {}, ""),
    ("selected-at('a b', 'x')", {}, "a"),  # NaN index is 0, as Java's (int)NaN
    ("jr:choice-name('x', '${q}')", {"__choice_labels__": {"q": {"x": "Ex"}}}, "Ex"),
    (
        "jr:choice-name(${q}, ' /data/q ')",
        {"q": "x", "__choice_labels__": {"q": {"x": "Ex"}}},
        "Ex",
    ),
    ("jr:choice-name('nope', '${q}')", {"__choice_labels__": {"q": {"x": "Ex"}}}, ""),
    ("jr:choice-name('', '${q}')", {}, ""),
    # --- strings
    ("concat('a', 1, true(), 0 div 0)", {}, "a1trueNaN"),
    ("concat()", {}, ""),
    ("concat(${age}, '!')", REPEAT, "10205!"),
    ("join('-', 'a', 'b')", {}, "a-b"),
    ("join(', ', ${age})", REPEAT, "10, 20, 5"),
    ("join(', ')", {}, ""),
    ("join(1, 2, 3)", {}, "213"),
    ("string(1.50)", {}, "1.5"),
    ("string(-0)", {}, "0"),
    ("string(1 div 0)", {}, "Infinity"),
    ("string(-1 div 0)", {}, "-Infinity"),
    ("string(1000000 * 1000000 * 1000000)", {}, "1000000000000000000"),
    ("string(0.000001)", {}, "0.000001"),
    ("string(true())", {}, "true"),
    ("string(${g})", {"g": {"a": "x", "b": "y"}}, "xy"),
    ("string()", {".": "self"}, "self"),
    ("string(${missing})", {}, ""),
    ("string-length('héllo')", {}, 5.0),
    ("string-length('')", {}, 0.0),
    ("string-length(12.5)", {}, 4.0),
    ("string-length()", {".": "abc"}, 3.0),
    ("substr('hello', 1)", {}, "ello"),
    ("substr('hello', -3, -1)", {}, "ll"),
    ("substr('hello', 4, 2)", {}, ""),
    ("substr('hello', 10)", {}, ""),
    ("substr('', 0, 3)", {}, ""),
    ("substr(12345, 1, 3)", {}, "23"),
    ("substr('hello', 'x')", {}, "hello"),
    ("substring-before('a-b-c', '-')", {}, "a"),
    ("substring-before('abc', 'x')", {}, ""),
    ("substring-before('abc', '')", {}, ""),
    ("substring-before(1.5, '.')", {}, "1"),
    ("substring-after('a-b-c', '-')", {}, "b-c"),
    ("substring-after('abc', 'x')", {}, ""),
    ("substring-after('', '')", {}, ""),
    ("translate('abcabc', 'ab', 'A')", {}, "AcAc"),
    ("translate('aaa', 'aa', 'xy')", {}, "xxx"),
    ("translate('', 'a', 'b')", {}, ""),
    ("translate(123, 2, 9)", {}, "193"),
    ("normalize-space('  a  b  ')", {}, "a b"),
    ("normalize-space('')", {}, ""),
    ("normalize-space()", {".": " x   y "}, "x y"),
    ("contains('abc', 'b')", {}, True),
    ("contains('abc', '')", {}, True),
    ("contains('', 'a')", {}, False),
    ("contains(123, 2)", {}, True),
    ("starts-with('abc', '')", {}, True),
    ("starts-with(123, 1)", {}, True),
    ("ends-with('abc', 'bc')", {}, True),
    ("ends-with('', '')", {}, True),
    ("regex('abc', 'a.c')", {}, True),
    ("regex('xabc', 'a.c')", {}, False),  # whole-string match (JavaRosa)
    ("regex('', '.*')", {}, True),
    ("regex(123, '[0-9]+')", {}, True),
    ("regex('a', '(')", {}, ERR),
    ("string-length(uuid())", {}, 36.0),
    ("string-length(uuid(12))", {}, 12.0),
    ("uuid(0)", {}, ""),
    ("digest('abc', 'SHA-1', 'hex')", {}, "a9993e364706816aba3e25717850c26c9cd0d89d"),
    ("digest('', 'MD5', 'hex')", {}, "d41d8cd98f00b204e9800998ecf8427e"),
    (
        "digest('abc', 'SHA-512', 'hex')",
        {},
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    ),
    (
        "digest('abc', 'SHA-384', 'base64')",
        {},
        "ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn",
    ),
    ("digest('abc', 'MD4')", {}, ERR),
    ("digest('abc', 'MD5', 'rot13')", {}, ERR),
    ("base64-decode('aGVsbG8=')", {}, "hello"),
    ("base64-decode('')", {}, ""),
    ("base64-decode('not base64!')", {}, ""),
    ("base64-decode(1)", {}, ""),
    ("jr:itext('label-id')", {}, ""),
    ("extract-signed('', '')", {}, ""),
    ("extract-signed(1, true())", {}, ""),
    (
        "pulldata('cities', 'label', 'name', 'ber')",
        INSTANCES,
        "Berlin",
    ),
    ("pulldata('cities', 'label', 'name', 'xxx')", INSTANCES, ""),
    ("pulldata('nope', 'label', 'name', 'ber')", INSTANCES, ""),
    ("pulldata('cities', 'nope', 'name', 'ber')", INSTANCES, ""),
    # --- numbers
    ("number('12')", {}, 12.0),
    ("number('')", {}, NAN),
    ("number(true())", {}, 1.0),
    ("number('+5')", {}, NAN),
    ("number('Infinity')", {}, NAN),
    ("number()", {".": " 7 "}, 7.0),
    ("int(2.9)", {}, 2.0),
    ("int(-2.9)", {}, -2.0),
    ("int('')", {}, NAN),
    ("int(1 div 0)", {}, math.inf),
    ("int('x')", {}, NAN),
    ("round(2.5)", {}, 3.0),
    ("round(1.005, 2)", {}, 1.01),  # decimal text, as JavaRosa's BigDecimal(Double.toString)
    ("round(-2.5)", {}, -2.0),  # JavaRosa: half toward zero for negatives
    ("round('')", {}, NAN),
    ("round(1 div 0)", {}, math.inf),
    ("round(5, 31)", {}, NAN),
    ("round(1234.5, 'x')", {}, 1235.0),
    ("round(12350.12345, -2)", {}, 12400.0),
    ("abs(-2)", {}, 2.0),
    ("floor(2.5)", {}, 2.0),
    ("floor('')", {}, NAN),
    ("floor('x')", {}, NAN),
    ("ceiling(2.1)", {}, 3.0),
    ("ceiling(-2.5)", {}, -2.0),
    ("ceiling('')", {}, NAN),
    ("abs('')", {}, NAN),
    ("pow(2, 10)", {}, 1024.0),
    ("pow(-8, 1 div 3)", {}, NAN),
    ("pow(0, -1)", {}, math.inf),
    ("pow(10, 400)", {}, math.inf),
    ("pow('', 2)", {}, NAN),
    ("sqrt(16)", {}, 4.0),
    ("sqrt(-1)", {}, NAN),
    ("sqrt('')", {}, NAN),
    ("exp(0)", {}, 1.0),
    ("exp(1000)", {}, math.inf),
    ("exp('a')", {}, NAN),
    ("exp10(-1)", {}, 0.1),
    ("exp10('')", {}, NAN),
    ("log(1)", {}, 0.0),
    ("log(0)", {}, -math.inf),
    ("log(-1)", {}, NAN),
    ("log10(1000)", {}, 3.0),
    ("log10('')", {}, NAN),
    ("sin(0)", {}, 0.0),
    ("sin(1 div 0)", {}, NAN),
    ("cos(0)", {}, 1.0),
    ("cos('')", {}, NAN),
    ("tan(0)", {}, 0.0),
    ("tan('x')", {}, NAN),
    ("asin(1)", {}, math.pi / 2),
    ("asin(2)", {}, NAN),
    ("acos(1)", {}, 0.0),
    ("acos('')", {}, NAN),
    ("atan(1)", {}, math.pi / 4),
    ("atan('')", {}, NAN),
    ("atan2(1, 1)", {}, math.pi / 4),
    ("atan2('', 1)", {}, NAN),
    ("pi()", {}, math.pi),
    ("random()", {}, 0.25),
    ("sum(${age})", REPEAT, 35.0),
    ("sum(${pets})", REPEAT, NAN),  # one empty member
    ("sum(${nothing}[false()])", {"nothing": [{}]}, 0.0),
    ("sum('12')", {}, ERR),
    ("min(${age})", REPEAT, 5.0),
    ("min(3, '2', ${x})", {"x": "4"}, 2.0),
    ("min('')", {}, NAN),
    ("min(${pets})", REPEAT, NAN),
    ("max(${age}, 100)", REPEAT, 100.0),
    ("max('a', 1)", {}, NAN),
    # --- node-sets / repeats
    ("count(${rep})", REPEAT, 3.0),
    ("count(${age})", REPEAT, 3.0),
    ("count(${rep}[age > 6])", REPEAT, 2.0),
    ("count(${x})", {"x": ""}, 1.0),
    ("count('a')", {}, ERR),
    ("count-non-empty(${pets})", REPEAT, 2.0),
    ("count-non-empty(${x})", {"x": ""}, 0.0),
    ("count-non-empty(1)", {}, ERR),
    ("position(..)", {"__current__": {"repeat": "rep", "index": 3}, **REPEAT}, 3.0),
    ("position(${rep}[2])", REPEAT, 2.0),
    ("position(${rep}[false()])", REPEAT, 0.0),
    ("position('x')", {}, ERR),
    ("indexed-repeat(${age}, ${rep}, 2)", REPEAT, "20"),
    ("indexed-repeat(${age}, ${rep}, 0)", REPEAT, "10"),  # below 1 means 1 (JavaRosa)
    ("indexed-repeat(${age}, ${rep}, 9)", REPEAT, ""),
    ("indexed-repeat(${age}, ${rep}, '')", REPEAT, "10"),
    ("indexed-repeat('x', ${rep}, 1)", REPEAT, ERR),
    ("count(instance('cities')/root/item)", INSTANCES, 2.0),
    ("instance('cities')/root/item[name = 'par']/label", INSTANCES, "Paris"),
    ("count(instance('missing')/root/item)", INSTANCES, 0.0),
    ("count(current())", {}, 1.0),
    ("current()", {".": "me"}, "me"),
    ("count(randomize(${rep}))", REPEAT, 3.0),
    ("join(' ', randomize(${age}, 7))", REPEAT, None),  # checked for determinism below
    ("randomize('a')", {}, ERR),
    # --- dates (device time zone UTC; NOW = 2024-06-15T12:30:45.123Z)
    ("today()", {}, dt.date(2024, 6, 15)),
    ("now()", {}, NOW),
    ("date(0)", {}, dt.date(1970, 1, 1)),
    ("date(-0.5)", {}, dt.date(1970, 1, 1)),  # truncation toward zero (JavaRosa)
    ("date('2024-02-29')", {}, dt.date(2024, 2, 29)),
    ("date('2024-02-30')", {}, ERR),
    ("date('2024-06-15T23:30:00-05:00')", {}, dt.date(2024, 6, 16)),  # local (UTC) date
    ("date('')", {}, ""),
    ("date(0 div 0)", {}, NAN),
    ("date(true())", {}, ERR),
    ("date('tomorrow')", {}, ERR),
    ("date(1 div 0)", {}, ERR),
    ("date(99999999999)", {}, ERR),
    ("date(${d})", {"d": "2020-01-31"}, dt.date(2020, 1, 31)),
    ("date-time(0.5)", {}, dt.datetime(1970, 1, 1, 12, tzinfo=dt.UTC)),
    ("date-time('2020-01-01')", {}, dt.datetime(2020, 1, 1, tzinfo=dt.UTC)),
    ("date-time(date('2020-01-01'))", {}, dt.datetime(2020, 1, 1, tzinfo=dt.UTC)),
    ("date-time('')", {}, ""),
    ("date-time('x')", {}, ERR),
    ("date-time(false())", {}, ERR),
    ("decimal-date-time('1970-01-02T12:00:00Z')", {}, 1.5),
    ("decimal-date-time(date('1970-01-03'))", {}, 2.0),
    ("decimal-date-time(2.5)", {}, 2.5),
    ("decimal-date-time('')", {}, ""),
    ("decimal-date-time('garbage')", {}, NAN),
    ("decimal-time('18:00:00Z')", {}, 0.75),
    ("decimal-time('12:00')", {}, 0.5),
    ("decimal-time(1.25)", {}, 0.25),
    ("decimal-time(date('2020-01-01'))", {}, 0.0),
    ("decimal-time('')", {}, ""),
    ("decimal-time('noon')", {}, NAN),
    ("format-date('2024-03-05', '%Y/%y/%m/%n/%d/%e/%b/%a')", {}, "2024/24/03/3/05/5/Mar/Tue"),
    ("format-date-time('2024-03-05T07:08:09.010Z', '%H:%h:%M:%S.%3')", {}, "07:7:08:09.010"),
    ("format-date-time('2024-03-05T07:08:09+02:00', '%H %%')", {}, "05 %%"),
    ("format-date(now(), '%Y-%m-%d')", {}, "2024-06-15"),
    ("format-date('', '%Y')", {}, ""),
    ("format-date(0 div 0, '%Y')", {}, ""),
    ("format-date(0, '%Y')", {}, "1970"),
    ("format-date('bad', '%Y')", {}, ERR),
    # --- geo
    ("round(distance('0 0; 0 1'))", {}, 111319.0),
    ("round(distance('0 0', '0 1', '1 1'))", {}, 222638.0),
    ("round(distance(${loc}))", REPEAT, 222638.0),
    ("distance('')", {}, NAN),
    ("distance('not a point')", {}, NAN),
    ("distance('0 0')", {}, 0.0),
    ("round(area('" + SQUARE + "') div 1000000)", {}, 12391.0),
    ("enclosed-area('" + SQUARE + "') = area('" + SQUARE + "')", {}, True),
    ("area('0 0; 1 1')", {}, 0.0),
    ("area('')", {}, NAN),
    ("area('91 0; 0 0; 0 1')", {}, NAN),
    ("geofence('0.5 0.5', '" + SQUARE + "')", {}, True),
    ("geofence('1.5 0.5', '" + SQUARE + "')", {}, False),
    ("geofence('', '" + SQUARE + "')", {}, False),
    ("geofence('0.5 0.5', 'x')", {}, False),
    ("intersects('0 0; 1 1; 0 1; 1 0')", {}, True),
    ("intersects('" + SQUARE + "')", {}, False),
    ("intersects('')", {}, False),
    ("intersects(5)", {}, False),
]


def _same(actual: object, expected: Any) -> bool:
    if isinstance(expected, float):
        if math.isnan(expected):
            return isinstance(actual, float) and math.isnan(actual)
        return isinstance(actual, float) and actual == pytest.approx(expected, rel=1e-9)
    return type(actual) is type(expected) and actual == expected


@pytest.mark.parametrize(("expr", "values", "expected"), CASES, ids=[c[0] for c in CASES])
def test_function(ev: Ev, expr: str, values: dict[str, Any], expected: Any) -> None:
    if expected is ERR:
        with pytest.raises(ExpressionError) as info:
            ev(expr, values)
        assert info.value.code in ("expression_eval", "expression_unknown_function")
        assert info.value.source == expr
        return
    result = ev(expr, values)
    if expected is None:
        return
    assert _same(result, expected), f"{expr} -> {result!r}, expected {expected!r}"


def test_every_known_function_is_exercised() -> None:
    called: set[str] = set()
    for expr, _, _ in CASES:
        called |= parse(expr).functions
    assert set(SIGNATURES) - called == set()


def test_seeded_randomize_is_deterministic_and_a_permutation(ev: Ev) -> None:
    values = {"rep": [{"v": str(i)} for i in range(20)]}
    first = ev("join(' ', randomize(${v}, 42))", values)
    assert first == ev("join(' ', randomize(${v}, 42))", values)
    assert first != ev("join(' ', randomize(${v}, 43))", values)
    assert sorted(str(first).split(), key=int) == [str(i) for i in range(20)]


def test_uuid_and_random_are_volatile_and_well_formed(ev: Ev) -> None:
    text = str(ev("uuid()"))
    assert len(text) == 36 and text[14] == "4"
    assert ev("uuid()") != ev("uuid()")


def test_today_follows_the_device_time_zone(ev: Ev) -> None:
    tokyo = dt.timezone(dt.timedelta(hours=9))
    late = dt.datetime(2024, 6, 15, 23, 30, tzinfo=dt.UTC).astimezone(tokyo)
    assert ev("today()", now=late) == dt.date(2024, 6, 16)
    assert ev("decimal-time('23:30:00Z')", now=late) == pytest.approx(8.5 / 24)
    assert ev("format-date-time('2024-06-15T23:30:00Z', '%d %H')", now=late) == "16 08"


def test_extract_signed(ev: Ev) -> None:
    from qi_capture.crypto.signing import generate_signing_key, public_key, sign

    key = generate_signing_key()
    other = generate_signing_key()
    message = b"real genuine data"
    signed = base64.b64encode(sign(key, message) + message).decode()
    pub = base64.b64encode(public_key(key)).decode()
    wrong = base64.b64encode(public_key(other)).decode()
    values = {"s": signed}
    assert ev(f"extract-signed(${{s}}, '{pub}')", values) == "real genuine data"
    assert ev(f"extract-signed(${{s}}, '{wrong}')", values) == ""
    assert ev(f"extract-signed('', '{pub}')") == ""
    assert ev("extract-signed(${s}, 'not a key')", values) == ""
    assert ev(f"extract-signed('{base64.b64encode(b'short').decode()}', '{pub}')") == ""
