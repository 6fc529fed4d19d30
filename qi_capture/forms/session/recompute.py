"""Recomputation: relevance, calculations, triggers, stale select answers, defaults and
metadata.

A change to one field re-runs only the elements that read it (``runtime.eager``), in rank
order, through a heap: an element whose result changes pushes its own readers, until
nothing changes. Readers are chosen by locality: inside a repeat, only the copy in the
same instance sees a change to a field of that instance (pyxform's relative references).

Once that has settled, the selects whose offered choices read a changed field (their
``choice_filter``, or the repeat answers they offer) are checked: a relevant select keeps
only choices still offered, as ODK Collect does (JavaRosa clears them when it next builds
the choice list, on showing the question or finalising; here it happens at once, and what
reads the select is recomputed). A clearing is a change like any other, so a cascade of
selects (state -> county -> city) clears all the way down. A non-relevant select keeps its
answer (it is checked again when it becomes relevant), and a restored record is never
changed on opening.

``Recomputer`` is the one writer of a record's instance tree: answers, calculated values,
relevance and repeat instances (a count is recomputation too) all change through it, so
every change reaches what reads it. The path-based repeat API is in ``repeats.py``.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from qi_capture.forms.expressions import ExpressionError
from qi_capture.forms.expressions.coerce import to_number
from qi_capture.forms.session import events as ev
from qi_capture.forms.session.choices import offered_names
from qi_capture.forms.session.evaluator import Evaluator
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
from qi_capture.forms.session.prefill import Prefill, stored_result
from qi_capture.forms.session.runtime import has_dynamic_choices

#: Safety net: propagation that has not settled after this many steps per element is a
#: cycle the loader let through; stop rather than spin.
_MAX_STEPS_PER_ELEMENT = 50

#: The most instances a repeat is grown to, by its count or by a path naming an instance
#: (``household[100000000]/age`` in an answer file): a runaway must not exhaust memory.
MAX_INSTANCES = 10_000


class Recomputer:
    """Keeps one record's derived values settled as answers and instances change."""

    __slots__ = ("_evaluator", "_events", "_prefill", "_settling", "_tree")

    def __init__(self, evaluator: Evaluator, prefill: Prefill, events: ev.EventBus) -> None:
        self._evaluator = evaluator
        self._tree = evaluator.tree
        self._prefill = prefill
        self._events = events
        #: True while ``recompute_all`` runs (first load, restoring a record, a new
        #: language): it settles the instance as stored and never clears a select's answer.
        self._settling = False

    # --- answers -------------------------------------------------------------------------
    def assign(self, node: FieldNode, text: str) -> None:
        """Store an answer's text and re-evaluate what reads it."""
        old = node.raw
        if old == text:
            return
        node.raw = text
        self._events.emit(ev.ValueChanged(time.monotonic(), node.path(), old, text))
        self.propagate([node])

    # --- recomputation -----------------------------------------------------------------
    def recompute_all(self) -> None:
        """Evaluate every relevance, calculation and repeat count in dependency order.
        Select answers are left as they are (they are checked against their choice
        filters when something the filters read changes)."""
        settling, self._settling = self._settling, True
        try:
            self._recompute_all()
        finally:
            self._settling = settling

    def _recompute_all(self) -> None:
        root = self._tree.root
        self._evaluator.eval_errors.clear()
        nodes = [n for n in iter_nodes(root) if n is not root]
        rank = self._tree.runtime.rank
        nodes.sort(key=lambda n: rank.get(n.name, 0))
        # One ordered pass settles everything acyclic; propagating from it settles the rest
        # (repeat counts that add instances, triggers).
        changed: list[Node] = []
        for node in nodes:
            if self._recompute(node):
                changed.append(node)
        for slot in list(iter_slots(root)):
            if slot.element.repeat_count is not None and self._apply_repeat_count(slot):
                changed.append(slot.parent)
        if changed:
            self.propagate(changed)

    def _recompute(self, node: Node) -> bool:
        """Re-evaluate ``node``'s own relevance and calculation. True if either changed."""
        element = node.element
        changed = False
        if element.relevant is not None:
            relevant = self._evaluator.eval_bool(element.relevant, node, True)
            if relevant != node.self_relevant:
                node.set_self_relevant(relevant)
                changed = True
        if (isinstance(node, FieldNode) and element.calculation is not None
                and not element.trigger):
            text = self._calculate(node)
            if text is not None and text != node.raw:
                old = node.raw
                node.raw = text
                self._events.emit(ev.ValueChanged(time.monotonic(), node.path(), old, text))
                changed = True
        return changed

    def _calculate(self, node: FieldNode) -> str | None:
        expr = node.element.calculation
        assert expr is not None
        try:
            value = self._evaluator.eval(expr, node)
        except ExpressionError:
            return None
        return stored_result(node.element, value)

    def propagate(self, changed: Sequence[Node], *, structural: bool = False) -> None:
        """Recompute, in rank order, everything that reads the changed nodes.

        ``structural`` (an instance added or removed) also re-runs every expression that
        walks paths (``position(..)``, ``../x``), since positions shift.
        """
        self._propagate_sources([(n.name, n) for n in changed], structural=structural)

    def _propagate_sources(self, sources: Sequence[tuple[str, Node]], *,
                           structural: bool = False) -> None:
        """``sources``: (element name, node where it changed). The node decides which
        readers see the change (same repeat instance, or all)."""
        tree = self._tree
        runtime = tree.runtime
        rank = runtime.rank
        heap: list[tuple[int, int, Node | RepeatSlot]] = []
        queued: set[int] = set()
        #: Selects to check for choices no longer offered, once the heap is empty.
        checks: dict[int, tuple[int, int, FieldNode]] = {}
        counter = 0

        def enqueue(reader_name: str, anchor: Node) -> None:
            nonlocal counter
            for reader in tree.readers(reader_name, anchor):
                if id(reader) not in queued:
                    queued.add(id(reader))
                    counter += 1
                    heapq.heappush(heap, (rank.get(reader_name, 0), counter, reader))

        def check(select: Node | RepeatSlot) -> None:
            nonlocal counter
            if isinstance(select, FieldNode) and not self._settling \
                    and id(select) not in checks and has_dynamic_choices(select.element):
                counter += 1
                checks[id(select)] = (rank.get(select.name, 0), counter, select)

        def push_readers(name: str, anchor: Node) -> None:
            for reader_name in runtime.eager.get(name, ()):
                enqueue(reader_name, anchor)
            for select_name in runtime.choice_readers.get(name, ()):
                for select in tree.readers(select_name, anchor):
                    check(select)
            for select_name in runtime.choice_source_readers.get(name, ()):
                # Every copy offers every instance's answers: check them all.
                for select in tree.readers(select_name, tree.root):
                    check(select)

        def push_group_readers(node: Node, include_self: bool = False) -> None:
            # ``${group}`` / ``${repeat}`` node-sets see their members' values.
            parent = node if include_self else node.parent
            value_readers = runtime.group_value_readers
            while parent is not None and parent is not tree.root:
                for reader_name in value_readers.get(parent.name, ()):
                    enqueue(reader_name, parent)
                parent = parent.parent

        def changed(node: Node) -> None:
            # A node whose relevance flipped changes what every node below it reads as
            # (and a select that became relevant may hold a choice no longer offered).
            below = iter_nodes(node) if not isinstance(node, FieldNode) else (node,)
            for source in below:
                push_readers(source.name, source)
                check(source)
            push_group_readers(node)
            for reader_name in runtime.path_readers:
                enqueue(reader_name, node)
            if isinstance(node, FieldNode):
                self._fire_triggers(node, changed)

        for name, anchor in sources:
            push_readers(name, anchor)
            push_group_readers(anchor, include_self=anchor.name != name)
            if isinstance(anchor, FieldNode) and anchor.name == name:
                for reader_name in runtime.path_readers:
                    enqueue(reader_name, anchor)
                self._fire_triggers(anchor, changed)
        if structural:
            for reader_name in (*runtime.path_readers, *runtime.structure_readers):
                for reader in tree.all_nodes(reader_name):
                    if id(reader) not in queued:
                        queued.add(id(reader))
                        counter += 1
                        heapq.heappush(heap, (rank.get(reader_name, 0), counter, reader))
            for select_name in runtime.repeat_answer_selects:
                for select in tree.readers(select_name, tree.root):
                    check(select)
        budget = _MAX_STEPS_PER_ELEMENT * max(1, len(rank))
        while budget > 0:
            while heap and budget > 0:
                budget -= 1
                _, _, item = heapq.heappop(heap)
                queued.discard(id(item))
                if isinstance(item, RepeatSlot):
                    # Instances added/removed here propagate on their own.
                    self._apply_repeat_count(item)
                elif self._recompute(item):
                    changed(item)
            if not checks:
                break
            # Everything the selects' choices read has settled: check them in rank
            # order; a clearing pushes its own readers (and the next select down).
            batch = sorted(checks.values(), key=lambda entry: entry[:2])
            checks.clear()
            for _, _, select in batch:
                budget -= 1
                if self._drop_unoffered(select):
                    changed(select)

    def _drop_unoffered(self, node: FieldNode) -> bool:
        """Take the choices no longer offered out of a relevant select's answer (ODK
        Collect's rule): a select_one is cleared, a select_multiple keeps the rest in its
        order. Emits ``ValueChanged`` and ``ChoiceCleared``; True if the answer changed."""
        if not node.raw or not node.relevant():
            return False
        offered = offered_names(self._evaluator, node)
        if offered is None:
            return False  # the filter failed: what is offered cannot be told
        single = node.element.type == "select_one"
        names = [node.raw] if single else node.raw.split()
        dropped = tuple(name for name in names if name not in offered)
        if not dropped:
            return False
        old = node.raw
        node.raw = "" if single else " ".join(n for n in names if n in offered)
        now = time.monotonic()
        path = node.path()
        self._events.emit(ev.ValueChanged(now, path, old, node.raw))
        self._events.emit(ev.ChoiceCleared(now, path, dropped))
        return True

    def _fire_triggers(self, node: FieldNode, changed: Callable[[Node], None]) -> None:
        for name in self._tree.runtime.triggered.get(node.name, ()):
            for target in self._tree.readers(name, node):
                if not isinstance(target, FieldNode):
                    continue
                element = target.element
                if element.calculation is not None:
                    try:
                        value = self._evaluator.eval(element.calculation, target)
                        text = stored_result(element, value)
                    except ExpressionError:
                        continue
                else:
                    text = ""  # a trigger without a calculation clears the field
                if text != target.raw:
                    old = target.raw
                    target.raw = text
                    self._events.emit(ev.ValueChanged(time.monotonic(), target.path(), old,
                                                      text))
                    changed(target)

    # --- repeat instances ----------------------------------------------------------------
    def insert_instance(self, slot: RepeatSlot, position: int, *,
                        first_load: bool = False) -> RepeatInstance:
        """Add an instance at ``position``. It holds no instances of the repeats nested
        in it (ODK copies the repeat's template), but those with a count get theirs;
        ``first_load`` gives each nested repeat without a count its first instance, as
        the form's first load does."""
        instance = new_repeat_instance(slot, position)
        slot.insert(position, instance)
        if first_load:
            self.create_initial_repeats(instance)
        self._prefill.apply_defaults(instance, first_load=True)
        self._prefill.fill_metadata(instance)
        rank = self._tree.runtime.rank
        for node in sorted(iter_nodes(instance), key=lambda n: rank.get(n.name, 0)):
            self._recompute(node)
        self._events.emit(ev.RepeatAdded(time.monotonic(), instance.path()))
        for nested in list(iter_slots(instance)):
            if nested.element.repeat_count is not None:
                self._apply_repeat_count(nested)
        self.propagate([instance], structural=True)
        return instance

    def delete_instance(self, slot: RepeatSlot, position: int) -> None:
        instance = slot.instances[position]
        removed_path = instance.path()
        names = {node.name for node in iter_nodes(instance)}
        slot.remove(position)
        self._events.emit(ev.RepeatRemoved(time.monotonic(), removed_path))
        # Readers of the removed nodes (sum, count, indexed-repeat...) must re-run; the
        # slot's parent anchors them to the right repeat instance, if any.
        self._propagate_sources([(name, slot.parent) for name in sorted(names)],
                                structural=True)

    def create_initial_repeats(self, start: GroupNode) -> None:
        """On first load a repeat without a count starts with one instance (ODK), nested
        repeats inside it too; never when restoring, nor in an instance added later."""
        for item in start.items:
            if isinstance(item, RepeatSlot):
                if item.element.repeat_count is None and not item.instances:
                    instance = new_repeat_instance(item, 0)
                    item.insert(0, instance)
                    self.create_initial_repeats(instance)
            elif isinstance(item, GroupNode):
                self.create_initial_repeats(item)

    def create_initial_repeats_if_absent(self, start: GroupNode,
                                         data: Mapping[str, Any]) -> None:
        """When restoring: a repeat the stored data does not mention starts as on first
        load (a record saved before the repeat was added to the form)."""
        for item in start.items:
            if isinstance(item, RepeatSlot):
                if item.element.repeat_count is None and item.element.name not in data \
                        and not item.instances:
                    self.insert_instance(item, 0, first_load=True)
            elif isinstance(item, GroupNode):
                sub = data.get(item.element.name, {})
                self.create_initial_repeats_if_absent(item, sub if isinstance(sub, dict)
                                                      else {})

    def _apply_repeat_count(self, slot: RepeatSlot) -> bool:
        """Grow or shrink ``slot`` to its ``repeat_count``; never drop answered instances."""
        if not slot.parent.relevant():
            return False
        target = self.counted(slot)
        if target is None:
            return False
        target = min(target, MAX_INSTANCES)  # a runaway count must not exhaust memory
        changed = False
        while len(slot.instances) < target:
            self.insert_instance(slot, len(slot.instances))
            changed = True
        while len(slot.instances) > target and not _has_answers(slot.instances[-1]):
            self.delete_instance(slot, len(slot.instances) - 1)
            changed = True
        return changed

    def counted(self, slot: RepeatSlot) -> int | None:
        """The number of instances ``slot``'s count asks for now (None: the count failed
        to evaluate)."""
        expr = slot.element.repeat_count
        assert expr is not None
        try:
            number = to_number(self._evaluator.eval(expr, slot.parent))
        except ExpressionError:
            return None
        return int(number) if math.isfinite(number) and number > 0 else 0


def _has_answers(node: Node) -> bool:
    return any(isinstance(n, FieldNode) and n.raw and n.element.calculation is None
               and n.element.preload is None for n in iter_nodes(node))


