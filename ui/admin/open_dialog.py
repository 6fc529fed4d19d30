"""File > Open a central store…: a central folder, or a PostgreSQL database with the
admin folder that holds the keys; unlocked with the admin passphrase.

The connection is remembered (`ui.admin.settings`) without any password. Opening runs
on the task runner (key derivation and migrations take a moment); a wrong passphrase
or a missing folder says so in the dialog, and nothing is opened or remembered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.admin import AdminDesk, needs_passphrase
from ui.admin import settings as remembered
from ui.dialogs import files
from ui.errors import error_code, message_for
from ui.tasks import TaskRunner
from ui.widgets.fonts import scale_font

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpenedStore:
    """An opened desk and what the console shows about it (read on the worker)."""

    desk: AdminDesk
    target: str
    backend: str
    has_keys: bool
    connection: remembered.Connection


def open_store(connection: remembered.Connection, passphrase: str) -> OpenedStore:
    """Worker: open the desk the connection names."""
    admin_dir = Path(connection.admin_folder) if connection.admin_folder else None
    if connection.kind == "folder":
        desk = AdminDesk.open(Path(connection.folder), passphrase)
    else:
        desk = AdminDesk.open(connection.url, passphrase or None, admin_dir=admin_dir)
    return OpenedStore(desk, desk.target, desk.backend, desk.has_keys, connection)


class OpenCentralDialog(QDialog):
    #: The store was opened (an `OpenedStore`); the dialog has closed.
    opened = Signal(object)

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("openCentralDialog")
        self.setWindowTitle(self.tr("Open a central store"))
        self._runner = runner
        self._busy = False
        self._abandoned = False
        layout = QVBoxLayout(self)
        title = QLabel(self.tr("Open a central store"), self)
        title.setObjectName("pageTitle")
        scale_font(title, 1.3, bold=True)
        intro = QLabel(self.tr(
            "The central store holds every merged record. Open the central folder made "
            "with “qi-capture admin init”, or a PostgreSQL database shared by several "
            "admins, and unlock it with the admin passphrase."), self)
        intro.setWordWrap(True)

        self.use_folder = QRadioButton(self.tr("A central &folder"), self)
        self.use_postgres = QRadioButton(self.tr("A &PostgreSQL database"), self)
        group = QButtonGroup(self)
        group.addButton(self.use_folder)
        group.addButton(self.use_postgres)
        self.use_folder.setChecked(True)

        self.folder = QLineEdit(self)
        self.folder.setPlaceholderText(self.tr("The folder that holds admin/"))
        self.folder.setAccessibleName(self.tr("Central folder"))
        self.browse_folder = QPushButton(self.tr("&Browse…"), self)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.browse_folder)
        self.folder_box = QWidget(self)
        folder_form = QFormLayout(self.folder_box)
        folder_form.setContentsMargins(24, 0, 0, 0)
        folder_form.addRow(self.tr("Folder"), folder_row)

        self.postgres_box = QWidget(self)
        pg_form = QFormLayout(self.postgres_box)
        pg_form.setContentsMargins(24, 0, 0, 0)
        self.url = QLineEdit(self.postgres_box)
        self.url.setPlaceholderText("postgresql://user@host:5432/qi_central")
        self.url.setAccessibleName(self.tr("PostgreSQL URL"))
        self.host = QLineEdit(self.postgres_box)
        self.host.setPlaceholderText("localhost")
        self.port = QLineEdit(self.postgres_box)
        self.port.setPlaceholderText("5432")
        self.database = QLineEdit(self.postgres_box)
        self.user = QLineEdit(self.postgres_box)
        self.admin_folder = QLineEdit(self.postgres_box)
        self.admin_folder.setPlaceholderText(self.tr("The central folder holding the keys"))
        self.admin_folder.setAccessibleName(self.tr("Admin folder"))
        self.browse_admin = QPushButton(self.tr("B&rowse…"), self.postgres_box)
        admin_row = QHBoxLayout()
        admin_row.addWidget(self.admin_folder, 1)
        admin_row.addWidget(self.browse_admin)
        pg_form.addRow(self.tr("URL"), self.url)
        pg_form.addRow(self.tr("or Host"), self.host)
        pg_form.addRow(self.tr("Port"), self.port)
        pg_form.addRow(self.tr("Database"), self.database)
        pg_form.addRow(self.tr("User"), self.user)
        pg_form.addRow(self.tr("Admin folder"), admin_row)
        pg_hint = QLabel(self.tr(
            "No password is asked for or remembered here: the database password comes "
            "from PGPASSWORD or your ~/.pgpass file. The admin folder holds the keys that "
            "open bundles; without it you can review but not merge."), self.postgres_box)
        pg_hint.setObjectName("questionHint")
        pg_hint.setWordWrap(True)
        pg_form.addRow("", pg_hint)

        self.passphrase = QLineEdit(self)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName(self.tr("Admin passphrase"))
        pass_form = QFormLayout()
        pass_label = QLabel(self.tr("Admin pass&phrase"), self)
        pass_label.setBuddy(self.passphrase)
        pass_form.addRow(pass_label, self.passphrase)

        self.message = QLabel(self)
        self.message.setObjectName("errorMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        self.working = QProgressBar(self)
        self.working.setRange(0, 0)
        self.working.setTextVisible(False)
        self.working.setMaximumHeight(self.fontMetrics().height() // 2 + 2)
        self.working.hide()
        buttons = QDialogButtonBox(self)
        self.open_button = buttons.addButton(self.tr("&Open"),
                                             QDialogButtonBox.ButtonRole.AcceptRole)
        self.open_button.setDefault(True)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        # Return in the passphrase starts opening, which disables Open; the dialog then
        # hands the same key press to the next default-able button: Cancel must not be
        # one, or Return would abandon the store it just began to open.
        self.cancel_button.setAutoDefault(False)

        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self.use_folder)
        layout.addWidget(self.folder_box)
        layout.addWidget(self.use_postgres)
        layout.addWidget(self.postgres_box)
        layout.addLayout(pass_form)
        layout.addWidget(self.message)
        layout.addWidget(self.working)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 44)

        self.use_folder.toggled.connect(self._on_kind_toggled)
        self.browse_folder.clicked.connect(self._on_browse_folder_clicked)
        self.browse_admin.clicked.connect(self._on_browse_admin_clicked)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.cancel_button.clicked.connect(self.reject)
        self.passphrase.returnPressed.connect(self._on_open_clicked)
        for edit in (self.folder, self.url, self.host, self.port, self.database, self.user,
                     self.admin_folder, self.passphrase):
            edit.textEdited.connect(self._on_text_edited)
        self._restore()
        self._on_kind_toggled(self.use_folder.isChecked())
        # Word-wrapped labels make the layout's height-for-width guess too small (the
        # hint was cut off at large text sizes); the plain size hint always fits.
        self.postgres_box.setMinimumHeight(self.postgres_box.sizeHint().height())
        self.setMinimumHeight(self.sizeHint().height())

    # --- remembered connection ----------------------------------------------------------
    def _restore(self) -> None:
        saved = remembered.load_connection()
        if saved is None:
            return
        if saved.kind == "postgres":
            self.use_postgres.setChecked(True)
            self.url.setText(saved.url)
            self.admin_folder.setText(saved.admin_folder)
        else:
            self.folder.setText(saved.folder)

    def connection(self) -> remembered.Connection | None:
        """The connection the fields describe (None: not enough filled in)."""
        if self.use_folder.isChecked():
            folder = self.folder.text().strip()
            return remembered.Connection("folder", folder=folder) if folder else None
        url = self.url.text().strip()
        if not url and self.database.text().strip():
            url = remembered.postgres_url(self.host.text().strip(), self.port.text().strip(),
                                          self.database.text().strip(),
                                          self.user.text().strip())
        if not url:
            return None
        return remembered.Connection("postgres", url=url,
                                     admin_folder=self.admin_folder.text().strip())

    # --- fields -------------------------------------------------------------------------
    def _on_kind_toggled(self, folder: bool) -> None:
        self.folder_box.setEnabled(folder)
        self.postgres_box.setEnabled(not folder)

    def _on_browse_folder_clicked(self) -> None:
        chosen = files.choose_folder(self, self.tr("Choose the central folder"),
                                     self.folder.text())
        if chosen:
            self.folder.setText(chosen)
            self.show_message(None)

    def _on_browse_admin_clicked(self) -> None:
        chosen = files.choose_folder(self, self.tr("Choose the folder holding the admin keys"),
                                     self.admin_folder.text())
        if chosen:
            self.admin_folder.setText(chosen)

    def _on_text_edited(self, _text: str) -> None:
        self.show_message(None)

    def show_message(self, text: str | None) -> None:
        self.message.setText(text or "")
        self.message.setVisible(bool(text))
        if text:
            self.adjustSize()

    # --- opening ------------------------------------------------------------------------
    def _on_open_clicked(self) -> None:
        if self._busy:
            return
        connection = self.connection()
        if connection is None:
            self.show_message(self.tr("Choose the central folder.") if
                              self.use_folder.isChecked() else
                              self.tr("Type the database URL, or at least its name."))
            return
        admin_dir = Path(connection.admin_folder) if connection.admin_folder else None
        passphrase = self.passphrase.text()
        if needs_passphrase(connection.target, admin_dir) and not passphrase:
            self.show_message(self.tr("Type the admin passphrase."))
            self.passphrase.setFocus()
            return
        self._set_busy(True)
        # On the write queue, after any close still queued (the console's idle lock, a
        # store closed just now): until that has run, the admin profile's lock file is
        # still held, and an open beside it would be refused as "open elsewhere".
        task = self._runner.write(open_store, connection, passphrase)
        task.finished.connect(self._on_open_finished)
        task.failed.connect(self._on_open_failed)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.working.setVisible(busy)
        for widget in (self.use_folder, self.use_postgres, self.folder_box,
                       self.postgres_box, self.passphrase, self.open_button):
            widget.setEnabled(not busy)
        if not busy:
            self._on_kind_toggled(self.use_folder.isChecked())

    def _on_open_finished(self, store: OpenedStore) -> None:
        self._set_busy(False)
        if self._abandoned:
            # The dialog was closed while the store opened: nobody will use it.
            self._runner.write(store.desk.close)
            return
        remembered.save_connection(store.connection)
        self.passphrase.clear()
        self.opened.emit(store)
        self.accept()

    def _on_open_failed(self, error: object) -> None:
        self._set_busy(False)
        if self._abandoned or not isinstance(error, BaseException):
            return
        code = error_code(error)
        if code == "wrong_passphrase":
            text = self.tr("That passphrase is not the admin passphrase of this central "
                           "store. Check Caps Lock and try again; nothing was opened.")
        else:
            if code != "central_not_found":
                log.warning("opening the central store failed: %s", code)
            text = message_for(error)
        self.show_message(text)
        self.passphrase.selectAll()
        self.passphrase.setFocus()

    def reject(self) -> None:
        if self._busy:
            self._abandoned = True
        self.passphrase.clear()
        super().reject()
