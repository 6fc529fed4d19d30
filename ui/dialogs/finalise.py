"""The finalise review: what stands between a record and finalising, before it happens.

Like Survey Solutions' Complete screen: the errors (they block), the unanswered required
and optional questions, and for interviews the sections left blank, each a line that
jumps to its question; an optional comment for the reviewer; then "Finalise". Built
from a `FormView` read with every problem on the write queue (the controller's
``review``), so nothing is computed here on the UI thread but the grouping.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.screen import INTRODUCTION, UNANSWERED, FormView

PathRole = Qt.ItemDataRole.UserRole


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the review: where it jumps to and what it says."""

    path: str
    text: str


@dataclass(frozen=True, slots=True)
class Review:
    """The record's state for finalising, grouped as the interviewer reads it."""

    #: Answers that break a rule (constraint, calculation): they block finalising.
    errors: tuple[Line, ...]
    #: Required questions with no answer: they block finalising too.
    required: tuple[Line, ...]
    #: Optional questions with no answer: finalising is allowed.
    optional: tuple[Line, ...]
    #: Interview sections with no answer at all (interviews only).
    blank_sections: tuple[Line, ...]

    @property
    def blocked(self) -> bool:
        return bool(self.errors or self.required)


def review_of(view: FormView) -> Review:
    """Group a view read with its problems (``with_problems=True``)."""
    problems = view.problems or ()
    # The message on a line of its own: one long line would be cut short.
    errors = tuple(Line(p.path, f"{p.label}\n{p.message}")
                   for p in problems if p.kind != "required")
    required = tuple(Line(p.path, p.label) for p in problems if p.kind == "required")
    blocking = {p.path for p in problems}
    optional = tuple(Line(e.path, e.label) for e in view.index
                     if e.state == UNANSWERED and not e.required and e.path not in blocking)
    blank = tuple(Line(s.first_screen, s.title) for s in view.sections
                  if s.key != INTRODUCTION and s.total > 0 and s.answered == 0)
    return Review(errors, required, optional, blank)


class _ReviewTree(QTreeWidget):
    """Enter on a line jumps (and is not passed on to press the dialog's default button)."""

    line_chosen = Signal(str)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            item = self.currentItem()
            path = item.data(0, PathRole) if item is not None else None
            if isinstance(path, str):
                self.line_chosen.emit(path)
                event.accept()
                return
            if item is not None and item.childCount():
                item.setExpanded(not item.isExpanded())
                event.accept()
                return
        super().keyPressEvent(event)


class FinaliseDialog(QDialog):
    """Review, comment, confirm. ``jump_requested(path)`` closes it to go to a question;
    ``finalise_requested(comment)`` when the interviewer confirms."""

    jump_requested = Signal(str)
    finalise_requested = Signal(str)

    def __init__(self, view: FormView, *, interview: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("finaliseDialog")
        self.setWindowTitle(self.tr("Finalise"))
        self.review = review_of(view)
        self._interview = interview
        layout = QVBoxLayout(self)
        self.status = QLabel(self)
        self.status.setObjectName("reviewStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.tree = _ReviewTree(self)
        self.tree.setObjectName("reviewList")
        self.tree.setHeaderHidden(True)
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setAccessibleName(self.tr("What is left before finalising"))
        self.tree.itemActivated.connect(self._on_tree_item_activated)
        self.tree.line_chosen.connect(self._jump)
        layout.addWidget(self.tree, 1)
        self.comment_label = QLabel(self.tr("&Comment for the reviewer (optional):"), self)
        self.comment = QPlainTextEdit(self)
        self.comment.setObjectName("reviewComment")
        self.comment.setTabChangesFocus(True)  # Tab moves on, as everywhere else
        self.comment.setAccessibleName(self.tr("Comment for the reviewer"))
        self.comment.setMaximumHeight(self.fontMetrics().lineSpacing() * 5)
        self.comment_label.setBuddy(self.comment)
        layout.addWidget(self.comment_label)
        layout.addWidget(self.comment)
        buttons = QDialogButtonBox(self)
        self.finalise_button = QPushButton(self.tr("Finalise"), self)
        self.finalise_button.setObjectName("confirmFinalise")
        buttons.addButton(self.finalise_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setText(self.tr("Back to the record"))
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._fill()
        blocked = self.review.blocked
        self.finalise_button.setEnabled(not blocked)
        self.finalise_button.setDefault(not blocked)
        self.finalise_button.setAutoDefault(not blocked)
        if blocked:
            self.finalise_button.setToolTip(self.tr("Correct the errors first"))
        self.setTabOrder(self.tree, self.comment)
        self.setTabOrder(self.comment, self.finalise_button)
        self.setTabOrder(self.finalise_button, self.cancel_button)
        (self.tree if blocked else self.finalise_button).setFocus()
        # Roomy, but never past the screen (a 1366x768 laptop at 150% text).
        width = self.fontMetrics().horizontalAdvance("x") * 84
        # Nothing to list: only as tall as the message, comment and buttons need.
        height = (self.fontMetrics().lineSpacing() * 28 if self.tree.topLevelItemCount()
                  else self.sizeHint().height())
        screen = (parent.screen() if parent is not None else self.screen()).availableGeometry()
        self.resize(min(width, screen.width() - 40), min(height, screen.height() - 60))

    def _fill(self) -> None:
        review = self.review
        groups = [
            (self.tr("Errors to correct ({0})"), review.errors, True),
            (self.tr("Required questions not answered ({0})"), review.required, True),
            (self.tr("Optional questions not answered ({0})"), review.optional, False),
        ]
        if self._interview:
            groups.append((self.tr("Sections left blank ({0})"), review.blank_sections,
                           False))
        for title, lines, expanded in groups:
            if not lines:
                continue
            group = QTreeWidgetItem(self.tree, [title.format(len(lines))])
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            for line in lines:
                item = QTreeWidgetItem(group, [line.text])
                item.setData(0, PathRole, line.path)
                # The whole text too: a long constraint message may be cut at the edge.
                item.setToolTip(0, self.tr("{0}\n\nGo to this question (Enter)").format(
                    line.text))
            group.setExpanded(expanded)
        first = self.tree.topLevelItem(0)
        if first is not None:
            child = first.child(0)
            self.tree.setCurrentItem(child if child is not None and first.isExpanded() else first)
        self.tree.setVisible(self.tree.topLevelItemCount() > 0)
        blocking = len(review.errors) + len(review.required)
        if blocking:
            self.status.setProperty("state", "blocked")
            self.status.setText(self.tr(
                "This record cannot be finalised yet: {0} answer(s) to correct or give. "
                "Choose one to go to it.").format(blocking))
        else:
            self.status.setProperty("state", "ok")
            left = len(review.optional) + (len(review.blank_sections)
                                           if self._interview else 0)
            self.status.setText(self.tr(
                "Everything required is answered. Check what is left below, if anything, "
                "then choose Finalise.") if left else self.tr(
                "Everything is answered. Choose Finalise to finish."))

    def counts(self) -> dict[str, int]:
        """How many lines in each group (tests and the screenshot read them)."""
        review = self.review
        return {"errors": len(review.errors), "required": len(review.required),
                "optional": len(review.optional), "blank_sections": len(review.blank_sections)}

    def _on_tree_item_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        path = item.data(0, PathRole)
        if isinstance(path, str):
            self._jump(path)

    def _jump(self, path: str) -> None:
        self.reject()
        self.jump_requested.emit(path)

    def _on_buttons_accepted(self) -> None:
        if self.review.blocked:
            return
        self.accept()
        self.finalise_requested.emit(self.comment.toPlainText())
