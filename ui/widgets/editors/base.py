"""The editor contract every question widget follows."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from qi_capture.services.screen import QuestionValue


class Editor(QWidget):
    """Base class: a field's input widget speaking stored text."""

    #: The interviewer changed the value (never emitted by ``set_value``).
    value_changed = Signal()
    #: Enter was pressed: the filler moves to the next question.
    committed = Signal()

    #: Does Enter in this editor mean "next" (False for multi-line text)?
    enter_commits = True

    def __init__(self, question: QuestionValue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question = question
        self._read_only = False
        self.setObjectName(f"editor_{question.name}")

    # --- the contract -------------------------------------------------------------------
    def value(self) -> str:
        """The answer as stored text ('' for no answer)."""
        raise NotImplementedError

    def set_value(self, text: str) -> None:
        """Show stored ``text`` without emitting ``value_changed``."""
        was = self.blockSignals(True)
        try:
            self._show(text)
        finally:
            self.blockSignals(was)

    def _show(self, text: str) -> None:
        raise NotImplementedError

    def problem(self) -> str | None:
        """A local format problem ('2024-13-' is not a date yet), checked before sending."""
        return None

    def set_choices(self, choices: list[tuple[str, str]]) -> None:
        """Selects and rank: the choices offered now (name, label)."""

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        for child in self.findChildren(QWidget):
            child.setEnabled(not read_only)

    def is_read_only(self) -> bool:
        return self._read_only

    def focus_widget(self) -> QWidget:
        """The widget that takes the keyboard focus when the question is entered."""
        return self.focusProxy() or self

    # --- helpers for subclasses ---------------------------------------------------------
    def _changed(self) -> None:
        if not self._read_only:
            self.value_changed.emit()

    def _watch_enter(self, widget: QWidget) -> None:
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
                if self.enter_commits or ctrl:
                    self.committed.emit()
                    return True
        return super().eventFilter(watched, event)

    @staticmethod
    def _row(parent: QWidget) -> QHBoxLayout:
        layout = QHBoxLayout(parent)
        layout.setContentsMargins(0, 0, 0, 0)
        return layout

    @staticmethod
    def _column(parent: QWidget) -> QVBoxLayout:
        layout = QVBoxLayout(parent)
        layout.setContentsMargins(0, 0, 0, 0)
        return layout
