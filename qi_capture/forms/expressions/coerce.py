"""Type conversion: FORMS.md section 7, as JavaRosa (ODK Collect) does it.

- string -> number: trim; a decimal literal (``-``, digits, one ``.``; no exponent, no
  ``+``, no ``Infinity``) else NaN, so ``number('') = number('  ') = NaN`` and
  ``number('1.1e6') = NaN``. JavaRosa choices kept: a ``,`` is read as the decimal point
  (``round('4,6') = 5``); trimming removes every control character like Java's ``trim()``.
  ODK extension: date / dateTime text converts to days since 1970-01-01.
- number -> string: ``NaN``, ``Infinity``, ``-Infinity``; integral values without ``.0``;
  never an exponent. JavaRosa choice kept: values within 1e-12 of an integer print as that
  integer (``0.1 * 30`` -> ``3``, and ``-0`` -> ``0``), which hides binary float noise from
  form users.
- -> boolean: number: true unless 0 (within 1e-12, as JavaRosa) or NaN; string: true
  unless empty; node-set: true unless empty; dates: true.
- node-set -> string/number: the string value of its first node (``''``/NaN when empty).
- equality (``=``, ``!=``): booleans if either side is boolean, else numbers (within
  1e-12, so ``6.1 - 7.8 = -1.7``) if either is a number, else strings; with a node-set,
  true if any member satisfies it (XPath 1.0). ``<`` ``<=`` ``>`` ``>=`` always compare numbers.

``to_stored`` is what a calculation writes into the instance: NaN -> ``''``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from qi_capture.forms.expressions.datetimes import (
    date_to_days,
    datetime_to_days,
    format_date,
    format_datetime,
    string_to_days,
)
from qi_capture.forms.expressions.values import Value

if TYPE_CHECKING:
    from qi_capture.forms.expressions.context import XNode

NAN = math.nan
INF = math.inf
#: JavaRosa's tolerance for "equal", "zero" and "integral".
EPSILON = 1e-12

_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
#: Java's String.trim(): every character up to U+0020.
_TRIM = "".join(chr(i) for i in range(33))


@lru_cache(maxsize=8192)
def string_to_number(text: str) -> float:
    # Cached: a session converts the same few answers over and over.
    t = text.strip(_TRIM)
    if "," in t:
        t = t.replace(",", ".")
    if _DECIMAL.match(t):
        return float(t)
    days = string_to_days(t) if t else None
    return NAN if days is None else days


def format_number(x: float) -> str:
    if x != x:
        return "NaN"
    if x == INF:
        return "Infinity"
    if x == -INF:
        return "-Infinity"
    if -EPSILON < x < EPSILON:
        return "0"
    if abs(x) < 1e15:
        r = round(x)
        if abs(x - r) < EPSILON:
            return str(r)
        text = repr(x)
        if "e" not in text:
            return text
    # Large or tiny magnitudes: the shortest round-trip digits, written out positionally.
    text = format(Decimal(repr(x)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _first_value(nodes: object) -> str:
    """The string value of a node-set (a non-empty ``list`` of XNode)."""
    return cast("list[XNode]", nodes)[0].value()


# The public conversions accept any object (``evaluate()`` returns ``object``); values
# that are not expression values convert as their ``str()``.
def to_number(v: object) -> float:
    t = type(v)
    if t is float:
        return cast(float, v)
    if t is str:
        return string_to_number(cast(str, v))
    if t is list:
        return string_to_number(_first_value(v)) if v else NAN
    if t is bool:
        return 1.0 if v else 0.0
    if t is dt.datetime:
        return datetime_to_days(cast(dt.datetime, v))
    if t is dt.date:
        return float(date_to_days(cast(dt.date, v)))
    if t is int:  # not an XPath value, but harmless to accept from callers
        return float(cast(int, v))
    return NAN if v is None else string_to_number(str(v))


def to_string(v: object) -> str:
    t = type(v)
    if t is str:
        return cast(str, v)
    if t is list:
        return _first_value(v) if v else ""
    if t is float:
        return format_number(cast(float, v))
    if t is bool:
        return "true" if v else "false"
    if t is dt.datetime:
        return format_datetime(cast(dt.datetime, v))
    if t is dt.date:
        return format_date(cast(dt.date, v))
    if t is int:
        return format_number(float(cast(int, v)))
    return "" if v is None else str(v)


def number_to_boolean(x: float) -> bool:
    return not (-EPSILON < x < EPSILON) and x == x


def to_boolean(v: object) -> bool:
    t = type(v)
    if t is bool:
        return cast(bool, v)
    if t is str:
        return len(cast(str, v)) > 0
    if t is list:
        return nodeset_to_boolean(cast(list, v))  # type: ignore[type-arg]
    if t is float:
        return number_to_boolean(cast(float, v))
    if t is int:
        return v != 0
    return v is not None  # dates: true


def nodeset_to_boolean(nodes: list[Any]) -> bool:
    """JavaRosa (ODK Collect) unpacks a single-node node-set to its value, so
    ``if(${x}, ...)`` and ``relevant = ${x}`` are false while x is unanswered; pure XPath 1.0
    calls any non-empty node-set true. We follow ODK (the reference, FORMS.md), since real
    forms are written against it. Several nodes (a repeat) are true, none false."""
    if len(nodes) == 1:
        return len(nodes[0].value()) > 0
    return len(nodes) > 0


def to_stored(v: object) -> str:
    """The text a calculation stores: NaN and ``''`` -> ``''``; integral numbers without
    decimals (``7305``); booleans ``true``/``false``; dates ISO."""
    if type(v) is float and v != v:
        return ""
    return to_string(v)


def is_empty(v: object) -> bool:
    """JavaRosa's "null": ``''``, NaN, or an empty node-set / node-set whose first node is
    empty (``coalesce()``, ``once()``)."""
    t = type(v)
    if t is str:
        return not v
    if t is float:
        return v != v
    if t is list:
        return not v or not _first_value(v)
    return False


# --- comparison ----------------------------------------------------------------------------
def numbers_equal(a: float, b: float) -> bool:
    return a == b or abs(a - b) < EPSILON


def _scalar_equals(a: Value, b: Value) -> bool:
    ta, tb = type(a), type(b)
    if ta is bool or tb is bool:
        return to_boolean(a) == to_boolean(b)
    if ta is float or tb is float:
        return numbers_equal(to_number(a), to_number(b))
    return to_string(a) == to_string(b)


def _nodes_equal(nodes: list[XNode], other: Value, negate: bool) -> bool:
    to = type(other)
    if to is bool:
        return ((len(nodes) > 0) == other) is not negate
    if to is list:
        mine = {n.value() for n in nodes}
        theirs = cast("list[XNode]", other)
        if not negate:
            return any(o.value() in mine for o in theirs)
        return any(o.value() != m for o in theirs for m in mine)
    if to is float:
        x = cast(float, other)
        return any(numbers_equal(x, string_to_number(n.value())) is not negate for n in nodes)
    s = to_string(other)
    return any((n.value() == s) is not negate for n in nodes)


def equals(a: Value, b: Value) -> bool:
    """XPath ``a = b``."""
    if type(a) is list:
        return _nodes_equal(a, b, False)
    if type(b) is list:
        return _nodes_equal(b, a, False)
    return _scalar_equals(a, b)


def not_equals(a: Value, b: Value) -> bool:
    """XPath ``a != b`` (with node-sets: some member differs - not ``not(a = b)``)."""
    if type(a) is list:
        return _nodes_equal(a, b, True)
    if type(b) is list:
        return _nodes_equal(b, a, True)
    return not _scalar_equals(a, b)


def _numbers_of(v: Value) -> list[float]:
    if type(v) is list:
        return [string_to_number(n.value()) for n in v]
    return [to_number(v)]


def relational(op: str, a: Value, b: Value) -> bool:
    """XPath ``<``, ``<=``, ``>``, ``>=``: numeric, existential over node-sets."""
    if type(a) is not list and type(b) is not list:
        return compare_numbers(op, to_number(a), to_number(b))
    if type(a) is bool or type(b) is bool:
        # XPath 1.0: a node-set compared with a boolean is first converted to a boolean.
        return compare_numbers(op, to_number(to_boolean(a)), to_number(to_boolean(b)))
    xs, ys = _numbers_of(a), _numbers_of(b)
    return any(compare_numbers(op, x, y) for x in xs for y in ys)


def compare_numbers(op: str, x: float, y: float) -> bool:
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    return x >= y
