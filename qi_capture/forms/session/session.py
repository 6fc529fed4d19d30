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

``FormSession`` is a facade over parts that each own one thing, built in this order:

- ``InstanceTree`` (tree.py): the nodes of the record and finding them by path;
- ``Evaluator`` (evaluator.py): expressions, language, clock, attachments;
- ``Prefill`` (prefill.py): defaults and metadata, the record's instance id;
- ``Recomputer`` (recompute.py): the one writer; keeps derived values settled;
- ``Repeats`` (repeats.py): adding and removing instances by path;
- ``Validator`` (validation.py): read-only, required and constraint checks;
- ``Navigator`` (navigation.py): screens and the interviewer's place;
- ``EventBus`` (events.py): the listeners every part reports to;
- snapshot.py: the answers as plain data for submissions and drafts, and back.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from qi_capture.forms.expressions import ExpressionError
from qi_capture.forms.expressions.coerce import to_stored
from qi_capture.forms.model import Element, Form, register_session_factory
from qi_capture.forms.session import choices as offer
from qi_capture.forms.session import events as ev
from qi_capture.forms.session.answers import AnswerError, from_stored
from qi_capture.forms.session.answers import to_stored as answer_text
from qi_capture.forms.session.context import default_clock, default_random
from qi_capture.forms.session.evaluator import Evaluator
from qi_capture.forms.session.instance import FieldNode, GroupNode, Node, iter_nodes
from qi_capture.forms.session.navigation import Navigator, Screen
from qi_capture.forms.session.prefill import Prefill, SessionEnvironment
from qi_capture.forms.session.recompute import Recomputer
from qi_capture.forms.session.repeats import Repeats
from qi_capture.forms.session.runtime import FormRuntime, runtime_for
from qi_capture.forms.session.snapshot import load_values, values
from qi_capture.forms.session.tree import InstanceTree
from qi_capture.forms.session.validation import ValidationIssue, Validator


class FormSession:
    """One record being filled. Create with ``Form.new_session()`` or ``FormSession.new``."""

    # --- construction ------------------------------------------------------------------
    def __init__(self, form: Form, *, language: str | None = None,
                 environment: SessionEnvironment | None = None,
                 clock: Callable[[], dt.datetime] | None = None,
                 random_source: Callable[[], float] | None = None,
                 media: Mapping[str, bytes] | None = None,
                 _initialise: bool = True) -> None:
        self.form = form
        self.runtime: FormRuntime = runtime_for(form)
        self._events = ev.EventBus()
        self._tree = InstanceTree(form, self.runtime)
        self._evaluator = Evaluator(self._tree, language=language,
                                    clock=clock or default_clock,
                                    random_source=random_source or default_random(),
                                    media=dict(media or {}))
        self._prefill = Prefill(self._evaluator, environment or SessionEnvironment(),
                                f"uuid:{uuid.uuid4()}")
        self._recomputer = Recomputer(self._evaluator, self._prefill, self._events)
        self._repeats = Repeats(self._tree, self._recomputer)
        self._validator = Validator(self._evaluator)
        self._navigator = Navigator(self._tree, self._events)
        self.started_wall = self.clock()
        self.started_monotonic = time.monotonic()
        self.deprecated_id: str | None = None
        if _initialise:
            self._recomputer.create_initial_repeats(self.root)
            self._prefill.apply_defaults(self.root, first_load=True)
            self._prefill.fill_metadata()
            self.recompute_all()

    @classmethod
    def new(cls, form: Form, language: str | None = None, **kwargs: Any) -> FormSession:
        return cls(form, language=language, **kwargs)

    # --- state the parts own, as attributes ---------------------------------------------
    @property
    def root(self) -> GroupNode:
        """The root node of the record's instance tree."""
        return self._tree.root

    @property
    def language(self) -> str | None:
        return self._evaluator.language

    @property
    def clock(self) -> Callable[[], dt.datetime]:
        return self._evaluator.clock

    @clock.setter
    def clock(self, clock: Callable[[], dt.datetime]) -> None:
        self._evaluator.clock = clock

    @property
    def random_source(self) -> Callable[[], float]:
        return self._evaluator.random_source

    @random_source.setter
    def random_source(self, source: Callable[[], float]) -> None:
        self._evaluator.random_source = source

    @property
    def media(self) -> Mapping[str, bytes]:
        """Form attachments by file name (CSV files for pulldata / select_*_from_file)."""
        return self._evaluator.media

    @property
    def environment(self) -> SessionEnvironment:
        return self._prefill.environment

    @property
    def instance_id(self) -> str:
        return self._prefill.instance_id

    @instance_id.setter
    def instance_id(self, instance_id: str) -> None:
        self._prefill.instance_id = instance_id

    # --- listeners (paradata) ----------------------------------------------------------
    def subscribe(self, listener: ev.EventListener) -> Callable[[], None]:
        """Call ``listener`` with every SessionEvent; returns a function that unsubscribes."""
        return self._events.subscribe(listener)

    # --- languages and texts -----------------------------------------------------------
    def set_language(self, language: str) -> None:
        """Switch the language of labels, hints, messages and choices, and re-run
        calculations: ``jr:choice-name()`` and ``jr:itext()`` results are labels in the
        current language."""
        self._evaluator.set_language(language)
        self._events.emit(ev.LanguageChanged(time.monotonic(), self.language))
        self.recompute_all()

    def text(self, element: Element, attr: str = "label") -> str | None:
        """A translatable attribute of ``element`` in the current language, ``${}`` not
        yet substituted (see ``label()`` for the rendered text)."""
        return self._evaluator.text(element, attr)

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
        return offer.render(self._evaluator, text, node or self.root)

    def choices(self, path: str) -> list[tuple[str, str]]:
        """The choices offered now at ``path``, after ``choice_filter``, as (name, label)
        in the current language."""
        return offer.choices_at(self._evaluator, self.node(path))[0]

    # --- paths and expressions ---------------------------------------------------------
    def node(self, path: str) -> Node:
        """The node at ``path`` (``age``, ``g1/age``, ``household[2]/member[1]/name``)."""
        return self._tree.node(path)

    def field(self, path: str) -> FieldNode:
        return self._tree.field(path)

    def evaluate(self, source: str, path: str | None = None) -> object:
        """Evaluate an ad-hoc expression at ``path`` (default: the root)."""
        return self._evaluator.evaluate(source, self.node(path) if path else self.root)

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
        if self._validator.is_read_only(node):
            raise AnswerError(f"'{path}' is read-only", path=path)
        text = answer_text(element, value)
        self._check_choices(node, text, path)
        self._recomputer.assign(node, text)
        issue = self._validator.issue(node)
        if issue is not None and issue.kind == "constraint":
            self._events.emit(ev.ConstraintFailed(time.monotonic(), issue.path, issue.message))
        return issue

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

    def recompute_all(self) -> None:
        """Evaluate every relevance, calculation and repeat count in dependency order.
        Select answers are left as they are (they are checked against their choice
        filters when something the filters read changes)."""
        self._recomputer.recompute_all()

    # --- relevance and validation ------------------------------------------------------
    def is_relevant(self, path: str) -> bool:
        return self.node(path).relevant()

    def is_read_only(self, path: str) -> bool:
        return self._validator.shows_read_only(self.node(path))

    def is_required(self, path: str) -> bool:
        return self._validator.is_required(self.node(path))

    def issue(self, path: str) -> ValidationIssue | None:
        """The problem with the answer at ``path`` now, if any."""
        return self._validator.issue(self.node(path))

    def errors(self) -> list[ValidationIssue]:
        """Every reason the record cannot be finalised, in form order."""
        return self._validator.errors()

    # --- repeats -------------------------------------------------------------------------
    def repeat_count(self, path: str) -> int:
        return self._repeats.repeat_count(path)

    def add_repeat(self, path: str, index: int | None = None) -> str:
        """Add an instance to the repeat at ``path`` (at 1-based ``index``, default the
        end); returns the new instance's path."""
        return self._repeats.add_repeat(path, index)

    def insert_repeat(self, path: str, index: int) -> str:
        return self._repeats.add_repeat(path, index)

    def ensure_instances(self, path: str) -> None:
        """Add instances to the repeats ``path`` crosses until every index it names exists
        (``household[3]/age`` on a form with one household adds two). Repeats with a
        count are left to their count."""
        self._repeats.ensure_instances(path)

    def remove_repeat(self, path: str, index: int) -> None:
        """Remove instance ``index`` (1-based) of the repeat at ``path``, answers included."""
        self._repeats.remove_repeat(path, index)

    def surplus_instances(self, path: str) -> int:
        """Instances beyond the repeat count kept because they hold answers; remove them
        with ``remove_repeat`` once the interviewer agrees."""
        return self._repeats.surplus_instances(path)

    # --- navigation ----------------------------------------------------------------------
    def screens(self) -> list[Screen]:
        """Every screen in order, relevant or not (``relevant`` says which)."""
        return self._navigator.screens()

    def current_screen(self) -> Screen | None:
        """The screen the interviewer is on (the first relevant one at the start)."""
        return self._navigator.current_screen()

    def next_screen(self) -> Screen | None:
        """Move to the next relevant screen; None (and no move) at the end."""
        return self._navigator.next_screen()

    def previous_screen(self) -> Screen | None:
        """Move to the previous relevant screen; None (and no move) at the start."""
        return self._navigator.previous_screen()

    def go_to(self, path: str) -> Screen:
        """Jump to the screen holding the question (or group) at ``path``; for a group
        or repeat instance shown over several screens (``household[2]``, as
        ``add_repeat`` returns it), to its first relevant screen."""
        return self._navigator.go_to(path)

    def leave(self) -> None:
        """Close the current screen's timing (when the filler is closed or paused)."""
        self._navigator.leave()

    def pause_timing(self) -> None:
        """The interview is paused: the current screen's time stops here and starts again
        with `resume_timing` or the next move."""
        self._navigator.pause_timing()

    def resume_timing(self) -> None:
        """Time the current screen again after `pause_timing` (nothing if it runs)."""
        self._navigator.resume_timing()

    def progress(self) -> tuple[int, int]:
        """(answered, relevant) questions that take an answer; an answer its constraint
        refuses is not counted as answered."""
        return self._navigator.progress(lambda node: self._validator.issue(node) is None)

    # --- submission ------------------------------------------------------------------------
    def instance_name(self) -> str:
        expr = self.form.instance_name
        if expr is None:
            return ""
        try:
            return to_stored(self._evaluator.eval(expr, self.root))
        except ExpressionError:
            return ""

    def to_submission(self, *, finalise: bool = False) -> dict[str, Any]:
        """A JSON-serialisable snapshot: relevant values (as stored text), repeats as lists
        of instances, and metadata. ``finalise`` stamps the ``end`` fields first."""
        if finalise:
            self._prefill.stamp_end()
        return {
            "form_id": self.form.form_id,
            "form_version": self.form.version,
            "meta": {
                "instanceID": self.instance_id,
                "instanceName": self.instance_name(),
                **({"deprecatedID": self.deprecated_id} if self.deprecated_id else {}),
            },
            "data": values(self.root, relevant_only=True),
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
            "current": self._navigator.current_key,
            "data": values(self.root, relevant_only=False),
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
        load_values(session.root, data.get("data", {}))
        session._recomputer.create_initial_repeats_if_absent(session.root,
                                                          data.get("data", {}))
        session.recompute_all()
        session._navigator.current_key = data.get("current")
        return session

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


# ``Form.new_session()`` builds one of these; the model learns of it here, so the model
# never imports the session (the session builds on the model, not the other way round).
register_session_factory(FormSession)
