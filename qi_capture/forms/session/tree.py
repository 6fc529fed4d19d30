"""The instance tree of one record and the ways to find nodes in it.

``InstanceTree`` owns the root node and the indexes over it: the nodes of elements outside
any repeat (``${name}`` resolves to them directly), cached node lists per element for
aggregates over large repeats, path lookup (``household[2]/member[1]/name``) and the
locality rule that decides which copies of an element see a change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from qi_capture.forms.model import Element, Form
from qi_capture.forms.session.answers import AnswerError
from qi_capture.forms.session.instance import (
    FieldNode,
    GroupNode,
    Node,
    RepeatInstance,
    RepeatSlot,
    build_subtree,
    iter_nodes,
    nodes_below,
)
from qi_capture.forms.session.paths import parse_path
from qi_capture.forms.session.runtime import FormRuntime


class InstanceTree:
    """The nodes of one record (fields, groups, repeat slots and instances)."""

    __slots__ = ("_nodes_cache", "fixed_nodes", "form", "root", "runtime")

    def __init__(self, form: Form, runtime: FormRuntime) -> None:
        self.form = form
        self.runtime = runtime
        root_element = Element(kind="group", name=form.root_name, path=(), type="group",
                               children=form.children)
        self.root = GroupNode(root_element, None)
        self.root.set_items([build_subtree(child, self.root) for child in form.children])
        #: Nodes of elements outside any repeat: ``${name}`` resolves to them directly.
        self.fixed_nodes: dict[str, Node] = {}
        #: element name -> (tree structure version, every node of it): aggregates over
        #: large repeats read these on every evaluation.
        self._nodes_cache: dict[str, tuple[int, list[Node]]] = {}
        for node in iter_nodes(self.root):
            if node is not self.root and not runtime.repeat_chain.get(node.name):
                self.fixed_nodes[node.name] = node

    # --- paths ---------------------------------------------------------------------------
    def node(self, path: str) -> Node:
        """The node at ``path`` (``age``, ``g1/age``, ``household[2]/member[1]/name``)."""
        parsed = parse_path(path, self.form.root_name)
        element = self.form.find(parsed.target)
        if element is None:
            raise AnswerError(f"the form has no field '{parsed.target}' (path '{path}')",
                              path=path)
        named = tuple(name for name, _ in parsed.ancestors)
        if element.name in self.runtime.recurring_names and element.path[:-1] != named:
            # A name may recur in different groups (CHT's inputs/contact/_id beside
            # inputs/contact/parent/_id, a top-level field and one in a repeat): then
            # the groups given (none: the top-level one) decide which is meant.
            element = _element_in(self.form, parsed.target, named) or element
        ancestry = element.path[:-1]
        pos = 0
        for name, _ in parsed.ancestors:
            try:
                pos = ancestry.index(name, pos) + 1
            except ValueError:
                raise AnswerError(f"'{name}' does not contain '{parsed.target}' "
                                  f"(path '{path}')", path=path) from None
        return self._walk(element, parsed.indices(), path)

    def _walk(self, element: Element, given: Mapping[str, int], path: str) -> Node:
        node: Node = self.root
        for depth, name in enumerate(element.path):
            assert isinstance(node, GroupNode)
            item = node.item(name)
            if item is None:
                raise AnswerError(f"no node at '{path}'", path=path)
            if isinstance(item, RepeatSlot):
                index = given.get(name)
                if index is None:
                    if depth == len(element.path) - 1:
                        raise AnswerError(
                            f"'{path}' is a repeat: give an instance, e.g. '{name}[1]'",
                            path=path)
                    raise AnswerError(
                        f"'{name}' repeats: say which instance, e.g. "
                        f"'{name}[1]/{element.name}' (path '{path}')", path=path)
                if not 1 <= index <= len(item.instances):
                    raise AnswerError(
                        f"'{name}' has {len(item.instances)} instance(s); there is no "
                        f"'{name}[{index}]' (path '{path}')", path=path)
                node = item.instances[index - 1]
            else:
                node = item
        return node

    def field(self, path: str) -> FieldNode:
        node = self.node(path)
        if not isinstance(node, FieldNode):
            raise AnswerError(f"'{path}' is a group, not a question", path=path)
        return node

    def slot(self, path: str) -> RepeatSlot:
        """The slot of the repeat at ``path`` (``household`` or ``household[2]/member``)."""
        parsed = parse_path(path, self.form.root_name)
        target_name = parsed.target
        element = self.form.find(target_name)
        if element is None or element.kind != "repeat":
            raise AnswerError(f"'{target_name}' is not a repeat (path '{path}')", path=path)
        parent_path = element.path[:-1]
        parent: Node = self.root
        if parent_path:
            parent = self._group_at(parent_path, parsed.indices(), path)
        assert isinstance(parent, GroupNode)
        slot = parent.item(target_name)
        assert isinstance(slot, RepeatSlot)
        return slot

    def _group_at(self, names: Sequence[str], given: Mapping[str, int], path: str) -> GroupNode:
        node: Node = self.root
        for name in names:
            assert isinstance(node, GroupNode)
            item = node.item(name)
            if isinstance(item, RepeatSlot):
                index = given.get(name)
                if index is None or not 1 <= index <= len(item.instances):
                    raise AnswerError(
                        f"say which '{name}' instance (path '{path}'), e.g. '{name}[1]/...'",
                        path=path)
                node = item.instances[index - 1]
            elif item is None:
                raise AnswerError(f"no group '{name}' (path '{path}')", path=path)
            else:
                node = item
        assert isinstance(node, GroupNode)
        return node

    # --- node sets ---------------------------------------------------------------------
    def all_nodes(self, name: str) -> list[Node]:
        """Every node of element ``name``, in document order (cached until repeat
        instances are added or removed)."""
        fixed = self.fixed_nodes.get(name)
        if fixed is not None:
            return [fixed]
        version = self.root.tree.structure_version
        cached = self._nodes_cache.get(name)
        if cached is not None and cached[0] == version:
            return cached[1]
        nodes = nodes_below(self.root, self.form.element(name).path)
        self._nodes_cache[name] = (version, nodes)
        return nodes

    def readers(self, reader_name: str, source: Node) -> list[Node | RepeatSlot]:
        """The nodes of element ``reader_name`` that can see ``source``: those in the same
        instance of the lowest repeat both share, else every node of it. A repeat is read
        through its instances (relevance) and, when it has a count, its slots."""
        if reader_name in self.runtime.recurring_names:
            # Several elements have this name (CHT forms): re-run every copy; one that
            # does not read the change just recomputes to the same value.
            return [n for n in iter_nodes(self.root) if n.name == reader_name]
        fixed = self.fixed_nodes.get(reader_name)
        if fixed is not None:
            return [fixed]
        element = self.form.element(reader_name)
        reader_chain = self.runtime.repeat_chain.get(reader_name, ())
        start: GroupNode = self.root
        node: Node | None = source
        while node is not None:
            if isinstance(node, RepeatInstance) and node.element.name in reader_chain:
                start = node
                break
            node = node.parent
        offset = len(start.element.path)
        if element.kind != "repeat":
            if start is self.root:
                return list(self.all_nodes(reader_name))
            return list(nodes_below(start, element.path[offset:]))
        out: list[Node | RepeatSlot] = []
        for parent in nodes_below(start, element.path[offset:-1]) if len(element.path) > \
                offset + 1 else [start]:
            if isinstance(parent, GroupNode):
                slot = parent.item(reader_name)
                if isinstance(slot, RepeatSlot):
                    if element.repeat_count is not None:
                        out.append(slot)
                    out.extend(slot.instances)
        return out


def _element_in(form: Form, name: str, groups: tuple[str, ...]) -> Element | None:
    """The element called ``name`` whose enclosing groups are exactly ``groups``, else the
    first whose groups include them in order."""
    partial = None
    for element in form.elements():
        if element.name != name:
            continue
        ancestry = element.path[:-1]
        if ancestry == groups:
            return element
        if partial is None and _in_order(groups, ancestry):
            partial = element
    return partial


def _in_order(names: tuple[str, ...], ancestry: tuple[str, ...]) -> bool:
    rest = iter(ancestry)
    return all(name in rest for name in names)
