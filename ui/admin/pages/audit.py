"""Audit log: every admin action with its time and who did it (merges, quarantines,
enrolments, revocations, renames, reviews, resolutions, exports), filterable by action,
actor and text, and exported to CSV as shown (written atomically)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
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
from qi_capture.services.admin.dto import AuditEntry
from ui.admin.models.audit import AuditFilter, AuditModel
from ui.admin.pages.title import page_title
from ui.admin.text import audit_action
from ui.dialogs import files
from ui.errors import message_for
from ui.tasks import TaskRunner, guarded


class AuditPage(QWidget):
    status_changed = Signal(str)
    #: A CSV file was written (its path).
    exported = Signal(object)

    def __init__(self, desk: AdminDesk, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditPage")
        self._desk = desk
        self._runner = runner
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
        self.model = AuditModel(self)
        self.proxy = AuditFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        self.table.setObjectName("auditTable")
        self.table.setAccessibleName(self.tr("Audit log"))
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # newest first
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
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
        self.action.currentIndexChanged.connect(self._on_action_changed)
        self.actor.currentIndexChanged.connect(self._on_actor_changed)
        self.search.textChanged.connect(self._on_search_changed)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.refresh_button.clicked.connect(self.refresh)
        self._fill_choices([])

    # --- listing ------------------------------------------------------------------------
    def refresh(self) -> None:
        task = self._runner.run(self._desk.audit)
        task.finished.connect(self._on_loaded)
        task.failed.connect(self._on_failed)

    def _on_loaded(self, entries: tuple[AuditEntry, ...]) -> None:
        self.model.set_entries(entries)
        self._fill_choices(entries)
        self._count()

    def _fill_choices(self, entries: tuple[AuditEntry, ...] | list[AuditEntry]) -> None:
        for combo, values, every in (
                (self.action, sorted({e.action for e in entries}, key=audit_action),
                 self.tr("Any action")),
                (self.actor, sorted({e.actor for e in entries}), self.tr("Anyone"))):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(every, None)
            for value in values:
                combo.addItem(audit_action(value) if combo is self.action else value, value)
            index = combo.findData(current) if current is not None else 0
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)
        self.proxy.set_action(self.action.currentData())
        self.proxy.set_actor(self.actor.currentData())

    def _on_action_changed(self, _index: int) -> None:
        self.proxy.set_action(self.action.currentData())
        self._count()

    def _on_actor_changed(self, _index: int) -> None:
        self.proxy.set_actor(self.actor.currentData())
        self._count()

    def _on_search_changed(self, text: str) -> None:
        self.proxy.set_text(text)
        self._count()

    def _count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count.setText(self.tr("{0} of {1} entries").format(shown, total)
                           if shown != total else self.tr("{0} entries").format(total))
        self.export_button.setEnabled(shown > 0)

    # --- export -------------------------------------------------------------------------
    def _on_export_clicked(self) -> None:
        chosen = files.choose_save_file(self, self.tr("Export the audit log"),
                                        "audit-log.csv", self.tr("CSV files (*.csv)"))
        if chosen:
            self.export_csv(Path(chosen))

    def export_csv(self, path: Path) -> None:
        """Write the entries shown (oldest first) to ``path``."""
        entries = sorted(self.proxy.entries(), key=lambda e: e.id)
        self.error.hide()
        self.export_button.setEnabled(False)
        task = self._runner.run(write_audit_csv, entries, path)
        task.finished.connect(guarded(self, lambda count: self._on_exported(path, count)))
        task.failed.connect(self._on_failed)

    def _on_exported(self, path: Path, count: int) -> None:
        self._count()
        text = self.tr("{0} entries written to {1}.").format(count, path)
        self.message.setText(text)
        self.status_changed.emit(text)
        self.exported.emit(path)

    def _on_failed(self, error: object) -> None:
        self._count()
        if isinstance(error, BaseException):
            self.error.setText(message_for(error))
            self.error.show()
