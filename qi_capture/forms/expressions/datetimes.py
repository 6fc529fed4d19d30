"""Reading and writing ODK date, dateTime and time text; days since the epoch.

Formats (ODK XForms): ``date`` ``YYYY-MM-DD``; ``dateTime`` ISO 8601
``YYYY-MM-DDTHH:MM:SS.sss+hh:mm``; ``time`` ``HH:MM:SS.sss+hh:mm``. Reading is lenient the
way JavaRosa's DateUtils is (non-padded month/day, missing seconds/milliseconds, ``Z`` or
``+hh``/``+hhmm``/``+hh:mm`` offsets); text without an offset is local time of ``tz``
(the device time zone). Impossible calendar dates (``1983-09-31``) are not dates.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
SECONDS_PER_DAY = 86400.0

_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})\Z")
_DATETIME = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?\Z"
)
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\Z")


def local_tz() -> dt.tzinfo:
    """The system's current time zone (the device time zone of a desktop app)."""
    tz = dt.datetime.now().astimezone().tzinfo
    assert tz is not None
    return tz


def _offset(text: str | None) -> dt.tzinfo | None:
    if text is None:
        return None
    if text == "Z":
        return dt.UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4]) if len(digits) > 2 else 0
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def _micro(fraction: str | None) -> int:
    return int((fraction or "0")[:6].ljust(6, "0"))


@lru_cache(maxsize=4096)
def parse_date(text: str) -> dt.date | None:
    """``YYYY-MM-DD`` (month/day may be unpadded) -> date, or None."""
    m = _DATE.match(text.strip())
    if m is None:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def parse_datetime(text: str, tz: dt.tzinfo) -> dt.datetime | None:
    """A date or dateTime string -> aware datetime (no offset: local time in ``tz``)."""
    m = _DATETIME.match(text.strip())
    if m is None:
        return None
    year, month, day, hh, mm, ss, frac, off = m.groups()
    try:
        zone = _offset(off) or tz
        return dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hh or 0),
            int(mm or 0),
            int(ss or 0),
            _micro(frac),
            tzinfo=zone,
        )
    except (ValueError, OverflowError):
        return None


def parse_time(text: str, tz: dt.tzinfo, on: dt.date) -> dt.datetime | None:
    """A time string (``HH:MM[:SS[.sss]][offset]``) on date ``on`` -> aware datetime."""
    m = _TIME.match(text.strip())
    if m is None:
        return None
    hh, mm, ss, frac, off = m.groups()
    try:
        zone = _offset(off) or tz
        return dt.datetime(
            on.year, on.month, on.day, int(hh), int(mm), int(ss or 0), _micro(frac), tzinfo=zone
        )
    except (ValueError, OverflowError):
        return None


def looks_like_date(text: str) -> bool:
    """Cheap pre-check before trying the date parsers (``YYYY-``...)."""
    t = text.lstrip()
    return len(t) >= 8 and t[4:5] == "-" and t[:4].isdigit()


def date_to_days(value: dt.date) -> int:
    return value.toordinal() - EPOCH_ORDINAL


def days_to_date(days: int) -> dt.date:
    """Raises ValueError/OverflowError outside years 1..9999."""
    return dt.date.fromordinal(days + EPOCH_ORDINAL)


def datetime_to_days(value: dt.datetime) -> float:
    """Fractional days since 1970-01-01T00:00Z."""
    delta = value - EPOCH_UTC
    return (
        delta.days * SECONDS_PER_DAY + delta.seconds + delta.microseconds / 1e6
    ) / SECONDS_PER_DAY


def days_to_datetime(days: float, tz: dt.tzinfo) -> dt.datetime:
    """Fractional UTC days -> datetime shown in ``tz``. Raises OverflowError/ValueError."""
    millis = round(days * SECONDS_PER_DAY * 1000.0)
    return (EPOCH_UTC + dt.timedelta(milliseconds=millis)).astimezone(tz)


def local_midnight(value: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime(value.year, value.month, value.day, tzinfo=tz)


def format_date(value: dt.date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def format_datetime(value: dt.datetime) -> str:
    """ISO 8601 with milliseconds and the offset (``+00:00`` for UTC, as ODK stores it)."""
    off = value.utcoffset() or dt.timedelta(0)
    sign = "-" if off < dt.timedelta(0) else "+"
    total = abs(int(off.total_seconds())) // 60
    return (
        f"{format_date(value)}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
        f".{value.microsecond // 1000:03d}{sign}{total // 60:02d}:{total % 60:02d}"
    )


@lru_cache(maxsize=4096)
def string_to_days(text: str) -> float | None:
    """Days since the epoch for date / dateTime text (ODK extension of ``number()``).

    A date counts whole days of its calendar date; a dateTime fractional UTC days (text
    without an offset is read in the system time zone)."""
    if not looks_like_date(text):
        return None
    d = parse_date(text)
    if d is not None:
        return float(date_to_days(d))
    t = parse_datetime(text, local_tz())
    if t is not None:
        return datetime_to_days(t)
    return None
