"""The finalise list: every problem that stops a record being finalised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from qi_capture.forms.session import FormSession, ValidationIssue
from ui.models.entry_list import EntryListModel
from ui.models.question_index import PathRole
from ui.widgets.status_icons import status_icon

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class IssueEntry:
    path: str
    label: str
    message: str
    kind: str


def build_issue_entries(session: FormSession,
                        issues: list[ValidationIssue]) -> list[IssueEntry]:
    entries = []
    for issue in issues:
        try:
            label = session.label(issue.path) or issue.path
        except Exception:  # the field may have vanished with a removed repeat instance
            label = issue.path
        entries.append(IssueEntry(issue.path, label, issue.message, issue.kind))
    return entries


class IssueListModel(EntryListModel):
    _entries: list[IssueEntry]

    def entry(self, row: int) -> IssueEntry:
        entry: IssueEntry = self._entries[row]
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
