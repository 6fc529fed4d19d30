"""Expression evaluation for one record, and the lookups expressions make.

``Evaluator`` owns what expressions read besides the instance tree: the current language
(labels, ``jr:choice-name()``, ``jr:itext()``), the clock and random source, the form's
attachments and the secondary instances built from them (choice lists, CSV files), and
the errors of expressions that failed while filling (reported by ``errors()``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from qi_capture.forms.expressions import ExpressionError, parse
from qi_capture.forms.expressions.coerce import to_boolean
from qi_capture.forms.model import Choice, Element, Expr, Form
from qi_capture.forms.session.answers import AnswerError
from qi_capture.forms.session.context import SessionContext
from qi_capture.forms.session.instance import Node
from qi_capture.forms.session.secondary import StaticNode, choice_list_instance, csv_instance
from qi_capture.forms.session.tree import InstanceTree


class Evaluator:
    """Evaluates the form's expressions against one instance tree."""

    __slots__ = ("_secondary", "clock", "eval_errors", "form", "language", "media",
                 "random_source", "tree")

    def __init__(self, tree: InstanceTree, *, language: str | None,
                 clock: Callable[[], dt.datetime], random_source: Callable[[], float],
                 media: Mapping[str, bytes]) -> None:
        self.tree = tree
        self.form: Form = tree.form
        self.clock = clock
        self.random_source = random_source
        #: Form attachments by file name (CSV files for pulldata / select_*_from_file).
        self.media = media
        #: node path -> the failed expression and why (shown by ``errors()``).
        self.eval_errors: dict[str, str] = {}
        self._secondary: dict[str, StaticNode] = {}
        self.language = resolve_language(self.form, language)

    # --- languages ---------------------------------------------------------------------
    def set_language(self, language: str) -> None:
        self.language = resolve_language(self.form, language)
        self._secondary.clear()  # choice-list instances carry labels

    def text(self, element: Element, attr: str = "label") -> str | None:
        """A translatable attribute of ``element`` in the current language."""
        value = getattr(element, attr)
        return value.get(self.language) if value is not None else None

    # --- expressions -------------------------------------------------------------------
    def eval(self, expr: Expr, node: Node) -> object:
        try:
            return parse(expr.source).evaluate(SessionContext(self, node))
        except ExpressionError as exc:
            # A broken expression must not stop the interview: record it (shown by
            # errors()) and carry on as ODK does with a failed bind.
            self.eval_errors[node.path()] = f"{expr.source}: {exc.message}"
            raise

    def eval_bool(self, expr: Expr, node: Node, fallback: bool) -> bool:
        try:
            return to_boolean(self.eval(expr, node))
        except ExpressionError:
            return fallback

    def evaluate(self, source: str, node: Node) -> object:
        """An ad-hoc expression at ``node``; errors are raised, not recorded."""
        return parse(source).evaluate(SessionContext(self, node))

    # --- lookups expressions make -----------------------------------------------------
    def itext(self, text_id: str) -> str | None:
        """The label behind a choice-list item's ``itextId`` (``static_instance-L-i``)."""
        prefix, _, index = text_id.rpartition("-")
        list_name = prefix.removeprefix("static_instance-")
        if not prefix.startswith("static_instance-") or not index.isdigit():
            return None
        choices = self.form.choices(list_name)
        if int(index) >= len(choices):
            return None
        return self.choice_text(choices[int(index)])

    def choice_text(self, choice: Choice) -> str:
        label = choice.label.get(self.language) if choice.label is not None else None
        return label if label is not None else choice.name

    def choice_label(self, value: str, field_name: str) -> str | None:
        element = self.form.find(field_name.strip().removeprefix("${").removesuffix("}"))
        if element is None or element.list_name is None:
            return None
        for choice in self.form.choices(element.list_name):
            if choice.name == value:
                return self.choice_text(choice)
        return None

    def secondary_instance(self, instance_id: str) -> StaticNode | None:
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


def resolve_language(form: Form, language: str | None) -> str | None:
    """``language`` if the form has it (an error if not); else the form's default."""
    languages = form.languages
    if language is not None:
        if language not in languages:
            raise AnswerError(
                f"the form has no language '{language}' (it has: "
                f"{', '.join(languages) or 'none'})", language=language)
        return language
    if form.default_language in languages:
        return form.default_language
    return languages[0] if languages else None
