""""Withdraw and erase": the reason and the confirmation before a record is erased.

Used on the laptop (home screen) and in the admin console (record view). The dialog only
asks; the caller erases (through the services, on the write queue) once it is accepted.
The reason is kept with the record's tombstone and sent to the centre, so the text says
not to write the person's name in it.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

MAX_REASON_CHARS = 500


class EraseDialog(QDialog):
    """Asks why, and for a deliberate confirmation; ``reason()`` once accepted."""

    def __init__(self, record_name: str, *, at_centre: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("erase_dialog")
        self.setWindowTitle(self.tr("Withdraw and erase"))
        self.setModal(True)
        layout = QVBoxLayout(self)
        where = (self.tr("from the central store, and from the laptop that sent it at its "
                         "next sync")
                 if at_centre else
                 self.tr("from this laptop now, and from the central store after the next "
                         "sync"))
        intro = QLabel(self.tr(
            "Erase “{name}”? Its answers, every earlier version, its timings and its "
            "attachments and recordings are removed {where}. Only a note that it was "
            "erased stays: when, by whom and why. This cannot be undone.").format(
                name=record_name or self.tr("(not named yet)"), where=where), self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        label = QLabel(self.tr("&Reason (kept with the note; do not write the person's "
                               "name):"), self)
        label.setWordWrap(True)
        self.reason_edit = QLineEdit(self)
        self.reason_edit.setObjectName("erase_reason")
        self.reason_edit.setMaxLength(MAX_REASON_CHARS)
        self.reason_edit.setPlaceholderText(self.tr("for example: consent withdrawn"))
        label.setBuddy(self.reason_edit)
        layout.addWidget(label)
        layout.addWidget(self.reason_edit)
        self.confirm = QCheckBox(self.tr("I understand that this record cannot be brought "
                                         "back"), self)
        self.confirm.setObjectName("erase_confirm")
        layout.addWidget(self.confirm)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.erase_button = self.buttons.addButton(self.tr("&Erase record"),
                                                   QDialogButtonBox.ButtonRole.DestructiveRole)
        self.erase_button.setObjectName("erase_button")
        self.erase_button.setAutoDefault(False)  # Enter never erases
        self.erase_button.clicked.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.reason_edit.textChanged.connect(self._on_input_changed)
        self.confirm.toggled.connect(self._on_input_changed)
        self._on_input_changed()
        self.resize(self.sizeHint().expandedTo(self.minimumSizeHint()))
        self.setMinimumWidth(460)

    def reason(self) -> str:
        return " ".join(self.reason_edit.text().split())

    def _on_input_changed(self, *_args: object) -> None:
        self.erase_button.setEnabled(bool(self.reason()) and self.confirm.isChecked())
