"""Typed answers and their stored string form.

Every value lives in the instance as a string, as in ODK (FORMS.md section 7), so
expressions, submissions and hashes see one canonical text. This module converts between
that text and the typed values the API hands out (int, Decimal, date, list of choice names,
GeoPoint...), and validates what callers pass to ``FormSession.set``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from qi_capture.errors import QICaptureError
from qi_capture.forms.model import Element


class AnswerError(QICaptureError):
    """A value that does not fit the question it was given to."""

    code = "answer_invalid"


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A location: latitude and longitude in degrees, optional altitude (m) and accuracy (m)."""

    lat: float
    lon: float
    alt: float = 0.0
    accuracy: float = 0.0

    def to_stored(self) -> str:
        return " ".join(_num_text(v) for v in (self.lat, self.lon, self.alt, self.accuracy))


Typed = object  # the union is long (str, int, Decimal, date, list[str], GeoPoint...)

_INT_RE = re.compile(r"^[+-]?\d+$")
_TIME_RE = re.compile(
    r"^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?$"
)


def _num_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _fail(element: Element, value: object, expected: str) -> AnswerError:
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    return AnswerError(
        f"{shown} is not a valid answer for '{element.name}': expected {expected}",
        field=element.name, expected=expected,
    )


# --- to stored text ---------------------------------------------------------------------

def _store_text(element: Element, value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return _num_text(float(value)) if not isinstance(value, Decimal) else str(value)
    raise _fail(element, value, "text")


def _store_int(element: Element, value: object) -> str:
    if isinstance(value, bool):
        raise _fail(element, value, "a whole number")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal) and math.isfinite(value) and value == int(value):
        return str(int(value))
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        try:
            return str(int(value.strip()))
        except ValueError:  # more digits than int() converts
            raise _fail(element, value, "a whole number") from None
    raise _fail(element, value, "a whole number")


def _store_decimal(element: Element, value: object) -> str:
    if isinstance(value, bool):
        raise _fail(element, value, "a number")
    try:
        if isinstance(value, str):
            number = Decimal(value.strip())
        elif isinstance(value, int | Decimal):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))
        else:
            raise _fail(element, value, "a number")
    except InvalidOperation:
        raise _fail(element, value, "a number") from None
    if not number.is_finite():
        raise _fail(element, value, "a finite number")
    text = format(number.normalize(), "f") if number == number.to_integral() else str(number)
    return text


def _store_date(element: Element, value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10]).isoformat()
        except ValueError:
            pass
    raise _fail(element, value, "a date (YYYY-MM-DD)")


def _store_time(element: Element, value: object) -> str:
    if isinstance(value, dt.time):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, str) and _TIME_RE.match(value.strip()):
        return value.strip()
    raise _fail(element, value, "a time (HH:MM:SS)")


def _store_datetime(element: Element, value: object) -> str:
    if isinstance(value, dt.datetime):
        stamp = value if value.tzinfo else value.astimezone()
        return stamp.isoformat(timespec="milliseconds")
    if isinstance(value, str):
        try:
            dt.datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return value.strip()
    raise _fail(element, value, "a date and time (ISO 8601)")


def _store_geopoint(element: Element, value: object) -> str:
    if isinstance(value, GeoPoint):
        point = value
    elif isinstance(value, str):
        point = _parse_geopoint(element, value)
    elif isinstance(value, Sequence) and 2 <= len(value) <= 4:
        try:
            point = GeoPoint(*(float(v) for v in value))
        except (TypeError, ValueError):
            raise _fail(element, value, "latitude and longitude") from None
    else:
        raise _fail(element, value, "latitude and longitude")
    if not (-90 <= point.lat <= 90 and -180 <= point.lon <= 180):
        raise _fail(element, value, "latitude in [-90, 90] and longitude in [-180, 180]")
    return point.to_stored()


def _parse_geopoint(element: Element, text: str) -> GeoPoint:
    parts = text.split()
    if not 2 <= len(parts) <= 4:
        raise _fail(element, text, "latitude and longitude")
    try:
        return GeoPoint(*(float(p) for p in parts))
    except ValueError:
        raise _fail(element, text, "latitude and longitude") from None


def _store_geolist(element: Element, value: object) -> str:
    if isinstance(value, str):
        points = [p for p in value.split(";") if p.strip()]
        return ";".join(_store_geopoint(element, p) for p in points)
    if isinstance(value, Sequence):
        return ";".join(_store_geopoint(element, p) for p in value)
    raise _fail(element, value, "a list of points")


def _store_choices(element: Element, value: object) -> str:
    if isinstance(value, str):
        names = value.split()
    elif isinstance(value, Sequence):
        names = [str(v) for v in value]
    else:
        raise _fail(element, value, "a list of choice names")
    for name in names:
        if not name or any(c.isspace() for c in name):
            raise _fail(element, value, "choice names without spaces")
    if len(set(names)) != len(names):
        raise _fail(element, value, "each choice at most once")
    return " ".join(names)


def _store_select_one(element: Element, value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = _num_text(float(value))  # choice names typed as numbers in the sheet
    if isinstance(value, str):
        return value.strip()
    raise _fail(element, value, "a choice name")


def _store_acknowledge(element: Element, value: object) -> str:
    if value is True or (isinstance(value, str) and value.strip() in ("OK", "true", "1")):
        return "OK"
    if value is False or value == "":
        return ""
    raise _fail(element, value, "OK or nothing")


_STORERS: dict[str, Callable[[Element, object], str]] = {
    "int": _store_int,
    "decimal": _store_decimal,
    "date": _store_date,
    "time": _store_time,
    "dateTime": _store_datetime,
    "geopoint": _store_geopoint,
    "geotrace": _store_geolist,
    "geoshape": _store_geolist,
}


def to_stored(element: Element, value: object) -> str:
    """Validate ``value`` for ``element`` and return its stored text ('' for empty).

    Accepts typed values and also their stored string form ("2020-03-01", "a b").
    Raises AnswerError with the field name and what was expected.
    """
    if value is None or value == "" or (isinstance(value, list | tuple) and not value):
        return ""
    if element.type == "select_multiple" or element.type == "rank":
        return _store_choices(element, value)
    if element.type == "select_one":
        return _store_select_one(element, value)
    if element.type == "acknowledge":
        return _store_acknowledge(element, value)
    if isinstance(value, str) and not _encodable(value):
        # A lone surrogate (a "\\ud800" escape in JSON): no database or file can hold it.
        raise _fail(element, value, "text without unpaired surrogate characters")
    storer = _STORERS.get(element.data_type, _store_text)
    return storer(element, value)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- from stored text -------------------------------------------------------------------

def from_stored(element: Element, text: str) -> object:
    """The typed value of stored ``text`` for ``element``; None when empty.

    Calculations may have stored text that does not parse as the declared type; that
    text is returned unchanged rather than lost.
    """
    if text == "":
        return None
    kind = element.data_type
    try:
        if element.type in ("select_multiple", "rank"):
            return text.split()
        if kind == "int":
            return int(text)
        if kind == "decimal":
            return Decimal(text)
        if kind == "date":
            return dt.date.fromisoformat(text[:10])
        if kind == "time":
            return dt.time.fromisoformat(text)
        if kind == "dateTime":
            return dt.datetime.fromisoformat(text)
        if kind == "geopoint":
            return _parse_geopoint(element, text)
        if kind in ("geotrace", "geoshape"):
            return [_parse_geopoint(element, p) for p in text.split(";") if p.strip()]
    except (ValueError, InvalidOperation, AnswerError):
        return text
    return text
