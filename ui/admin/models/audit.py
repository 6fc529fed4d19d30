"""The audit log table, newest first, fetched a page at a time from the admin door
(`AdminDesk.audit_page`, off the UI thread): the log of a long study holds many
thousands of entries, so the table holds only those scrolled to. Filtering (by action,
by actor, by a text found anywhere in the entry) is the service query's; changing it
starts again from the newest entry. A page that arrives after the query changed is
dropped (each query has a generation number)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.audit import audit_details
from qi_capture.services.admin.dto import AuditEntry, AuditPage
from ui.admin.models.rows import RowsModel
from ui.admin.text import audit_action, audit_summary, local_time
from ui.tasks import TaskRunner, guarded

_Index = QModelIndex | QPersistentModelIndex

ENTRY_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("at", "actor", "action", "details")
PAGE_SIZE = 200


def _tr(text: str) -> str:
    return QCoreApplication.translate("AuditModel", text)


@dataclass(frozen=True)
class AuditQuery:
    """What the table shows: the service query's filters (None: any)."""

    action: str | None = None
    actor: str | None = None
    text: str = ""
    #: The actions whose words on screen hold ``text`` (the log stores action codes).
    text_actions: tuple[str, ...] = ()


def fetch_audit(desk: AdminDesk, query: AuditQuery, before: int | None, limit: int,
                count: bool) -> AuditPage:
    """A page of ``query`` older than ``before`` (run on a worker thread)."""
    return desk.audit_page(action=query.action, actor=query.actor,
                           text=query.text or None, text_actions=query.text_actions,
                           before=before, limit=limit, count=count)


def read_matching(desk: AdminDesk, query: AuditQuery) -> tuple[AuditEntry, ...]:
    """Every entry of ``query``, oldest first (run on a worker thread: the export)."""
    return desk.audit_matching(action=query.action, actor=query.actor,
                               text=query.text or None, text_actions=query.text_actions)


class AuditModel(RowsModel[AuditEntry]):
    #: A page arrived (entries now loaded, entries matching in all).
    page_loaded = Signal(int, int)
    #: Reading a page failed (the exception).
    fetch_failed = Signal(object)

    def __init__(self, desk: AdminDesk | None = None, runner: TaskRunner | None = None,
                 parent: QObject | None = None, *, page_size: int = PAGE_SIZE) -> None:
        super().__init__((_tr("Time"), _tr("Who"), _tr("Action"), _tr("Details")), parent)
        self._desk = desk
        self._runner = runner
        self.page_size = page_size
        self._query: AuditQuery | None = None
        self._details: list[str] = []
        self._total = 0
        self._more = False
        self._pending = False
        self._inserting = False
        self._generation = 0

    # -- the query -------------------------------------------------------------------------
    @property
    def query(self) -> AuditQuery | None:
        return self._query

    @property
    def total(self) -> int:
        """Entries matching the query in all (known once the first page is in)."""
        return self._total

    @property
    def loading(self) -> bool:
        return self._pending

    def set_query(self, query: AuditQuery | None) -> None:
        """Show ``query``'s entries: empties the table and reads the newest page."""
        self._generation += 1
        self._query = query
        self._details = []
        self._total = 0
        self._more = False
        self._pending = False
        self._reset([])
        if query is not None:
            self._request(first=True)

    def reload(self) -> None:
        self.set_query(self._query)

    def set_page(self, page: AuditPage, *, first: bool) -> None:
        """Take a page in (the query's first replaces the rows; later ones append)."""
        self._pending = False
        details = [audit_details(e) for e in page.entries]
        if first:
            self._details = details
            self._reset(page.entries)
        elif page.entries:
            start = len(self._rows)
            # A view asks for more from inside the insertion, before the rows are in.
            self._inserting = True
            self.beginInsertRows(QModelIndex(), start, start + len(page.entries) - 1)
            self._rows.extend(page.entries)
            self._details.extend(details)
            self.endInsertRows()
            self._inserting = False
        if page.total is not None:
            self._total = page.total
        self._more = len(page.entries) >= page.limit
        if not self._more:
            self._total = len(self._rows)
        self.page_loaded.emit(len(self._rows), max(self._total, len(self._rows)))

    def _request(self, *, first: bool) -> None:
        if self._desk is None or self._runner is None or self._query is None or self._pending:
            return
        self._pending = True
        generation = self._generation
        before = None if first or not self._rows else self._rows[-1].id
        task = self._runner.run(fetch_audit, self._desk, self._query, before,
                                self.page_size, first)
        # Guarded: the console may close (and delete this model) before the page comes.
        task.finished.connect(guarded(self, lambda page: self._on_fetched(generation, page,
                                                                          first)))
        task.failed.connect(guarded(self, lambda error: self._on_failed(generation, error)))

    def _on_fetched(self, generation: int, page: object, first: bool) -> None:
        if generation == self._generation and isinstance(page, AuditPage):
            self.set_page(page, first=first)

    def _on_failed(self, generation: int, error: object) -> None:
        if generation != self._generation:
            return
        self._pending = False
        self._more = False  # stop asking until the query changes
        self.fetch_failed.emit(error)

    # -- lazy fetching -----------------------------------------------------------------------
    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more and not self._pending \
            and not self._inserting

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._request(first=False)

    # -- the table ---------------------------------------------------------------------------
    def entry(self, row: int) -> AuditEntry:
        return self._rows[row]

    def entries(self) -> tuple[AuditEntry, ...]:
        """The entries loaded, newest first."""
        return tuple(self._rows)

    def details(self, row: int) -> str:
        return self._details[row]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        entry = self._row_at(index)
        if entry is None:
            return None
        column = COLUMNS[index.column()]
        if role == ENTRY_ROLE:
            return entry
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
