"""Repeats: adding, inserting and removing instances, and following ``repeat_count``.

As in ODK Collect (JavaRosa), the first load holds one instance of each repeat without a
count, nested ones included (pyxform writes that instance into the form's primary
instance); an instance added later is a copy of the repeat's template, which holds no
instances of the repeats nested in it: those start empty until the interviewer adds one,
and a nested repeat with a count gets the instances its count asks for. With a count the
instances follow it, except that an instance holding answers is never dropped without
the caller's say-so (``surplus_instances`` tells how many are waiting).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence

from qi_capture.forms.expressions import ExpressionError
from qi_capture.forms.expressions.coerce import to_number
from qi_capture.forms.session import events as ev
from qi_capture.forms.session.answers import AnswerError
from qi_capture.forms.session.instance import (
    FieldNode,
    GroupNode,
    Node,
    RepeatInstance,
    RepeatSlot,
    iter_nodes,
    iter_slots,
    new_repeat_instance,
)
from qi_capture.forms.session.paths import parse_path
from qi_capture.forms.session.recompute import RecomputeMixin

#: The most instances a repeat is grown to, by its count or by a path naming an instance
#: (``household[100000000]/age`` in an answer file): a runaway must not exhaust memory.
MAX_INSTANCES = 10_000


class RepeatsMixin(RecomputeMixin):
    # --- repeats -------------------------------------------------------------------------
    def _slot(self, path: str) -> RepeatSlot:
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

    def repeat_count(self, path: str) -> int:
        return len(self._slot(path).instances)

    def add_repeat(self, path: str, index: int | None = None) -> str:
        """Add an instance to the repeat at ``path`` (at 1-based ``index``, default the
        end); returns the new instance's path."""
        slot = self._slot(path)
        if slot.element.repeat_count is not None:
            raise AnswerError(f"'{slot.element.name}' has a repeat count; its instances "
                              "follow the count", path=path)
        position = len(slot.instances) if index is None else index - 1
        if not 0 <= position <= len(slot.instances):
            raise AnswerError(f"cannot insert at {index}: '{slot.element.name}' has "
                              f"{len(slot.instances)} instance(s)", path=path)
        instance = self._insert_instance(slot, position)
        return instance.path()

    def ensure_instances(self, path: str) -> None:
        """Add instances to the repeats ``path`` crosses until every index it names exists
        (``household[3]/age`` on a form with one household adds two). Repeats with a
        count are left to their count."""
        parsed = parse_path(path, self.form.root_name)
        element = self.form.find(parsed.target)
        if element is None:
            return
        given = parsed.indices()
        node: Node = self.root
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
                        self._insert_instance(item, len(item.instances))
                if index > len(item.instances):
                    return
                node = item.instances[index - 1]
            else:
                node = item

    def insert_repeat(self, path: str, index: int) -> str:
        return self.add_repeat(path, index)

    def remove_repeat(self, path: str, index: int) -> None:
        """Remove instance ``index`` (1-based) of the repeat at ``path``, answers included."""
        slot = self._slot(path)
        if not 1 <= index <= len(slot.instances):
            raise AnswerError(f"'{slot.element.name}' has {len(slot.instances)} instance(s); "
                              f"there is no instance {index}", path=path)
        self._delete_instance(slot, index - 1)

    def _insert_instance(self, slot: RepeatSlot, position: int, *,
                         first_load: bool = False) -> RepeatInstance:
        """Add an instance at ``position``. It holds no instances of the repeats nested
        in it (ODK copies the repeat's template), but those with a count get theirs;
        ``first_load`` gives each nested repeat without a count its first instance, as
        the form's first load does."""
        instance = new_repeat_instance(slot, position)
        slot.insert(position, instance)
        if first_load:
            self._create_initial_repeats(instance)
        self._apply_defaults(instance, first_load=True)
        self._fill_metadata(instance)
        rank = self.runtime.rank
        for node in sorted(iter_nodes(instance), key=lambda n: rank.get(n.name, 0)):
            self._recompute(node)
        self._emit(ev.RepeatAdded(time.monotonic(), instance.path()))
        for nested in list(iter_slots(instance)):
            if nested.element.repeat_count is not None:
                self._apply_repeat_count(nested)
        self._propagate([instance], structural=True)
        return instance

    def _delete_instance(self, slot: RepeatSlot, position: int) -> None:
        instance = slot.instances[position]
        removed_path = instance.path()
        names = {node.name for node in iter_nodes(instance)}
        slot.remove(position)
        self._emit(ev.RepeatRemoved(time.monotonic(), removed_path))
        # Readers of the removed nodes (sum, count, indexed-repeat...) must re-run; the
        # slot's parent anchors them to the right repeat instance, if any.
        self._propagate_sources([(name, slot.parent) for name in sorted(names)],
                                structural=True)

    def _create_initial_repeats(self, start: GroupNode) -> None:
        """On first load a repeat without a count starts with one instance (ODK), nested
        repeats inside it too; never when restoring, nor in an instance added later."""
        for item in start.items:
            if isinstance(item, RepeatSlot):
                if item.element.repeat_count is None and not item.instances:
                    instance = new_repeat_instance(item, 0)
                    item.insert(0, instance)
                    self._create_initial_repeats(instance)
            elif isinstance(item, GroupNode):
                self._create_initial_repeats(item)

    def _apply_repeat_count(self, slot: RepeatSlot) -> bool:
        """Grow or shrink ``slot`` to its ``repeat_count``; never drop answered instances."""
        expr = slot.element.repeat_count
        assert expr is not None
        if not slot.parent.relevant():
            return False
        try:
            number = to_number(self._eval(expr, slot.parent))
        except ExpressionError:
            return False
        target = int(number) if math.isfinite(number) and number > 0 else 0
        target = min(target, MAX_INSTANCES)  # a runaway count must not exhaust memory
        changed = False
        while len(slot.instances) < target:
            self._insert_instance(slot, len(slot.instances))
            changed = True
        while len(slot.instances) > target and not _has_answers(slot.instances[-1]):
            self._delete_instance(slot, len(slot.instances) - 1)
            changed = True
        return changed

    def surplus_instances(self, path: str) -> int:
        """Instances beyond the repeat count kept because they hold answers; remove them
        with ``remove_repeat`` once the interviewer agrees."""
        slot = self._slot(path)
        expr = slot.element.repeat_count
        if expr is None:
            return 0
        try:
            number = to_number(self._eval(expr, slot.parent))
        except ExpressionError:
            return 0
        target = int(number) if math.isfinite(number) and number > 0 else 0
        return max(0, len(slot.instances) - target)


def _has_answers(node: Node) -> bool:
    return any(isinstance(n, FieldNode) and n.raw and n.element.calculation is None
               and n.element.preload is None for n in iter_nodes(node))


