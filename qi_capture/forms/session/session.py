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

import datetime as dt
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from qi_capture.forms.expressions import ExpressionError
from qi_capture.forms.expressions.coerce import to_stored
from qi_capture.forms.model import Element, Form
from qi_capture.forms.session import events as ev
from qi_capture.forms.session.answers import AnswerError, from_stored
from qi_capture.forms.session.answers import to_stored as answer_text
from qi_capture.forms.session.context import default_clock, default_random
from qi_capture.forms.session.core import SessionEnvironment
from qi_capture.forms.session.instance import (
    FieldNode,
    GroupNode,
    Node,
    RepeatSlot,
    build_subtree,
    iter_nodes,
    new_repeat_instance,
)
from qi_capture.forms.session.navigation import NavigationMixin
from qi_capture.forms.session.runtime import FormRuntime, runtime_for
from qi_capture.forms.session.secondary import StaticNode
from qi_capture.forms.session.validation import ValidationIssue


class FormSession(NavigationMixin):
    """One record being filled. Create with ``Form.new_session()`` or ``FormSession.new``.

    The behaviour is layered by concern (core.py, choices.py, validation.py, recompute.py,
    repeats.py, navigation.py); this module holds construction, values and submissions.
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
        self._nodes_cache: dict[str, tuple[int, list[Node]]] = {}
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
                    self._insert_instance(item, 0, first_load=True)
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
                item.insert(index, instance)
                _load_values(session, instance, instance_data)
        elif isinstance(item, GroupNode):
            _load_values(session, item, value)
        else:
            if not isinstance(value, str):
                raise AnswerError(f"expected text for '{name}', got {type(value).__name__}",
                                  field=name)
            item.raw = value

