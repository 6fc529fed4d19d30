"""Devices: every laptop the central store has met, enrolled or waiting in quarantine or
revoked, with its fingerprint, last bundle and sequence, gaps and clone alerts; Enrol
(after checking the fingerprint with the interviewer), Revoke, Rename.

Enrolment imports the bundles the device left in quarantine (`AdminDesk.enrol`); the
page says what happened to them.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.dto import DeviceSummary, Enrolment
from ui.admin.enrol_dialog import EnrolDialog
from ui.admin.models.devices import DevicesFilter, DevicesModel
from ui.admin.pages.copies import keep_copies_current
from ui.admin.pages.title import page_title
from ui.admin.text import report_line
from ui.dialogs import confirm
from ui.errors import message_for
from ui.tasks import Task, TaskRunner


def ask_name(parent: QWidget, title: str, label: str, text: str) -> str | None:
    """A new name, or None when cancelled (one function, so tests can answer it)."""
    value, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, text)
    return value.strip() if ok else None


class DevicesPage(QWidget):
    status_changed = Signal(str)

    def __init__(self, desk: AdminDesk, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("devicesPage")
        self._desk = desk
        self._runner = runner
        self._busy = False
        self.enrol_dialog: EnrolDialog | None = None
        self.last_enrolment: Enrolment | None = None
        #: Bringing the export-ready copies up to date after an enrolment imported records.
        self.copies_task: Task | None = None

        title = page_title(self.tr("Devices"), self)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Filter by name, interviewer, id or status"))
        self.search.setAccessibleName(self.tr("Filter devices"))
        self.search.setClearButtonEnabled(True)
        self.model = DevicesModel(self)
        self.proxy = DevicesFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        self.table.setObjectName("devicesTable")
        self.table.setAccessibleName(self.tr("Devices"))
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        self.enrol_button = QPushButton(self.tr("&Enrol…"), self)
        self.revoke_button = QPushButton(self.tr("Re&voke…"), self)
        self.rename_button = QPushButton(self.tr("Re&name…"), self)
        self.refresh_button = QPushButton(self.tr("Re&fresh"), self)
        buttons = QHBoxLayout()
        for button in (self.enrol_button, self.revoke_button, self.rename_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)

        self.detail = QLabel(self)
        self.detail.setObjectName("deviceDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outcome = QLabel(self)
        self.outcome.setObjectName("deviceOutcome")
        self.outcome.setWordWrap(True)
        self.outcome.setTextFormat(Qt.TextFormat.PlainText)
        self.error = QLabel(self)
        self.error.setObjectName("errorMessage")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.detail)
        layout.addWidget(self.outcome)
        layout.addWidget(self.error)

        self.search.textChanged.connect(self.proxy.set_text)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.enrol_button.clicked.connect(self._on_enrol_clicked)
        self.revoke_button.clicked.connect(self._on_revoke_clicked)
        self.rename_button.clicked.connect(self._on_rename_clicked)
        self.refresh_button.clicked.connect(self.refresh)
        self._update_buttons()

    # --- listing ------------------------------------------------------------------------
    def refresh(self) -> None:
        task = self._runner.run(self._desk.devices)
        task.finished.connect(self._on_devices_loaded)
        task.failed.connect(self._on_task_failed)

    def _on_devices_loaded(self, devices: tuple[DeviceSummary, ...]) -> None:
        selected = self.selected()
        self.model.set_devices(devices)
        if selected is not None:
            self.select(selected.id)
        elif self.proxy.rowCount() and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)
        self._update_buttons()
        waiting = [d for d in devices if d.device.status == "unknown"]
        self.status_changed.emit(
            self.tr("{0} device(s); {1} waiting for enrolment.").format(
                len(devices), len(waiting)))

    def selected(self) -> DeviceSummary | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.device(self.proxy.mapToSource(rows[0]).row())

    def select(self, device_id: uuid.UUID) -> None:
        row = self.model.row_of(device_id)
        if row >= 0:
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            if index.isValid():
                self.table.selectRow(index.row())

    def _on_selection_changed(self, _selected: QItemSelection,
                              _deselected: QItemSelection) -> None:
        self._update_buttons()

    def _update_buttons(self) -> None:
        device = self.selected()
        status = None if device is None else device.device.status
        self.enrol_button.setEnabled(not self._busy and status == "unknown")
        self.revoke_button.setEnabled(not self._busy and status == "enrolled")
        self.rename_button.setEnabled(not self._busy and status in ("enrolled", "revoked",
                                                                    "unknown"))
        self.detail.setText("" if device is None else self._describe(device))

    def _describe(self, device: DeviceSummary) -> str:
        d = device.device
        lines = [self.tr("Device {0}").format(d.id)]
        if device.fingerprint_grouped:
            lines.append(self.tr("Fingerprint {0}").format(device.fingerprint_grouped))
        if d.status == "unknown":
            lines.append(self.tr("{0} bundle(s) wait in quarantine for its enrolment.").format(
                d.quarantined))
        else:
            lines.append(self.tr("{0} bundle(s) merged, last sequence {1}.").format(
                d.bundles, d.last_seq))
        if device.gaps.any:
            lines.append(self.tr("Some of its bundles have not arrived yet (see Gaps)."))
        if device.clone_alerts:
            lines.append(self.tr("Clone alert: the same sequence number came with different "
                                 "content. The laptop may have been copied; check with the "
                                 "interviewer before trusting new bundles."))
        return "\n".join(lines)

    # --- actions ------------------------------------------------------------------------
    def _start(self) -> None:
        self._busy = True
        self.error.hide()
        self._update_buttons()

    def _done(self) -> None:
        self._busy = False
        self._update_buttons()

    def _on_enrol_clicked(self) -> None:
        device = self.selected()
        if device is None or device.device.status != "unknown":
            return
        dialog = EnrolDialog(device, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.enrol(device.id, dialog.name.text().strip()))
        dialog.destroyed.connect(self._on_enrol_dialog_destroyed)
        self.enrol_dialog = dialog
        dialog.open()

    def _on_enrol_dialog_destroyed(self) -> None:
        self.enrol_dialog = None

    def enrol(self, device_id: uuid.UUID, name: str) -> None:
        """Enrol the device (its fingerprint was checked) and import its quarantine."""
        self._start()
        self.outcome.setText(self.tr("Enrolling and importing its quarantined bundles…"))
        task = self._runner.write(self._desk.enrol, device_id, name=name)
        task.finished.connect(self._on_enrolled)
        task.failed.connect(self._on_task_failed)

    def _on_enrolled(self, enrolment: Enrolment) -> None:
        self._done()
        self.last_enrolment = enrolment
        if any(m.report.outcome == "imported" for m in enrolment.merged):
            self.copies_task = keep_copies_current(self._runner, self._desk)
        name = enrolment.device.device.name or enrolment.device.short_id
        imported = sum(1 for m in enrolment.merged
                       if m.report.outcome in ("imported", "already_imported"))
        lines = [self.tr("{0} is enrolled: {1} quarantined bundle(s) imported, {2} "
                         "refused.").format(name, imported, enrolment.refused)]
        lines += [report_line(m.report, {}) for m in enrolment.merged
                  if m.report.outcome not in ("imported", "already_imported")]
        if enrolment.waiting_for_keys:
            lines.append(self.tr("{0} bundle(s) still wait: the admin keys are not open.")
                         .format(enrolment.waiting_for_keys))
        self.outcome.setText("\n".join(lines))
        self.status_changed.emit(lines[0])
        self.refresh()
        self.select(enrolment.device.id)

    def _on_revoke_clicked(self) -> None:
        device = self.selected()
        if device is None or device.device.status != "enrolled":
            return
        name = device.device.name or device.short_id
        if not confirm.ask(self, self.tr("Revoke device"), self.tr(
                "Revoke {0}? Its bundles will be refused from now on; what it already sent "
                "stays in the central store. A revoked device is not enrolled again.").format(
                    name)):
            return
        self._start()
        task = self._runner.write(self._desk.revoke, device.id)
        task.finished.connect(self._on_revoked)
        task.failed.connect(self._on_task_failed)

    def _on_revoked(self, device: DeviceSummary) -> None:
        self._done()
        text = self.tr("{0} is revoked: its bundles will be refused.").format(
            device.device.name or device.short_id)
        self.outcome.setText(text)
        self.status_changed.emit(text)
        self.refresh()

    def _on_rename_clicked(self) -> None:
        device = self.selected()
        if device is None:
            return
        name = ask_name(self, self.tr("Rename device"), self.tr("New name for this device:"),
                        device.device.name)
        if name is None or name == device.device.name:
            return
        self._start()
        task = self._runner.write(self._desk.rename, device.id, name)
        task.finished.connect(self._on_renamed)
        task.failed.connect(self._on_task_failed)

    def _on_renamed(self, device: DeviceSummary) -> None:
        self._done()
        text = self.tr("Renamed to {0}.").format(device.device.name)
        self.outcome.setText(text)
        self.status_changed.emit(text)
        self.refresh()

    def _on_task_failed(self, error: object) -> None:
        self._done()
        self.outcome.setText("")
        if isinstance(error, BaseException):
            self.error.setText(message_for(error))
            self.error.show()
