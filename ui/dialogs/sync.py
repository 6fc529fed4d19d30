"""Sync: confirm the suggested sync folder or choose any folder (a USB stick), send, and
read the admin's acknowledgements.

The sync itself is ``ctx.sync.sync`` on the serial write queue (it marks records sent),
with its progress relayed to the bar; the window never waits for it. Errors are shown in
the dialog in plain words (ui/errors.py); a folder that cannot be used marks nothing
sent, and the dialog says so.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from qi_capture.progress import SimpleCancelToken
from qi_capture.services import CoreContext, SyncResult
from qi_capture.services.sync import Cancelled, SyncPending
from ui.dialogs import files
from ui.errors import message_for
from ui.tasks import TaskRunner, guarded
from ui.widgets.fonts import scale_font

log = logging.getLogger(__name__)


class SyncDialog(QDialog):
    #: A sync finished (the SyncResult): home should refresh its statuses.
    synced = Signal(object)

    def __init__(self, ctx: CoreContext, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncDialog")
        self.setWindowTitle(self.tr("Sync"))
        self._ctx = ctx
        self._runner = runner
        self._token: SimpleCancelToken | None = None
        self.last_result: SyncResult | None = None
        layout = QVBoxLayout(self)
        title = QLabel(self.tr("Send finalised records"), self)
        title.setObjectName("pageTitle")
        scale_font(title, 1.3, bold=True)
        intro = QLabel(self.tr(
            "Records are written to the folder encrypted, so only your study's admin can "
            "read them. Use the sync folder your study set up, or any folder, such as a "
            "USB stick you hand to the admin."), self)
        intro.setWordWrap(True)
        #: What the next sync will send, said before it runs.
        self.pending = QLabel(self)
        self.pending.setObjectName("syncPending")
        self.pending.setWordWrap(True)
        row = QHBoxLayout()
        self.folder = QLineEdit(self)
        self.folder.setPlaceholderText(self.tr("Choose a folder…"))
        self.folder.setAccessibleName(self.tr("Sync folder"))
        self.browse = QPushButton(self.tr("&Browse…"), self)
        row.addWidget(self.folder, 1)
        row.addWidget(self.browse)
        folder_label = QLabel(self.tr("&Folder"), self)
        folder_label.setBuddy(self.folder)
        self.suggestion = QLabel(self)
        self.suggestion.setObjectName("questionHint")
        self.suggestion.setWordWrap(True)
        self.send_all = QCheckBox(self.tr("Send &every record again, not only new ones"), self)
        form = QFormLayout()
        form.addRow(folder_label, row)
        form.addRow("", self.suggestion)
        form.addRow("", self.send_all)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName(self.tr("Sync progress"))
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.error = QLabel(self)
        self.error.setObjectName("errorMessage")
        self.error.setWordWrap(True)
        self.error.hide()
        self.summary = QLabel(self)
        self.summary.setObjectName("syncSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.hide()
        buttons = QDialogButtonBox(self)
        self.sync_button = buttons.addButton(self.tr("&Sync now"),
                                             QDialogButtonBox.ButtonRole.AcceptRole)
        self.sync_button.setDefault(True)
        self.cancel_button = buttons.addButton(self.tr("Stop"),
                                               QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button.hide()
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self.pending)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 48)
        self.browse.clicked.connect(self._on_browse_clicked)
        self.sync_button.clicked.connect(self._on_sync_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.close_button.clicked.connect(self.reject)
        self.folder.textChanged.connect(self._on_folder_text_changed)
        self.folder.returnPressed.connect(self._on_sync_clicked)
        self._on_folder_text_changed(self.folder.text())
        self._load_suggestion()
        self._load_pending()

    # --- what is waiting ----------------------------------------------------------------
    def _load_pending(self) -> None:
        task = self._runner.run(self._ctx.sync.pending)
        task.finished.connect(self._on_pending_loaded)
        task.failed.connect(guarded(self, lambda _e: self.pending.setText("")))

    def _on_pending_loaded(self, pending: SyncPending) -> None:
        if pending.ready:
            lines = [self.tr("<b>{0}</b> record(s) ready to send.").format(pending.ready)]
        else:
            lines = [self.tr("Nothing new to send: every finalised record has been sent.")]
        for title, count in pending.stays_on_laptop:
            lines.append(self.tr(
                "{0} finalised record(s) of “{1}” stay on this laptop: that study has no "
                "study pack yet. Importing its pack (File > Import study pack) moves them "
                "into the pack's study, and they go with the next sync.").format(
                    count, title.replace("<", "&lt;")))
        self.pending.setText("<br>".join(lines))
        self._fit()

    def _fit(self) -> None:
        """Grow to show every line of a message that arrived after the dialog opened
        (wrapped labels do not resize their window by themselves)."""
        self.adjustSize()

    # --- the suggested folder -----------------------------------------------------------
    def _load_suggestion(self) -> None:
        self.suggestion.setText(self.tr("Looking for your study's sync folder…"))
        task = self._runner.run(self._ctx.sync.suggested_folder)
        task.finished.connect(self._on_suggestion_loaded)
        task.failed.connect(guarded(self, lambda _e: self.suggestion.setText("")))

    def _on_suggestion_loaded(self, folder: Path | None) -> None:
        if folder is None:
            self.suggestion.setText(self.tr(
                "Your study has not set a sync folder; choose one (for example a USB stick)."))
            return
        self.suggestion.setText(self.tr("Your study's sync folder: {0}").format(folder))
        if not self.folder.text():
            self.folder.setText(str(folder))

    def _on_browse_clicked(self) -> None:
        chosen = files.choose_folder(self, self.tr("Choose the sync folder"),
                                     self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def _on_folder_text_changed(self, text: str) -> None:
        self.sync_button.setEnabled(bool(text.strip()) and self._token is None)

    # --- syncing ------------------------------------------------------------------------
    def _on_sync_clicked(self) -> None:
        text = self.folder.text().strip()
        if not text or self._token is not None:
            return
        self._token = SimpleCancelToken()
        self.error.hide()
        self.summary.hide()
        self._set_running(True)
        self.progress.setRange(0, 0)  # busy until the first step reports
        self.status.setText(self.tr("Reading acknowledgements…"))
        task = self._runner.write(self._ctx.sync.sync, Path(text),
                                  self.send_all.isChecked(), with_progress=True,
                                  cancel=self._token)
        task.progress.connect(self._on_task_progress)
        task.finished.connect(self._on_task_finished)
        task.failed.connect(self._on_task_failed)

    def _on_cancel_clicked(self) -> None:
        if self._token is not None:
            self._token.cancel()
            self.status.setText(self.tr("Stopping after the bundle being written…"))

    def _set_running(self, running: bool) -> None:
        for widget in (self.folder, self.browse, self.send_all, self.close_button):
            widget.setEnabled(not running)
        self.sync_button.setEnabled(not running and bool(self.folder.text().strip()))
        self.cancel_button.setVisible(running)

    def _on_task_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if text == "acknowledgements":
            self.status.setText(self.tr("Reading acknowledgements…"))
        elif text == "purge":
            self.status.setText(self.tr("Tidying up records the admin has confirmed…"))
        elif text == "done":
            self.status.setText(self.tr("Finishing…"))
        elif text:
            self.status.setText(self.tr("Writing the bundle for {0}…").format(text))

    def _on_task_finished(self, result: SyncResult) -> None:
        self._token = None
        self._set_running(False)
        self.last_result = result
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.status.setText(self.tr("Sync finished."))
        self.summary.setText(self.describe(result))
        self.summary.show()
        self._load_pending()
        self._fit()
        self.synced.emit(result)

    def _on_task_failed(self, error: object) -> None:
        self._token = None
        self._set_running(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        if isinstance(error, Cancelled):
            self.status.setText(self.tr(
                "Stopped. Bundles already written are complete and marked as sent; the "
                "rest will go next time."))
            self.synced.emit(None)
            return
        self.status.setText(self.tr("Sync did not finish."))
        if isinstance(error, BaseException):
            self.error.setText(message_for(error))
        self.error.show()
        self._fit()

    def describe(self, result: SyncResult) -> str:
        lines = [
            self.tr("Bundles written: <b>{0}</b>").format(result.bundles_written),
            self.tr("Records now sent: <b>{0}</b>").format(result.records_sent),
            self.tr("Acknowledgements read: <b>{0}</b> revision(s) confirmed by the "
                    "admin").format(result.acknowledged),
        ]
        if not result.bundles:
            lines.append(self.tr("There was nothing new to send."))
        if result.purged:
            lines.append(self.tr("{0} confirmed record(s) past the study's retention were "
                                 "removed from this laptop.").format(result.purged))
        if result.not_sendable:
            lines.append(self.tr("{0} finalised record(s) belong to a study without a study "
                                 "pack, so they stay on this laptop until its pack is "
                                 "imported (File > Import study pack).").format(
                                     result.not_sendable))
        if result.refused_acks:
            lines.append(self.tr("{0} acknowledgement file(s) were ignored because they "
                                 "could not be verified.").format(len(result.refused_acks)))
        return "<br>".join(lines)

    # --- closing ------------------------------------------------------------------------
    def reject(self) -> None:
        if self._token is not None:  # running: closing would hide the outcome
            return
        super().reject()
