"""Choices offered by selects (after ``choice_filter``), choice labels, label rendering.

In a ``choice_filter``, bare names are columns of the candidate choice (the item is the
context node) while ``${x}`` still refers to form fields. These are functions of the
session's ``Evaluator``: what is offered depends on the answers and the language only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from qi_capture.forms.expressions import ExpressionError, parse
from qi_capture.forms.expressions.coerce import to_boolean
from qi_capture.forms.session.context import ContextSource, SessionContext
from qi_capture.forms.session.evaluator import Evaluator
from qi_capture.forms.session.instance import Node
from qi_capture.forms.session.secondary import StaticNode

_REF = re.compile(r"\$\{\s*([^}\s]+)\s*\}")


def offered_names(evaluator: Evaluator, node: Node) -> set[str] | None:
    """The names of the choices offered now at ``node``; None when that cannot be told
    (the filter failed to evaluate for some choice)."""
    offered, failed = choices_at(evaluator, node, labels=False)
    return None if failed else {name for name, _ in offered}


def choices_at(evaluator: Evaluator, node: Node, *, labels: bool = True,
               ) -> tuple[list[tuple[str, str]], bool]:
    """(the choices offered at ``node`` as (name, label), whether the filter failed for
    any)."""
    element = node.element
    if element.choices_from is not None:
        seen: dict[str, None] = {}
        sources = _choice_sources(evaluator, node)
        if sources is None:
            return [], True
        for source in sources:
            value = source.value()
            if value and source.relevant():
                seen.setdefault(value, None)
        return [(v, v) for v in seen], False
    if element.list_name is None:
        return [], False
    out: list[tuple[str, str]] = []
    failed = False
    choices = evaluator.form.choices(element.list_name)
    filter_expr = parse(element.choice_filter.source) if element.choice_filter else None
    if filter_expr is not None:
        # In choice_filter, bare names are the candidate item's columns and ${x} is
        # a form field: evaluate with the candidate item as the context node.
        items = evaluator.secondary_instance(element.list_name)
        assert items is not None
        for choice, item in zip(choices, items.children()[0].children(), strict=True):
            try:
                keep = to_boolean(filter_expr.evaluate(_ItemContext(evaluator, node, item)))
            except ExpressionError:
                keep, failed = False, True
            if keep:
                out.append((choice.name, evaluator.choice_text(choice) if labels else ""))
    else:
        out = [(c.name, evaluator.choice_text(c) if labels else "") for c in choices]
    if element.or_other and all(name != "other" for name, _ in out):
        out.append(("other", "Other"))
    return out, failed


def _choice_sources(evaluator: Evaluator, node: Node) -> Sequence[Any] | None:
    """The nodes a ``select_one ${q}`` offers: ``q`` in every instance of its repeat
    that passes the choice_filter (None when the filter fails to evaluate). As
    pyxform compiles it (``/data/rep[filter]/q``), the filter runs on each instance:
    bare names and ``position()`` are the instance's, ``${x}`` of the same repeat is
    ``./x`` in it, ``current()`` the select."""
    element = node.element
    assert element.choices_from is not None
    form = evaluator.form
    context = SessionContext(evaluator, node)
    chain = evaluator.tree.runtime.repeat_chain.get(element.choices_from, ())
    if not chain:
        return context.ref(element.choices_from)
    repeat_path = form.element(chain[-1]).path
    depth = len(repeat_path)

    def inside(name: str) -> str | None:
        target = form.find(name)
        if target is None or target.path[:depth] != repeat_path:
            return None
        return "/".join((".", *target.path[depth:]))

    step = inside(element.choices_from)
    predicate = ""
    if element.choice_filter is not None:
        predicate = "[" + _REF.sub(lambda m: inside(m[1]) or m[0],
                                   element.choice_filter.source) + "]"
    try:
        found = parse(f"${{{chain[-1]}}}{predicate}/{step}").evaluate(context)
    except ExpressionError:
        return None
    return found if isinstance(found, list) else []


def render(evaluator: Evaluator, text: str, node: Node) -> str:
    """Replace each ``${name}`` in ``text`` by the field's current value, as ODK's
    ``<output/>`` does (a select's value shows as its choice name)."""
    if "${" not in text:
        return text
    context = SessionContext(evaluator, node)
    out: list[str] = []
    rest = text
    while "${" in rest:
        before, _, after = rest.partition("${")
        name, closed, tail = after.partition("}")
        out.append(before)
        if not closed:
            out.append("${" + after)
            rest = ""
            break
        nodes = context.ref(name.strip())
        out.append(nodes[0].value() if nodes else "")
        rest = tail
    out.append(rest)
    return "".join(out)


class _ItemContext(SessionContext):
    """Context for a choice_filter: the candidate item is ``.``; ``${x}`` and
    ``current()`` still see the form from the select's node."""

    __slots__ = ("_item",)

    def __init__(self, source: ContextSource, node: Node, item: StaticNode) -> None:
        super().__init__(source, node)
        self._item = item

    @property
    def node(self) -> Any:
        return self._item

    @property
    def current_node(self) -> Node:
        return self._node


