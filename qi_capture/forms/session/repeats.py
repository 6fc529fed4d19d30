"""Repeats: adding, inserting and removing instances, and following ``repeat_count``.

As in ODK Collect (JavaRosa), the first load holds one instance of each repeat without a
count, nested ones included (pyxform writes that instance into the form's primary
instance); an instance added later is a copy of the repeat's template, which holds no
instances of the repeats nested in it: those start empty until the interviewer adds one,
and a nested repeat with a count gets the instances its count asks for. With a count the
instances follow it, except that an instance holding answers is never dropped without
the caller's say-so (``surplus_instances`` tells how many are waiting).

``Repeats`` is the path-based API (``household[2]/member``); the instances themselves are
added and removed by the ``Recomputer``, which keeps everything that reads them settled.
"""

from __future__ import annotations

from qi_capture.forms.session.answers import AnswerError
from qi_capture.forms.session.instance import GroupNode, Node, RepeatSlot
from qi_capture.forms.session.paths import parse_path
from qi_capture.forms.session.recompute import MAX_INSTANCES, Recomputer
from qi_capture.forms.session.tree import InstanceTree

__all__ = ["MAX_INSTANCES", "Repeats"]


class Repeats:
    """Adding, removing and counting repeat instances by path."""

    __slots__ = ("_recomputer", "_tree")

    def __init__(self, tree: InstanceTree, recomputer: Recomputer) -> None:
        self._tree = tree
        self._recomputer = recomputer

    def repeat_count(self, path: str) -> int:
        return len(self._tree.slot(path).instances)

    def add_repeat(self, path: str, index: int | None = None) -> str:
        """Add an instance to the repeat at ``path`` (at 1-based ``index``, default the
        end); returns the new instance's path."""
        slot = self._tree.slot(path)
        if slot.element.repeat_count is not None:
            raise AnswerError(f"'{slot.element.name}' has a repeat count; its instances "
                              "follow the count", path=path)
        position = len(slot.instances) if index is None else index - 1
        if not 0 <= position <= len(slot.instances):
            raise AnswerError(f"cannot insert at {index}: '{slot.element.name}' has "
                              f"{len(slot.instances)} instance(s)", path=path)
        instance = self._recomputer.insert_instance(slot, position)
        return instance.path()

    def ensure_instances(self, path: str) -> None:
        """Add instances to the repeats ``path`` crosses until every index it names exists
        (``household[3]/age`` on a form with one household adds two). Repeats with a
        count are left to their count."""
        parsed = parse_path(path, self._tree.form.root_name)
        element = self._tree.form.find(parsed.target)
        if element is None:
            return
        given = parsed.indices()
        node: Node = self._tree.root
        for name in element.path:
            if not isinstance(node, GroupNode):
                return
            item = node.item(name)
            if item is None:
                return
            if isinstance(item, RepeatSlot):
                index = given.get(name)
                if index is None:
                    return
                if item.element.repeat_count is None:
                    if index > MAX_INSTANCES:
                        raise AnswerError(
                            f"'{name}[{index}]' asks for more than {MAX_INSTANCES} instances "
                            f"of '{name}' (path '{path}')", path=path)
                    while len(item.instances) < index:
                        self._recomputer.insert_instance(item, len(item.instances))
                if index > len(item.instances):
                    return
                node = item.instances[index - 1]
            else:
                node = item

    def remove_repeat(self, path: str, index: int) -> None:
        """Remove instance ``index`` (1-based) of the repeat at ``path``, answers included."""
        slot = self._tree.slot(path)
        if not 1 <= index <= len(slot.instances):
            raise AnswerError(f"'{slot.element.name}' has {len(slot.instances)} instance(s); "
                              f"there is no instance {index}", path=path)
        self._recomputer.delete_instance(slot, index - 1)

    def surplus_instances(self, path: str) -> int:
        """Instances beyond the repeat count kept because they hold answers; remove them
        with ``remove_repeat`` once the interviewer agrees."""
        slot = self._tree.slot(path)
        if slot.element.repeat_count is None:
            return 0
        target = self._recomputer.counted(slot)
        if target is None:
            return 0
        return max(0, len(slot.instances) - target)
