"""Help > About this laptop: the device id and signing-key fingerprint the study's admin
checks before enrolling this laptop (the same text ``qi-capture devices list`` shows
them), and which studies have a study pack. Read on the read pool; nothing is written."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services import CoreContext
from qi_capture.services.dto import grouped_fingerprint
from ui.tasks import TaskRunner
from ui.widgets.fonts import scale_font


@dataclass(frozen=True)
class LaptopIdentity:
    profile: str
    device_id: str
    fingerprint: str
    studies: tuple[tuple[str, bool], ...]  # (title, has a study pack)


def load_identity(ctx: CoreContext) -> LaptopIdentity:
    """Worker: what the dialog shows."""
    return LaptopIdentity(
        ctx.profile.label or ctx.device.name,
        str(ctx.device.id),
        ctx.device.fingerprint,
        tuple((s.title, s.has_pack) for s in ctx.studies.overview()),
    )


def _selectable(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                  | Qt.TextInteractionFlag.TextSelectableByKeyboard)
    return label


class LaptopDialog(QDialog):
    def __init__(self, ctx: CoreContext, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("laptopDialog")
        self.setWindowTitle(self.tr("About this laptop"))
        layout = QVBoxLayout(self)
        title = QLabel(self.tr("This laptop"), self)
        title.setObjectName("pageTitle")
        scale_font(title, 1.3, bold=True)
        intro = QLabel(self.tr(
            "Before your study's admin accepts records from this laptop, they check that "
            "the device id and fingerprint below are the ones they see. Read them out to "
            "the admin (by phone or in person), group by group."), self)
        intro.setWordWrap(True)
        form = QFormLayout()
        self.profile = _selectable(self, "laptopProfile")
        self.device_id = _selectable(self, "laptopDeviceId")
        self.fingerprint = _selectable(self, "laptopFingerprint")
        self.fingerprint.setWordWrap(False)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(self.font().pointSizeF() * 1.15)
        mono.setBold(True)
        self.fingerprint.setFont(mono)
        self.studies = _selectable(self, "laptopStudies")
        form.addRow(self.tr("Profile"), self.profile)
        form.addRow(self.tr("Device id"), self.device_id)
        form.addRow(self.tr("Fingerprint"), self.fingerprint)
        form.addRow(self.tr("Studies"), self.studies)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 44)
        task = runner.run(load_identity, ctx)
        task.finished.connect(self.show_identity)

    def show_identity(self, identity: LaptopIdentity) -> None:
        self.profile.setText(identity.profile)
        self.device_id.setText(identity.device_id)
        # Four groups a line, so no line wraps mid-group at any text size.
        kind, _, groups = grouped_fingerprint(identity.fingerprint).partition(": ")
        words = groups.split()
        self.fingerprint.setText("\n".join(
            [f"{kind}:", *(" ".join(words[i:i + 4]) for i in range(0, len(words), 4))]))
        # A form layout beside wrapped labels may squeeze a row below its hint: never this.
        self.fingerprint.setMinimumSize(self.fingerprint.sizeHint())
        self.fingerprint.setToolTip(identity.fingerprint)
        self.fingerprint.setAccessibleDescription(identity.fingerprint)
        self.studies.setText("\n".join(
            title if has_pack else self.tr("{0}: no study pack yet, records stay on this "
                                           "laptop").format(title)
            for title, has_pack in identity.studies))
        layout = self.layout()
        assert layout is not None  # set up in __init__
        layout.invalidate()
        layout.activate()
        height = layout.totalHeightForWidth(self.width())
        self.resize(self.width(), max(height, self.sizeHint().height()))
