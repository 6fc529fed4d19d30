"""The live instance of a form being filled: a tree of nodes that expressions can walk.

Fields hold their stored text; groups and repeat instances hold their children; a
``RepeatSlot`` holds the instances of one repeat under one parent. Nodes implement the
``XNode`` protocol of the expression engine, so XPath sees the same tree ODK would:
repeat instances appear as same-named sibling elements of their parent.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from qi_capture.forms.model import Element


class TreeState:
    """Counters shared by every node of one instance tree.

    ``relevance_epoch`` changes whenever any node's own relevance changes, so a node can
    cache its effective relevance (its own and its ancestors') until then: aggregates over
    thousands of repeat instances ask for it on every evaluation. ``structure_version``
    changes whenever repeat instances are added or removed (caches of node lists).
    """

    __slots__ = ("relevance_epoch", "structure_version")

    def __init__(self) -> None:
        self.relevance_epoch = 0
        self.structure_version = 0


class Node:
    """Common part of fields, groups and repeat instances."""

    __slots__ = ("_relevant_cache", "_relevant_epoch", "element", "parent", "self_relevant",
                 "tree")

    def __init__(self, element: Element, parent: GroupNode | None) -> None:
        self.element = element
        self.parent = parent
        self.tree: TreeState = parent.tree if parent is not None else TreeState()
        #: Result of this node's own ``relevant`` expression (ancestors not included).
        self.self_relevant = True
        self._relevant_epoch = -1
        self._relevant_cache = True

    @property
    def name(self) -> str:
        return self.element.name

    def set_self_relevant(self, relevant: bool) -> None:
        if relevant != self.self_relevant:
            self.self_relevant = relevant
            self.tree.relevance_epoch += 1

    def relevant(self) -> bool:
        """This node's and all its ancestors' relevance (cached per relevance epoch)."""
        epoch = self.tree.relevance_epoch
        if self._relevant_epoch == epoch:
            return self._relevant_cache
        result = True
        node: Node | None = self
        while node is not None:
            if node._relevant_epoch == epoch:  # an ancestor already knows its answer
                result = node._relevant_cache
                break
            if not node.self_relevant:
                result = False
                break
            node = node.parent
        self._relevant_cache = result
        self._relevant_epoch = epoch
        return result

    def position(self) -> int:
        return 1

    def children(self) -> Sequence[Node]:
        return ()

    def value(self) -> str:
        return ""

    def path(self) -> str:
        """Address of this node for the API: names from the root, repeat instances
        indexed from 1 (``household[2]/member[1]/age``)."""
        parts: list[str] = []
        node: Node | None = self
        while node is not None and node.parent is not None:
            if isinstance(node, RepeatInstance):
                parts.append(f"{node.name}[{node.index + 1}]")
            else:
                parts.append(node.name)
            node = node.parent
        return "/".join(reversed(parts))


class FieldNode(Node):
    __slots__ = ("raw",)

    def __init__(self, element: Element, parent: GroupNode | None) -> None:
        super().__init__(element, parent)
        #: Stored text; kept while non-relevant so that toggling back restores it.
        self.raw = ""

    def value(self) -> str:
        return self.raw if self.relevant() else ""


class GroupNode(Node):
    """A group, the root, or (subclass) one repeat instance."""

    __slots__ = ("_named", "items")

    def __init__(self, element: Element, parent: GroupNode | None) -> None:
        super().__init__(element, parent)
        #: Children in form order; a repeat is represented by its RepeatSlot.
        self.items: list[FieldNode | GroupNode | RepeatSlot] = []
        self._named: dict[str, FieldNode | GroupNode | RepeatSlot] = {}

    def set_items(self, items: list[FieldNode | GroupNode | RepeatSlot]) -> None:
        self.items = items
        self._named = {item.element.name: item for item in items}

    def children(self) -> Sequence[Node]:
        out: list[Node] = []
        for item in self.items:
            if isinstance(item, RepeatSlot):
                out.extend(item.instances)
            else:
                out.append(item)
        return out

    def value(self) -> str:
        if not self.relevant():
            return ""
        return "".join(child.value() for child in self.children())

    def item(self, name: str) -> FieldNode | GroupNode | RepeatSlot | None:
        return self._named.get(name)


class RepeatInstance(GroupNode):
    __slots__ = ("index",)

    def __init__(self, element: Element, parent: GroupNode, index: int) -> None:
        super().__init__(element, parent)
        #: 0-based position among the slot's instances (kept up to date by the slot).
        self.index = index

    def position(self) -> int:
        return self.index + 1


class RepeatSlot:
    """The instances of one repeat under one parent node."""

    __slots__ = ("element", "instances", "parent")

    def __init__(self, element: Element, parent: GroupNode) -> None:
        self.element = element
        self.parent = parent
        self.instances: list[RepeatInstance] = []

    def insert(self, position: int, instance: RepeatInstance) -> None:
        """Put ``instance`` at ``position`` (0-based); every change of instances goes
        through here or ``remove`` so node-list caches see it."""
        self.instances.insert(position, instance)
        self._renumber(position)

    def remove(self, position: int) -> RepeatInstance:
        instance = self.instances.pop(position)
        self._renumber(position)
        return instance

    def _renumber(self, start: int) -> None:
        for i in range(start, len(self.instances)):
            self.instances[i].index = i
        self.parent.tree.structure_version += 1


def build_subtree(element: Element, parent: GroupNode) -> FieldNode | GroupNode | RepeatSlot:
    """Create the node(s) for ``element`` under ``parent``, without repeat instances."""
    if element.kind == "field":
        return FieldNode(element, parent)
    if element.kind == "repeat":
        return RepeatSlot(element, parent)
    group = GroupNode(element, parent)
    group.set_items([build_subtree(child, group) for child in element.children])
    return group


def new_repeat_instance(slot: RepeatSlot, index: int) -> RepeatInstance:
    instance = RepeatInstance(slot.element, slot.parent, index)
    instance.set_items([build_subtree(child, instance) for child in slot.element.children])
    return instance


def iter_nodes(node: Node) -> Iterator[Node]:
    """``node`` and every node below it, in document order."""
    yield node
    if isinstance(node, GroupNode):
        for item in node.items:
            if isinstance(item, RepeatSlot):
                for instance in item.instances:
                    yield from iter_nodes(instance)
            else:
                yield from iter_nodes(item)


def iter_slots(node: GroupNode) -> Iterator[RepeatSlot]:
    """Every repeat slot at or below ``node``, parents before children."""
    for item in node.items:
        if isinstance(item, RepeatSlot):
            yield item
            for instance in item.instances:
                yield from iter_slots(instance)
        elif isinstance(item, GroupNode):
            yield from iter_slots(item)


def enclosing_instance(node: Node, repeat_name: str) -> RepeatInstance | None:
    """The instance of repeat ``repeat_name`` that contains ``node`` (or is it)."""
    current: Node | None = node
    while current is not None:
        if isinstance(current, RepeatInstance) and current.element.name == repeat_name:
            return current
        current = current.parent
    return None


def nodes_below(start: GroupNode, rel_path: Sequence[str]) -> list[Node]:
    """Every node reached from ``start`` by following element names ``rel_path``, expanding
    every instance of the repeats crossed on the way (document order)."""
    frontier: list[Node] = [start]
    for name in rel_path:
        nxt: list[Node] = []
        for node in frontier:
            if not isinstance(node, GroupNode):
                continue
            item = node.item(name)
            if item is None:
                continue
            if isinstance(item, RepeatSlot):
                nxt.extend(item.instances)
            else:
                nxt.append(item)
        frontier = nxt
    return frontier
