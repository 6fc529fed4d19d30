"""Text, integer, decimal and barcode editors (line edits; multi-line for ``multiline``)."""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPlainTextEdit, QWidget

from qi_capture.services.screen import QuestionValue
from ui.widgets.editors.base import Editor


class TextEditor(Editor):
    """Single-line text; appearance ``multiline`` gives a multi-line box (Ctrl+Enter: next)."""

    def __init__(self, question: QuestionValue, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        layout = self._row(self)
        self.multiline = "multiline" in question.appearance
        self.enter_commits = not self.multiline
        if self.multiline:
            self.box: QPlainTextEdit | None = QPlainTextEdit(self)
            self.box.setTabChangesFocus(True)
            self.box.setMinimumHeight(self.fontMetrics().lineSpacing() * 5)
            self.box.textChanged.connect(self._on_box_text_changed)
            self.line: QLineEdit | None = None
            widget: QWidget = self.box
        else:
            self.box = None
            self.line = QLineEdit(self)
            self.line.textEdited.connect(self._on_line_text_edited)
            widget = self.line
        layout.addWidget(widget)
        self.setFocusProxy(widget)
        self._watch_enter(widget)
        self._showing = False

    def value(self) -> str:
        if self.box is not None:
            return self.box.toPlainText()
        assert self.line is not None
        return self.line.text()

    def _show(self, text: str) -> None:
        self._showing = True
        try:
            if self.box is not None:
                if self.box.toPlainText() != text:
                    self.box.setPlainText(text)
            elif self.line is not None and self.line.text() != text:
                self.line.setText(text)
        finally:
            self._showing = False

    def _on_line_text_edited(self, _text: str) -> None:
        self._changed()

    def _on_box_text_changed(self) -> None:
        if not self._showing:
            self._changed()

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        if self.box is not None:
            self.box.setReadOnly(read_only)
        elif self.line is not None:
            self.line.setReadOnly(read_only)


class _NumberEditor(TextEditor):
    pattern = ""
    expected = ""

    def __init__(self, question: QuestionValue, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        assert self.line is not None
        self.line.setValidator(
            QRegularExpressionValidator(QRegularExpression(self.pattern), self.line))
        self.line.setMaximumWidth(self.fontMetrics().horizontalAdvance("0") * 18)
        # Under its label, not centred in the row (far from the label and the message).
        row = self.layout()
        if isinstance(row, QHBoxLayout):
            row.addStretch(1)

    def value(self) -> str:
        return super().value().strip().replace(",", ".")

    def problem(self) -> str | None:
        text = self.value()
        if text in ("-", "+", ".", "-.", "+."):
            return self.tr("Enter {0}.").format(self.expected)
        return None


class IntegerEditor(_NumberEditor):
    pattern = r"[+-]?\d{0,15}"

    def __init__(self, question: QuestionValue, parent: QWidget | None = None) -> None:
        self.expected = self.tr("a whole number")
        super().__init__(question, parent)


class DecimalEditor(_NumberEditor):
    pattern = r"[+-]?\d{0,15}([.,]\d{0,10})?"

    def __init__(self, question: QuestionValue, parent: QWidget | None = None) -> None:
        self.expected = self.tr("a number")
        super().__init__(question, parent)
