"""select_one (radio buttons; ``minimal``: a drop-down; ``likert``: a row), select_multiple
(check boxes) and rank (a list ordered by drag or by the up/down buttons)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.screen import QuestionValue
from ui.widgets.editors.base import Editor


def _choice_group(label: str, parent: QWidget) -> QGroupBox:
    """The box around a question's choices: a group a screen reader names by the
    question's label ("Type of organisation, grouping"), drawn without a frame."""
    box = QGroupBox(parent)
    box.setObjectName("choiceGroup")
    box.setFlat(True)
    box.setAccessibleName(label)
    return box


class SelectOneEditor(Editor):
    """One choice. Radio buttons by default, a drop-down for ``minimal``, a row for
    ``likert``; a "Clear" button empties the answer."""

    def __init__(self, question: QuestionValue, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.minimal = "minimal" in question.appearance
        self.likert = "likert" in question.appearance
        self._names: list[str] = []
        self._layout = self._column(self)
        self.combo: QComboBox | None = None
        self.group: QButtonGroup | None = None
        self._buttons_box: QWidget | None = None
        self._clear = QPushButton(self.tr("Clear answer"), self)
        self._clear.setFlat(True)
        self._clear.setAccessibleName(self.tr("Clear answer: {0}").format(question.label))
        self._clear.hide()  # shown once there is an answer to clear
        self._clear.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self._clear.clicked.connect(self._on_clear_clicked)
        if self.minimal:
            self.combo = QComboBox(self)
            self.combo.setAccessibleName(question.label)
            self.combo.activated.connect(self._on_combo_activated)
            self._layout.addWidget(self.combo)
            self.setFocusProxy(self.combo)
            self._watch_enter(self.combo)
        self._layout.addWidget(self._clear, 0, Qt.AlignmentFlag.AlignLeft)

    def set_choices(self, choices: list[tuple[str, str]]) -> None:
        names = [n for n, _ in choices]
        if names == self._names:
            return
        current = self.value()
        self._names = names
        if self.combo is not None:
            self.combo.clear()
            self.combo.addItem(self.tr("(choose)"), "")
            for name, label in choices:
                self.combo.addItem(label, name)
        else:
            self._build_buttons(choices)
        self.set_value(current if current in names else "")

    def _build_buttons(self, choices: list[tuple[str, str]]) -> None:
        if self._buttons_box is not None:
            self._buttons_box.deleteLater()
        box = _choice_group(self.question.label, self)
        self._buttons_box = box
        self.group = QButtonGroup(box)
        self.group.setExclusive(True)
        if self.likert:
            # A compact row at the text's own widths (stretched columns spread a 5-point
            # scale across the whole screen, far from its label).
            grid = QGridLayout(box)
            grid.setContentsMargins(0, 0, 0, 0)
            grid.setHorizontalSpacing(self.fontMetrics().horizontalAdvance("M") * 2)
            for column, (name, label) in enumerate(choices):
                button = QRadioButton(label, box)
                button.setProperty("choice", name)
                grid.addWidget(button, 0, column)
                self.group.addButton(button)
                self._watch_enter(button)
            grid.setColumnStretch(len(choices), 1)
        else:
            column_layout = QVBoxLayout(box)
            column_layout.setContentsMargins(0, 0, 0, 0)
            column_layout.setSpacing(2)
            for name, label in choices:
                button = QRadioButton(label, box)
                button.setProperty("choice", name)
                column_layout.addWidget(button)
                self.group.addButton(button)
                self._watch_enter(button)
        self.group.buttonClicked.connect(self._on_group_button_clicked)
        self._layout.insertWidget(0, box)
        buttons = self.group.buttons()
        if buttons:
            self.setFocusProxy(buttons[0])
        box.setEnabled(not self._read_only)

    def buttons(self) -> list[QAbstractButton]:
        return self.group.buttons() if self.group is not None else []

    def value(self) -> str:
        if self.combo is not None:
            data = self.combo.currentData()
            return data if isinstance(data, str) else ""
        if self.group is not None:
            checked = self.group.checkedButton()
            if checked is not None:
                return str(checked.property("choice"))
        return ""

    def _show(self, text: str) -> None:
        if self.combo is not None:
            index = self.combo.findData(text)
            self.combo.setCurrentIndex(max(index, 0))
            return
        if self.group is None:
            return
        self.group.setExclusive(False)
        for button in self.group.buttons():
            button.setChecked(button.property("choice") == text)
        self.group.setExclusive(True)
        # The keyboard lands on the chosen answer (as in any radio group), else the first.
        buttons = self.group.buttons()
        checked = self.group.checkedButton()
        if checked is not None or buttons:
            self.setFocusProxy(checked if checked is not None else buttons[0])

    def set_read_only(self, read_only: bool) -> None:
        super().set_read_only(read_only)
        self._update_clear()

    def set_value(self, text: str) -> None:
        super().set_value(text)
        self._update_clear()

    def _update_clear(self) -> None:
        # Only an answer can be cleared: a "Clear answer" under every blank question
        # is noise (and one more stop for the keyboard).
        self._clear.setVisible(not self._read_only and bool(self.value()))

    def _on_group_button_clicked(self, button: QAbstractButton) -> None:
        self.setFocusProxy(button)
        self._update_clear()
        self._changed()

    def _on_combo_activated(self, _index: int) -> None:
        self._update_clear()
        self._changed()

    def _on_clear_clicked(self) -> None:
        if self.value():
            self._show("")
            self._update_clear()
            self._changed()
            self.focus_widget().setFocus(Qt.FocusReason.TabFocusReason)


class SelectMultipleEditor(Editor):
    """Any number of choices, as check boxes."""

    def __init__(self, question: QuestionValue, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self._box = _choice_group(question.label, self)
        self._column(self).addWidget(self._box)
        self._layout = self._column(self._box)
        self._layout.setSpacing(2)
        self._boxes: list[QCheckBox] = []
        self._names: list[str] = []

    def set_choices(self, choices: list[tuple[str, str]]) -> None:
        names = [n for n, _ in choices]
        if names == self._names:
            return
        current = self.value()
        self._names = names
        for box in self._boxes:
            box.deleteLater()
        self._boxes = []
        for name, label in choices:
            box = QCheckBox(label, self._box)
            box.setProperty("choice", name)
            box.clicked.connect(self._on_box_clicked)
            box.setEnabled(not self._read_only)
            self._layout.addWidget(box)
            self._boxes.append(box)
            self._watch_enter(box)
        if self._boxes:
            self.setFocusProxy(self._boxes[0])
        self.set_value(" ".join(n for n in current.split() if n in names))

    def check_boxes(self) -> list[QCheckBox]:
        return list(self._boxes)

    def value(self) -> str:
        return " ".join(str(b.property("choice")) for b in self._boxes if b.isChecked())

    def _show(self, text: str) -> None:
        chosen = set(text.split())
        for box in self._boxes:
            box.setChecked(box.property("choice") in chosen)

    def _on_box_clicked(self, _checked: bool) -> None:
        self._changed()


class RankEditor(Editor):
    """Put the choices in order: drag them, or select one and use Move up / Move down
    (Alt+Up / Alt+Down). The answer is set on the first change, or with "Keep this order"."""

    def __init__(self, question: QuestionValue, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        layout = self._row(self)
        self.list = QListWidget(self)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.model().rowsMoved.connect(self._on_model_rows_moved)
        layout.addWidget(self.list, 1)
        buttons = QVBoxLayout()
        self.up = QPushButton(self.tr("Move &up"), self)
        self.down = QPushButton(self.tr("Move &down"), self)
        self.keep = QPushButton(self.tr("&Keep this order"), self)
        self.up.clicked.connect(self._on_up_clicked)
        self.down.clicked.connect(self._on_down_clicked)
        self.keep.clicked.connect(self._on_keep_clicked)
        for button in (self.up, self.down, self.keep):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.setFocusProxy(self.list)
        self._watch_enter(self.list)
        self._set = False
        self._names: list[str] = []
        self._labels: dict[str, str] = {}

    def set_choices(self, choices: list[tuple[str, str]]) -> None:
        self._labels = dict(choices)
        names = [n for n, _ in choices]
        if names == self._names:
            return
        self._names = names
        self._fill(names)

    def _fill(self, order: list[str]) -> None:
        self.list.clear()
        for name in order:
            item = QListWidgetItem(self._labels.get(name, name))
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.list.addItem(item)
        self.list.setMaximumHeight(
            self.list.sizeHintForRow(0) * (len(order) + 1) + 8 if order else 80)

    def order(self) -> list[str]:
        return [str(self.list.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.list.count())]

    def value(self) -> str:
        return " ".join(self.order()) if self._set else ""

    def _show(self, text: str) -> None:
        names = text.split()
        self._set = bool(names)
        if names:
            rest = [n for n in self._names if n not in names]
            self._fill([n for n in names if n in self._labels] + rest)

    def _move(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)
        self._set = True
        self._changed()

    def _on_up_clicked(self) -> None:
        self._move(-1)

    def _on_down_clicked(self) -> None:
        self._move(+1)

    def _on_keep_clicked(self) -> None:
        self._set = True
        self._changed()

    def _on_model_rows_moved(self, *_args: object) -> None:
        self._set = True
        self._changed()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.list and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.modifiers() & Qt.KeyboardModifier.AltModifier
                and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down)):
            self._move(-1 if event.key() == Qt.Key.Key_Up else +1)
            return True
        return super().eventFilter(watched, event)
