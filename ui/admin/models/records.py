"""The admin's records table: a form's records in pages fetched from the admin door.

A form may hold 100,000 records, so the model never loads them all: it holds the rows
fetched so far and asks `AdminDesk.records` for the next page (off the UI thread,
through the `TaskRunner`) when the view scrolls near the end (``canFetchMore`` /
``fetchMore``). Filtering and sorting are the service query's (an index serves it);
changing them starts again from the first page. A page that arrives after the query
changed is dropped (each query has a generation number).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont

from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.dto import RecordPage, RecordRow
from ui.tasks import TaskRunner

_Index = QModelIndex | QPersistentModelIndex

RecordIdRole = Qt.ItemDataRole.UserRole + 1

#: Review statuses in the order the filter lists them, with the words people read.
REVIEW_LABELS = {
    "received": "Received",
    "has_issues": "Has issues",
    "approved": "Approved",
    "rejected": "Rejected",
}

PAGE_SIZE = 200


@dataclass(frozen=True)
class RecordQuery:
    """What the table shows: the service query's arguments."""

    form_id: str
    status: str | None = None
    device: str | None = None
    #: (answer path, choice name), e.g. the footprint question and one footprint.
    answer: tuple[str, str] | None = None
    search: str = ""
    newest_first: bool = False


def fetch_page(desk: AdminDesk, query: RecordQuery, offset: int, limit: int) -> RecordPage:
    """One page of ``query`` (run on a worker thread)."""

    return desk.records(query.form_id, status=query.status, device=query.device,
                        answer=query.answer, search=query.search or None,
                        newest_first=query.newest_first, offset=offset, limit=limit)


class AdminRecordsModel(QAbstractTableModel):
    NAME, STATUS, DEVICE, INTERVIEWER, SUBMITTED, UPDATED, SHORT_ID = range(7)
    _COLUMNS = 7

    #: A page arrived (rows now loaded, total matching).
    page_loaded = Signal(int, int)
    #: Fetching a page failed (the exception; the page shows it in words).
    fetch_failed = Signal(object)

    def __init__(self, desk: AdminDesk | None, runner: TaskRunner | None,
                 parent: QObject | None = None, *, page_size: int = PAGE_SIZE) -> None:
        super().__init__(parent)
        self._desk = desk
        self._runner = runner
        self.page_size = page_size
        self._query: RecordQuery | None = None
        self._rows: list[RecordRow] = []
        self._total = 0
        self._generation = 0
        self._pending = False
        self._loaded_once = False

    # -- the query ---------------------------------------------------------------------
    @property
    def query(self) -> RecordQuery | None:
        return self._query

    @property
    def total(self) -> int:
        """Records matching the query in all (known once the first page is in)."""
        return self._total

    @property
    def loading(self) -> bool:
        return self._pending

    def set_query(self, query: RecordQuery | None) -> None:
        """Show ``query``'s records: empties the table and fetches the first page."""
        self.beginResetModel()
        self._generation += 1
        self._query = query
        self._rows = []
        self._total = 0
        self._pending = False
        self._loaded_once = False
        self.endResetModel()
        if query is not None:
            self._request()

    def reload(self) -> None:
        self.set_query(self._query)

    def set_page(self, page: RecordPage) -> None:
        """Take a page in (the first replaces the rows; later ones append)."""
        self._total = page.total
        if page.offset == 0:
            self.beginResetModel()
            self._rows = list(page.rows)
            self.endResetModel()
        else:
            fresh = list(page.rows)
            if fresh:
                first = len(self._rows)
                self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
                self._rows.extend(fresh)
                self.endInsertRows()
        self._loaded_once = True
        if len(page.rows) < (page.limit or 0):
            # Fewer than asked: the store holds no more (the total may have moved).
            self._total = len(self._rows)
        # Only now: views (and the model tester) ask for more from inside the insertion,
        # before the rows are in, and would fetch the same page twice.
        self._pending = False
        self.page_loaded.emit(len(self._rows), self._total)

    def replace_row(self, row: RecordRow) -> None:
        """A record changed (its review): update its line if it is loaded."""
        for i, old in enumerate(self._rows):
            if old.record_id == row.record_id:
                self._rows[i] = row
                self.dataChanged.emit(self.index(i, 0), self.index(i, self._COLUMNS - 1))
                return

    def set_status(self, record_id: uuid.UUID, status: str) -> None:
        for row in self._rows:
            if row.record_id == record_id:
                self.replace_row(replace(row, review_status=status))
                return

    def _request(self) -> None:
        if self._desk is None or self._runner is None or self._query is None or self._pending:
            return
        self._pending = True
        generation = self._generation
        task = self._runner.run(fetch_page, self._desk, self._query, len(self._rows),
                                self.page_size)
        task.finished.connect(lambda page: self._on_fetch_finished(generation, page))
        task.failed.connect(lambda error: self._on_fetch_failed(generation, error))

    def _on_fetch_finished(self, generation: int, page: object) -> None:
        if generation != self._generation or not isinstance(page, RecordPage):
            return  # the query changed since: this page belongs to the old one
        self.set_page(page)

    def _on_fetch_failed(self, generation: int, error: object) -> None:
        if generation != self._generation:
            return
        self._pending = False
        self._loaded_once = True
        self._total = len(self._rows)  # stop asking until the query changes
        self.fetch_failed.emit(error)

    # -- lazy fetching -------------------------------------------------------------------
    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() or self._query is None or self._pending:
            return False
        return self._loaded_once and len(self._rows) < self._total

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._request()

    # -- the table -----------------------------------------------------------------------
    def row_at(self, row: int) -> RecordRow:
        return self._rows[row]

    def rows(self) -> tuple[RecordRow, ...]:
        return tuple(self._rows)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._COLUMNS

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if not 0 <= section < self._COLUMNS:
            return None
        return (self.tr("Record"), self.tr("Review"), self.tr("Device"),
                self.tr("Interviewer"), self.tr("Submitted"), self.tr("Last changed"),
                self.tr("Id"))[section]

    def status_text(self, row: RecordRow) -> str:
        text = {
            "received": self.tr("Received"),
            "has_issues": self.tr("Has issues"),
            "approved": self.tr("Approved"),
            "rejected": self.tr("Rejected"),
        }.get(row.review_status, row.review_status)
        if row.in_conflict:
            text = self.tr("{0} · in conflict").format(text)
        if row.deleted:
            text = self.tr("{0} · deleted").format(text)
        return text

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.NAME:
                return row.title
            if column == self.STATUS:
                return self.status_text(row)
            if column == self.DEVICE:
                return row.device_name or row.device_id.hex[:8]
            if column == self.INTERVIEWER:
                return row.interviewer
            if column == self.SUBMITTED:
                return _stamp(row.submitted)
            if column == self.UPDATED:
                return _stamp(row.updated)
            if column == self.SHORT_ID:
                return row.short_id
            return None
        if role == Qt.ItemDataRole.ToolTipRole and column == self.NAME:
            return str(row.record_id)
        if role == Qt.ItemDataRole.FontRole and column == self.STATUS and row.in_conflict:
            font = QFont()
            font.setBold(True)
            return font
        if role == RecordIdRole:
            return str(row.record_id)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Only the submission time sorts (the listing index's order); newest first when
        descending."""
        if column != self.SUBMITTED or self._query is None:
            return
        newest = order == Qt.SortOrder.DescendingOrder
        if newest != self._query.newest_first:
            self.set_query(replace(self._query, newest_first=newest))


def _stamp(text: str) -> str:
    """An ISO time as the table shows it: '2026-11-26 14:03' (UTC, as stored)."""
    return text[:16].replace("T", " ") if len(text) >= 16 else text
