"""Node-set and repeat functions: count, count-non-empty, position, indexed-repeat,
instance, current, randomize, pulldata.

Choices:
- ``count``/``count-non-empty``/``randomize`` need a node-set (ExpressionError otherwise).
- ``position()`` is the context node's 1-based index among same-name siblings (inside a
  predicate over a child step that is the XPath context position); ``position(ns)`` that
  of the first node, 0 for an empty node-set (JavaRosa).
- ``indexed-repeat(field, repeat1, i1, ...)``: the field in instance ``i1`` of ``repeat1``
  (1-based; an index below 1 means 1, as JavaRosa); outer repeats not indexed resolve to
  the instance containing the current field, if any.
- ``instance('id')`` is the document node above the instance's ``root`` element, so
  ``instance('id')/root/item`` works; an unknown id gives an empty node-set.
- ``randomize(ns)`` shuffles with ``ctx.random()``; ``randomize(ns, seed)`` is a
  deterministic shuffle of the seed (the same order every time) - but not yet the same
  order ODK Collect produces for that seed (its PRNG is not reproduced here).
- ``pulldata('id', col, keycol, key)`` = ``instance('id')/root/item[keycol = key]/col``.
"""

from __future__ import annotations

import random as _random_module
from typing import TYPE_CHECKING

from qi_capture.forms.expressions import ast
from qi_capture.forms.expressions.compiler import DocumentNode, expect_nodes, relevant_only
from qi_capture.forms.expressions.functions.base import fail, java_int, register
from qi_capture.forms.expressions.values import NodeSet, Value

if TYPE_CHECKING:
    from qi_capture.forms.expressions.compiler import Compiler, Fn
    from qi_capture.forms.expressions.context import EvalContext, XNode


@register("count", returns="number")
def _count(call: ast.Call, comp: Compiler) -> Fn:
    arg = comp.value(call.args[0])
    pos = call.pos
    return lambda c, n: float(len(expect_nodes(arg(c, n), pos, "count() of a node-set")))


@register("count-non-empty", returns="number")
def _count_non_empty(call: ast.Call, comp: Compiler) -> Fn:
    arg = comp.value(call.args[0])
    pos = call.pos
    what = "count-non-empty() of a node-set"
    return lambda c, n: float(sum(1 for x in expect_nodes(arg(c, n), pos, what) if x.value()))


@register("position", returns="number")
def _position(call: ast.Call, comp: Compiler) -> Fn:
    if not call.args:
        return lambda c, n: float(n.position())
    arg = comp.value(call.args[0])
    pos = call.pos

    def run(c: EvalContext, n: XNode) -> Value:
        nodes = expect_nodes(arg(c, n), pos)
        return float(nodes[0].position()) if nodes else 0.0

    return run


@register("current", returns="nodeset")
def _current(call: ast.Call, comp: Compiler) -> Fn:
    return lambda c, n: [c.node]


@register("instance", returns="nodeset")
def _instance(call: ast.Call, comp: Compiler) -> Fn:
    ident = comp.string(call.args[0])

    def run(c: EvalContext, n: XNode) -> Value:
        root = c.instance(ident(c, n))
        return [DocumentNode(root)] if root is not None else []

    return run


def _names_from_root(node: XNode) -> list[XNode]:
    """Ancestors-or-self of ``node`` below the root element, outermost first."""
    chain: list[XNode] = []
    cur: XNode | None = node
    while cur is not None and cur.parent is not None:
        chain.append(cur)
        cur = cur.parent
    chain.reverse()
    return chain


@register("indexed-repeat", returns="nodeset")
def _indexed_repeat(call: ast.Call, comp: Compiler) -> Fn:
    target = comp.value(call.args[0])
    levels = [
        (comp.value(call.args[i]), comp.number(call.args[i + 1]))
        for i in range(1, len(call.args), 2)
    ]

    def run(c: EvalContext, n: XNode) -> Value:
        fields = c_nodes(target(c, n), "the first argument must be a field reference")
        if not fields:
            return []
        path = _names_from_root(fields[0])
        names = [x.name for x in path]
        # depth (index into names) -> wanted 1-based instance number
        wanted: dict[int, int] = {}
        for repeat_f, index_f in levels:
            repeats = c_nodes(repeat_f(c, n), "repeat arguments must be repeat references")
            if not repeats:
                return []
            rnames = [x.name for x in _names_from_root(repeats[0])]
            if names[: len(rnames)] != rnames or len(rnames) >= len(names):
                raise fail(call, "each repeat must contain the field of the first argument")
            wanted[len(rnames) - 1] = max(1, java_int(index_f(c, n)))
        # Unindexed levels follow the current field's own instances where it has them.
        own = {id(x) for x in _names_from_root(c.node)}
        cur: NodeSet = [c.root()]
        for depth, name in enumerate(names):
            nxt: NodeSet = []
            for p in cur:
                found = [ch for ch in p.children() if ch.name == name]
                if depth in wanted:
                    k = wanted[depth]
                    found = found[k - 1 : k]
                elif len(found) > 1:
                    mine = [x for x in found if id(x) in own]
                    found = mine or relevant_only(found)
                nxt.extend(found)
            cur = nxt
        return cur

    def c_nodes(v: Value, message: str) -> NodeSet:
        if type(v) is not list:
            raise fail(call, message)
        return v

    return run


@register("randomize", returns="nodeset")
def _randomize(call: ast.Call, comp: Compiler) -> Fn:
    arg = comp.value(call.args[0])
    seed_f = comp.number(call.args[1]) if len(call.args) == 2 else None

    def run(c: EvalContext, n: XNode) -> Value:
        v = arg(c, n)
        if type(v) is not list:
            raise fail(call, "the first argument must be a node-set")
        nodes = list(v)
        if seed_f is None:
            rand = c.random
            for i in range(len(nodes) - 1, 0, -1):  # Fisher-Yates
                j = min(int(rand() * (i + 1)), i)
                nodes[i], nodes[j] = nodes[j], nodes[i]
        else:
            seed = seed_f(c, n)
            _random_module.Random(repr(seed)).shuffle(nodes)
        return nodes

    return run


@register("pulldata", returns="string")
def _pulldata(call: ast.Call, comp: Compiler) -> Fn:
    ident, col, keycol, key = (comp.string(a) for a in call.args)

    def run(c: EvalContext, n: XNode) -> Value:
        root = c.instance(ident(c, n))
        if root is None:
            return ""
        column, key_column, wanted = col(c, n), keycol(c, n), key(c, n)
        for item in root.children():
            fields = {ch.name: ch for ch in item.children()}
            k = fields.get(key_column)
            if k is not None and k.value() == wanted:
                hit = fields.get(column)
                return hit.value() if hit is not None else ""
        return ""

    return run
