"""Audit log: every admin action with its time and who did it (merges, quarantines,
enrolments, revocations, renames, reviews, resolutions, exports), newest first and a
page at a time however long the log (`AuditModel`), filterable by action, actor and
text (the service query's), and exported to CSV as filtered (written atomically)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.audit import write_audit_csv
from qi_capture.services.admin.dto import AuditChoices
from ui.admin.models.audit import AuditModel, AuditQuery, read_matching
from ui.admin.pages.title import page_title
from ui.admin.text import audit_action
from ui.dialogs import files
from ui.errors import message_for
from ui.tasks import TaskRunner, guarded

#: Typing in the search box waits this long (ms) before asking the store.
SEARCH_DELAY = 300


def export_matching(desk: AdminDesk, query: AuditQuery, path: Path) -> int:
    """Worker: write every entry of ``query`` (oldest first) to ``path``."""
    return write_audit_csv(read_matching(desk, query), path)


class AuditPage(QWidget):
    status_changed = Signal(str)
    #: A CSV file was written (its path).
    exported = Signal(object)

    def __init__(self, desk: AdminDesk, runner: TaskRunner,
                 parent: QWidget | None = None, *, page_size: int | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditPage")
        self._desk = desk
        self._runner = runner
        self._actions: tuple[str, ...] = ()
        title = page_title(self.tr("Audit log"), self)
        self.action = QComboBox(self)
        self.action.setAccessibleName(self.tr("Action"))
        self.actor = QComboBox(self)
        self.actor.setAccessibleName(self.tr("Who"))
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Text in the entry (an id, a form…)"))
        self.search.setAccessibleName(self.tr("Search the audit log"))
        self.search.setClearButtonEnabled(True)
        self.export_button = QPushButton(self.tr("E&xport CSV…"), self)
        self.refresh_button = QPushButton(self.tr("Re&fresh"), self)
        filters = QHBoxLayout()
        action_label = QLabel(self.tr("&Action"), self)
        action_label.setBuddy(self.action)
        actor_label = QLabel(self.tr("&Who"), self)
        actor_label.setBuddy(self.actor)
        filters.addWidget(action_label)
        filters.addWidget(self.action)
        filters.addWidget(actor_label)
        filters.addWidget(self.actor)
        filters.addWidget(self.search, 1)
        self.model = AuditModel(desk, runner, self,
                                **({} if page_size is None else {"page_size": page_size}))
        self.table = QTableView(self)
        self.table.setObjectName("auditTable")
        self.table.setAccessibleName(self.tr("Audit log"))
        self.table.setModel(self.model)
        # Newest first, the service's order (a page at a time: the table cannot sort
        # entries it has not read).
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        # Fixed row heights: the view never measures thousands of rows to scroll.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        cells = self.table.fontMetrics()
        pad = cells.averageCharWidth() * 2 + 8
        for column, sample in ((0, "2026-12-31 23:59:59"), (1, "admin" + "m" * 7),
                               (2, "Bundle quarantined")):
            self.table.setColumnWidth(column, cells.horizontalAdvance(sample) + pad)
        self.count = QLabel(self)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.error = QLabel(self)
        self.error.setObjectName("errorMessage")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()
        bottom = QHBoxLayout()
        bottom.addWidget(self.count, 1)
        bottom.addWidget(self.refresh_button)
        bottom.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.addWidget(title)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.message)
        layout.addWidget(self.error)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY)
        self._search_timer.timeout.connect(self.apply_filters)
        self.action.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.actor.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.export_button.clicked.connect(self._on_export_clicked)
        self.refresh_button.clicked.connect(self.refresh)
        self.model.page_loaded.connect(self._on_page_loaded)
        self.model.fetch_failed.connect(self._on_failed)
        self._fill_choices(AuditChoices((), ()))

    # --- listing ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the filters' choices again and the newest page."""
        task = self._runner.run(self._desk.audit_choices)
        task.finished.connect(guarded(self, self._on_choices))
        task.failed.connect(guarded(self, self._on_failed))

    def _on_choices(self, choices: object) -> None:
        if isinstance(choices, AuditChoices):
            self._fill_choices(choices)
        self.model.set_query(self.current_query())

    def _fill_choices(self, choices: AuditChoices) -> None:
        self._actions = choices.actions
        for combo, values, every in (
                (self.action, sorted(choices.actions, key=audit_action),
                 self.tr("Any action")),
                (self.actor, list(choices.actors), self.tr("Anyone"))):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(every, None)
            for value in values:
                combo.addItem(audit_action(value) if combo is self.action else value, value)
            index = combo.findData(current) if current is not None else 0
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)

    def current_query(self) -> AuditQuery:
        text = self.search.text().strip()
        folded = text.casefold()
        # The log stores action codes; people search for the words they see.
        words = tuple(a for a in self._actions
                      if folded and folded in audit_action(a).casefold())
        return AuditQuery(action=self.action.currentData(), actor=self.actor.currentData(),
                          text=text, text_actions=words)

    def apply_filters(self) -> None:
        query = self.current_query()
        if query != self.model.query:
            self.error.hide()
            self.count.setText(self.tr("Loading…"))
            self.model.set_query(query)

    def _on_page_loaded(self, loaded: int, total: int) -> None:
        self.count.setText(self.tr("{0} entries · {1} shown").format(total, loaded)
                           if loaded < total else self.tr("{0} entries").format(total))
        self.export_button.setEnabled(total > 0)

    # --- export -------------------------------------------------------------------------
    def _on_export_clicked(self) -> None:
        chosen = files.choose_save_file(self, self.tr("Export the audit log"),
                                        "audit-log.csv", self.tr("CSV files (*.csv)"))
        if chosen:
            self.export_csv(Path(chosen))

    def export_csv(self, path: Path) -> None:
        """Write every entry the filters match (oldest first; not only the pages read
        so far) to ``path``."""
        query = self.model.query or self.current_query()
        self.error.hide()
        self.export_button.setEnabled(False)
        task = self._runner.run(export_matching, self._desk, query, path)
        task.finished.connect(guarded(self, lambda count: self._on_exported(path, count)))
        task.failed.connect(self._on_failed)

    def _on_exported(self, path: Path, count: int) -> None:
        self.export_button.setEnabled(True)
        text = self.tr("{0} entries written to {1}.").format(count, path)
        self.message.setText(text)
        self.status_changed.emit(text)
        self.exported.emit(path)

    def _on_failed(self, error: object) -> None:
        self.export_button.setEnabled(self.model.rowCount() > 0)
        if isinstance(error, BaseException):
            self.error.setText(message_for(error))
            self.error.show()
