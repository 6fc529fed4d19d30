"""Secondary instances: choice lists and attached CSV files as ``instance('id')/root/item``.

XLSForm exposes every choice list to expressions as a secondary instance whose items
have a ``name``, a ``label`` (in the current language) and the list's extra columns.
These nodes are read-only and always relevant.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from qi_capture.forms.model import Choice


class StaticNode:
    """A read-only element with either text or children."""

    __slots__ = ("_children", "_index", "_name", "_parent", "_text")

    def __init__(self, name: str, parent: StaticNode | None, text: str = "",
                 index: int = 0) -> None:
        self._name = name
        self._parent = parent
        self._text = text
        self._children: list[StaticNode] = []
        self._index = index

    @property
    def name(self) -> str:
        return self._name

    @property
    def parent(self) -> StaticNode | None:
        return self._parent

    def children(self) -> Sequence[StaticNode]:
        return self._children

    def value(self) -> str:
        if self._children:
            return "".join(child.value() for child in self._children)
        return self._text

    def relevant(self) -> bool:
        return True

    def position(self) -> int:
        return self._index + 1


def itext_id(list_name: str, index: int) -> str:
    return f"static_instance-{list_name}-{index}"


def choice_list_instance(list_name: str, choices: Sequence[Choice],
                         language: str | None) -> StaticNode:
    """The ``root`` element of ``instance('<list>')``."""
    document = StaticNode("#document", None)
    root = StaticNode("root", document)
    document._children.append(root)
    for i, choice in enumerate(choices):
        item = StaticNode("item", root, index=i)
        item._children.append(StaticNode("name", item, choice.name))
        label = choice.label.get(language) if choice.label is not None else None
        item._children.append(StaticNode("label", item, label or ""))
        # pyxform's itemsets carry an itext id per item; jr:itext() turns it into the label.
        item._children.append(StaticNode("itextId", item, itext_id(list_name, i)))
        for column, text in choice.extras.items():
            item._children.append(StaticNode(column, item, text))
        root._children.append(item)
    return document


def csv_instance(data: bytes) -> StaticNode:
    """``instance('name')`` of an attached CSV: one ``item`` per row, one child per column
    (the first row names the columns), as ODK builds it for ``pulldata()`` and
    ``select_one_from_file``."""
    text = data.decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
    document = StaticNode("#document", None)
    root = StaticNode("root", document)
    document._children.append(root)
    if not rows:
        return document
    header = [h.strip() for h in rows[0]]
    for i, row in enumerate(rows[1:]):
        item = StaticNode("item", root, index=i)
        for column, cell in zip(header, row, strict=False):
            if column:
                item._children.append(StaticNode(column, item, cell))
        root._children.append(item)
    return document
