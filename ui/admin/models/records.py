"""The admin's records table: a form's records in pages fetched from the admin door.

A form may hold 100,000 records, so the model never loads them all: it holds the rows
fetched so far and asks `AdminDesk.records` for the next page (off the UI thread,
through the `TaskRunner`) when the view scrolls near the end (``canFetchMore`` /
``fetchMore``). Each page starts past the last row held (keyset paging: as fast at row
99,800 as at row 0). Pages are read ahead (`READ_AHEAD`): the worker reads them one
after the other in one run, handing each over as soon as it is read, while the view
shows and paints the ones before; scrolling on is served from the pages already in,
all of them in one insertion (one paint for them all: a paint costs about as much as
reading a page). The matching records are counted once per query (`count_page`),
and neither the count nor the reading ahead starts before the first page is painted:
work on the worker then would slow that paint down (both need the interpreter).
Filtering and sorting are the service query's (an index serves it); changing them
starts again from the first page. A page that arrives after the query changed is
dropped (each query has a generation number).
"""

from __future__ import annotations

import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont

from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.dto import RecordCursor, RecordPage, RecordRow
from ui.tasks import TaskRunner, guarded

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
#: Pages read ahead of the view: the worker reads on while the view shows and paints,
#: so scrolling waits for the store only when it outruns it. Long runs: each run ends
#: with a round trip through the UI thread before the next starts.
READ_AHEAD = 10

# The roles `data` answers, as plain ints (comparing Qt's enum members costs more than
# the rest of a cell's lookup).
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_FONT = int(Qt.ItemDataRole.FontRole.value)
_ROLES = frozenset({_DISPLAY, _TOOLTIP, _FONT, int(RecordIdRole)})

#: The event that starts work held back until the rows just taken in are painted, and
#: its priority: below the low priority Qt posts a window's repaint at.
_AFTER_PAINT = QEvent.Type(QEvent.registerEventType())
_AFTER_PAINT_PRIORITY = int(Qt.EventPriority.LowEventPriority.value) - 1


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


def fetch_page(desk: AdminDesk, query: RecordQuery, after: RecordCursor | None,
               limit: int) -> RecordPage:
    """The page of ``query`` past ``after`` (None: the first), uncounted (run on a
    worker thread)."""
    return desk.records(query.form_id, status=query.status, device=query.device,
                        answer=query.answer, search=query.search or None,
                        newest_first=query.newest_first, after=after, limit=limit,
                        count=False)


def read_pages(desk: AdminDesk, query: RecordQuery, after: RecordCursor | None,
               limit: int, pages: int, deliver: Callable[[RecordPage], None],
               stop: threading.Event) -> int:
    """Read up to ``pages`` pages of ``query`` past ``after``, one after the other,
    handing each to ``deliver`` as soon as it is read; stops at the last page or when
    ``stop`` is set (the query changed). Returns how many were read (worker thread)."""
    read = 0
    while read < pages and not stop.is_set():
        page = fetch_page(desk, query, after, limit)
        read += 1
        deliver(page)
        if len(page.rows) < limit or page.next_after is None:
            break
        after = page.next_after
    return read


def count_page(desk: AdminDesk, query: RecordQuery) -> int:
    """How many records match ``query`` (run on a worker thread, once per query)."""
    return desk.count_records(query.form_id, status=query.status, device=query.device,
                              answer=query.answer, search=query.search or None)


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
        #: Display texts of the rows painted so far, by row.
        self._texts: dict[int, tuple[str, ...]] = {}
        self._total = 0
        #: The count is in (it comes once per query, after the first page is painted).
        self._counted = False
        #: The last page read was full: the store may hold more.
        self._more = False
        #: Where the next page starts: past the last row read (shown or ahead).
        self._next_after: RecordCursor | None = None
        self._generation = 0
        #: A run of page reads is on the worker (at most one at a time), and how to stop it.
        self._reading: threading.Event | None = None
        #: The view asked for more and the page is not in yet: show it when it comes.
        self._wanted = False
        #: Pages read ahead while the view showed the ones before, oldest first.
        self._ahead: deque[RecordPage] = deque()
        self._counting = False
        self._loaded_once = False
        #: What to start once the view has painted the rows just taken in.
        self._after_paint: list[Callable[[], None]] = []
        self._after_paint_posted = False
        self._inserting = False
        self._headers: tuple[str, ...] | None = None
        # Pages cross from the worker on this signal (queued: the model is on the UI
        # thread), each as soon as it is read, while the worker reads the next.
        self._page_read.connect(self._on_page_read)

    #: A page read on the worker (the query's generation, the page).
    _page_read = Signal(int, object)

    # -- the query ---------------------------------------------------------------------
    @property
    def query(self) -> RecordQuery | None:
        return self._query

    @property
    def total(self) -> int:
        """Records matching the query in all (known once the first page and the count
        are in; until then the rows held)."""
        return self._total if self._counted else len(self._rows)

    @property
    def rows_ahead(self) -> int:
        """Rows read ahead, waiting for the view to ask for them."""
        return sum(len(p.rows) for p in self._ahead)

    @property
    def loading(self) -> bool:
        """Something the table waits for is on its way: the first page, a page the view
        asked for, or the count (not pages read ahead that nobody has asked for yet)."""
        first = self._reading is not None and not self._loaded_once
        return first or self._wanted or self._counting

    def set_query(self, query: RecordQuery | None) -> None:
        """Show ``query``'s records: empties the table and fetches the first page."""
        # An empty table stays empty: no reset, so the view does not lay out and paint
        # it again while the first page is read.
        emptied = bool(self._rows)
        if emptied:
            self.beginResetModel()
        self._stop_reading()
        self._generation += 1
        self._query = query
        self._rows = []
        self._texts = {}
        self._total = 0
        self._counted = False
        self._more = False
        self._next_after = None
        self._wanted = False
        self._ahead.clear()
        self._counting = False
        self._loaded_once = False
        self._after_paint = []
        if emptied:
            self.endResetModel()
        if query is not None:
            # The first page alone: the next ones are read once it is painted.
            self._read(1)

    def reload(self) -> None:
        self.set_query(self._query)

    def set_page(self, page: RecordPage) -> None:
        """Take a page in: the query's first replaces the rows and is shown; a later one
        is shown if the view asked for it, else kept until it does (read ahead)."""
        if page.total is not None:
            self._total, self._counted = page.total, True
        self._more = page.limit is not None and len(page.rows) >= page.limit
        if page.rows:
            self._next_after = page.next_after
        if not self._loaded_once:
            self.beginResetModel()
            self._rows = list(page.rows)
            self._texts = {}
            self._loaded_once = True
            self.endResetModel()
            self._finish_page()
            if not self._counted:
                # Once per query, and only after the rows are painted: the count of
                # 100,000 records on the worker would slow that first paint down.
                self._later(self._count)
            self._later(self._read_ahead)
        elif self._wanted:
            self._wanted = False
            self._show(page)
        else:
            self._ahead.append(page)

    def _show(self, *pages: RecordPage) -> None:
        """Append the rows of ``pages`` (one insertion for them all)."""
        rows = [row for page in pages for row in page.rows]
        if rows:
            start = len(self._rows)
            # Views (and the model tester) ask for more from inside the insertion, before
            # the rows are in: they would fetch these pages again.
            self._inserting = True
            self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
            self._inserting = False
        self._finish_page()

    def _show_ahead(self) -> None:
        """Show every page read ahead."""
        pages = list(self._ahead)
        self._ahead.clear()
        self._show(*pages)

    def _finish_page(self) -> None:
        if not self._more and self._counted:
            # Fewer than asked: the store holds no more (the total may have moved).
            self._total = self._held()
        if self._counted:
            self.page_loaded.emit(len(self._rows), self._total)

    def _held(self) -> int:
        """Rows shown and read ahead."""
        return len(self._rows) + self.rows_ahead

    def set_count(self, total: int) -> None:
        """Take the query's count in (asked after the first page; pages may have come
        in meanwhile)."""
        self._counting = False
        self._counted = True
        # The rows held are the truth once the last page is in; never fewer than them.
        self._total = max(total, self._held()) if self._more else self._held()
        self.page_loaded.emit(len(self._rows), self._total)

    def replace_row(self, row: RecordRow) -> None:
        """A record changed (its review): update its line if it is loaded."""
        for i, old in enumerate(self._rows):
            if old.record_id == row.record_id:
                self._rows[i] = row
                self._texts.pop(i, None)
                self.dataChanged.emit(self.index(i, 0), self.index(i, self._COLUMNS - 1))
                return

    def set_status(self, record_id: uuid.UUID, status: str) -> None:
        for row in self._rows:
            if row.record_id == record_id:
                self.replace_row(replace(row, review_status=status))
                return

    # -- reading off the UI thread --------------------------------------------------------
    def _read(self, pages: int) -> None:
        """Read up to ``pages`` pages past the last row read, one after the other on
        the worker, each handed over as soon as it is read (unless a run is on)."""
        if self._desk is None or self._runner is None or self._query is None \
                or self._reading is not None:
            return
        stop = threading.Event()
        self._reading = stop
        generation = self._generation
        relay = self._page_read

        def deliver(page: RecordPage) -> None:  # worker thread
            try:
                relay.emit(generation, page)
            except RuntimeError:  # the table was closed meanwhile: nobody wants more
                stop.set()
        task = self._runner.run(read_pages, self._desk, self._query, self._next_after,
                                self.page_size, pages, deliver, stop)
        task.finished.connect(guarded(self, lambda _n: self._on_run_finished(generation,
                                                                             stop)))
        task.failed.connect(guarded(self, lambda error: self._on_fetch_failed(generation,
                                                                              error)))

    def _read_ahead(self) -> None:
        """Keep `READ_AHEAD` pages read ahead of the view (the store may hold fewer)."""
        if self._loaded_once and self._more and len(self._ahead) < READ_AHEAD:
            self._read(READ_AHEAD - len(self._ahead) + (1 if self._wanted else 0))

    def _stop_reading(self) -> None:
        if self._reading is not None:
            self._reading.set()
            self._reading = None

    def _count(self) -> None:
        if self._desk is None or self._runner is None or self._query is None \
                or self._counted or self._counting:
            return
        if not self._more:
            # The pages read hold them all: they are the count, no need to ask.
            self.set_count(self._held())
            return
        self._counting = True
        generation = self._generation
        task = self._runner.run(count_page, self._desk, self._query)
        task.finished.connect(lambda total: self._on_count_finished(generation, total))
        task.failed.connect(lambda error: self._on_fetch_failed(generation, error))

    def _later(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once the view has painted: Qt posts a window's repaint at low
        priority, so an event posted lower still comes after it. Reading the next page
        or counting on the worker while the first rows paint would slow that paint down
        (both need the interpreter)."""
        if fn not in self._after_paint:
            self._after_paint.append(fn)
        if not self._after_paint_posted:
            self._after_paint_posted = True
            QCoreApplication.postEvent(self, QEvent(_AFTER_PAINT), _AFTER_PAINT_PRIORITY)

    def event(self, event: QEvent) -> bool:
        if event.type() == _AFTER_PAINT:
            self._after_paint_posted = False
            calls, self._after_paint = self._after_paint, []
            for fn in calls:
                fn()
            return True
        return super().event(event)

    def _on_page_read(self, generation: int, page: object) -> None:
        if generation != self._generation or not isinstance(page, RecordPage):
            return  # the query changed since: this page belongs to the old one
        self.set_page(page)

    def _on_run_finished(self, generation: int, stop: threading.Event) -> None:
        if generation != self._generation or stop is not self._reading:
            return
        self._reading = None
        # The view may have taken pages meanwhile, or be waiting for one: read on, once
        # the rows just taken in are painted. (The run's end comes right behind its
        # last page, before the view's repaint: reading on at once would read beside it.)
        if self._loaded_once:
            self._later(self._read_ahead)

    def _on_count_finished(self, generation: int, total: object) -> None:
        if generation != self._generation or not isinstance(total, int):
            return
        self.set_count(total)

    def _on_fetch_failed(self, generation: int, error: object) -> None:
        if generation != self._generation:
            return
        self._reading = None
        self._wanted = False
        self._counting = False
        self._loaded_once = True
        self._more = False  # stop asking until the query changes
        self._show_ahead()
        self._total, self._counted = len(self._rows), True
        self.fetch_failed.emit(error)

    # -- lazy fetching -------------------------------------------------------------------
    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        # Not held back by the count or by pages read ahead: a view already scrolled to
        # the end asks again only when its rows change, so a refusal now would be final.
        if parent.isValid() or self._query is None or not self._loaded_once \
                or self._wanted or self._inserting:
            return False
        return bool(self._ahead) or self._more

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        if self._ahead:
            # Read ahead: all shown at once, and the reading goes on while they paint.
            self._show_ahead()
        else:
            self._wanted = True
        if self._after_paint_posted:
            # The view asks (on a timer of its own) before the rows just taken in are
            # painted, the first page's above all: read on once they are, not beside.
            self._later(self._read_ahead)
        else:
            self._read_ahead()

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
                   role: int = _DISPLAY) -> Any:
        if role != _DISPLAY or orientation != Qt.Orientation.Horizontal:
            return None
        if not 0 <= section < self._COLUMNS:
            return None
        if self._headers is None:
            # Asked for every section each time the header paints: translated once.
            self._headers = (self.tr("Record"), self.tr("Review"), self.tr("Device"),
                             self.tr("Interviewer"), self.tr("Submitted"),
                             self.tr("Last changed"), self.tr("Id"))
        return self._headers[section]

    def status_text(self, row: RecordRow) -> str:
        """The review state in words, and whether the record is in conflict or deleted
        (the tooltip; the cell shows `cell_status`)."""
        text = self._review_text(row)
        if row.in_conflict:
            text = self.tr("{0} · in conflict").format(text)
        if row.deleted:
            text = self.tr("{0} · deleted").format(text)
        return text

    def cell_status(self, row: RecordRow) -> str:
        """What the review cell shows: a conflict or a deletion first (either comes
        before any review), else the review state; one short word or two, so the
        column stays narrow."""
        if row.in_conflict:
            return self.tr("In conflict")
        if row.deleted:
            return self.tr("Deleted")
        return self._review_text(row)

    def _review_text(self, row: RecordRow) -> str:
        return {
            "received": self.tr("Received"),
            "has_issues": self.tr("Has issues"),
            "approved": self.tr("Approved"),
            "rejected": self.tr("Rejected"),
        }.get(row.review_status, row.review_status)

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        # Painting one screen asks every visible cell for a dozen roles, each time a page
        # comes in: the roles this model never answers leave first, as plain ints.
        # (Answering them all in one `multiData` call is slower from Python: a wrapper
        # for each role.)
        if role not in _ROLES or not index.isValid():
            return None
        return self._value(index.row(), index.column(), role)

    def cell_text(self, r: int, column: int) -> str:
        """What a cell shows (its display role): the records delegate paints it without
        asking `data` for the seven roles a cell's paint otherwise asks for."""
        texts = self._texts.get(r)
        if texts is None:
            texts = self._texts[r] = self._display(self._rows[r])
        return texts[column]

    def in_conflict_at(self, r: int) -> bool:
        """The record on line ``r`` is in conflict (its review cell shows in bold)."""
        return self._rows[r].in_conflict

    def _value(self, r: int, column: int, role: int) -> Any:
        """A cell's value for one of `_ROLES`. A row's texts are made once (on the UI
        thread, so they follow its language)."""
        if not 0 <= r < len(self._rows):
            return None
        if role == _DISPLAY:
            return self.cell_text(r, column) if 0 <= column < self._COLUMNS else None
        row = self._rows[r]
        if role == _TOOLTIP:
            if column == self.STATUS:
                return self.status_text(row)
            return str(row.record_id) if column == self.NAME else None
        if role == _FONT:
            if column == self.STATUS and row.in_conflict:
                font = QFont()
                font.setBold(True)
                return font
            return None
        return str(row.record_id)  # RecordIdRole

    def _display(self, row: RecordRow) -> tuple[str, ...]:
        """The row's texts, by column."""
        # One line each: a line break shows as Qt's own display text would show it.
        return (row.title.replace("\n", "\u2028"), self.cell_status(row),
                row.device_name or row.device_id.hex[:8], row.interviewer,
                _stamp(row.submitted), _stamp(row.updated), row.short_id)

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
