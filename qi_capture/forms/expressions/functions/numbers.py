"""Number functions: number, int, round, abs, pow, sqrt, exp, exp10, log, log10, sin,
cos, tan, asin, acos, atan, atan2, pi, random, sum, min, max.

Choices (JavaRosa followed unless noted):
- Domain errors follow Java's ``Math``: ``sqrt(-1)``, ``log(-1)``, ``asin(2)`` are NaN;
  ``log(0)`` is -Infinity; overflow is +-Infinity. Python raises for these; we don't.
- ``int(x)`` truncates toward zero (``int(-1.5) = -1``); NaN and infinities pass through.
- ``round(x, digits?)``: JavaRosa's algorithm - the decimal text of ``x`` rounded half up
  for positive and half down (toward zero) for negative numbers, so ``round(-0.5) = -0``
  and ``round('-12345.15', 1) = -12345.1`` (Web Forms/Enketo round half away from zero:
  -1 and -12345.2). Hence ``round(-1.5) = -1`` here, where Web Forms gives -2. Negative
  ``digits`` round to tens, hundreds... (``round(12345.12345, -2) = 12300``); ``|digits| >
  30`` gives NaN. The text ``'4,6'`` rounds to 5 (comma as decimal point, see coerce).
- ``sum``, ``min``, ``max`` are NaN if any member is empty or not a number (FORMS.md and
  Web Forms; JavaRosa skips such members in ``min``/``max``). ``sum`` of an empty node-set
  is 0; ``min``/``max`` of nothing is NaN. ``sum`` needs a node-set; ``min``/``max`` take
  node-sets or any number of values.
- ``random()`` is ``ctx.random()``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Context, Decimal, localcontext
from typing import TYPE_CHECKING

from qi_capture.forms.expressions import ast
from qi_capture.forms.expressions.coerce import INF, NAN, string_to_number, to_number
from qi_capture.forms.expressions.functions.base import fail, flatten, java_int, register
from qi_capture.forms.expressions.values import Value

if TYPE_CHECKING:
    from qi_capture.forms.expressions.compiler import Compiler, Fn
    from qi_capture.forms.expressions.context import EvalContext, XNode


@register("number", returns="number")
def _number(call: ast.Call, comp: Compiler) -> Fn:
    if not call.args:
        return lambda c, n: string_to_number(n.value())
    return comp.number(call.args[0])


def to_int(x: float) -> float:
    if x != x or x in (INF, -INF) or abs(x) >= 9.2e18:
        return x
    t = float(math.trunc(x))
    if t == 0 and math.copysign(1.0, x) < 0:
        return -0.0
    return t


@register("int", returns="number")
def _int(call: ast.Call, comp: Compiler) -> Fn:
    f = comp.number(call.args[0])
    return lambda c, n: to_int(f(c, n))


_ROUND_CONTEXT = Context(prec=400)


def round_java(x: float, digits: int) -> float:
    if x != x or x in (INF, -INF):
        return x
    if digits > 30 or digits < -30:
        return NAN
    with localcontext(_ROUND_CONTEXT):
        if digits >= 0:
            mode = ROUND_HALF_DOWN if x < 0 else ROUND_HALF_UP
            return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-digits), rounding=mode))
        scaled = float(Decimal(repr(x)).scaleb(digits))
        # JavaRosa: (long) (scaled + 0.5), i.e. truncation toward zero after adding a half.
        rounded = float(math.trunc(scaled + 0.5)) if abs(scaled) < 9.2e18 else scaled
        return float(Decimal(repr(rounded)).scaleb(-digits))


@register("round", returns="number")
def _round(call: ast.Call, comp: Compiler) -> Fn:
    f = comp.number(call.args[0])
    if len(call.args) == 1:
        return lambda c, n: round_java(f(c, n), 0)
    d = comp.number(call.args[1])
    return lambda c, n: round_java(f(c, n), java_int(d(c, n)))


@register("floor", returns="number")
def _floor(call: ast.Call, comp: Compiler) -> Fn:
    f = comp.number(call.args[0])
    # XPath 1.0: NaN and the infinities pass through; math.floor would raise on them.
    return lambda c, n: _integral(f(c, n), math.floor)


@register("ceiling", returns="number")
def _ceiling(call: ast.Call, comp: Compiler) -> Fn:
    f = comp.number(call.args[0])
    return lambda c, n: _integral(f(c, n), math.ceil)


def _integral(x: float, fn: Callable[[float], int]) -> float:
    return float(fn(x)) if math.isfinite(x) else x


def _java_unary(
    fn: Callable[[float], float], at_zero: float | None = None
) -> Callable[[float], float]:
    """Wrap a math function so domain errors give NaN (or ``at_zero`` at 0) and overflow
    +-Infinity, as Java's Math does."""

    def run(x: float) -> float:
        try:
            return fn(x)
        except OverflowError:
            return INF
        except ValueError:
            if at_zero is not None and x == 0:
                return at_zero
            return NAN

    return run


def java_pow(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except OverflowError:
        odd = b == int(b) and int(b) % 2 == 1 if math.isfinite(b) else False
        return -INF if a < 0 and odd else INF
    except ValueError:
        if a == 0 and b < 0:
            odd = b == int(b) and int(b) % 2 == 1 if math.isfinite(b) else False
            return math.copysign(INF, a) if odd else INF
        return NAN


_UNARY: dict[str, Callable[[float], float]] = {
    "abs": abs,
    "sqrt": _java_unary(math.sqrt),
    "exp": _java_unary(math.exp),
    "exp10": lambda x: java_pow(10.0, x),
    "log": _java_unary(math.log, at_zero=-INF),
    "log10": _java_unary(math.log10, at_zero=-INF),
    "sin": _java_unary(math.sin),
    "cos": _java_unary(math.cos),
    "tan": _java_unary(math.tan),
    "asin": _java_unary(math.asin),
    "acos": _java_unary(math.acos),
    "atan": _java_unary(math.atan),
}


def _make_unary(name: str, fn: Callable[[float], float]) -> None:
    @register(name, returns="number")
    def build(call: ast.Call, comp: Compiler) -> Fn:
        f = comp.number(call.args[0])
        return lambda c, n: fn(f(c, n))


for _name, _fn in _UNARY.items():
    _make_unary(_name, _fn)


@register("pow", returns="number")
def _pow(call: ast.Call, comp: Compiler) -> Fn:
    a, b = comp.number(call.args[0]), comp.number(call.args[1])
    return lambda c, n: java_pow(a(c, n), b(c, n))


@register("atan2", returns="number")
def _atan2(call: ast.Call, comp: Compiler) -> Fn:
    y, x = comp.number(call.args[0]), comp.number(call.args[1])
    return lambda c, n: math.atan2(y(c, n), x(c, n))


@register("pi", returns="number")
def _pi(call: ast.Call, comp: Compiler) -> Fn:
    return lambda c, n: math.pi


@register("random", returns="number")
def _random(call: ast.Call, comp: Compiler) -> Fn:
    return lambda c, n: float(c.random())


@register("sum", returns="number")
def _sum(call: ast.Call, comp: Compiler) -> Fn:
    arg = comp.value(call.args[0])

    def run(c: EvalContext, n: XNode) -> Value:
        v = arg(c, n)
        if type(v) is not list:
            raise fail(call, "the argument must be a node-set (a repeated field or a path)")
        total = 0.0
        for node in v:
            total += string_to_number(node.value())
        return total

    return run


def _extreme(call: ast.Call, comp: Compiler, pick: Callable[[float, float], float]) -> Fn:
    args = [comp.value(a) for a in call.args]

    def run(c: EvalContext, n: XNode) -> Value:
        result: float | None = None
        for v in flatten([f(c, n) for f in args]):
            x = to_number(v)
            if x != x:
                return NAN
            result = x if result is None else pick(result, x)
        return NAN if result is None else result

    return run


@register("min", returns="number")
def _min(call: ast.Call, comp: Compiler) -> Fn:
    return _extreme(call, comp, min)


@register("max", returns="number")
def _max(call: ast.Call, comp: Compiler) -> Fn:
    return _extreme(call, comp, max)
