"""FormSession: the pure-Python state of one questionnaire or interview being filled in.

It owns the answers (as an instance tree), relevance, calculations, validation, repeats,
the current language and the interviewer's place in the form. Changing one answer
re-evaluates only what depends on it, in dependency order, through the graph built from
the form at load time (see ``runtime.py``); constraints, required checks, labels and
choice filters are evaluated when asked for.

Behaviour follows ODK Collect (JavaRosa) as summarised in FORMS.md: non-relevant answers
are kept while filling but left out of the submission and read as '' by expressions;
``required`` and ``constraint`` apply to relevant fields only; calculations store NaN as
empty and integral numbers without decimals.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import math
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qi_capture.forms.expressions import ExpressionError, parse
from qi_capture.forms.expressions.coerce import to_boolean, to_number, to_stored
from qi_capture.forms.model import Choice, Element, Expr, Form
from qi_capture.forms.session import events as ev
from qi_capture.forms.session.answers import AnswerError, from_stored
from qi_capture.forms.session.answers import to_stored as answer_text
from qi_capture.forms.session.context import SessionContext, default_clock, default_random
from qi_capture.forms.session.instance import (
    FieldNode,
    GroupNode,
    Node,
    RepeatInstance,
    RepeatSlot,
    build_subtree,
    iter_nodes,
    iter_slots,
    new_repeat_instance,
    nodes_below,
)
from qi_capture.forms.session.navigation import NavigationMixin
from qi_capture.forms.session.paths import parse_path
from qi_capture.forms.session.runtime import DISPLAY_ONLY_TYPES, FormRuntime, runtime_for
from qi_capture.forms.session.secondary import StaticNode, choice_list_instance, csv_instance

DEFAULT_REQUIRED_MESSAGE = "This question is required."
DEFAULT_CONSTRAINT_MESSAGE = "This answer is not valid."
#: Safety net: propagation that has not settled after this many steps per element is a
#: cycle the loader let through; stop rather than spin.
_MAX_STEPS_PER_ELEMENT = 50


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One reason a record cannot be finalised (or an answer is not accepted)."""

    path: str
    kind: str  # "required" | "constraint" | "expression"
    message: str


@dataclass(frozen=True, slots=True)
class SessionEnvironment:
    """Values the session writes into metadata fields (deviceid, username, ...)."""

    device_id: str = ""
    username: str = ""
    email: str = ""
    phone_number: str = ""


class FormSession(NavigationMixin):
    """One record being filled. Create with ``Form.new_session()`` or ``FormSession.new``.

    Navigation (screens, next/previous, progress) comes from ``NavigationMixin``.
    """

    # --- construction ------------------------------------------------------------------
    def __init__(self, form: Form, *, language: str | None = None,
                 environment: SessionEnvironment | None = None,
                 clock: Callable[[], dt.datetime] | None = None,
                 random_source: Callable[[], float] | None = None,
                 media: Mapping[str, bytes] | None = None,
                 _initialise: bool = True) -> None:
        self.form = form
        self.runtime: FormRuntime = runtime_for(form)
        self.environment = environment or SessionEnvironment()
        self.clock = clock or default_clock
        self.random_source = random_source or default_random()
        self.language = self._resolve_language(language)
        self._listeners: list[ev.EventListener] = []
        self._secondary: dict[str, StaticNode] = {}
        #: Form attachments by file name (CSV files for pulldata / select_*_from_file).
        self.media: Mapping[str, bytes] = dict(media or {})
        self._eval_errors: dict[str, str] = {}
        self.started_wall = self.clock()
        self.started_monotonic = time.monotonic()
        self.instance_id = f"uuid:{uuid.uuid4()}"
        self.deprecated_id: str | None = None
        self._current_key: str | None = None
        self._entered_at: float | None = None

        root_element = Element(kind="group", name=form.root_name, path=(), type="group",
                               children=form.children)
        self.root = GroupNode(root_element, None)
        self.root.set_items([build_subtree(child, self.root) for child in form.children])
        #: Nodes of elements outside any repeat: ``${name}`` resolves to them directly.
        self._fixed_nodes: dict[str, Node] = {}
        for node in iter_nodes(self.root):
            if node is not self.root and not self.runtime.repeat_chain.get(node.name):
                self._fixed_nodes[node.name] = node
        if _initialise:
            self._create_initial_repeats(self.root)
            self._apply_defaults(self.root, first_load=True)
            self._fill_metadata()
            self.recompute_all()

    @classmethod
    def new(cls, form: Form, language: str | None = None, **kwargs: Any) -> FormSession:
        return cls(form, language=language, **kwargs)

    # --- listeners (paradata) ----------------------------------------------------------
    def subscribe(self, listener: ev.EventListener) -> Callable[[], None]:
        """Call ``listener`` with every SessionEvent; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _emit(self, event: ev.SessionEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    # --- languages ---------------------------------------------------------------------
    def _resolve_language(self, language: str | None) -> str | None:
        languages = self.form.languages
        if language is not None:
            if language not in languages:
                raise AnswerError(
                    f"the form has no language '{language}' (it has: "
                    f"{', '.join(languages) or 'none'})", language=language)
            return language
        if self.form.default_language in languages:
            return self.form.default_language
        return languages[0] if languages else None

    def set_language(self, language: str) -> None:
        """Switch the language of labels, hints, messages and choices."""
        self.language = self._resolve_language(language)
        self._secondary.clear()  # choice-list instances carry labels
        self._emit(ev.LanguageChanged(time.monotonic(), self.language))

    def text(self, element: Element, attr: str = "label") -> str | None:
        """A translatable attribute of ``element`` in the current language, ``${}`` not
        yet substituted (see ``label()`` for the rendered text)."""
        value = getattr(element, attr)
        return value.get(self.language) if value is not None else None

    # --- paths ---------------------------------------------------------------------------
    def node(self, path: str) -> Node:
        """The node at ``path`` (``age``, ``g1/age``, ``household[2]/member[1]/name``)."""
        parsed = parse_path(path, self.form.root_name)
        element = self.form.find(parsed.target)
        if element is None:
            raise AnswerError(f"the form has no field '{parsed.target}' (path '{path}')",
                              path=path)
        ancestry = element.path[:-1]
        pos = 0
        for name, _ in parsed.ancestors:
            try:
                pos = ancestry.index(name, pos) + 1
            except ValueError:
                raise AnswerError(f"'{name}' does not contain '{parsed.target}' "
                                  f"(path '{path}')", path=path) from None
        given = parsed.indices()
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
                        f"'{name}[1]/{parsed.target}' (path '{path}')", path=path)
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

    # --- values --------------------------------------------------------------------------
    def get(self, path: str) -> object:
        """The typed value at ``path``: None when empty (or a calculation gave NaN)."""
        node = self.field(path)
        return from_stored(node.element, node.raw)

    def raw(self, path: str) -> str:
        """The stored text at ``path`` ('' when empty), relevant or not."""
        return self.field(path).raw

    def set(self, path: str, value: object) -> ValidationIssue | None:
        """Validate and store ``value`` at ``path``; re-evaluate what depends on it.

        Returns the field's own problem after the change (constraint or required), or None.
        Raises AnswerError for a value of the wrong type or a read-only field.
        """
        node = self.field(path)
        element = node.element
        if element.calculation is not None and not element.trigger:
            raise AnswerError(f"'{path}' is calculated and cannot be answered", path=path)
        if self._is_read_only(node):
            raise AnswerError(f"'{path}' is read-only", path=path)
        text = answer_text(element, value)
        self._check_choices(node, text, path)
        self._assign(node, text)
        issue = self._issue_for(node)
        if issue is not None and issue.kind == "constraint":
            self._emit(ev.ConstraintFailed(time.monotonic(), issue.path, issue.message))
        return issue

    def _assign(self, node: FieldNode, text: str) -> None:
        old = node.raw
        if old == text:
            return
        node.raw = text
        self._emit(ev.ValueChanged(time.monotonic(), node.path(), old, text))
        self._propagate([node])

    def _check_choices(self, node: FieldNode, text: str, path: str) -> None:
        element = node.element
        if not text or element.list_name is None or element.choices_file:
            return
        if element.type not in ("select_one", "select_multiple", "rank"):
            return
        known = {c.name for c in self.form.choices(element.list_name)}
        if element.or_other:
            known.add("other")
        for name in text.split() if element.type != "select_one" else [text]:
            if name not in known:
                raise AnswerError(
                    f"'{name}' is not a choice of '{element.name}' "
                    f"(list '{element.list_name}')", path=path, choice=name)

    # --- expressions -------------------------------------------------------------------
    def _eval(self, expr: Expr, node: Node) -> object:
        try:
            return parse(expr.source).evaluate(SessionContext(self, node))
        except ExpressionError as exc:
            # A broken expression must not stop the interview: record it (shown by
            # errors()) and carry on as ODK does with a failed bind.
            self._eval_errors[node.path()] = f"{expr.source}: {exc.message}"
            raise

    def _eval_bool(self, expr: Expr, node: Node, fallback: bool) -> bool:
        try:
            return to_boolean(self._eval(expr, node))
        except ExpressionError:
            return fallback

    def evaluate(self, source: str, path: str | None = None) -> object:
        """Evaluate an ad-hoc expression at ``path`` (default: the root)."""
        node = self.node(path) if path else self.root
        return parse(source).evaluate(SessionContext(self, node))

    # --- recomputation -----------------------------------------------------------------
    def recompute_all(self) -> None:
        """Evaluate every relevance, calculation and repeat count in dependency order."""
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
                node.self_relevant = relevant
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
        counter = 0

        def enqueue(reader_name: str, anchor: Node) -> None:
            nonlocal counter
            for reader in self._readers(reader_name, anchor):
                if id(reader) not in queued:
                    queued.add(id(reader))
                    counter += 1
                    heapq.heappush(heap, (rank.get(reader_name, 0), counter, reader))

        def push_readers(name: str, anchor: Node) -> None:
            for reader_name in self.runtime.eager.get(name, ()):
                enqueue(reader_name, anchor)

        def push_group_readers(node: Node, include_self: bool = False) -> None:
            # ``${group}`` / ``${repeat}`` node-sets see their members' values.
            parent = node if include_self else node.parent
            while parent is not None and parent is not self.root:
                push_readers(parent.name, parent)
                parent = parent.parent

        def changed(node: Node) -> None:
            # A node whose relevance flipped changes what every node below it reads as.
            below = iter_nodes(node) if not isinstance(node, FieldNode) else (node,)
            for source in below:
                push_readers(source.name, source)
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
        budget = _MAX_STEPS_PER_ELEMENT * max(1, len(rank))
        while heap and budget > 0:
            budget -= 1
            _, _, item = heapq.heappop(heap)
            queued.discard(id(item))
            if isinstance(item, RepeatSlot):
                # Instances added/removed here propagate on their own.
                self._apply_repeat_count(item)
            elif self._recompute(item):
                changed(item)

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

    def _all_nodes(self, name: str) -> list[Node]:
        fixed = self._fixed_nodes.get(name)
        if fixed is not None:
            return [fixed]
        return nodes_below(self.root, self.form.element(name).path)

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

    def insert_repeat(self, path: str, index: int) -> str:
        return self.add_repeat(path, index)

    def remove_repeat(self, path: str, index: int) -> None:
        """Remove instance ``index`` (1-based) of the repeat at ``path``, answers included."""
        slot = self._slot(path)
        if not 1 <= index <= len(slot.instances):
            raise AnswerError(f"'{slot.element.name}' has {len(slot.instances)} instance(s); "
                              f"there is no instance {index}", path=path)
        self._delete_instance(slot, index - 1)

    def _insert_instance(self, slot: RepeatSlot, position: int) -> RepeatInstance:
        instance = new_repeat_instance(slot, position)
        slot.instances.insert(position, instance)
        slot.renumber(position)
        self._create_initial_repeats(instance)
        self._apply_defaults(instance, first_load=True)
        self._fill_metadata(instance)
        rank = self.runtime.rank
        for node in sorted(iter_nodes(instance), key=lambda n: rank.get(n.name, 0)):
            self._recompute(node)
        self._emit(ev.RepeatAdded(time.monotonic(), instance.path()))
        self._propagate([instance], structural=True)
        return instance

    def _delete_instance(self, slot: RepeatSlot, position: int) -> None:
        instance = slot.instances[position]
        removed_path = instance.path()
        names = {node.name for node in iter_nodes(instance)}
        del slot.instances[position]
        slot.renumber(position)
        self._emit(ev.RepeatRemoved(time.monotonic(), removed_path))
        # Readers of the removed nodes (sum, count, indexed-repeat...) must re-run; the
        # slot's parent anchors them to the right repeat instance, if any.
        self._propagate_sources([(name, slot.parent) for name in sorted(names)],
                                structural=True)

    def _create_initial_repeats(self, start: GroupNode) -> None:
        """A repeat without a count starts with one instance (ODK), unless restoring."""
        for item in start.items:
            if isinstance(item, RepeatSlot):
                if item.element.repeat_count is None and not item.instances:
                    instance = new_repeat_instance(item, 0)
                    item.instances.append(instance)
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
        target = min(target, 10_000)  # a runaway count must not exhaust memory
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

    # --- relevance, read-only, validation ------------------------------------------------
    def is_relevant(self, path: str) -> bool:
        return self.node(path).relevant()

    def _is_read_only(self, node: Node) -> bool:
        expr = node.element.read_only
        return expr is not None and self._eval_bool(expr, node, False)

    def is_read_only(self, path: str) -> bool:
        node = self.node(path)
        element = node.element
        return (self._is_read_only(node)
                or (element.calculation is not None and not element.trigger)
                or element.type in DISPLAY_ONLY_TYPES)

    def is_required(self, path: str) -> bool:
        node = self.node(path)
        expr = node.element.required
        return expr is not None and self._eval_bool(expr, node, False)

    def _issue_for(self, node: Node) -> ValidationIssue | None:
        if not isinstance(node, FieldNode) or not node.relevant():
            return None
        element = node.element
        if not node.raw:
            if element.required is not None and self._eval_bool(element.required, node, False):
                message = self.text(element, "required_message") or DEFAULT_REQUIRED_MESSAGE
                return ValidationIssue(node.path(), "required", message)
            return None
        if element.constraint is not None and not self._eval_bool(element.constraint, node,
                                                                   True):
            message = self.text(element, "constraint_message") or DEFAULT_CONSTRAINT_MESSAGE
            return ValidationIssue(node.path(), "constraint", self.render(message, node))
        return None

    def issue(self, path: str) -> ValidationIssue | None:
        """The problem with the answer at ``path`` now, if any."""
        return self._issue_for(self.node(path))

    def errors(self) -> list[ValidationIssue]:
        """Every reason the record cannot be finalised, in form order."""
        issues = []
        for node in iter_nodes(self.root):
            issue = self._issue_for(node)
            if issue is not None:
                issues.append(issue)
        for path, message in self._eval_errors.items():
            issues.append(ValidationIssue(path, "expression", message))
        return issues

    # --- choices and labels --------------------------------------------------------------
    def choices(self, path: str) -> list[tuple[str, str]]:
        """The choices offered now at ``path``, after ``choice_filter``, as (name, label)
        in the current language."""
        node = self.node(path)
        element = node.element
        if element.choices_from is not None:
            seen: dict[str, None] = {}
            for source in SessionContext(self, node).ref(element.choices_from):
                value = source.value()
                if value and source.relevant():
                    seen.setdefault(value, None)
            return [(v, v) for v in seen]
        if element.list_name is None:
            return []
        out: list[tuple[str, str]] = []
        choices = self.form.choices(element.list_name)
        filter_expr = parse(element.choice_filter.source) if element.choice_filter else None
        if filter_expr is not None:
            # In choice_filter, bare names are the candidate item's columns and ${x} is
            # a form field: evaluate with the candidate item as the context node.
            items = self._secondary_instance(element.list_name)
            assert items is not None
            for choice, item in zip(choices, items.children()[0].children(), strict=True):
                try:
                    keep = to_boolean(filter_expr.evaluate(_ItemContext(self, node, item)))
                except ExpressionError:
                    keep = False
                if keep:
                    out.append((choice.name, self._choice_text(choice)))
        else:
            out = [(c.name, self._choice_text(c)) for c in choices]
        if element.or_other and all(name != "other" for name, _ in out):
            out.append(("other", "Other"))
        return out

    def _choice_text(self, choice: Choice) -> str:
        label = choice.label.get(self.language) if choice.label is not None else None
        return label if label is not None else choice.name

    def _choice_label(self, value: str, field_name: str) -> str | None:
        element = self.form.find(field_name.strip().removeprefix("${").removesuffix("}"))
        if element is None or element.list_name is None:
            return None
        for choice in self.form.choices(element.list_name):
            if choice.name == value:
                return self._choice_text(choice)
        return None

    def _secondary_instance(self, instance_id: str) -> StaticNode | None:
        cached = self._secondary.get(instance_id)
        if cached is not None:
            return cached
        if instance_id in self.form.choice_lists:
            cached = choice_list_instance(self.form.choices(instance_id), self.language)
        else:
            file_name = self.form.secondary_instances.get(instance_id, f"{instance_id}.csv")
            data = self.media.get(file_name)
            if data is None or not file_name.endswith(".csv"):
                return None
            cached = csv_instance(data)
        self._secondary[instance_id] = cached
        return cached

    def label(self, path: str) -> str:
        """The label at ``path`` in the current language with ``${name}`` rendered."""
        node = self.node(path)
        return self.render(self.text(node.element) or "", node)

    def hint(self, path: str) -> str:
        node = self.node(path)
        return self.render(self.text(node.element, "hint") or "", node)

    def render(self, text: str, node: Node | None = None) -> str:
        """Replace each ``${name}`` in ``text`` by the field's current value, as ODK's
        ``<output/>`` does (a select's value shows as its choice name)."""
        if "${" not in text:
            return text
        context = SessionContext(self, node or self.root)
        out: list[str] = []
        rest = text
        while "${" in rest:
            before, _, after = rest.partition("${")
            name, closed, tail = after.partition("}")
            out.append(before)
            if not closed:
                out.append("${" + after)
                rest = ""
                break
            nodes = context.ref(name.strip())
            out.append(nodes[0].value() if nodes else "")
            rest = tail
        out.append(rest)
        return "".join(out)

    # --- submission ------------------------------------------------------------------------
    def instance_name(self) -> str:
        expr = self.form.instance_name
        if expr is None:
            return ""
        try:
            return to_stored(self._eval(expr, self.root))
        except ExpressionError:
            return ""

    def to_submission(self, *, finalise: bool = False) -> dict[str, Any]:
        """A JSON-serialisable snapshot: relevant values (as stored text), repeats as lists
        of instances, and metadata. ``finalise`` stamps the ``end`` fields first."""
        if finalise:
            self._stamp_end()
        return {
            "form_id": self.form.form_id,
            "form_version": self.form.version,
            "meta": {
                "instanceID": self.instance_id,
                "instanceName": self.instance_name(),
                **({"deprecatedID": self.deprecated_id} if self.deprecated_id else {}),
            },
            "data": _values(self.root, relevant_only=True),
        }

    def to_state(self) -> dict[str, Any]:
        """Everything needed to resume a draft exactly: every value (non-relevant ones
        too), repeat instances, the current screen, the language and start time."""
        return {
            "form_id": self.form.form_id,
            "form_version": self.form.version,
            "instance_id": self.instance_id,
            "deprecated_id": self.deprecated_id,
            "language": self.language,
            "started": self.started_wall.isoformat(),
            "current": self._current_key,
            "data": _values(self.root, relevant_only=False),
        }

    @classmethod
    def from_submission(cls, form: Form, data: Mapping[str, Any], **kwargs: Any) -> FormSession:
        """Restore a session from ``to_submission()`` (or ``to_state()``) output."""
        if data.get("form_id") not in (None, form.form_id):
            raise AnswerError(f"this submission belongs to form '{data.get('form_id')}', "
                              f"not '{form.form_id}'", form_id=data.get("form_id"))
        language = kwargs.pop("language", None) or data.get("language")
        if language not in form.languages:
            language = None
        session = cls(form, language=language, _initialise=False, **kwargs)
        meta = data.get("meta", {})
        session.instance_id = meta.get("instanceID") or data.get("instance_id") or \
            session.instance_id
        session.deprecated_id = meta.get("deprecatedID") or data.get("deprecated_id")
        if data.get("started"):
            session.started_wall = dt.datetime.fromisoformat(data["started"])
        _load_values(session, session.root, data.get("data", {}))
        session._create_initial_repeats_if_absent(session.root, data.get("data", {}))
        session.recompute_all()
        session._current_key = data.get("current")
        return session

    def _create_initial_repeats_if_absent(self, start: GroupNode,
                                          data: Mapping[str, Any]) -> None:
        for item in start.items:
            if isinstance(item, RepeatSlot):
                if item.element.repeat_count is None and item.element.name not in data \
                        and not item.instances:
                    self._insert_instance(item, 0)
            elif isinstance(item, GroupNode):
                sub = data.get(item.element.name, {})
                self._create_initial_repeats_if_absent(item, sub if isinstance(sub, dict)
                                                       else {})

    def new_revision(self) -> FormSession:
        """A copy for editing a finalised record: same answers, a new instance id, the old
        one kept as ``deprecatedID`` (ODK's edit chain)."""
        copy = FormSession.from_submission(self.form, self.to_state(), clock=self.clock,
                                           environment=self.environment)
        copy.deprecated_id = self.instance_id
        copy.instance_id = f"uuid:{uuid.uuid4()}"
        for node in iter_nodes(copy.root):
            if isinstance(node, FieldNode) and node.element.name == "instanceID":
                node.raw = copy.instance_id
        return copy


class _ItemContext(SessionContext):
    """Context for a choice_filter: the candidate item is ``.``; ``${x}`` and
    ``current()`` still see the form from the select's node."""

    __slots__ = ("_item",)

    def __init__(self, session: FormSession, node: Node, item: StaticNode) -> None:
        super().__init__(session, node)
        self._item = item

    @property
    def node(self) -> Any:
        return self._item

    @property
    def current_node(self) -> Node:
        return self._node


def _has_answers(node: Node) -> bool:
    return any(isinstance(n, FieldNode) and n.raw and n.element.calculation is None
               and n.element.preload is None for n in iter_nodes(node))


def _values(group: GroupNode, relevant_only: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in group.items:
        name = item.element.name
        if isinstance(item, RepeatSlot):
            out[name] = [_values(inst, relevant_only) for inst in item.instances
                         if not relevant_only or inst.relevant()]
        elif relevant_only and not item.relevant():
            continue
        elif isinstance(item, GroupNode):
            out[name] = _values(item, relevant_only)
        else:
            out[name] = item.raw
    return out


def _load_values(session: FormSession, group: GroupNode, data: Mapping[str, Any]) -> None:
    if not isinstance(data, Mapping):
        raise AnswerError(f"expected an object for group '{group.element.name}'",
                          group=group.element.name)
    for item in group.items:
        name = item.element.name
        if name not in data:
            continue
        value = data[name]
        if isinstance(item, RepeatSlot):
            if not isinstance(value, list):
                raise AnswerError(f"expected a list of instances for repeat '{name}'",
                                  repeat=name)
            for index, instance_data in enumerate(value):
                instance = new_repeat_instance(item, index)
                item.instances.append(instance)
                _load_values(session, instance, instance_data)
        elif isinstance(item, GroupNode):
            _load_values(session, item, value)
        else:
            if not isinstance(value, str):
                raise AnswerError(f"expected text for '{name}', got {type(value).__name__}",
                                  field=name)
            item.raw = value
