"""The compiler: syntax tree -> Python closures, one per node, each ``f(ctx, node)``.

``ctx`` is the ``EvalContext`` (``current()`` is ``ctx.node``); ``node`` is the XPath
context node, which predicates change (``${people}[age < 18]``) while ``current()`` stays.

Every tree node can be compiled four ways - to a closure returning a ``Value``, a
``float``, a ``str`` or a ``bool`` - so that ``${a} > 3 and selected(${b}, 'x')`` runs
as a handful of direct calls with no intermediate boxing or dispatch on the operator.
Static result types (a literal, arithmetic, a comparison, a known function) pick the
fastest form; node-set operands keep XPath's "any member" comparison semantics.
Left-deep operator chains (``a + b + c + ...``) compile to one loop, so long flat
expressions neither recurse deeply at compile time nor at run time.

Relevance (FORMS.md section 8): a name that resolves to one node always yields it (its
``value()`` is ``''`` while it is not relevant, so ``${x} = ''`` holds for a hidden
field); a name that resolves to several nodes (the instances of a repeat, or a field
across them) yields only the relevant ones, so ``count()`` and ``sum()`` skip hidden
instances.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

from qi_capture.forms.expressions import ast
from qi_capture.forms.expressions.coerce import (
    INF,
    NAN,
    equals,
    format_number,
    nodeset_to_boolean,
    not_equals,
    number_to_boolean,
    numbers_equal,
    relational,
    string_to_number,
    to_boolean,
    to_number,
    to_string,
)
from qi_capture.forms.expressions.errors import EVAL, UNKNOWN_FUNCTION, ExpressionError
from qi_capture.forms.expressions.signatures import NOT_RUNNABLE
from qi_capture.forms.expressions.tokens import LAST_SAVED_PREFIX
from qi_capture.forms.expressions.values import NodeSet, Value

if TYPE_CHECKING:
    from qi_capture.forms.expressions.context import EvalContext, XNode

Fn = Callable[["EvalContext", "XNode"], Value]
NumFn = Callable[["EvalContext", "XNode"], float]
StrFn = Callable[["EvalContext", "XNode"], str]
BoolFn = Callable[["EvalContext", "XNode"], bool]
NodesFn = Callable[["EvalContext", "XNode"], NodeSet]
StepFn = Callable[["EvalContext", NodeSet], NodeSet]

# Static result types.
NUMBER = "number"
STRING = "string"
BOOLEAN = "boolean"
NODESET = "nodeset"
ANY = "any"

_ARITH = frozenset({"+", "-", "*", "div", "mod"})
_CMP = frozenset({"=", "!=", "<", "<=", ">", ">="})


# --- arithmetic with XPath's IEEE semantics (Python raises where XPath does not) --------------
def _div(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)


def _mod(a: float, b: float) -> float:
    # fmod keeps the sign of the dividend, like Java's % (``-5 mod 3 = -2``).
    try:
        return math.fmod(a, b)
    except ValueError:  # b == 0 or a infinite
        return NAN


def _add(a: float, b: float) -> float:
    return a + b


def _sub(a: float, b: float) -> float:
    return a - b


def _mul(a: float, b: float) -> float:
    return a * b


ARITH_OPS: dict[str, Callable[[float, float], float]] = {
    "+": _add,
    "-": _sub,
    "*": _mul,
    "div": _div,
    "mod": _mod,
}


# --- node helpers ---------------------------------------------------------------------------
class DocumentNode:
    """The XPath document node above an instance's root element: ``/data`` is its child
    ``data``, and ``instance('id')/root/item`` starts from one over the ``root`` element."""

    __slots__ = ("_root",)

    name = ""
    parent = None

    def __init__(self, root: XNode) -> None:
        self._root = root

    def children(self) -> Sequence[XNode]:
        return (self._root,)

    def value(self) -> str:
        return self._root.value()

    def relevant(self) -> bool:
        return True

    def position(self) -> int:
        return 1


def relevant_only(nodes: Sequence[XNode]) -> NodeSet:
    """Apply the relevance rule of the module docstring to a name's matches."""
    if len(nodes) > 1:
        return [x for x in nodes if x.relevant()]
    return list(nodes)


def ref_nodes(ctx: EvalContext, name: str) -> NodeSet:
    return relevant_only(ctx.ref(name))


def ref_string(ctx: EvalContext, name: str) -> str:
    nodes = ctx.ref(name)
    if len(nodes) == 1:
        return nodes[0].value()
    for x in nodes:
        if x.relevant():
            return x.value()
    return ""


def _document_key(node: XNode) -> tuple[int, ...]:
    """Sort key for document order: sibling indexes from the root down."""
    key: list[int] = []
    cur: XNode | None = node
    while cur is not None:
        parent = cur.parent
        if parent is None:
            break
        idx = 0
        for i, ch in enumerate(parent.children()):
            if ch is cur:
                idx = i
                break
        key.append(idx)
        cur = parent
    key.reverse()
    return tuple(key)


def union(a: NodeSet, b: NodeSet) -> NodeSet:
    seen = {id(x) for x in a}
    out = list(a)
    out.extend(x for x in b if id(x) not in seen)
    if a and b:
        out.sort(key=_document_key)
    return out


def expect_nodes(value: Value, pos: int, what: str = "a node-set") -> NodeSet:
    if type(value) is list:
        return value
    raise ExpressionError(
        f"expected {what}, got {to_string(value)!r} at position {pos}", code=EVAL, position=pos
    )


# --- compiled expression ------------------------------------------------------------------------
class Compiled:
    """The closures of one expression, by result type."""

    __slots__ = ("boolean", "nodes", "number", "string", "value")

    def __init__(self, value: Fn, string: StrFn, number: NumFn, boolean: BoolFn, nodes: NodesFn):
        self.value = value
        self.string = string
        self.number = number
        self.boolean = boolean
        self.nodes = nodes


class Compiler:
    """Turns syntax-tree nodes into closures. Function builders (``functions``) call back
    into ``value``/``number``/``string``/``boolean``/``nodes`` for their arguments."""

    # --- static types --------------------------------------------------------------------
    def static_type(self, node: ast.Node) -> str:
        if isinstance(node, ast.Number):
            return NUMBER
        if isinstance(node, ast.String):
            return STRING
        if isinstance(node, (ast.Ref, ast.Path, ast.Filter)):
            return NODESET
        if isinstance(node, ast.Unary):
            return NUMBER
        if isinstance(node, ast.Binary):
            if node.op in _ARITH:
                return NUMBER
            if node.op == "|":
                return NODESET
            return BOOLEAN
        from qi_capture.forms.expressions.functions import REGISTRY

        impl = REGISTRY.get(node.name)
        return impl.returns if impl is not None else ANY

    # --- value -----------------------------------------------------------------------------
    def value(self, node: ast.Node) -> Fn:
        if isinstance(node, ast.Number):
            v: float = node.value
            return lambda c, n: v
        if isinstance(node, ast.String):
            s: str = node.value
            return lambda c, n: s
        if isinstance(node, (ast.Ref, ast.Path, ast.Filter)):
            return self.nodes(node)
        if isinstance(node, ast.Unary):
            return self.number(node)
        if isinstance(node, ast.Binary):
            if node.op in _ARITH:
                return self.number(node)
            if node.op == "|":
                return self.nodes(node)
            return self.boolean(node)
        return self._call(node)

    # --- number ----------------------------------------------------------------------------
    def number(self, node: ast.Node) -> NumFn:
        if isinstance(node, ast.Number):
            v = node.value
            return lambda c, n: v
        if isinstance(node, ast.String):
            sv = string_to_number(node.value)
            return lambda c, n: sv
        if isinstance(node, ast.Unary):
            inner = self.number(node.operand)
            return lambda c, n: -inner(c, n)
        if isinstance(node, ast.Ref) and not node.last_saved:
            name = node.name
            return lambda c, n: string_to_number(ref_string(c, name))
        if _is_dot(node):
            return lambda c, n: string_to_number(n.value())
        if isinstance(node, ast.Binary) and node.op in _ARITH:
            return self._arith(node)
        st = self.static_type(node)
        if st == BOOLEAN:
            b = self.boolean(node)
            return lambda c, n: 1.0 if b(c, n) else 0.0
        if st == STRING:
            sf = self.string(node)
            return lambda c, n: string_to_number(sf(c, n))
        f = self.value(node)
        if st == NUMBER:
            return cast(NumFn, f)
        return lambda c, n: to_number(f(c, n))

    def _arith(self, node: ast.Binary) -> NumFn:
        first, rest = _left_spine(node, _ARITH)
        head = self.number(first)
        ops = [(ARITH_OPS[op], self.number(r), r) for op, r in rest]
        if len(ops) == 1:
            fn, right, rnode = ops[0]
            if isinstance(rnode, ast.Number) and fn is not _div and fn is not _mod:
                k = rnode.value
                if fn is _add:
                    return lambda c, n: head(c, n) + k
                if fn is _sub:
                    return lambda c, n: head(c, n) - k
                return lambda c, n: head(c, n) * k
            if fn is _add:
                return lambda c, n: head(c, n) + right(c, n)
            if fn is _sub:
                return lambda c, n: head(c, n) - right(c, n)
            if fn is _mul:
                return lambda c, n: head(c, n) * right(c, n)
            return lambda c, n: fn(head(c, n), right(c, n))
        pairs = [(fn, right) for fn, right, _ in ops]

        def chain(c: EvalContext, n: XNode) -> float:
            acc = head(c, n)
            for fn, right in pairs:
                acc = fn(acc, right(c, n))
            return acc

        return chain

    # --- string ----------------------------------------------------------------------------
    def string(self, node: ast.Node) -> StrFn:
        if isinstance(node, ast.String):
            s = node.value
            return lambda c, n: s
        if isinstance(node, ast.Number):
            sv = format_number(node.value)
            return lambda c, n: sv
        if isinstance(node, ast.Ref) and not node.last_saved:
            name = node.name
            return lambda c, n: ref_string(c, name)
        if _is_dot(node):
            return lambda c, n: n.value()
        st = self.static_type(node)
        if st == NUMBER:
            nf = self.number(node)
            return lambda c, n: format_number(nf(c, n))
        if st == BOOLEAN:
            b = self.boolean(node)
            return lambda c, n: "true" if b(c, n) else "false"
        f = self.value(node)
        if st == STRING:
            return cast(StrFn, f)
        return lambda c, n: to_string(f(c, n))

    # --- boolean ---------------------------------------------------------------------------
    def boolean(self, node: ast.Node) -> BoolFn:
        if isinstance(node, ast.Binary):
            if node.op in ("and", "or"):
                return self._logic(node)
            if node.op in _CMP:
                return self._compare(node)
        if isinstance(node, ast.Number):
            bv = number_to_boolean(node.value)
            return lambda c, n: bv
        if isinstance(node, ast.String):
            sb = bool(node.value)
            return lambda c, n: sb
        st = self.static_type(node)
        if st == NUMBER:
            nf = self.number(node)
            return lambda c, n: number_to_boolean(nf(c, n))
        if st == NODESET:
            ns = self.nodes(node)
            return lambda c, n: nodeset_to_boolean(ns(c, n))
        if st == STRING:
            sf = self.string(node)
            return lambda c, n: len(sf(c, n)) > 0
        f = self.value(node)
        if st == BOOLEAN:
            return cast(BoolFn, f)
        return lambda c, n: to_boolean(f(c, n))

    def _logic(self, node: ast.Binary) -> BoolFn:
        first, rest = _left_spine(node, frozenset({node.op}))
        parts = [self.boolean(first)] + [self.boolean(r) for _, r in rest]
        if len(parts) == 2:
            a, b = parts
            if node.op == "and":
                return lambda c, n: a(c, n) and b(c, n)
            return lambda c, n: a(c, n) or b(c, n)
        if node.op == "and":
            return lambda c, n: all(p(c, n) for p in parts)
        return lambda c, n: any(p(c, n) for p in parts)

    def _compare(self, node: ast.Binary) -> BoolFn:
        first, rest = _left_spine(node, _CMP)
        if len(rest) == 1:
            return self._compare_pair(node.op, first, rest[0][1])
        # A chain such as ``3 < 4 < 5`` compares the boolean result with the next operand.
        head = self.value(first)
        steps = [(op, self.value(r)) for op, r in rest]

        def chain(c: EvalContext, n: XNode) -> bool:
            acc: Value = head(c, n)
            for op, right in steps:
                acc = _apply_cmp(op, acc, right(c, n))
            return cast(bool, acc)

        return chain

    def _compare_pair(self, op: str, left: ast.Node, right: ast.Node) -> BoolFn:
        lt, rt = self.static_type(left), self.static_type(right)
        scalar = NODESET not in (lt, rt) and ANY not in (lt, rt)
        if op in ("=", "!="):
            eq = op == "="
            if scalar:
                if BOOLEAN in (lt, rt):
                    lb, rb = self.boolean(left), self.boolean(right)
                    if eq:
                        return lambda c, n: lb(c, n) == rb(c, n)
                    return lambda c, n: lb(c, n) != rb(c, n)
                if NUMBER in (lt, rt):
                    ln, rn = self.number(left), self.number(right)
                    if eq:
                        return lambda c, n: numbers_equal(ln(c, n), rn(c, n))
                    return lambda c, n: not numbers_equal(ln(c, n), rn(c, n))
                ls, rs = self.string(left), self.string(right)
                if eq:
                    return lambda c, n: ls(c, n) == rs(c, n)
                return lambda c, n: ls(c, n) != rs(c, n)
            if NUMBER in (lt, rt):
                fast = self._node_vs_number(op, left, right, lt, rt)
                if fast is not None:
                    return fast
            # ``${x} = 'yes'``: a single-node reference against a string is a string test.
            if (isinstance(left, ast.Ref) and rt == STRING) or (
                isinstance(right, ast.Ref) and (lt == STRING)
            ):
                ref, other = (left, right) if isinstance(left, ast.Ref) else (right, left)
                return self._ref_vs_string(cast(ast.Ref, ref), self.string(other), eq)
            lv, rv = self.value(left), self.value(right)
            if eq:
                return lambda c, n: equals(lv(c, n), rv(c, n))
            return lambda c, n: not_equals(lv(c, n), rv(c, n))
        if not scalar and NUMBER in (lt, rt):
            fast = self._node_vs_number(op, left, right, lt, rt)
            if fast is not None:
                return fast
        if scalar:
            ln, rn = self.number(left), self.number(right)
            if op == "<":
                return lambda c, n: ln(c, n) < rn(c, n)
            if op == "<=":
                return lambda c, n: ln(c, n) <= rn(c, n)
            if op == ">":
                return lambda c, n: ln(c, n) > rn(c, n)
            return lambda c, n: ln(c, n) >= rn(c, n)
        lv, rv = self.value(left), self.value(right)
        return lambda c, n: relational(op, lv(c, n), rv(c, n))

    def _node_vs_number(
        self, op: str, left: ast.Node, right: ast.Node, lt: str, rt: str
    ) -> BoolFn | None:
        """``${age} >= 18``, ``. < 120``: a reference or ``.`` against a number compares
        each node's number (XPath's "some member") without building a node list."""
        if rt == NUMBER and (_is_dot(left) or isinstance(left, ast.Ref)):
            target, other, cmp = left, self.number(right), _NUM_CMP[op]
        elif lt == NUMBER and (_is_dot(right) or isinstance(right, ast.Ref)):
            target, other, cmp = right, self.number(left), _NUM_CMP[_SWAPPED[op]]
        else:
            return None
        if _is_dot(target):
            return lambda c, n: cmp(string_to_number(n.value()), other(c, n))
        ref = cast(ast.Ref, target)
        name = LAST_SAVED_PREFIX + ref.name if ref.last_saved else ref.name

        def test(c: EvalContext, n: XNode) -> bool:
            y = other(c, n)
            nodes = c.ref(name)
            if len(nodes) == 1:
                return cmp(string_to_number(nodes[0].value()), y)
            return any(x.relevant() and cmp(string_to_number(x.value()), y) for x in nodes)

        return test

    def _ref_vs_string(self, ref: ast.Ref, other: StrFn, eq: bool) -> BoolFn:
        name = LAST_SAVED_PREFIX + ref.name if ref.last_saved else ref.name

        def test(c: EvalContext, n: XNode) -> bool:
            s = other(c, n)
            nodes = c.ref(name)
            if len(nodes) == 1:
                return (nodes[0].value() == s) is eq
            return any(x.relevant() and (x.value() == s) is eq for x in nodes)

        return test

    # --- node-sets ---------------------------------------------------------------------------
    def nodes(self, node: ast.Node) -> NodesFn:
        if isinstance(node, ast.Ref):
            name = LAST_SAVED_PREFIX + node.name if node.last_saved else node.name
            return lambda c, n: ref_nodes(c, name)
        if _is_dot(node):
            return _context_start
        if isinstance(node, ast.Path):
            return self._path(node)
        if isinstance(node, ast.Filter):
            prim = self.nodes(node.primary)
            preds = [self._predicate(p) for p in node.predicates]

            def filtered(c: EvalContext, n: XNode) -> NodeSet:
                out = prim(c, n)
                for p in preds:
                    out = p(c, out)
                return out

            return filtered
        if isinstance(node, ast.Binary) and node.op == "|":
            first, rest = _left_spine(node, frozenset({"|"}))
            parts = [self.nodes(first)] + [self.nodes(r) for _, r in rest]

            def united(c: EvalContext, n: XNode) -> NodeSet:
                out = parts[0](c, n)
                for p in parts[1:]:
                    out = union(out, p(c, n))
                return out

            return united
        f = self.value(node)
        pos = node.pos
        if isinstance(node, ast.Call) and self.static_type(node) == NODESET:
            return cast(NodesFn, f)
        return lambda c, n: expect_nodes(f(c, n), pos)

    def _path(self, node: ast.Path) -> NodesFn:
        steps = [self._step(s) for s in node.steps]
        start: NodesFn
        if node.start == "context":
            start = _context_start
        elif node.start == "root":
            if steps and node.steps[0].axis == "child" and not node.steps[0].predicates:
                # ``/data/...``: test the root element directly instead of building a
                # document node on every evaluation.
                test = node.steps[0].test
                steps = steps[1:]
                wildcard = test in ("*", "node()")

                def root_start(c: EvalContext, n: XNode) -> NodeSet:
                    r = c.root()
                    return [r] if wildcard or r.name == test else []

                start = root_start
            else:
                start = _document_start
        else:
            start = self.nodes(node.start)
        if not steps:
            return start
        if len(steps) == 1:
            only = steps[0]
            return lambda c, n: only(c, start(c, n))

        def path(c: EvalContext, n: XNode) -> NodeSet:
            cur = start(c, n)
            for st in steps:
                if not cur:
                    return cur
                cur = st(c, cur)
            return cur

        return path

    def _step(self, step: ast.Step) -> StepFn:
        preds = [self._predicate(p) for p in step.predicates]
        test = step.test
        any_name = test in ("*", "node()")
        prefix = test[:-1] if test.endswith(":*") else None

        def matches(name: str) -> bool:
            if any_name:
                return True
            if prefix is not None:
                return name.startswith(prefix)
            return name == test

        if step.axis == "child":
            if not any_name and prefix is None and not preds:

                def child_by_name(c: EvalContext, nodes: NodeSet) -> NodeSet:
                    out: NodeSet = []
                    for p in nodes:
                        found = [ch for ch in p.children() if ch.name == test]
                        out.extend(relevant_only(found) if len(found) > 1 else found)
                    return out

                return child_by_name

            def child(c: EvalContext, nodes: NodeSet) -> NodeSet:
                out: NodeSet = []
                for p in nodes:
                    found = relevant_only([ch for ch in p.children() if matches(ch.name)])
                    for pred in preds:
                        found = pred(c, found)
                    out.extend(found)
                return out

            return child

        if step.axis == "self":

            def self_axis(c: EvalContext, nodes: NodeSet) -> NodeSet:
                out: NodeSet = []
                for x in nodes:
                    found: NodeSet = [x] if any_name or matches(x.name) else []
                    for pred in preds:
                        found = pred(c, found)
                    out.extend(found)
                return out

            return self_axis

        def parent_axis(c: EvalContext, nodes: NodeSet) -> NodeSet:
            out: NodeSet = []
            seen: set[int] = set()
            for x in nodes:
                par = x.parent
                if par is None or id(par) in seen or not (any_name or matches(par.name)):
                    continue
                seen.add(id(par))
                found: NodeSet = [par]
                for pred in preds:
                    found = pred(c, found)
                out.extend(found)
            return out

        return parent_axis

    def _predicate(self, node: ast.Node) -> StepFn:
        """A predicate filters a node list; a number selects by 1-based position."""
        if isinstance(node, ast.Number):
            k = node.value
            idx = int(k) - 1 if k == int(k) and k >= 1 else -1

            def at(c: EvalContext, nodes: NodeSet) -> NodeSet:
                return nodes[idx : idx + 1] if 0 <= idx < len(nodes) else []

            return at
        st = self.static_type(node)
        if st == NUMBER:
            nf = self.number(node)
            return lambda c, nodes: [x for i, x in enumerate(nodes, 1) if nf(c, x) == i]
        if st == ANY:
            vf = self.value(node)

            def dynamic(c: EvalContext, nodes: NodeSet) -> NodeSet:
                out: NodeSet = []
                for i, x in enumerate(nodes, 1):
                    v = vf(c, x)
                    if (v == i) if type(v) is float else to_boolean(v):
                        out.append(x)
                return out

            return dynamic
        bf = self.boolean(node)
        return lambda c, nodes: [x for x in nodes if bf(c, x)]

    # --- calls -------------------------------------------------------------------------------
    def _call(self, node: ast.Call) -> Fn:
        from qi_capture.forms.expressions.functions import REGISTRY

        impl = REGISTRY.get(node.name)
        if impl is None or node.name in NOT_RUNNABLE:
            name, pos = node.name, node.pos

            def unknown(c: EvalContext, n: XNode) -> Value:
                raise ExpressionError(
                    f"function {name}() is not supported by QI Capture at position {pos}",
                    code=UNKNOWN_FUNCTION,
                    position=pos,
                    function=name,
                )

            return unknown
        return impl.build(node, self)


def _is_dot(node: ast.Node) -> bool:
    """``.`` (also written ``self::node()``) without predicates."""
    if not isinstance(node, ast.Path) or node.start != "context" or len(node.steps) != 1:
        return False
    step = node.steps[0]
    return step.axis == "self" and step.test == "node()" and not step.predicates


def _not_equal(x: float, y: float) -> bool:
    return not numbers_equal(x, y)


_NUM_CMP: dict[str, Callable[[float, float], bool]] = {
    "=": numbers_equal,
    "!=": _not_equal,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_SWAPPED = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _context_start(c: EvalContext, n: XNode) -> NodeSet:
    return [n]


def _document_start(c: EvalContext, n: XNode) -> NodeSet:
    return [DocumentNode(c.root())]


def _left_spine(
    node: ast.Binary, ops: frozenset[str]
) -> tuple[ast.Node, list[tuple[str, ast.Node]]]:
    """``((a op1 b) op2 c)`` -> ``(a, [(op1, b), (op2, c)])`` while the operators are in
    ``ops``; evaluating the list left to right is exactly the tree's evaluation."""
    rest: list[tuple[str, ast.Node]] = []
    cur: ast.Node = node
    while isinstance(cur, ast.Binary) and cur.op in ops:
        rest.append((cur.op, cur.right))
        cur = cur.left
    rest.reverse()
    return cur, rest


def _apply_cmp(op: str, a: Value, b: Value) -> bool:
    if op == "=":
        return equals(a, b)
    if op == "!=":
        return not_equals(a, b)
    return relational(op, a, b)


def compile_tree(tree: ast.Node) -> Compiled:
    comp = Compiler()
    value = comp.value(tree)
    nodes: NodesFn
    if comp.static_type(tree) == NODESET:
        nodes = comp.nodes(tree)
    else:
        pos = tree.pos

        def nodes(c: EvalContext, n: XNode) -> NodeSet:
            return expect_nodes(value(c, n), pos)

    return Compiled(value, comp.string(tree), comp.number(tree), comp.boolean(tree), nodes)
