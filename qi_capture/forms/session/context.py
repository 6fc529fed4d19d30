"""The evaluation context a form session gives its expressions.

``${name}`` resolves as pyxform compiles it: when the referenced field shares a repeat
with the node being evaluated, only the copy in the same repeat instance is seen;
otherwise every copy (a node-set over all instances).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from qi_capture.forms.session.instance import Node, enclosing_instance, nodes_below
from qi_capture.forms.session.secondary import StaticNode

if TYPE_CHECKING:
    from qi_capture.forms.session.core import SessionCore


class SessionContext:
    """Implements ``qi_capture.forms.expressions.context.EvalContext`` for one node."""

    __slots__ = ("_node", "_session")

    def __init__(self, session: SessionCore, node: Node) -> None:
        self._session = session
        self._node = node

    @property
    def node(self) -> Node:
        return self._node

    def ref(self, name: str) -> Sequence[Node]:
        session = self._session
        fixed = session._fixed_nodes.get(name)
        if fixed is not None:
            return (fixed,)
        chain = session.runtime.repeat_chain.get(name)
        if chain is None:
            return ()
        for repeat_name in reversed(chain):
            instance = enclosing_instance(self._node, repeat_name)
            if instance is not None:
                path = session.form.element(name).path
                return nodes_below(instance, path[len(instance.element.path):])
        return session._all_nodes(name)

    def root(self) -> Node:
        return self._session.root

    def instance(self, instance_id: str) -> StaticNode | None:
        # The protocol wants the root element (the evaluator puts the document node
        # above it, as for root()); the session caches the whole document.
        document = self._session._secondary_instance(instance_id)
        return document.children()[0] if document is not None else None

    def choice_label(self, value: str, field_name: str) -> str | None:
        return self._session._choice_label(value, field_name)

    def itext(self, text_id: str) -> str | None:
        return self._session._itext(text_id)

    def now(self) -> dt.datetime:
        return self._session.clock()

    def random(self) -> float:
        return self._session.random_source()


def default_clock() -> dt.datetime:
    return dt.datetime.now().astimezone()


def default_random() -> Callable[[], float]:
    return random.SystemRandom().random
