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
"""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import math
import time
from collections.abc import Callable, Sequence

from qi_capture.forms.expressions import ExpressionError
from qi_capture.forms.expressions.coerce import to_number, to_stored
from qi_capture.forms.model import Element
from qi_capture.forms.session import events as ev
from qi_capture.forms.session.answers import AnswerError
from qi_capture.forms.session.answers import to_stored as answer_text
from qi_capture.forms.session.instance import (
    FieldNode,
    GroupNode,
    Node,
    RepeatInstance,
    RepeatSlot,
    iter_nodes,
    iter_slots,
    nodes_below,
)
from qi_capture.forms.session.runtime import has_dynamic_choices
from qi_capture.forms.session.validation import ValidationMixin

#: Safety net: propagation that has not settled after this many steps per element is a
#: cycle the loader let through; stop rather than spin.
_MAX_STEPS_PER_ELEMENT = 50


class RecomputeMixin(ValidationMixin):
    #: True while ``recompute_all`` runs (first load, restoring a record, a new language):
    #: it settles the instance as stored and never clears a select's answer.
    _settling: bool = False

    def _apply_repeat_count(self, slot: RepeatSlot) -> bool:
        """Follow a repeat's count (RepeatsMixin provides it; declared here because
        recomputation is what notices a count has changed)."""
        raise NotImplementedError

    # --- recomputation -----------------------------------------------------------------
    def set_language(self, language: str) -> None:
        """Switch language and re-run calculations: ``jr:choice-name()`` and ``jr:itext()``
        results are labels in the current language."""
        super().set_language(language)
        self.recompute_all()

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
        self._eval_errors.clear()
        nodes = [n for n in iter_nodes(self.root) if n is not self.root]
        rank = self.runtime.rank
        nodes.sort(key=lambda n: rank.get(n.name, 0))
        # One ordered pass settles everything acyclic; propagating from it settles the rest
        # (repeat counts that add instances, triggers).
        changed: list[Node] = []
        for node in nodes:
            if self._recompute(node):
                changed.append(node)
        for slot in list(iter_slots(self.root)):
            if slot.element.repeat_count is not None and self._apply_repeat_count(slot):
                changed.append(slot.parent)
        if changed:
            self._propagate(changed)

    def _recompute(self, node: Node) -> bool:
        """Re-evaluate ``node``'s own relevance and calculation. True if either changed."""
        element = node.element
        changed = False
        if element.relevant is not None:
            relevant = self._eval_bool(element.relevant, node, True)
            if relevant != node.self_relevant:
                node.set_self_relevant(relevant)
                changed = True
        if (isinstance(node, FieldNode) and element.calculation is not None
                and not element.trigger):
            text = self._calculate(node)
            if text is not None and text != node.raw:
                old = node.raw
                node.raw = text
                self._emit(ev.ValueChanged(time.monotonic(), node.path(), old, text))
                changed = True
        return changed

    def _calculate(self, node: FieldNode) -> str | None:
        expr = node.element.calculation
        assert expr is not None
        try:
            value = self._eval(expr, node)
        except ExpressionError:
            return None
        return self._stored_result(node.element, value)

    @staticmethod
    def _stored_result(element: Element, value: object) -> str:
        if element.data_type == "date" and isinstance(value, dt.datetime):
            # A date field keeps YYYY-MM-DD (FORMS.md s3) when given a dateTime (now()).
            return value.date().isoformat()
        if element.data_type == "int":
            number = to_number(value)
            if isinstance(value, str) and value == "":
                return ""
            return str(int(number)) if math.isfinite(number) else ""
        return to_stored(value)

    def _propagate(self, changed: Sequence[Node], *, structural: bool = False) -> None:
        """Recompute, in rank order, everything that reads the changed nodes.

        ``structural`` (an instance added or removed) also re-runs every expression that
        walks paths (``position(..)``, ``../x``), since positions shift.
        """
        self._propagate_sources([(n.name, n) for n in changed], structural=structural)

    def _propagate_sources(self, sources: Sequence[tuple[str, Node]], *,
                           structural: bool = False) -> None:
        """``sources``: (element name, node where it changed). The node decides which
        readers see the change (same repeat instance, or all)."""
        rank = self.runtime.rank
        heap: list[tuple[int, int, Node | RepeatSlot]] = []
        queued: set[int] = set()
        #: Selects to check for choices no longer offered, once the heap is empty.
        checks: dict[int, tuple[int, int, FieldNode]] = {}
        counter = 0

        def enqueue(reader_name: str, anchor: Node) -> None:
            nonlocal counter
            for reader in self._readers(reader_name, anchor):
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
            for reader_name in self.runtime.eager.get(name, ()):
                enqueue(reader_name, anchor)
            for select_name in self.runtime.choice_readers.get(name, ()):
                for select in self._readers(select_name, anchor):
                    check(select)
            for select_name in self.runtime.choice_source_readers.get(name, ()):
                # Every copy offers every instance's answers: check them all.
                for select in self._readers(select_name, self.root):
                    check(select)

        def push_group_readers(node: Node, include_self: bool = False) -> None:
            # ``${group}`` / ``${repeat}`` node-sets see their members' values.
            parent = node if include_self else node.parent
            value_readers = self.runtime.group_value_readers
            while parent is not None and parent is not self.root:
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
            for reader_name in self.runtime.path_readers:
                enqueue(reader_name, node)
            if isinstance(node, FieldNode):
                self._fire_triggers(node, changed)

        for name, anchor in sources:
            push_readers(name, anchor)
            push_group_readers(anchor, include_self=anchor.name != name)
            if isinstance(anchor, FieldNode) and anchor.name == name:
                for reader_name in self.runtime.path_readers:
                    enqueue(reader_name, anchor)
                self._fire_triggers(anchor, changed)
        if structural:
            for reader_name in (*self.runtime.path_readers, *self.runtime.structure_readers):
                for reader in self._all_nodes(reader_name):
                    if id(reader) not in queued:
                        queued.add(id(reader))
                        counter += 1
                        heapq.heappush(heap, (rank.get(reader_name, 0), counter, reader))
            for select_name in self.runtime.repeat_answer_selects:
                for select in self._readers(select_name, self.root):
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
        offered = self._offered_names(node)
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
        self._emit(ev.ValueChanged(now, path, old, node.raw))
        self._emit(ev.ChoiceCleared(now, path, dropped))
        return True

    def _fire_triggers(self, node: FieldNode, changed: Callable[[Node], None]) -> None:
        for name in self.runtime.triggered.get(node.name, ()):
            for target in self._readers(name, node):
                if not isinstance(target, FieldNode):
                    continue
                element = target.element
                if element.calculation is not None:
                    try:
                        text = self._stored_result(element, self._eval(element.calculation,
                                                                        target))
                    except ExpressionError:
                        continue
                else:
                    text = ""  # a trigger without a calculation clears the field
                if text != target.raw:
                    old = target.raw
                    target.raw = text
                    self._emit(ev.ValueChanged(time.monotonic(), target.path(), old, text))
                    changed(target)

    def _readers(self, reader_name: str, source: Node) -> list[Node | RepeatSlot]:
        """The nodes of element ``reader_name`` that can see ``source``: those in the same
        instance of the lowest repeat both share, else every node of it. A repeat is read
        through its instances (relevance) and, when it has a count, its slots."""
        if reader_name in self.runtime.recurring_names:
            # Several elements have this name (CHT forms): re-run every copy; one that
            # does not read the change just recomputes to the same value.
            return [n for n in iter_nodes(self.root) if n.name == reader_name]
        fixed = self._fixed_nodes.get(reader_name)
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
                return list(self._all_nodes(reader_name))
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

    # --- defaults and metadata ---------------------------------------------------------
    def _apply_defaults(self, start: GroupNode, first_load: bool) -> None:
        for node in iter_nodes(start):
            if not isinstance(node, FieldNode) or node.raw:
                continue
            element = node.element
            if element.default is not None:
                try:
                    node.raw = answer_text(element, element.default)
                except AnswerError:
                    node.raw = element.default
            elif element.dynamic_default is not None and first_load:
                with contextlib.suppress(ExpressionError):
                    node.raw = self._stored_result(element,
                                                   self._eval(element.dynamic_default, node))

    def _fill_metadata(self, start: GroupNode | None = None) -> None:
        now = self.clock()
        env = self.environment
        values = {
            "start": now.isoformat(timespec="milliseconds"),
            "today": now.date().isoformat(),
            "deviceid": env.device_id,
            "username": env.username,
            "email": env.email,
            "phonenumber": env.phone_number,
        }
        for node in iter_nodes(start or self.root):
            if not isinstance(node, FieldNode):
                continue
            kind = node.element.preload or node.element.type
            if kind == "instanceID" or node.element.name == "instanceID":
                node.raw = self.instance_id
            elif kind in values and not node.raw:
                node.raw = values[kind]

    def _stamp_end(self) -> None:
        now = self.clock().isoformat(timespec="milliseconds")
        for node in iter_nodes(self.root):
            if isinstance(node, FieldNode) and (node.element.preload or node.element.type) == "end":
                node.raw = now

