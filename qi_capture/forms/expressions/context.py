"""What an expression sees when it runs: the instance tree and the evaluation context.

The form session implements these protocols over its live instance; ``evaluate()`` (the
public one-shot API) implements them over a dict of values. The evaluator depends only on
these protocols, never on the session, so the two can evolve separately.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol


class XNode(Protocol):
    """One element node of an XForm instance (a field, a group, or one repeat instance)."""

    @property
    def name(self) -> str: ...

    @property
    def parent(self) -> XNode | None: ...

    def children(self) -> Sequence[XNode]:
        """Child element nodes in document order (relevant or not)."""
        ...

    def value(self) -> str:
        """The node's XPath string value: its stored text ('' when unanswered or when the
        node is not relevant); for a group or repeat instance the concatenation of its
        descendants' values."""
        ...

    def relevant(self) -> bool:
        """False when this node or an ancestor is not relevant. Non-relevant nodes are left
        out of node-sets (FORMS.md section 8)."""
        ...

    def position(self) -> int:
        """1-based index among siblings of the same name (``position(..)`` in a repeat)."""
        ...


class EvalContext(Protocol):
    """Everything an expression may ask for besides its own literals."""

    @property
    def node(self) -> XNode:
        """The context node: ``.`` and ``current()`` (the field the expression belongs to)."""
        ...

    def ref(self, name: str) -> Sequence[XNode]:
        """``${name}``: the nodes of field ``name``, resolved from the context node the way
        pyxform does: when the field shares a repeat ancestor with the context node, only
        the node(s) in the same repeat instance; otherwise every instance. Non-relevant
        nodes are included (the evaluator filters or blanks them as XPath requires).
        ``${last-saved#name}`` arrives as ``ref("last-saved#name")``: the value in the
        last saved record of this form, or no node when there is none."""
        ...

    def root(self) -> XNode:
        """The primary instance's root element, for absolute paths (``/data/...``)."""
        ...

    def instance(self, instance_id: str) -> XNode | None:
        """The root element of secondary instance ``instance('id')`` (choice lists, CSV
        attachments), or None if the form has none by that name."""
        ...

    def choice_label(self, value: str, field_name: str) -> str | None:
        """``jr:choice-name(value, '${field}')``: the label of choice ``value`` of that
        field's list in the current language."""
        ...

    def itext(self, text_id: str) -> str | None:
        """``jr:itext(id)``: the translation with that id in the current language. Forms
        built from XLSForm address choice labels this way, with the ``itextId`` of a
        choice-list instance item (``static_instance-<list>-<index>``)."""
        ...

    def now(self) -> dt.datetime:
        """The current time, timezone-aware (tests pin it)."""
        ...

    def random(self) -> float:
        """A number in [0, 1) (tests seed it)."""
        ...
