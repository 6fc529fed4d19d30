"""Interview mode's left column: the guide's sections, with how far each has got."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from qi_capture.forms.session import FormSession
from ui.models.entry_list import EntryListModel
from ui.models.question_index import PathRole
from ui.widgets.status_icons import status_icon

_Index = QModelIndex | QPersistentModelIndex

INTRODUCTION = ""


@dataclass(frozen=True, slots=True)
class SectionEntry:
    key: str  # top-level group name ('' for the questions before the first section)
    first_screen: str
    title: str
    answered: int
    total: int
    current: bool


def section_of(key: str) -> str:
    head = key.split("/", 1)[0]
    return head.split("[", 1)[0] if "/" in key or "[" in head else INTRODUCTION


def build_sections(session: FormSession, current_key: str | None) -> list[SectionEntry]:
    order: list[str] = []
    first: dict[str, str] = {}
    counts: dict[str, list[int]] = {}
    for screen in session.screens():
        if not screen.relevant:
            continue
        section = section_of(screen.key) if screen.kind != "group" or "/" in screen.key \
            else screen.key.split("[", 1)[0]
        if section not in first:
            order.append(section)
            first[section] = screen.key
            counts[section] = [0, 0]
        for path in screen.fields:
            if session.is_relevant(path) and not session.is_read_only(path):
                counts[section][1] += 1
                if session.raw(path):
                    counts[section][0] += 1
    current_section = None
    if current_key is not None:
        current_section = section_of(current_key) if "/" in current_key \
            else current_key.split("[", 1)[0]
        if current_section not in first:
            current_section = INTRODUCTION
    entries = []
    for section in order:
        title = session.label(section) if section else ""
        entries.append(SectionEntry(section, first[section], title or "", *counts[section],
                                    section == current_section))
    return entries


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
