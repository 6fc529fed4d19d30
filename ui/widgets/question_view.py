"""One question on a screen: its label (with the required mark), hint, editor and the
problem with its answer, redrawn from each new `QuestionValue` by ``refresh``."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAccessible, QAccessibleEvent
from PySide6.QtWidgets import QAbstractButton, QFrame, QLabel, QLineEdit, QVBoxLayout, QWidget

from qi_capture.services.screen import QuestionValue
from ui.widgets.editors import Editor, editor_for
from ui.widgets.editors.misc import AttachmentEditor


class QuestionView(QFrame):
    #: The interviewer changed the answer (path, stored text).
    answer_changed = Signal(str, str)
    #: Enter in the editor (path).
    committed = Signal(str)
    #: A file was chosen for an attachment question (path, file path).
    file_chosen = Signal(str, str)

    def __init__(self, question: QuestionValue, *, read_only: bool,
                 label_scale: float = 1.1, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = question.path
        self.setObjectName("question")
        # The style sheet draws the red mark of an invalid answer as this frame's border;
        # a frame without a shape draws none.
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.question = question
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 10)
        layout.setSpacing(4)
        self.label = QLabel(self)
        self.label.setObjectName("questionLabel")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        font = self.label.font()
        font.setPointSizeF(font.pointSizeF() * label_scale)
        font.setBold(question.type != "note")
        self.label.setFont(font)
        self.hint = QLabel(self)
        self.hint.setObjectName("questionHint")
        self.hint.setWordWrap(True)
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.editor: Editor = editor_for(question, self)
        self.problem = QLabel(self)
        self.problem.setObjectName("questionProblem")
        self.problem.setWordWrap(True)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setAccessibleName(self.tr("Problem with this answer"))
        self.problem.hide()
        layout.addWidget(self.label)
        layout.addWidget(self.hint)
        layout.addWidget(self.editor)
        layout.addWidget(self.problem)
        self.label.setBuddy(self.editor.focus_widget())
        self._forced_read_only = read_only
        self.editor.value_changed.connect(self._on_editor_value_changed)
        self.editor.committed.connect(self._on_editor_committed)
        if isinstance(self.editor, AttachmentEditor):
            self.editor.file_chosen.connect(self._on_editor_file_chosen)
        self.touched = False
        self.show_required = False
        self._local_problem: str | None = None
        self.refresh(question, values=True)

    # --- drawing the value --------------------------------------------------------------
    def refresh(self, question: QuestionValue, *, values: bool = False) -> None:
        self.question = question
        self.setVisible(question.relevant)
        if not question.relevant:
            return
        required = question.required
        label = question.label
        self.label.setText(f"{label} *" if required else label)
        self.label.setAccessibleDescription(self.tr("Required") if required else "")
        # The label is the control's name for a screen reader (a buddy in another
        # widget does not count); a choice keeps its own text, its group the label.
        target = self.editor.focus_widget()
        if not isinstance(target, QAbstractButton):
            target.setAccessibleName(label)
        hint = question.hint
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        if question.has_choices:
            self.editor.set_choices(list(question.choices))
        read_only = self._forced_read_only or question.read_only
        if read_only != self.editor.is_read_only():
            self.editor.set_read_only(read_only)
        raw = question.value
        if values or read_only:
            self.editor.set_value(raw)
        issue = question.problem
        text = self._local_problem
        shown = issue is not None and (
            issue.kind != "required" or self.show_required or (self.touched and not raw))
        if text is None and issue is not None and shown and not read_only:
            text = issue.message
        self.set_problem(text)

    def set_problem(self, text: str | None) -> None:
        text = text or ""
        changed = text != self.problem.text()
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
        if self.property("invalid") != bool(text):
            self.setProperty("invalid", bool(text))
            # A dynamic property takes effect only when the style is applied again.
            self.style().unpolish(self)
            self.style().polish(self)
            self.update()
        # The message belongs to the control: a screen reader reads it with the
        # question, and hears it when it appears.
        target = self.editor.focus_widget()
        target.setAccessibleDescription(text)
        if changed:
            QAccessible.updateAccessibility(
                QAccessibleEvent(target, QAccessible.Event.DescriptionChanged))
            if text:
                QAccessible.updateAccessibility(
                    QAccessibleEvent(self.problem, QAccessible.Event.Alert))

    def local_problem(self) -> str | None:
        """The editor's own format problem, shown now (before leaving the screen)."""
        self._local_problem = self.editor.problem()
        if self._local_problem:
            self.set_problem(self._local_problem)
        return self._local_problem

    def focus(self) -> None:
        # As if by Tab: the style then draws the focus frame, so the interviewer sees
        # where the keyboard is after Enter moved it here.
        widget = self.editor.focus_widget()
        widget.setFocus(Qt.FocusReason.TabFocusReason)
        if isinstance(widget, QLineEdit):
            # Tab focus selects a line edit's whole text, so the first key typed would
            # replace an answer given before (a draft reopened): keep the caret at the end.
            widget.deselect()
            widget.end(False)

    def takes_focus(self) -> bool:
        parent = self.parentWidget()
        shown = self.isVisibleTo(parent) if parent is not None else self.isVisible()
        return (shown and not self.editor.is_read_only()
                and self.editor.focus_widget().focusPolicy() != Qt.FocusPolicy.NoFocus)

    # --- the interviewer ----------------------------------------------------------------
    def _on_editor_value_changed(self) -> None:
        self.touched = True
        problem = self.editor.problem()
        if self._local_problem and not problem:
            self._local_problem = None
            self.set_problem(None)
        self.answer_changed.emit(self.path, "" if problem else self.editor.value())

    def _on_editor_committed(self) -> None:
        self.committed.emit(self.path)

    def _on_editor_file_chosen(self, file_path: str) -> None:
        self.touched = True
        self.file_chosen.emit(self.path, file_path)
