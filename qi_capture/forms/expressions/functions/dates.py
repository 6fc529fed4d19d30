"""Date functions: today, now, date, date-time, decimal-date-time, decimal-time,
format-date, format-date-time.

The device time zone is the zone of ``ctx.now()``. Choices (JavaRosa followed unless
noted):
- ``today()`` is the local calendar date; ``now()`` the aware ``ctx.now()``.
- ``date(x)``: a number is days since 1970-01-01, truncated toward zero (``date(6.5)`` is
  1970-01-07, a date - Enketo gives a dateTime); text is ``YYYY-MM-DD`` (month/day may be
  unpadded) or a dateTime, whose local calendar date is taken; ``''`` and NaN pass through
  (JavaRosa returns them unchanged; so does Web Forms for ``''``); anything else -
  impossible dates like ``1983-09-31``, booleans, other text - is an ExpressionError.
- ``date-time(x)`` likewise keeps the time; a number is fractional UTC days.
- ``decimal-date-time(x)``: fractional days since 1970-01-01T00:00Z; a date counts as
  whole days. ``decimal-time(x)``: the fraction of the local day (``'06:00-07:00'`` is
  0.25 on a UTC-7 device). Text that is not a date/time gives NaN here (Web Forms;
  JavaRosa raises) so a half-typed value does not break a form; ``''`` passes through.
- ``format-date(d, fmt)``/``format-date-time``: ``%Y %y %m %n %b %d %e %a %H %h %M %S %3``
  (English month and weekday abbreviations); ``''`` or NaN give ``''``; other characters
  are copied.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from qi_capture.forms.expressions import ast
from qi_capture.forms.expressions.coerce import NAN, to_string
from qi_capture.forms.expressions.datetimes import (
    date_to_days,
    datetime_to_days,
    days_to_date,
    days_to_datetime,
    local_midnight,
    parse_date,
    parse_datetime,
    parse_time,
)
from qi_capture.forms.expressions.functions.base import device_tz, fail, register
from qi_capture.forms.expressions.values import Value

if TYPE_CHECKING:
    from qi_capture.forms.expressions.compiler import Compiler, Fn
    from qi_capture.forms.expressions.context import EvalContext, XNode

_MAX_DAYS = 2147483647.0


def _unpack(v: Value) -> Value:
    if type(v) is list:
        return v[0].value() if v else ""
    return v


def _from_days(call: ast.Call, x: float, convert: Callable[[float], Value]) -> Value:
    """A number of days since 1970 as a date or dateTime; NaN stays NaN."""
    if x != x:
        return NAN
    if math.isinf(x) or abs(x) > _MAX_DAYS:
        raise fail(call, f"{to_string(x)} is out of range for a date")
    try:
        return convert(x)
    except (ValueError, OverflowError) as exc:
        raise fail(call, f"{to_string(x)} is out of range for a date") from exc


def to_date(call: ast.Call, v: Value, tz: dt.tzinfo) -> Value:
    v = _unpack(v)
    t = type(v)
    if t is float:
        return _from_days(call, v, lambda x: days_to_date(int(x)))  # type: ignore[arg-type]
    if t is str:
        s: str = v  # type: ignore[assignment]
        if not s:
            return ""
        d = parse_date(s)
        if d is not None:
            return d
        moment = parse_datetime(s, tz)
        if moment is not None:
            return moment.astimezone(tz).date() if _representable(moment) else moment.date()
        raise fail(call, f"{s!r} can't be converted to a date")
    if t is dt.datetime:
        when = cast(dt.datetime, v)
        return when.astimezone(tz).date() if _representable(when) else when.date()
    if t is dt.date:
        return v
    raise fail(call, f"{to_string(v)!r} can't be converted to a date")


def _representable(moment: dt.datetime) -> bool:
    # astimezone() overflows for the first/last day of years 1 and 9999.
    return dt.date(1, 1, 2) <= moment.date() <= dt.date(9999, 12, 30)


def to_datetime(call: ast.Call, v: Value, tz: dt.tzinfo) -> Value:
    v = _unpack(v)
    t = type(v)
    if t is float:
        return _from_days(call, v, lambda x: days_to_datetime(x, tz))  # type: ignore[arg-type]
    if t is str:
        s: str = v  # type: ignore[assignment]
        if not s:
            return ""
        moment = parse_datetime(s, tz)
        if moment is not None:
            return moment
        raise fail(call, f"{s!r} can't be converted to a date and time")
    if t is dt.datetime:
        return v
    if t is dt.date:
        return local_midnight(v, tz)  # type: ignore[arg-type]
    raise fail(call, f"{to_string(v)!r} can't be converted to a date and time")


@register("today", returns="any")
def _today(call: ast.Call, comp: Compiler) -> Fn:
    return lambda c, n: c.now().date()


@register("now", returns="any")
def _now(call: ast.Call, comp: Compiler) -> Fn:
    return lambda c, n: c.now()


@register("date", returns="any")
def _date(call: ast.Call, comp: Compiler) -> Fn:
    arg = comp.value(call.args[0])
    return lambda c, n: to_date(call, arg(c, n), device_tz(c))


@register("date-time", returns="any")
def _date_time(call: ast.Call, comp: Compiler) -> Fn:
    arg = comp.value(call.args[0])
    return lambda c, n: to_datetime(call, arg(c, n), device_tz(c))


@register("decimal-date-time", returns="any")
def _decimal_date_time(call: ast.Call, comp: Compiler) -> Fn:
    arg = comp.value(call.args[0])

    def run(c: EvalContext, n: XNode) -> Value:
        v = _unpack(arg(c, n))
        t = type(v)
        if t is float:
            return v
        if t is str:
            if not v:
                return ""
            moment = parse_datetime(v, device_tz(c))  # type: ignore[arg-type]
            return datetime_to_days(moment) if moment is not None else NAN
        if t is dt.datetime:
            return datetime_to_days(v)  # type: ignore[arg-type]
        if t is dt.date:
            return float(date_to_days(v))  # type: ignore[arg-type]
        return NAN

    return run


def _fraction_of_day(moment: dt.datetime, tz: dt.tzinfo) -> float:
    local = moment.astimezone(tz) if _representable(moment) else moment
    seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    return seconds / 86400.0


@register("decimal-time", returns="any")
def _decimal_time(call: ast.Call, comp: Compiler) -> Fn:
    arg = comp.value(call.args[0])

    def run(c: EvalContext, n: XNode) -> Value:
        v = _unpack(arg(c, n))
        t = type(v)
        if t is float:
            x: float = v  # type: ignore[assignment]
            return x - math.floor(x) if math.isfinite(x) else NAN
        tz = device_tz(c)
        if t is str:
            s: str = v  # type: ignore[assignment]
            if not s:
                return ""
            moment = parse_datetime(s, tz) or parse_time(s, tz, c.now().date())
            return _fraction_of_day(moment, tz) if moment is not None else NAN
        if t is dt.datetime:
            return _fraction_of_day(v, tz)  # type: ignore[arg-type]
        if t is dt.date:
            return 0.0
        return NAN

    return run


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def format_moment(moment: dt.datetime, fmt: str) -> str:
    out: list[str] = []
    i, size = 0, len(fmt)
    while i < size:
        ch = fmt[i]
        if ch != "%" or i + 1 >= size:
            out.append(ch)
            i += 1
            continue
        code = fmt[i + 1]
        i += 2
        if code == "Y":
            out.append(f"{moment.year:04d}")
        elif code == "y":
            out.append(f"{moment.year % 100:02d}")
        elif code == "m":
            out.append(f"{moment.month:02d}")
        elif code == "n":
            out.append(str(moment.month))
        elif code == "b":
            out.append(_MONTHS[moment.month - 1])
        elif code == "d":
            out.append(f"{moment.day:02d}")
        elif code == "e":
            out.append(str(moment.day))
        elif code == "a":
            out.append(_DAYS[moment.weekday()])
        elif code == "H":
            out.append(f"{moment.hour:02d}")
        elif code == "h":
            out.append(str(moment.hour))
        elif code == "M":
            out.append(f"{moment.minute:02d}")
        elif code == "S":
            out.append(f"{moment.second:02d}")
        elif code == "3":
            out.append(f"{moment.microsecond // 1000:03d}")
        else:
            out.append("%" + code)
    return "".join(out)


@register("format-date", "format-date-time", returns="string")
def _format_date(call: ast.Call, comp: Compiler) -> Fn:
    arg, fmt = comp.value(call.args[0]), comp.string(call.args[1])

    def run(c: EvalContext, n: XNode) -> Value:
        tz = device_tz(c)
        v = to_datetime(call, arg(c, n), tz)
        if type(v) is not dt.datetime:
            return ""  # '' or NaN: nothing to format
        moment: dt.datetime = v
        if _representable(moment):
            moment = moment.astimezone(tz)
        return format_moment(moment, fmt(c, n))

    return run
