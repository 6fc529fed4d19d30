"""The core every part of a form session builds on: state, events, language, paths and
expression evaluation. The session's behaviour is layered on it, one concern per module:
choices -> validation -> recompute -> repeats -> navigation -> FormSession.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from qi_capture.forms.expressions import ExpressionError, parse
from qi_capture.forms.expressions.coerce import to_boolean
from qi_capture.forms.model import Choice, Element, Expr, Form
from qi_capture.forms.session import events as ev
from qi_capture.forms.session.answers import AnswerError
from qi_capture.forms.session.context import SessionContext
from qi_capture.forms.session.instance import FieldNode, GroupNode, Node, RepeatSlot, nodes_below
from qi_capture.forms.session.paths import parse_path
from qi_capture.forms.session.runtime import FormRuntime
from qi_capture.forms.session.secondary import StaticNode, choice_list_instance, csv_instance


@dataclass(frozen=True, slots=True)
class SessionEnvironment:
    """Values the session writes into metadata fields (deviceid, username, ...)."""

    device_id: str = ""
    username: str = ""
    email: str = ""
    phone_number: str = ""


class SessionCore:
    """State shared by the session's layers (set up by ``FormSession.__init__``)."""

    form: Form
    runtime: FormRuntime
    root: GroupNode
    language: str | None
    clock: Callable[[], dt.datetime]
    random_source: Callable[[], float]
    media: Mapping[str, bytes]
    instance_id: str
    deprecated_id: str | None
    _listeners: list[ev.EventListener]
    _secondary: dict[str, StaticNode]
    _eval_errors: dict[str, str]
    _fixed_nodes: dict[str, Node]
    #: element name -> (tree structure version, every node of it): aggregates over
    #: large repeats read these on every evaluation.
    _nodes_cache: dict[str, tuple[int, list[Node]]]
    environment: SessionEnvironment
    _current_key: str | None
    _entered_at: float | None

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

    # --- lookups expressions make -----------------------------------------------------
    def _itext(self, text_id: str) -> str | None:
        """The label behind a choice-list item's ``itextId`` (``static_instance-L-i``)."""
        prefix, _, index = text_id.rpartition("-")
        list_name = prefix.removeprefix("static_instance-")
        if not prefix.startswith("static_instance-") or not index.isdigit():
            return None
        choices = self.form.choices(list_name)
        if int(index) >= len(choices):
            return None
        return self._choice_text(choices[int(index)])

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
            cached = choice_list_instance(instance_id, self.form.choices(instance_id),
                                          self.language)
        else:
            file_name = self.form.secondary_instances.get(instance_id, f"{instance_id}.csv")
            data = self.media.get(file_name)
            if data is None or not file_name.endswith(".csv"):
                return None
            cached = csv_instance(data)
        self._secondary[instance_id] = cached
        return cached

    def _all_nodes(self, name: str) -> list[Node]:
        """Every node of element ``name``, in document order (cached until repeat
        instances are added or removed)."""
        fixed = self._fixed_nodes.get(name)
        if fixed is not None:
            return [fixed]
        version = self.root.tree.structure_version
        cached = self._nodes_cache.get(name)
        if cached is not None and cached[0] == version:
            return cached[1]
        nodes = nodes_below(self.root, self.form.element(name).path)
        self._nodes_cache[name] = (version, nodes)
        return nodes


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
