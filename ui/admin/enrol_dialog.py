"""Enrolling a device: the admin reads the fingerprint the quarantined bundles carry,
grouped exactly as the interviewer's About this laptop box shows it, and confirms that
it matches what the interviewer reads out. Only then is Enrol enabled."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.admin.dto import DeviceSummary
from ui.admin.text import fingerprint_lines
from ui.widgets.fonts import scale_font


class EnrolDialog(QDialog):
    def __init__(self, device: DeviceSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("enrolDialog")
        self.setWindowTitle(self.tr("Enrol a device"))
        self.device = device
        layout = QVBoxLayout(self)
        title = QLabel(self.tr("Enrol this laptop?"), self)
        title.setObjectName("pageTitle")
        scale_font(title, 1.3, bold=True)
        intro = QLabel(self.tr(
            "Ask the interviewer to open Help > About this laptop and read out the device "
            "id and the fingerprint. Enrol only if every group matches: a bundle signed "
            "with another key would be someone else's."), self)
        intro.setWordWrap(True)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(self.font().pointSizeF() * 1.15)
        self.device_id = QLabel(str(device.id), self)
        self.device_id.setFont(mono)
        self.device_id.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fingerprint = QLabel(fingerprint_lines(device.fingerprint_grouped or ""), self)
        self.fingerprint.setObjectName("enrolFingerprint")
        self.fingerprint.setFont(mono)
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fingerprint.setAccessibleDescription(device.device.fingerprint or "")
        self.name = QLineEdit(self)
        self.name.setText(device.device.name or ", ".join(device.interviewers))
        self.name.setPlaceholderText(self.tr("e.g. Laptop 3 (Jo Bloggs)"))
        self.name.setAccessibleName(self.tr("Device name"))
        form = QFormLayout()
        form.addRow(self.tr("Device id"), self.device_id)
        form.addRow(self.tr("Fingerprint"), self.fingerprint)
        form.addRow(self.tr("&Name"), self.name)
        waiting = QLabel(self.tr(
            "{0} bundle(s) from this laptop wait in quarantine; they are imported as soon "
            "as it is enrolled.").format(device.device.quarantined), self)
        waiting.setWordWrap(True)
        self.matches = QCheckBox(self.tr(
            "The interviewer read out this &fingerprint and it matches"), self)
        buttons = QDialogButtonBox(self)
        self.enrol_button = buttons.addButton(self.tr("&Enrol"),
                                              QDialogButtonBox.ButtonRole.AcceptRole)
        self.enrol_button.setEnabled(False)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(waiting)
        layout.addWidget(self.matches)
        layout.addWidget(buttons)
        self.matches.toggled.connect(self.enrol_button.setEnabled)
        self.enrol_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 36)
