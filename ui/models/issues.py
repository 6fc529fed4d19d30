"""The finalise list: every problem that stops a record being finalised."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from qi_capture.services.screen import Problem
from ui.models.entry_list import EntryListModel
from ui.models.question_index import PathRole
from ui.widgets.status_icons import status_icon

_Index = QModelIndex | QPersistentModelIndex


class IssueListModel(EntryListModel):
    _entries: list[Problem]

    def entry(self, row: int) -> Problem:
        entry: Problem = self._entries[row]
        return entry

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry = self._entry_at(index)
        if entry is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{entry.label}\n    {entry.message}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tr("Go to this question to correct it")
        if role == Qt.ItemDataRole.DecorationRole:
            return status_icon("invalid" if entry.kind != "required" else "unanswered")
        if role == PathRole:
            return entry.path
        return None
