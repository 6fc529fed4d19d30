"""The question index: every relevant question of the record, with its state, to jump to."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from qi_capture.services.screen import ANSWERED, INVALID, SECTION, UNANSWERED, IndexEntry
from ui.models.entry_list import EntryListModel
from ui.widgets.status_icons import status_icon

__all__ = ["ANSWERED", "INVALID", "SECTION", "UNANSWERED", "IndexEntry", "PathRole",
           "QuestionIndexModel", "StateRole"]

PathRole = Qt.ItemDataRole.UserRole + 1
StateRole = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex


class QuestionIndexModel(EntryListModel):
    _entries: list[IndexEntry]

    def entry(self, row: int) -> IndexEntry:
        entry: IndexEntry = self._entries[row]
        return entry

    def row_of(self, path: str) -> int:
        return next((i for i, e in enumerate(self._entries) if e.path == path), -1)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry = self._entry_at(index)
        if entry is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.label
        if role == Qt.ItemDataRole.ToolTipRole:
            return {
                ANSWERED: self.tr("Answered"),
                UNANSWERED: self.tr("Not answered yet"),
                INVALID: self.tr("The answer needs correcting"),
                SECTION: self.tr("Section"),
            }[entry.state] + f" — {entry.label}"
        if role == Qt.ItemDataRole.DecorationRole:
            return None if entry.state == SECTION else status_icon(entry.state)
        if role == Qt.ItemDataRole.FontRole:
            if entry.state == SECTION or entry.current:
                font = QFont()
                font.setBold(True)
                return font
            return None
        if role == Qt.ItemDataRole.BackgroundRole and entry.current:
            return QBrush(QColor(0, 94, 184, 40))
        if role == PathRole:
            return entry.path
        if role == StateRole:
            return entry.state
        return None
