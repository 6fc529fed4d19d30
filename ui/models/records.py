"""The records table (status, form, instance name, dates) and its sort/filter proxy."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

_Index = QModelIndex | QPersistentModelIndex

RecordIdRole = Qt.ItemDataRole.UserRole + 1
StatusRole = Qt.ItemDataRole.UserRole + 2
FormRole = Qt.ItemDataRole.UserRole + 3
SortRole = Qt.ItemDataRole.UserRole + 4
ErasedRole = Qt.ItemDataRole.UserRole + 5

STATUSES = ("draft", "finalised", "sent", "acknowledged")


@dataclass(frozen=True, slots=True)
class RecordRow:
    record_id: uuid.UUID
    name: str
    form_version_id: int
    form_title: str
    status: str
    editing: bool
    created: dt.datetime
    updated: dt.datetime
    #: Its study has no study pack: a finalised record cannot be sent and stays here.
    local_only: bool = False
    #: Withdrawn and erased: only its tombstone is left.
    erased: bool = False


class RecordsTableModel(QAbstractTableModel):
    NAME, FORM, STATUS, UPDATED, CREATED = range(5)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[RecordRow] = []

    def set_rows(self, rows: list[RecordRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows([])

    def row_at(self, row: int) -> RecordRow:
        return self._rows[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 5

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if not 0 <= section < 5:
            return None
        return (self.tr("Record"), self.tr("Form"), self.tr("Status"), self.tr("Last changed"),
                self.tr("Started"))[section]

    def status_text(self, row: RecordRow) -> str:
        if row.erased:
            return self.tr("Erased")
        if row.editing:
            return self.tr("Being edited")
        if row.local_only and row.status == "finalised":
            return self.tr("Stays on this laptop")
        return {
            "draft": self.tr("Draft"),
            "finalised": self.tr("Finalised"),
            "sent": self.tr("Sent"),
            "acknowledged": self.tr("Acknowledged"),
        }.get(row.status, row.status)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.NAME:
                if row.erased:
                    return self.tr("(erased record)")
                return row.name or self.tr("(not named yet)")
            if column == self.FORM:
                return row.form_title
            if column == self.STATUS:
                return self.status_text(row)
            stamp = row.updated if column == self.UPDATED else row.created
            return stamp.astimezone().strftime("%d %b %Y %H:%M")
        if role == SortRole:
            if column == self.UPDATED:
                return row.updated.timestamp()
            if column == self.CREATED:
                return row.created.timestamp()
            if column == self.STATUS:
                return STATUSES.index(row.status) if row.status in STATUSES else 99
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.ToolTipRole and column == self.STATUS and row.erased:
            return self.tr("Withdrawn and erased: its answers are gone; only the note that "
                           "it was erased (when, by whom, why) is kept.")
        if role == Qt.ItemDataRole.ToolTipRole and column == self.STATUS and row.local_only:
            return self.tr("Its study has no study pack yet, so it stays on this laptop. "
                           "Importing the pack (File > Import study pack) moves it into "
                           "the pack's study; it is then sent at the next sync.")
        if role == RecordIdRole:
            return str(row.record_id)
        if role == StatusRole:
            return row.status
        if role == ErasedRole:
            return row.erased
        if role == FormRole:
            return row.form_version_id
        return None


class RecordFilterProxy(QSortFilterProxyModel):
    """Filters by status, form, date (changed since) and a search over the name/form."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._status: str | None = None
        self._form: int | None = None
        self._since: dt.datetime | None = None
        self._search = ""
        self.setSortRole(SortRole)
        self.setDynamicSortFilter(True)

    def set_status(self, status: str | None) -> None:
        self.beginFilterChange()
        self._status = status or None
        self.endFilterChange()

    def set_form(self, form_version_id: int | None) -> None:
        self.beginFilterChange()
        self._form = form_version_id
        self.endFilterChange()

    def set_since(self, since: dt.datetime | None) -> None:
        self.beginFilterChange()
        self._since = since
        self.endFilterChange()

    def set_search(self, text: str) -> None:
        self.beginFilterChange()
        self._search = text.strip().casefold()
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, RecordsTableModel) or source_parent.isValid():
            return False
        row = model.row_at(source_row)
        if self._status is not None and row.status != self._status:
            return False
        if self._form is not None and row.form_version_id != self._form:
            return False
        if self._since is not None and row.updated < self._since:
            return False
        if self._search:
            haystack = f"{row.name} {row.form_title} {model.status_text(row)}".casefold()
            if self._search not in haystack:
                return False
        return True
