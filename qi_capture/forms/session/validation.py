"""Validation: required, constraints and read-only, evaluated when asked for.

``required`` and ``constraint`` apply to relevant fields only; a constraint is checked
only on a non-empty value (FORMS.md section 8). Messages come from the form, in the
current language, with ``${}`` rendered.
"""

from __future__ import annotations

from dataclasses import dataclass

from qi_capture.forms.session.choices import render
from qi_capture.forms.session.evaluator import Evaluator
from qi_capture.forms.session.instance import FieldNode, Node, iter_nodes
from qi_capture.forms.session.runtime import DISPLAY_ONLY_TYPES

DEFAULT_REQUIRED_MESSAGE = "This question is required."
DEFAULT_CONSTRAINT_MESSAGE = "This answer is not valid."


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One reason a record cannot be finalised (or an answer is not accepted)."""

    path: str
    kind: str  # "required" | "constraint" | "expression"
    message: str


class Validator:
    """Read-only, required and constraint checks over one record's instance tree."""

    __slots__ = ("_evaluator",)

    def __init__(self, evaluator: Evaluator) -> None:
        self._evaluator = evaluator

    def is_read_only(self, node: Node) -> bool:
        """The field's own ``read_only`` expression (calculations aside)."""
        expr = node.element.read_only
        return expr is not None and self._evaluator.eval_bool(expr, node, False)

    def shows_read_only(self, node: Node) -> bool:
        """Read-only as the filler shows it: by expression, calculated, or display-only."""
        element = node.element
        return (self.is_read_only(node)
                or (element.calculation is not None and not element.trigger)
                or element.type in DISPLAY_ONLY_TYPES)

    def is_required(self, node: Node) -> bool:
        expr = node.element.required
        return expr is not None and self._evaluator.eval_bool(expr, node, False)

    def issue(self, node: Node) -> ValidationIssue | None:
        """The problem with the answer at ``node`` now, if any."""
        if not isinstance(node, FieldNode) or not node.relevant():
            return None
        evaluator = self._evaluator
        element = node.element
        if not node.raw:
            if element.required is not None and evaluator.eval_bool(element.required, node,
                                                                    False):
                message = evaluator.text(element, "required_message") \
                    or DEFAULT_REQUIRED_MESSAGE
                return ValidationIssue(node.path(), "required", message)
            return None
        if element.constraint is not None and not evaluator.eval_bool(element.constraint,
                                                                      node, True):
            message = evaluator.text(element, "constraint_message") \
                or DEFAULT_CONSTRAINT_MESSAGE
            return ValidationIssue(node.path(), "constraint", render(evaluator, message, node))
        return None

    def errors(self) -> list[ValidationIssue]:
        """Every reason the record cannot be finalised, in form order."""
        issues = []
        for node in iter_nodes(self._evaluator.tree.root):
            issue = self.issue(node)
            if issue is not None:
                issues.append(issue)
        for path, message in self._evaluator.eval_errors.items():
            issues.append(ValidationIssue(path, "expression", message))
        return issues
