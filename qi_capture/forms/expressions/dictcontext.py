"""A dict-backed instance and context: the one-shot ``evaluate()`` API and test fixtures.

``values`` uses the format of ``../shared/acceptance/expressions.jsonl``'s ``context``:

- ``{"name": value}``: a field (str; int/float as number text; bool as ``true``/``false``;
  None as ``''``; date/datetime as ISO text); a dict is a group of fields;
- ``{"name": [{...}, {...}]}``: a repeat, one dict per instance;
- ``"."``: the value of the field the expression belongs to (the context node);
- ``"__current__": {"repeat": r, "index": n}``: that field sits in the n-th (1-based)
  instance of repeat ``r``, so ``${field}`` of the same repeat resolves in that instance
  and ``position(..)`` is n;
- ``"last-saved#name"``: the value ``${last-saved#name}`` reads;
- ``"__instances__": {"id": [{"name": ..., "label": ...}, ...]}``: secondary instances
  (``instance('id')/root/item``, ``pulldata``);
- ``"__choice_labels__": {"field": {"value": "label"}}``: for ``jr:choice-name``;
- ``"__relevant__": {"name": false}``: fields (all their nodes) that are not relevant.
"""

from __future__ import annotations

import datetime as dt
import random as _random
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from qi_capture.forms.expressions.coerce import to_string
from qi_capture.forms.expressions.context import XNode
from qi_capture.forms.expressions.datetimes import format_date, format_datetime
from qi_capture.forms.expressions.errors import EVAL, ExpressionError
from qi_capture.forms.expressions.expression import parse
from qi_capture.forms.expressions.tokens import LAST_SAVED_PREFIX

SELF_NAME = "__self__"
_SPECIAL = frozenset({".", "__current__", "__instances__", "__choice_labels__", "__relevant__"})


class DictNode:
    """An element: a field (``text``) or a container (``kids``)."""

    __slots__ = ("_kids", "_position", "_relevant", "_text", "name", "parent")

    def __init__(self, name: str, parent: DictNode | None, text: str | None = None,
                 position: int = 0) -> None:
        """``position``: the node's place among its parent's children of its name, when
        the caller counts them (else counted here, a pass over the siblings)."""
        self.name = name
        self.parent: DictNode | None = parent
        self._text = text
        self._kids: list[DictNode] = []
        self._relevant = True
        self._position = 1
        if parent is not None:
            self._position = position or 1 + sum(1 for k in parent._kids if k.name == name)
            parent._kids.append(self)

    def children(self) -> Sequence[XNode]:
        return self._kids

    def value(self) -> str:
        if not self.relevant():
            return ""
        if self._text is not None:
            return self._text
        return "".join(k.value() for k in self._kids)

    def relevant(self) -> bool:
        node: DictNode | None = self
        while node is not None:
            if not node._relevant:
                return False
            node = node.parent
        return True

    def position(self) -> int:
        return self._position

    def walk(self) -> Iterator[DictNode]:
        yield self
        for k in self._kids:
            yield from k.walk()

    def __repr__(self) -> str:
        return f"DictNode({self.name!r})"


def value_text(value: object) -> str:
    """How a Python value is stored as field text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return to_string(float(value))
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return format_date(value)
    return str(value)


def _fill(parent: DictNode, values: Mapping[str, Any],
          index: dict[str, list[DictNode]] | None = None) -> None:
    """Add ``values`` under ``parent`` (a new node, with no children yet), and each node
    made to ``index`` by name, in document order."""
    for key, v in values.items():
        if key in _SPECIAL or key.startswith(LAST_SAVED_PREFIX):
            continue
        named = index.setdefault(key, []) if index is not None else None
        kind = type(v)
        if kind is str:  # most values: the quick way past the checks below
            leaf = DictNode(key, parent, v, 1)
            if named is not None:
                named.append(leaf)
            continue
        if kind is list or isinstance(v, list):
            for position, item in enumerate(v, 1):
                inst = DictNode(key, parent, None, position)
                if named is not None:
                    named.append(inst)
                if type(item) is dict or isinstance(item, Mapping):
                    _fill(inst, item, index)
            continue
        if kind is dict or isinstance(v, Mapping):
            node = DictNode(key, parent, None, 1)
            if named is not None:
                named.append(node)
            _fill(node, v, index)
            continue
        leaf = DictNode(key, parent, value_text(v), 1)
        if named is not None:
            named.append(leaf)


class DictContext:
    """An ``EvalContext`` over a dict of values (see the module docstring)."""

    def __init__(
        self,
        values: Mapping[str, Any] | None = None,
        *,
        now: dt.datetime | None = None,
        random: Callable[[], float] | None = None,
        root_name: str = "data",
    ) -> None:
        values = dict(values or {})
        self._root = DictNode(root_name, None)
        self._now = now
        self._random = random or _random.random
        self._index: dict[str, list[DictNode]] = {}
        _fill(self._root, values, self._index)
        for name, relevant in (values.get("__relevant__") or {}).items():
            for node in self._index.get(name, []):
                node._relevant = bool(relevant)
        # The context node: a field in the root, or in the given repeat instance.
        home = self._root
        current = values.get("__current__")
        if current:
            instances = [n for n in self._index.get(current["repeat"], []) if n._text is None]
            index = int(current["index"])
            if not 1 <= index <= len(instances):
                raise ValueError(f"__current__: no instance {index} of {current['repeat']!r}")
            home = instances[index - 1]
        self._node = DictNode(SELF_NAME, home, value_text(values.get(".")))
        self._last_saved = {
            k[len(LAST_SAVED_PREFIX) :]: DictNode(k[len(LAST_SAVED_PREFIX) :], None, value_text(v))
            for k, v in values.items()
            if k.startswith(LAST_SAVED_PREFIX)
        }
        self._instances: dict[str, DictNode] = {}
        for ident, items in (values.get("__instances__") or {}).items():
            root = DictNode("root", None)
            for item in items:
                _fill(DictNode("item", root), item)
            self._instances[ident] = root
        self._labels: Mapping[str, Mapping[str, str]] = values.get("__choice_labels__") or {}
        # Repeat instances the context node is in, innermost first (for ref() scoping).
        self._scopes: list[DictNode] = []
        cur = self._node.parent
        while cur is not None and cur.parent is not None:
            if sum(1 for k in cur.parent._kids if k.name == cur.name) > 1 or cur._text is None:
                self._scopes.append(cur)
            cur = cur.parent

    @property
    def node(self) -> XNode:
        return self._node

    def ref(self, name: str) -> Sequence[XNode]:
        if name.startswith(LAST_SAVED_PREFIX):
            hit = self._last_saved.get(name[len(LAST_SAVED_PREFIX) :])
            return [hit] if hit is not None else []
        nodes = self._index.get(name, [])
        if len(nodes) <= 1:
            return nodes
        # pyxform's relative paths: a field sharing a repeat with the context node
        # resolves inside the context node's own instance.
        for scope in self._scopes:
            inside = [x for x in nodes if _within(x, scope)]
            if inside:
                return inside
        return nodes

    def root(self) -> XNode:
        return self._root

    def instance(self, instance_id: str) -> XNode | None:
        return self._instances.get(instance_id)

    def choice_label(self, value: str, field_name: str) -> str | None:
        return self._labels.get(field_name, {}).get(value)

    def itext(self, text_id: str) -> str | None:
        return None  # one-shot evaluation has no form translations

    def now(self) -> dt.datetime:
        return self._now if self._now is not None else dt.datetime.now().astimezone()

    def random(self) -> float:
        return self._random()


def _within(node: DictNode, scope: DictNode) -> bool:
    cur = node.parent
    while cur is not None:
        if cur is scope:
            return True
        cur = cur.parent
    return False


def evaluate(
    expr: str,
    values: Mapping[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
    random: Callable[[], float] | None = None,
) -> object:
    """Evaluate ``expr`` once over ``values`` (see the module docstring for their format).

    Returns str, float, bool, ``datetime.date`` or ``datetime.datetime``; a node-set result
    is returned as its string value. Raises ``ExpressionError`` only.
    """
    parse(expr)  # a syntax error is told before the values are looked at
    try:
        ctx = DictContext(values, now=now, random=random)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ExpressionError(f"invalid values: {exc}", code=EVAL, source=expr) from exc
    return evaluate_in(ctx, expr)


def evaluate_in(ctx: DictContext, expr: str) -> object:
    """Evaluate ``expr`` in a context already built: many expressions over the same
    values (an export's relevance checks of one record) build the instance tree once."""
    result = parse(expr).evaluate(ctx)
    if type(result) is list:
        return to_string(result)
    return result
