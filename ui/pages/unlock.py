"""Unlock: choose a profile, type the passphrase. The key derivation runs off the UI
thread; a wrong passphrase says so and nothing else changes."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.dto import ProfileInfo
from ui.widgets.fonts import scale_font


class UnlockPage(QWidget):
    #: profile folder, passphrase
    unlock_requested = Signal(object, str)
    new_profile_requested = Signal()
    #: The admin wants the console: open a central store instead of a laptop profile.
    open_central_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unlockPage")
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        card = QFrame(self)
        card.setObjectName("card")
        card.setFixedWidth(self.fontMetrics().height() * 28)
        layout = QVBoxLayout(card)
        layout.setContentsMargins(20, 16, 20, 16)
        self.title = QLabel(self.tr("Unlock QI Capture"), card)
        self.title.setObjectName("pageTitle")
        scale_font(self.title, 1.5, bold=True)
        self.reason = QLabel(card)
        self.reason.setWordWrap(True)
        self.reason.hide()
        form = QFormLayout()
        self.profile = QComboBox(card)
        self.passphrase = QLineEdit(card)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(self.tr("Profi&le"), self.profile)
        form.addRow(self.tr("Pass&phrase"), self.passphrase)
        self.message = QLabel(card)
        self.message.setObjectName("errorMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        self.working = QProgressBar(card)
        self.working.setRange(0, 0)
        self.working.setMaximumHeight(self.fontMetrics().height() // 2 + 2)
        self.working.setTextVisible(False)
        self.working.hide()
        self.unlock = QPushButton(self.tr("&Unlock"), card)
        self.unlock.setDefault(True)
        self.new_profile = QPushButton(self.tr("Create a &new profile…"), card)
        self.new_profile.setFlat(True)
        self.open_central = QPushButton(self.tr("Open a &central store (admin)…"), card)
        self.open_central.setObjectName("openCentralLink")
        self.open_central.setFlat(True)
        layout.addWidget(self.title)
        layout.addWidget(self.reason)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.working)
        layout.addWidget(self.unlock, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.new_profile, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.open_central, 0, Qt.AlignmentFlag.AlignLeft)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        # Word-wrapped labels make the layout's height-for-width guess too small; the
        # plain size hint (taken at a narrower width) always fits.
        card.setMinimumHeight(card.sizeHint().height())
        outer.addStretch(2)
        self.passphrase.returnPressed.connect(self._on_unlock_clicked)
        self.unlock.clicked.connect(self._on_unlock_clicked)
        self.new_profile.clicked.connect(self.new_profile_requested)
        self.open_central.clicked.connect(self.open_central_requested)
        self.passphrase.textEdited.connect(self._on_passphrase_text_edited)

    def set_profiles(self, profiles: list[ProfileInfo], selected: Path | None = None) -> None:
        self.profile.clear()
        for info in profiles:
            label = info.label or info.folder.name
            if info.error:
                label = self.tr("{0} (cannot be read)").format(label)
            self.profile.addItem(label, info.folder)
        if selected is not None:
            index = self.profile.findData(selected)
            if index >= 0:
                self.profile.setCurrentIndex(index)

    def set_reason(self, text: str | None) -> None:
        self.reason.setText(text or "")
        self.reason.setVisible(bool(text))

    def _on_passphrase_text_edited(self, _text: str) -> None:
        self.show_message(None)

    def _on_unlock_clicked(self) -> None:
        folder = self.profile.currentData()
        if folder is None or not self.passphrase.text():
            self.show_message(self.tr("Type your passphrase."))
            return
        self.set_busy(True)
        self.unlock_requested.emit(folder, self.passphrase.text())

    def set_busy(self, busy: bool) -> None:
        self.working.setVisible(busy)
        for widget in (self.profile, self.passphrase, self.unlock, self.new_profile,
                       self.open_central):
            widget.setEnabled(not busy)

    def show_message(self, text: str | None) -> None:
        self.message.setText(text or "")
        self.message.setVisible(bool(text))

    def failed(self, message: str) -> None:
        self.set_busy(False)
        self.show_message(message)
        self.passphrase.selectAll()
        self.passphrase.setFocus()

    def clear(self) -> None:
        self.passphrase.clear()
        self.set_busy(False)
        self.show_message(None)
