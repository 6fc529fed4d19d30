"""Import a study pack: choose the file, see what it holds and who signed it, install.

Reading and verifying the pack (``ctx.packs.inspect``: signature check, forms compiled
to name them) runs on the read pool; installing (``ctx.packs.install``) on the write
queue. A pack signed by a different admin key than the installed study's is shown as
refused and cannot be installed.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services import CoreContext, PackInfo, PackInstalled
from qi_capture.services.dto import grouped_fingerprint, short_fingerprint
from ui.dialogs import files
from ui.errors import message_for
from ui.tasks import TaskRunner
from ui.widgets.fonts import scale_font


class StudyPackDialog(QDialog):
    #: A pack was installed (PackInstalled): home and the idle lock should refresh.
    installed = Signal(object)

    def __init__(self, ctx: CoreContext, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("studyPackDialog")
        self.setWindowTitle(self.tr("Import study pack"))
        self._ctx = ctx
        self._runner = runner
        self.info: PackInfo | None = None
        self.outcome: PackInstalled | None = None
        layout = QVBoxLayout(self)
        title = QLabel(self.tr("Import a study pack"), self)
        title.setObjectName("pageTitle")
        scale_font(title, 1.3, bold=True)
        intro = QLabel(self.tr(
            "A study pack comes from your study's admin. It holds the study's forms, the "
            "key your records are encrypted to, and the study's rules. Check who signed it "
            "before installing."), self)
        intro.setWordWrap(True)
        row = QHBoxLayout()
        self.path = QLineEdit(self)
        self.path.setPlaceholderText(self.tr("Choose a .qipack file…"))
        self.path.setAccessibleName(self.tr("Study pack file"))
        self.browse = QPushButton(self.tr("&Browse…"), self)
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        file_label = QLabel(self.tr("&File"), self)
        file_label.setBuddy(self.path)
        top = QFormLayout()
        top.addRow(file_label, row)

        self.details = QWidget(self)
        details = QFormLayout(self.details)
        details.setContentsMargins(0, 0, 0, 0)
        self.study = QLabel(self.details)
        self.study.setWordWrap(True)
        self.signer = QLabel(self.details)
        self.signer.setObjectName("packSigner")
        # The admin's name comes from the pack: never read it as rich text.
        self.signer.setTextFormat(Qt.TextFormat.PlainText)
        self.signer.setWordWrap(True)
        self.signer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.trust = QLabel(self.details)
        self.trust.setWordWrap(True)
        self.policy = QLabel(self.details)
        self.policy.setWordWrap(True)
        self.forms = QTreeWidget(self.details)
        self.forms.setRootIsDecorated(False)
        self.forms.setHeaderLabels([self.tr("Form"), self.tr("Version"), self.tr("File")])
        self.forms.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.forms.setMinimumHeight(self.fontMetrics().height() * 7)
        details.addRow(self.tr("Study"), self.study)
        details.addRow(self.tr("Signed by"), self.signer)
        details.addRow("", self.trust)
        details.addRow(self.tr("Rules"), self.policy)
        details.addRow(self.tr("Forms"), self.forms)
        #: Records made before the pack, in a study without one, that use its forms.
        self.move_box = QWidget(self.details)
        move_layout = QVBoxLayout(self.move_box)
        move_layout.setContentsMargins(0, 0, 0, 0)
        self.move_note = QLabel(self.move_box)
        self.move_note.setObjectName("warningNote")
        self.move_note.setWordWrap(True)
        self.move_records = QCheckBox(self.tr("&Move them into this study"), self.move_box)
        self.move_records.setChecked(True)
        self.move_records.setObjectName("moveRecords")
        self.move_note.setBuddy(self.move_records)
        move_layout.addWidget(self.move_note)
        move_layout.addWidget(self.move_records)
        details.addRow(self.tr("Records"), self.move_box)
        self.details.hide()

        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.hide()
        buttons = QDialogButtonBox(self)
        self.install_button = buttons.addButton(self.tr("&Install"),
                                                QDialogButtonBox.ButtonRole.AcceptRole)
        self.install_button.setEnabled(False)
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addWidget(self.details, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 56)
        self.browse.clicked.connect(self._on_browse_clicked)
        self.path.returnPressed.connect(self._on_path_return_pressed)
        # A typed or pasted path is checked once typing pauses, not only on Enter.
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(400)
        self._check_timer.timeout.connect(self._on_check_timer_timeout)
        self.path.textEdited.connect(lambda _text: self._check_timer.start())
        self.install_button.clicked.connect(self._on_install_clicked)
        self.close_button.clicked.connect(self.reject)

    # --- choosing and inspecting --------------------------------------------------------
    def _on_browse_clicked(self) -> None:
        chosen = files.choose_file(
            self, self.tr("Choose the study pack"), self.path.text(),
            self.tr("Study packs (*.qipack);;All files (*)"))
        if chosen:
            self.path.setText(chosen)
            self.inspect(Path(chosen))

    def _on_path_return_pressed(self) -> None:
        if self.path.text().strip():
            self.inspect(Path(self.path.text().strip()))

    def _on_check_timer_timeout(self) -> None:
        text = self.path.text().strip()
        if text and Path(text).is_file():
            self.inspect(Path(text))

    def inspect(self, path: Path) -> None:
        self.info = None
        self.details.hide()
        self.install_button.setEnabled(False)
        self._say(self.tr("Checking the pack's signature…"))
        task = self._runner.run(self._ctx.packs.inspect, path)
        task.finished.connect(self._on_inspected)
        task.failed.connect(self._on_failed)

    def _on_inspected(self, info: PackInfo) -> None:
        self.info = info
        self.study.setText(self.tr("{0} ({1}), made {2}").format(
            info.study_title, info.study_id, info.created.replace("T", " ").rstrip("Z")))
        # The admin's name and a short code to read out and compare with the admin's (the
        # full key in the tooltip, in groups of eight). The row's label says "Signed by".
        self.signer.setText(self.tr("{0}, check code {1}").format(
            info.admin_name or self.tr("(no name)"),
            short_fingerprint(info.signing_fingerprint)))
        self.signer.setToolTip(grouped_fingerprint(info.signing_fingerprint))
        if info.signer == "new":
            self.trust.setText(self.tr(
                "This study is new on this laptop: from now on only packs signed with this "
                "key will be accepted for it. Check the key with your study's admin if in "
                "doubt."))
            self.trust.setObjectName("warningNote")
        elif info.signer == "same":
            self.trust.setText(self.tr(
                "Signed by the same admin key as the study already installed."))
            self.trust.setObjectName("")
        else:
            self.trust.setText(self.tr(
                "Signed by a DIFFERENT key from the installed study's ({0}). This pack "
                "cannot be installed.").format(info.installed_fingerprint))
            self.trust.setObjectName("errorMessage")
        self.trust.style().unpolish(self.trust)
        self.trust.style().polish(self.trust)
        policy = info.policy
        rules = [
            self.tr("lock after {0} minute(s) without use").format(policy.idle_lock_minutes),
            self.tr("keep confirmed records {0} day(s)").format(policy.retention_days),
        ]
        if policy.sync_folder:
            rules.append(self.tr("sync folder {0}").format(policy.sync_folder))
        self.policy.setText("; ".join(rules))
        self.forms.clear()
        for form in info.forms:
            QTreeWidgetItem(self.forms, [form.title, form.version, form.filename])
        self.move_box.setVisible(info.records_to_move > 0)
        details = self.details.layout()
        if isinstance(details, QFormLayout):
            details.setRowVisible(self.move_box, info.records_to_move > 0)
        self.move_records.setChecked(True)
        self.move_records.setEnabled(True)
        self.move_note.setText(self.tr(
            "{0} record(s) made so far in “{1}” use this pack's forms. Moved into this "
            "study, they are sent at the next sync; left where they are, they stay on "
            "this laptop.").format(info.records_to_move, ", ".join(info.move_from)))
        self.details.show()
        self._say(None)
        self._fit()
        self.install_button.setEnabled(info.signer != "different")
        if info.signer != "different":
            self.install_button.setDefault(True)
            self.install_button.setFocus()

    def _fit(self) -> None:
        """Size the dialog to its content. ``adjustSize`` alone measures the wrapped notes
        at the width they would have unwrapped, so at large text they were squeezed into
        one line and overlapped the forms list: take the height the layout needs at the
        width it gets, up to the screen's free height."""
        self.adjustSize()
        layout = self.layout()
        if layout is None or not layout.hasHeightForWidth():
            return
        needed = layout.totalHeightForWidth(self.width())
        screen = self.screen().availableGeometry().height()
        if needed > self.height():
            self.resize(self.width(), min(needed, screen))

    # --- installing ---------------------------------------------------------------------
    def _on_install_clicked(self) -> None:
        info = self.info
        if info is None:
            return
        self.install_button.setEnabled(False)
        self.browse.setEnabled(False)
        self._say(self.tr("Installing the study's forms…"))
        self.move_records.setEnabled(False)
        move = info.records_to_move > 0 and self.move_records.isChecked()
        task = self._runner.write(self._ctx.packs.install, info.path, move_records=move)
        task.finished.connect(self._on_installed)
        task.failed.connect(self._on_failed)

    def _on_installed(self, outcome: PackInstalled) -> None:
        self.outcome = outcome
        self.browse.setEnabled(True)
        verb = self.tr("installed") if outcome.first_install else self.tr("updated")
        text = self.tr("{0} {1}: {2} new form version(s), {3} already here.").format(
            outcome.study_title, verb, outcome.forms_added, outcome.forms_already_present)
        if outcome.records_moved:
            text += " " + self.tr("{0} record(s) moved into the study; they will be sent at "
                                  "the next sync.").format(outcome.records_moved)
        if outcome.records_kept_apart:
            text += " " + self.tr("{0} record(s) stay where they were, on this laptop "
                                  "only.").format(outcome.records_kept_apart)
        self._say(text)
        self.close_button.setDefault(True)
        self.close_button.setFocus()
        self.installed.emit(outcome)

    def _on_failed(self, error: object) -> None:
        self.browse.setEnabled(True)
        self.install_button.setEnabled(False)
        if isinstance(error, BaseException):
            self._say(message_for(error), error=True)

    def _say(self, text: str | None, *, error: bool = False) -> None:
        self.message.setObjectName("errorMessage" if error else "")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text or "")
        self.message.setVisible(bool(text))
