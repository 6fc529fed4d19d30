"""The evaluation context a form session gives its expressions.

``${name}`` resolves as pyxform compiles it: when the referenced field shares a repeat
with the node being evaluated, only the copy in the same repeat instance is seen;
otherwise every copy (a node-set over all instances).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from typing import Protocol

from qi_capture.forms.session.instance import Node, enclosing_instance, nodes_below
from qi_capture.forms.session.secondary import StaticNode
from qi_capture.forms.session.tree import InstanceTree


class ContextSource(Protocol):
    """What a context reads from the session's evaluator (``evaluator.Evaluator``)."""

    @property
    def tree(self) -> InstanceTree: ...

    def clock(self) -> dt.datetime: ...

    def random_source(self) -> float: ...

    def secondary_instance(self, instance_id: str) -> StaticNode | None: ...

    def choice_label(self, value: str, field_name: str) -> str | None: ...

    def itext(self, text_id: str) -> str | None: ...


class SessionContext:
    """Implements ``qi_capture.forms.expressions.context.EvalContext`` for one node."""

    __slots__ = ("_node", "_source")

    def __init__(self, source: ContextSource, node: Node) -> None:
        self._source = source
        self._node = node

    @property
    def node(self) -> Node:
        return self._node

    def ref(self, name: str) -> Sequence[Node]:
        tree = self._source.tree
        fixed = tree.fixed_nodes.get(name)
        if fixed is not None:
            return (fixed,)
        chain = tree.runtime.repeat_chain.get(name)
        if chain is None:
            return ()
        for repeat_name in reversed(chain):
            instance = enclosing_instance(self._node, repeat_name)
            if instance is not None:
                path = tree.form.element(name).path
                return nodes_below(instance, path[len(instance.element.path):])
        return tree.all_nodes(name)

    def root(self) -> Node:
        return self._source.tree.root

    def instance(self, instance_id: str) -> StaticNode | None:
        # The protocol wants the root element (the evaluator puts the document node
        # above it, as for root()); the evaluator caches the whole document.
        document = self._source.secondary_instance(instance_id)
        return document.children()[0] if document is not None else None

    def choice_label(self, value: str, field_name: str) -> str | None:
        return self._source.choice_label(value, field_name)

    def itext(self, text_id: str) -> str | None:
        return self._source.itext(text_id)

    def now(self) -> dt.datetime:
        return self._source.clock()

    def random(self) -> float:
        return self._source.random_source()


def default_clock() -> dt.datetime:
    return dt.datetime.now().astimezone()


def default_random() -> Callable[[], float]:
    return random.SystemRandom().random
