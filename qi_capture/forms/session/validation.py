"""Validation: required, constraints and read-only, evaluated when asked for.

``required`` and ``constraint`` apply to relevant fields only; a constraint is checked
only on a non-empty value (FORMS.md section 8). Messages come from the form, in the
current language, with ``${}`` rendered.
"""

from __future__ import annotations

from dataclasses import dataclass

from qi_capture.forms.session.choices import ChoicesMixin
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


class ValidationMixin(ChoicesMixin):
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

