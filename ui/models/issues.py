"""The finalise list: every problem that stops a record being finalised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from qi_capture.forms.session import FormSession, ValidationIssue
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


class IssueListModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[IssueEntry] = []

    def set_entries(self, entries: list[IssueEntry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def entry(self, row: int) -> IssueEntry:
        return self._entries[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{entry.label}\n    {entry.message}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tr("Go to this question to correct it")
        if role == Qt.ItemDataRole.DecorationRole:
            return status_icon("invalid" if entry.kind != "required" else "unanswered")
        if role == PathRole:
            return entry.path
        return None
