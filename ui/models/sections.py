"""Interview mode's left column: the guide's sections, with how far each has got."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from qi_capture.services.screen import SectionEntry
from ui.models.entry_list import EntryListModel
from ui.models.question_index import PathRole
from ui.widgets.status_icons import status_icon

_Index = QModelIndex | QPersistentModelIndex


class SectionListModel(EntryListModel):
    _entries: list[SectionEntry]

    def entry(self, row: int) -> SectionEntry:
        entry: SectionEntry = self._entries[row]
        return entry

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry = self._entry_at(index)
        if entry is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            title = entry.title or self.tr("Introduction and consent")
            return f"{title}\n{self.tr('{0} of {1} noted').format(entry.answered, entry.total)}"
        if role == Qt.ItemDataRole.DecorationRole:
            if entry.total and entry.answered == entry.total:
                return status_icon("answered")
            return status_icon("unanswered")
        if role == Qt.ItemDataRole.FontRole and entry.current:
            font = QFont()
            font.setBold(True)
            return font
        if role == PathRole:
            return entry.first_screen
        return None
