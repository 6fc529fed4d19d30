"""The conflicts page's models: the open conflicts (one line each, named by the record's
instance name) and one conflict's versions side by side, answer by answer, where the
admin ticks, for each differing answer, the version whose value to keep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from qi_capture.services.admin.dto import ConflictInfo, ConflictView, RecordRow

_Index = QModelIndex | QPersistentModelIndex

#: Differing answers are marked with this background (a pale amber, readable in both
#: light and dark text colours) and bold text, so the mark is not colour alone.
DIFFERS = QColor(255, 236, 179)


@dataclass(frozen=True)
class ConflictItem:
    """An open conflict with its record's listing row (None: the record is gone)."""

    conflict: ConflictInfo
    record: RecordRow | None

    @property
    def title(self) -> str:
        if self.record is not None:
            return self.record.title
        return self.conflict.record_id.hex[:8]


class ConflictListModel(QAbstractTableModel):
    RECORD, FORM, VERSIONS, OPENED = range(4)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[ConflictItem] = []

    def set_items(self, items: list[ConflictItem]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def item_at(self, row: int) -> ConflictItem:
        return self._items[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 4

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if not 0 <= section < 4:
            return None
        return (self.tr("Record"), self.tr("Form"), self.tr("Versions"),
                self.tr("Opened"))[section]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            column = index.column()
            if column == self.RECORD:
                return item.title
            if column == self.FORM:
                return item.record.form_id if item.record is not None else ""
            if column == self.VERSIONS:
                return str(len(item.conflict.heads))
            if column == self.OPENED:
                return item.conflict.opened.strftime("%Y-%m-%d %H:%M")
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tr("Conflict {0}").format(item.conflict.id[:12])
        return None


class ConflictLinesModel(QAbstractTableModel):
    """Column 0: the question; then one column per version. For a differing answer,
    the cell of the version chosen for the answer-by-answer merge is checked (like a
    radio button: checking one unchecks the others); the displayed winner's, at first."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._view: ConflictView | None = None
        #: Line -> the version (head index) chosen for it.
        self._picks: dict[int, int] = {}

    @property
    def view(self) -> ConflictView | None:
        return self._view

    def set_view(self, view: ConflictView | None) -> None:
        self.beginResetModel()
        self._view = view
        self._picks = {}
        if view is not None:
            heads = [h.id for h in view.detail.heads]
            winner = heads.index(view.conflict.winner) if view.conflict.winner in heads else 0
            self._picks = {i: winner for i, line in enumerate(view.lines) if line.differs}
        self.endResetModel()

    def pick(self, line: int, head: int) -> None:
        """Take version ``head``'s value for the (differing) answer on ``line``."""
        if self._view is None or line not in self._picks:
            return
        self._picks[line] = head
        self.dataChanged.emit(self.index(line, 1), self.index(line, self.columnCount() - 1),
                              [Qt.ItemDataRole.CheckStateRole])

    def picks(self) -> dict[str, str]:
        """Answer path -> the id of the version whose value the merge takes."""
        if self._view is None:
            return {}
        heads = self._view.detail.heads
        return {self._view.lines[line].path: heads[head].id
                for line, head in self._picks.items()}

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self._view is None else len(self._view.lines)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self._view is None:
            return 0
        return 1 + len(self._view.detail.heads)

    def version_title(self, head: int) -> str:
        assert self._view is not None
        revision = self._view.detail.heads[head]
        device = self._view.head_devices[head]
        # Three lines: the header stays as narrow as the answers under it.
        return self.tr("Version {0}\n{1}\n{2}").format(
            chr(ord("A") + head) if head < 26 else str(head + 1), device,
            revision.created[:16].replace("T", " "))

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if self._view is None or not 0 <= section < self.columnCount():
            return None
        return self.tr("Question") if section == 0 else self.version_title(section - 1)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() > 0 and index.row() in self._picks:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        view = self._view
        if view is None or not index.isValid() or not 0 <= index.row() < len(view.lines):
            return None
        line = view.lines[index.row()]
        column = index.column()
        if not 0 <= column < self.columnCount():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return line.label
            text = line.texts[column - 1]
            return self.tr("(no answer)") if text is None else text
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return line.path
        if line.differs and role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(DIFFERS)
        if line.differs and role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(0, 0, 0))  # dark on the pale mark, whatever the theme
        if line.differs and role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.CheckStateRole and column > 0 and index.row() in self._picks:
            chosen = self._picks[index.row()] == column - 1
            return Qt.CheckState.Checked if chosen else Qt.CheckState.Unchecked
        return None

    def setData(self, index: _Index, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (role != Qt.ItemDataRole.CheckStateRole or not index.isValid()
                or index.column() == 0 or index.row() not in self._picks):
            return False
        checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2, True)
        if not checked:
            return False  # a radio choice: unchecking happens by checking another
        self.pick(index.row(), index.column() - 1)
        return True
