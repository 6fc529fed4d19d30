"""Logic and control: if, not, true, false, boolean, boolean-from-string, coalesce, once,
checklist, weighted-checklist.

Choices where engines differ (JavaRosa followed unless noted):
- ``if``, ``coalesce`` evaluate only the branch they need (so ``if(false(), date('x'), 1)``
  does not fail).
- ``coalesce(a, b)``: a value is empty if it is ``''`` or NaN (JavaRosa ``isNull``), so
  ``coalesce(1 div '', 0)`` is ``0``.
- ``once(x)``: the field's current value when it is non-empty, otherwise ``x`` in its
  stored form (NaN -> ``''``), since ``once`` only makes sense in a calculation.
- ``boolean-from-string``: true only for exactly ``'true'`` and ``'1'`` (FORMS.md;
  JavaRosa also accepts ``'TRUE'``, Web Forms does not).
- ``checklist``/``weighted-checklist``: node-set arguments count member by member (a node
  counts when its value is non-empty); ``checklist`` treats -1 as "no bound";
  ``weighted-checklist`` compares the sum with both bounds as given (JavaRosa).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qi_capture.forms.expressions import ast
from qi_capture.forms.expressions.coerce import is_empty, to_boolean, to_number, to_stored
from qi_capture.forms.expressions.functions.base import fail, flatten, java_int, register
from qi_capture.forms.expressions.values import NodeSet, Value

if TYPE_CHECKING:
    from qi_capture.forms.expressions.compiler import Compiler, Fn
    from qi_capture.forms.expressions.context import EvalContext, XNode


@register("if", returns="any")
def _if(call: ast.Call, comp: Compiler) -> Fn:
    cond = comp.boolean(call.args[0])
    then, other = comp.value(call.args[1]), comp.value(call.args[2])
    return lambda c, n: then(c, n) if cond(c, n) else other(c, n)


@register("not", returns="boolean")
def _not(call: ast.Call, comp: Compiler) -> Fn:
    b = comp.boolean(call.args[0])
    return lambda c, n: not b(c, n)


@register("true", returns="boolean")
def _true(call: ast.Call, comp: Compiler) -> Fn:
    return lambda c, n: True


@register("false", returns="boolean")
def _false(call: ast.Call, comp: Compiler) -> Fn:
    return lambda c, n: False


@register("boolean", returns="boolean")
def _boolean(call: ast.Call, comp: Compiler) -> Fn:
    b = comp.boolean(call.args[0])
    return lambda c, n: b(c, n)


@register("boolean-from-string", returns="boolean")
def _boolean_from_string(call: ast.Call, comp: Compiler) -> Fn:
    s = comp.string(call.args[0])
    return lambda c, n: s(c, n) in ("true", "1")


@register("coalesce", returns="any")
def _coalesce(call: ast.Call, comp: Compiler) -> Fn:
    first, second = comp.value(call.args[0]), comp.value(call.args[1])

    def run(c: EvalContext, n: XNode) -> Value:
        v = first(c, n)
        return second(c, n) if is_empty(v) else v

    return run


@register("once", returns="string")
def _once(call: ast.Call, comp: Compiler) -> Fn:
    arg = comp.value(call.args[0])

    def run(c: EvalContext, n: XNode) -> Value:
        current = c.node.value()
        return current if current else to_stored(arg(c, n))

    return run


@register("checklist", returns="boolean")
def _checklist(call: ast.Call, comp: Compiler) -> Fn:
    lo, hi = comp.number(call.args[0]), comp.number(call.args[1])
    items = [comp.value(a) for a in call.args[2:]]

    def run(c: EvalContext, n: XNode) -> Value:
        low, high = java_int(lo(c, n)), java_int(hi(c, n))
        count = sum(1 for v in flatten([f(c, n) for f in items]) if to_boolean(v))
        return (low < 0 or count >= low) and (high < 0 or count <= high)

    return run


@register("weighted-checklist", returns="boolean")
def _weighted_checklist(call: ast.Call, comp: Compiler) -> Fn:
    lo, hi = comp.number(call.args[0]), comp.number(call.args[1])
    pairs = [
        (comp.value(call.args[i]), comp.value(call.args[i + 1]))
        for i in range(2, len(call.args), 2)
    ]

    def run(c: EvalContext, n: XNode) -> Value:
        total = 0.0
        for flag_f, weight_f in pairs:
            flags, weights = flag_f(c, n), weight_f(c, n)
            if type(flags) is list and type(weights) is list:
                fl: NodeSet = flags
                wl: NodeSet = weights
                if len(fl) != len(wl):
                    raise fail(call, "the node-sets of values and weights differ in length")
                for f_node, w_node in zip(fl, wl, strict=True):
                    if f_node.value():
                        total += to_number(w_node.value())
            elif to_boolean(flatten([flags])[0] if type(flags) is list and flags else flags):
                total += to_number(weights)
        return lo(c, n) <= total <= hi(c, n)

    return run
