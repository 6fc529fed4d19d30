"""The function registry and the helpers function modules share.

A function is registered with the static type of its result and a *builder*: given the
call's syntax node and the compiler, the builder compiles the arguments it needs (eagerly
or lazily: ``if``, ``coalesce`` and ``once`` must not evaluate every argument) and returns
the closure that runs the call. Argument counts were already checked by the parser.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qi_capture.forms.expressions import ast
from qi_capture.forms.expressions.coerce import to_string
from qi_capture.forms.expressions.datetimes import local_tz
from qi_capture.forms.expressions.errors import EVAL, ExpressionError
from qi_capture.forms.expressions.values import Value

if TYPE_CHECKING:
    from qi_capture.forms.expressions.compiler import Compiler, Fn
    from qi_capture.forms.expressions.context import EvalContext

Builder = Callable[[ast.Call, "Compiler"], "Fn"]


@dataclass(frozen=True, slots=True)
class FunctionImpl:
    build: Builder
    #: Static result type: "number", "string", "boolean", "nodeset" or "any".
    returns: str


REGISTRY: dict[str, FunctionImpl] = {}


def register(*names: str, returns: str) -> Callable[[Builder], Builder]:
    def deco(build: Builder) -> Builder:
        for name in names:
            REGISTRY[name] = FunctionImpl(build, returns)
        return build

    return deco


def fail(call: ast.Call, message: str, code: str = EVAL) -> ExpressionError:
    """An evaluation error located at the call."""
    return ExpressionError(
        f"{call.name}(): {message} at position {call.pos}",
        code=code,
        position=call.pos,
        function=call.name,
    )


def device_tz(ctx: EvalContext) -> dt.tzinfo:
    """The device time zone: the zone of ``ctx.now()`` (tests pin it), else the system's."""
    return ctx.now().tzinfo or local_tz()


def each_value(values: list[Value]) -> Iterator[str]:
    """String values with node-sets expanded to all their members (concat, join...)."""
    for v in values:
        if type(v) is list:
            for node in v:
                yield node.value()
        else:
            yield to_string(v)


def flatten(values: list[Value]) -> list[Value]:
    """Node-sets expanded to one string value per member; other values unchanged."""
    out: list[Value] = []
    for v in values:
        if type(v) is list:
            out.extend(node.value() for node in v)
        else:
            out.append(v)
    return out


def java_int(x: float) -> int:
    """Java's ``(int) x``: NaN -> 0, truncation, saturation at the int range."""
    if x != x:
        return 0
    if x >= 2147483647:
        return 2147483647
    if x <= -2147483648:
        return -2147483648
    return int(x)
