"""Select functions: selected (and JavaRosa's alias is-selected), count-selected,
selected-at, jr:choice-name.

A select_multiple value is its choice names separated by spaces. Choices:
- ``selected(list, value)``: whole-token match, ``value`` trimmed; an empty ``value`` is
  never selected. The second argument must be text (``selected(${x}, 1)`` is an
  ExpressionError, as in JavaRosa, which asks for quotes: ``'1'``).
- ``selected-at(list, i)`` is 0-based (JavaRosa and Web Forms tests; the ODK XForms text
  saying index 0 gives ``''`` is contradicted by both); out of range gives ``''``.
- ``jr:choice-name(value, '${q}')``: the second argument names the field (``'${q}'`` or a
  path ending in its name); the label comes from ``ctx.choice_label`` in the current
  language; ``''`` when the value is not a choice of that field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qi_capture.forms.expressions import ast
from qi_capture.forms.expressions.coerce import to_string
from qi_capture.forms.expressions.functions.base import fail, java_int, register
from qi_capture.forms.expressions.values import Value

if TYPE_CHECKING:
    from qi_capture.forms.expressions.compiler import Compiler, Fn
    from qi_capture.forms.expressions.context import EvalContext, XNode


def tokens(value: str) -> list[str]:
    return [t for t in value.split(" ") if t]


@register("selected", "is-selected", returns="boolean")
def _selected(call: ast.Call, comp: Compiler) -> Fn:
    lst = comp.string(call.args[0])
    choice = comp.value(call.args[1])

    def run(c: EvalContext, n: XNode) -> Value:
        v = choice(c, n)
        if type(v) is not str and type(v) is not list:
            raise fail(
                call,
                f"the choice to look for must be text in quotes (like '{to_string(v)}')",
            )
        wanted = to_string(v).strip()
        if not wanted:
            return False
        return wanted in tokens(lst(c, n))

    return run


@register("count-selected", returns="number")
def _count_selected(call: ast.Call, comp: Compiler) -> Fn:
    lst = comp.string(call.args[0])
    return lambda c, n: float(len(tokens(lst(c, n))))


@register("selected-at", returns="string")
def _selected_at(call: ast.Call, comp: Compiler) -> Fn:
    lst, index = comp.string(call.args[0]), comp.number(call.args[1])

    def run(c: EvalContext, n: XNode) -> Value:
        items = tokens(lst(c, n))
        i = java_int(index(c, n))
        return items[i] if 0 <= i < len(items) else ""

    return run


def field_name(text: str) -> str:
    """``'${q}'``, ``' /data/g/q '`` or ``'q'`` -> ``q``."""
    t = text.strip()
    if t.startswith("${") and t.endswith("}"):
        return t[2:-1].strip()
    return t.rstrip("/").rsplit("/", 1)[-1].strip()


@register("jr:choice-name", returns="string")
def _choice_name(call: ast.Call, comp: Compiler) -> Fn:
    value, field = comp.string(call.args[0]), comp.string(call.args[1])

    def run(c: EvalContext, n: XNode) -> Value:
        v = value(c, n)
        if not v:
            return ""
        label = c.choice_label(v, field_name(field(c, n)))
        return label if label is not None else ""

    return run
