"""The printer: syntax tree -> canonical expression text (``parse(to_source(t)) == t``).

Used for messages, debugging and the round-trip property test. Operands are parenthesised
only where precedence requires it.
"""

from __future__ import annotations

import math
from decimal import Decimal

from qi_capture.forms.expressions import ast
from qi_capture.forms.expressions.parser import BINDING_POWER, UNARY_BINDING_POWER


def _number(value: float) -> str:
    if math.isinf(value):  # a literal too long for a float: any longer one parses the same
        return "1" + "0" * 400
    if value == int(value) and abs(value) < 1e16:
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def _string(value: str) -> str:
    # XPath 1.0 literals have no escapes: a value holding both quote kinds cannot be
    # written as one literal (the parser can never produce one).
    return f'"{value}"' if "'" in value else f"'{value}'"


def _power(node: ast.Node) -> int:
    if isinstance(node, ast.Binary):
        return BINDING_POWER[node.op]
    if isinstance(node, ast.Unary):
        return UNARY_BINDING_POWER
    return 100


def _operand(node: ast.Node, min_power: int) -> str:
    text = to_source(node)
    return f"({text})" if _power(node) < min_power else text


def _primary(node: ast.Node) -> str:
    """A node in a position that needs a primary expression (before '/' or '[')."""
    text = to_source(node)
    if isinstance(node, (ast.Number, ast.String, ast.Ref, ast.Call, ast.Filter)):
        return text
    return f"({text})"


def _step(step: ast.Step) -> str:
    if step.abbreviated:
        base = "." if step.axis == "self" else ".."
    elif step.axis == "child":
        base = step.test
    else:
        base = f"{step.axis}::{step.test}"
    return base + "".join(f"[{to_source(p)}]" for p in step.predicates)


def to_source(node: ast.Node) -> str:
    """Expression text for ``node``."""
    if isinstance(node, ast.Number):
        return _number(node.value)
    if isinstance(node, ast.String):
        return _string(node.value)
    if isinstance(node, ast.Ref):
        return "${last-saved#" + node.name + "}" if node.last_saved else "${" + node.name + "}"
    if isinstance(node, ast.Unary):
        return "-" + _operand(node.operand, UNARY_BINDING_POWER)
    if isinstance(node, ast.Binary):
        power = BINDING_POWER[node.op]
        # Walk the left spine of equal-power operators iteratively: ``1 + 1 + ... + 1``
        # can be thousands deep. Left-associative, so only right operands need
        # parentheses at equal power.
        tail: list[str] = []
        cur: ast.Node = node
        while isinstance(cur, ast.Binary) and BINDING_POWER[cur.op] == power:
            tail.append(f"{cur.op} {_operand(cur.right, power + 1)}")
            cur = cur.left
        tail.reverse()
        return " ".join([_operand(cur, power), *tail])
    if isinstance(node, ast.Call):
        return f"{node.name}({', '.join(to_source(a) for a in node.args)})"
    if isinstance(node, ast.Filter):
        return _primary(node.primary) + "".join(f"[{to_source(p)}]" for p in node.predicates)
    steps = "/".join(_step(s) for s in node.steps)
    if node.start == "root":
        return "/" + steps
    if node.start == "context":
        return steps
    return _primary(node.start) + "/" + steps
