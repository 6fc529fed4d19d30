"""`AdminConsole`: the admin's side of the main window, on one opened central store.

A list of pages on the left, the page on the right, a status line below. Pages plug in
with `AdminConsole.add_page`; every page is built as ``Page(desk, runner, parent)`` and
has ``refresh()``, which the console calls each time the page is shown. A page may
also have a ``status_changed = Signal(str)``: the console shows what it says.

Pages never call the desk on the UI thread: reads go through ``runner.run``, changes
and merges through ``runner.write`` (one writer, in order). The desk is closed on the
writer thread too, after the last queued change and once no read is running
(`close_desk`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.admin import AdminDesk
from ui.tasks import Task, TaskRunner
from ui.widgets.fonts import scale_font

log = logging.getLogger(__name__)

_KEY_ROLE = Qt.ItemDataRole.UserRole


def register_pages(console: AdminConsole) -> None:
    """The console's pages, in the order of the list (Ctrl+1, Ctrl+2, …).

    The one place pages are registered: add a page here with its key, title and class
    (constructed as ``Page(desk, runner, parent)``)."""
    from ui.admin.pages.audit import AuditPage
    from ui.admin.pages.coding import CodingPage
    from ui.admin.pages.conflicts import ConflictsPage
    from ui.admin.pages.devices import DevicesPage
    from ui.admin.pages.exports import ExportsPage
    from ui.admin.pages.inbox import InboxPage
    from ui.admin.pages.records import RecordsPage
    from ui.admin.pages.results import ResultsPage

    desk, runner = console.desk, console.runner
    pages: list[tuple[str, str, Callable[[AdminDesk, TaskRunner, QWidget | None], QWidget]]] = [
        ("inbox", console.tr("Inbox and merge"), InboxPage),
        ("records", console.tr("Records and review"), RecordsPage),
        ("conflicts", console.tr("Conflicts"), ConflictsPage),
        ("exports", console.tr("Exports"), ExportsPage),
        ("results", console.tr("Results"), ResultsPage),
        ("devices", console.tr("Devices"), DevicesPage),
        ("audit", console.tr("Audit log"), AuditPage),
        ("coding", console.tr("Coding"), CodingPage),
    ]
    for key, title, make in pages:
        console.add_page(key, title, make(desk, runner, console))
    conflicts, records = console.page("conflicts"), console.page("records")
    if isinstance(conflicts, ConflictsPage) and isinstance(records, RecordsPage):
        # "Open the record" on a conflict shows it under Records and review.
        def open_record(record_id: object) -> None:
            console.show_page("records")
            records.show_record(record_id)  # type: ignore[arg-type]
        conflicts.open_record.connect(open_record)


class AdminConsole(QWidget):
    #: The admin chose File > Close central store (the window then calls `close_desk`).
    close_requested = Signal()
    #: The page on show changed (its key).
    page_changed = Signal(str)

    def __init__(self, desk: AdminDesk, runner: TaskRunner, *, target: str,
                 has_keys: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adminConsole")
        self.desk = desk
        self.runner = runner
        #: Where the store is (a folder, or a URL with its password masked).
        self.target = target
        self.has_keys = has_keys
        self._pages: dict[str, QWidget] = {}
        self._actions: list[QAction] = []
        self._closed = False

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        header.setContentsMargins(12, 8, 12, 0)
        self.title = QLabel(self.tr("Admin console"), self)
        self.title.setObjectName("pageTitle")
        scale_font(self.title, 1.3, bold=True)
        self.where = QLabel(self)
        self.where.setObjectName("questionHint")
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where.setText(self.tr("Central store: {0}").format(target) if has_keys else
                           self.tr("Central store: {0} (no admin keys: merging and "
                                   "enrolment need them)").format(target))
        header.addWidget(self.title)
        header.addSpacing(16)
        header.addWidget(self.where, 1)
        body = QHBoxLayout()
        body.setContentsMargins(12, 8, 12, 0)
        self.nav = QListWidget(self)
        self.nav.setObjectName("consoleNav")
        self.nav.setAccessibleName(self.tr("Console pages"))
        self.nav.setFixedWidth(self.fontMetrics().horizontalAdvance("M") * 14 + 16)
        self.stack = QStackedWidget(self)
        body.addWidget(self.nav)
        body.addWidget(self.stack, 1)
        self.status = QLabel(self)
        self.status.setObjectName("consoleStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setContentsMargins(12, 4, 12, 8)
        outer.addLayout(header)
        outer.addLayout(body, 1)
        outer.addWidget(self.status)
        self.nav.currentRowChanged.connect(self._on_nav_current_row_changed)

    # --- pages --------------------------------------------------------------------------
    def add_page(self, key: str, title: str, page: QWidget) -> None:
        """Add ``page`` under ``key`` (unique) with its ``title`` in the list and the Go
        menu; the first nine get Ctrl+1 … Ctrl+9."""
        if key in self._pages:
            raise ValueError(f"the console already has a page {key!r}")
        self._pages[key] = page
        # Each page in a scroll area that sizes it to the room there is: a page whose
        # controls need more height than the window has (large text on a 768-pixel
        # screen) scrolls instead of squeezing its rows until their words are cut.
        holder = QScrollArea(self.stack)
        holder.setWidgetResizable(True)
        holder.setFrameShape(QFrame.Shape.NoFrame)
        holder.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        holder.setWidget(page)
        self.stack.addWidget(holder)
        item = QListWidgetItem(title, self.nav)
        item.setData(_KEY_ROLE, key)
        # Rows with room around their words: the list reads as the console's navigation.
        item.setSizeHint(QSize(0, self.nav.fontMetrics().height() * 2))
        # As wide as the longest title (and never narrower than 12 characters): the
        # pages keep the room at large text sizes.
        metrics = self.nav.fontMetrics()
        widest = max(metrics.horizontalAdvance(self.nav.item(i).text())
                     for i in range(self.nav.count()))
        # Room beside the words: the style sheet's 8 px padding on each side, the
        # style's text margins and the frame.
        self.nav.setFixedWidth(max(widest, metrics.averageCharWidth() * 12) + 16
                               + metrics.averageCharWidth() * 4 + self.nav.frameWidth() * 2)
        action = QAction(title, self)
        number = len(self._pages)
        if number <= 9:
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
        action.triggered.connect(lambda _checked=False, k=key: self.show_page(k))
        self._actions.append(action)
        status = getattr(page, "status_changed", None)
        if status is not None:
            status.connect(self.say)
        if self.nav.currentRow() < 0:
            self.nav.setCurrentRow(0)

    def page(self, key: str) -> QWidget:
        return self._pages[key]

    def page_keys(self) -> tuple[str, ...]:
        return tuple(self._pages)

    def current_key(self) -> str | None:
        item = self.nav.currentItem()
        return None if item is None else str(item.data(_KEY_ROLE))

    def show_page(self, key: str) -> None:
        """Show the page (and refresh it, even when it is already on show)."""
        row = list(self._pages).index(key)
        if self.nav.currentRow() == row:
            self._refresh(key)
        else:
            self.nav.setCurrentRow(row)

    def go_actions(self) -> list[QAction]:
        """One action per page, for the window's Console menu."""
        return list(self._actions)

    def _on_nav_current_row_changed(self, row: int) -> None:
        if row < 0:
            return
        key = list(self._pages)[row]
        self.stack.setCurrentIndex(row)  # the stack holds the pages in the list's order
        self._refresh(key)
        self.page_changed.emit(key)

    def _refresh(self, key: str) -> None:
        if self._closed:
            return
        refresh = getattr(self._pages[key], "refresh", None)
        if callable(refresh):
            refresh()

    # --- status -------------------------------------------------------------------------
    def say(self, text: str) -> None:
        self.status.setText(text)

    # --- closing ------------------------------------------------------------------------
    def close_desk(self) -> Task | None:
        """Close the desk after every queued change and running read (on the writer
        thread); the console shows nothing more. Returns the closing task."""
        if self._closed:
            return None
        self._closed = True
        for page in self._pages.values():
            page.setEnabled(False)
        runner, desk = self.runner, self.desk

        def close() -> None:
            runner.wait_for_readers()
            desk.close()
        task = runner.write(close)
        task.failed.connect(lambda _e: log.warning("closing the central store reported "
                                                   "an error"))
        return task

    @property
    def closed(self) -> bool:
        return self._closed
