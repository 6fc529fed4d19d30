"""The audit log table (`AdminDesk.audit` entries, oldest first) and its filter: by
action, by actor, and by a text found anywhere in the entry."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from qi_capture.services.admin.audit import audit_details
from qi_capture.services.admin.dto import AuditEntry
from ui.admin.models.rows import RowsModel
from ui.admin.text import audit_action, audit_summary, local_time

_Index = QModelIndex | QPersistentModelIndex

ENTRY_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("at", "actor", "action", "details")


def _tr(text: str) -> str:
    return QCoreApplication.translate("AuditModel", text)


class AuditModel(RowsModel[AuditEntry]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__((_tr("Time"), _tr("Who"), _tr("Action"), _tr("Details")), parent)
        self._details: list[str] = []

    def set_entries(self, entries: Sequence[AuditEntry]) -> None:
        self._details = [audit_details(e) for e in entries]
        self._reset(entries)

    def entry(self, row: int) -> AuditEntry:
        return self._rows[row]

    def details(self, row: int) -> str:
        return self._details[row]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        entry = self._row_at(index)
        if entry is None:
            return None
        column = COLUMNS[index.column()]
        if role == ENTRY_ROLE:
            return entry
        if role == SORT_ROLE:
            if column == "at":
                return entry.id  # the log's own order: ids grow with time
            return str(self.data(index, Qt.ItemDataRole.DisplayRole)).casefold()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == "at":
                return local_time(entry.at)
            if column == "actor":
                return entry.actor
            if column == "action":
                return audit_action(entry.action)
            return audit_summary(entry.params)
        if role == Qt.ItemDataRole.ToolTipRole and column in ("action", "details"):
            return entry.action if column == "action" else self._details[index.row()]
        return None


class AuditFilter(QSortFilterProxyModel):
    """Rows whose action and actor are the ones chosen (None: any) and whose text holds
    the search text (case-insensitive)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self._action: str | None = None
        self._actor: str | None = None
        self._text = ""

    def set_action(self, action: str | None) -> None:
        self.beginFilterChange()
        self._action = action or None
        self.endFilterChange()

    def set_actor(self, actor: str | None) -> None:
        self.beginFilterChange()
        self._actor = actor or None
        self.endFilterChange()

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.strip().casefold()
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, AuditModel)
        entry = model.entry(source_row)
        if self._action is not None and entry.action != self._action:
            return False
        if self._actor is not None and entry.actor != self._actor:
            return False
        if self._text:
            haystack = " ".join([entry.actor, entry.action, audit_action(entry.action),
                                 model.details(source_row), local_time(entry.at)]).casefold()
            return self._text in haystack
        return True

    def entries(self) -> list[AuditEntry]:
        """The entries shown, in the order shown."""
        model = self.sourceModel()
        assert isinstance(model, AuditModel)
        return [model.entry(self.mapToSource(self.index(row, 0)).row())
                for row in range(self.rowCount())]
