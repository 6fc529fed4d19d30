"""The question index: every relevant question of the record, with its state, to jump to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from qi_capture.forms.session import FormSession
from ui.models.entry_list import EntryListModel
from ui.widgets.status_icons import status_icon

#: Entry states, in the order a person reads them.
ANSWERED, UNANSWERED, INVALID, SECTION = "answered", "unanswered", "invalid", "section"

PathRole = Qt.ItemDataRole.UserRole + 1
StateRole = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class IndexEntry:
    path: str
    label: str
    state: str
    depth: int = 0
    current: bool = False


def build_entries(session: FormSession, current_key: str | None) -> list[IndexEntry]:
    """Read the session (UI thread, write queue idle) into plain entries."""
    entries: list[IndexEntry] = []
    for screen in session.screens():
        if not screen.relevant:
            continue
        if screen.kind == "repeat":
            continue
        is_current = screen.key == current_key
        depth = 0
        if screen.kind == "group":
            entries.append(IndexEntry(screen.key, _heading(session, screen.key), SECTION,
                                      0, is_current))
            depth = 1
        for path in screen.fields:
            if not session.is_relevant(path):
                continue
            node = session.node(path)
            element = node.element
            if element.type == "note" or session.is_read_only(path):
                continue
            label = session.label(path) or element.name
            issue = session.issue(path)
            raw = session.raw(path)
            if issue is not None and (raw or issue.kind != "required"):
                state = INVALID
            else:
                state = ANSWERED if raw else UNANSWERED
            if issue is not None and issue.kind == "required" and not raw:
                state = UNANSWERED
            entries.append(IndexEntry(path, label, state, depth,
                                      is_current and screen.kind == "field"))
    return entries


def _heading(session: FormSession, key: str) -> str:
    label = session.label(key) or key
    if key.endswith("]"):
        index = key.rsplit("[", 1)[1].rstrip("]")
        return f"{label} {index}"
    return label


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
