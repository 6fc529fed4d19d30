"""The code picker: type a few letters to narrow the codebook, arrows to move, Space to
tick several, Enter to take the ticked codes (or the highlighted one). Used to apply
codes to a passage and to choose where a code moves or merges to."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QSortFilterProxyModel, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListView,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.admin.coding_values import Code
from ui.admin.models.codebook import CODE_ROLE, CodeListModel


class CodePicker(QDialog):
    def __init__(self, title: str, prompt: str, codes: Sequence[tuple[Code, str]], *,
                 multi: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("codePicker")
        self._multi = multi
        self.model = CodeListModel(self)
        self.model.set_codes(codes)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText(self.tr("Type to find a code…"))
        self.filter.setAccessibleName(self.tr("Find a code"))
        self.filter.setClearButtonEnabled(True)
        self.list = QListView(self)
        self.list.setModel(self.proxy)
        self.list.setAccessibleName(self.tr("Codes"))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setMinimumWidth(self.fontMetrics().averageCharWidth() * 44)
        self.list.setMinimumHeight(self.fontMetrics().height() * 12)
        hint = QLabel(prompt + "\n" + (self.tr("Space ticks a code; Enter applies the ticked "
                                               "codes, or the highlighted one.")
                                       if multi else self.tr("Enter chooses the highlighted "
                                                             "code.")), self)
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.filter.textChanged.connect(self._on_filter_text_changed)
        self.filter.installEventFilter(self)
        self.list.doubleClicked.connect(lambda _i: self.accept())
        self.list.installEventFilter(self)
        self._select_first()
        self.filter.setFocus()

    def _on_filter_text_changed(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        self._select_first()

    def _select_first(self) -> None:
        if self.proxy.rowCount() > 0:
            self.list.setCurrentIndex(self.proxy.index(0, 0))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if watched is self.filter and key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                # Arrows from the find box move in the list, so typing and choosing
                # never need the mouse.
                row = self.list.currentIndex().row()
                row = min(self.proxy.rowCount() - 1, row + 1) if key == Qt.Key.Key_Down \
                    else max(0, row - 1)
                if row >= 0:
                    self.list.setCurrentIndex(self.proxy.index(row, 0))
                return True
            if watched is self.list and key == Qt.Key.Key_Space and self._multi:
                self.toggle_current()
                return True
            if watched is self.filter and key == Qt.Key.Key_Space and self._multi \
                    and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                self.toggle_current()
                return True
        return super().eventFilter(watched, event)

    def toggle_current(self) -> None:
        index = self.list.currentIndex()
        if index.isValid():
            self.model.toggle(self.proxy.mapToSource(index).row())

    def chosen(self) -> list[Code]:
        """The ticked codes, else the highlighted one (a single choice: the highlighted)."""
        if self._multi and self.model.checked():
            return self.model.checked()
        index = self.list.currentIndex()
        code = index.data(CODE_ROLE) if index.isValid() else None
        return [code] if isinstance(code, Code) else []
