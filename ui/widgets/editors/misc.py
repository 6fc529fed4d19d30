"""Range (a slider), note, acknowledge, geopoint, attachments and shown calculations."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QWidget,
)

from qi_capture.services.screen import QuestionValue
from ui.widgets.editors.base import Editor


def _decimal(text: str | None, default: str) -> Decimal:
    try:
        value = Decimal(str(text).strip()) if text not in (None, "") else Decimal(default)
    except InvalidOperation:
        value = Decimal(default)
    return value if value.is_finite() else Decimal(default)


class RangeEditor(Editor):
    """A slider from ``start`` to ``end`` in steps of ``step`` (XLSForm parameters). It
    starts unset; the value shows beside it once chosen. Arrow keys move it."""

    def __init__(self, question: QuestionValue, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.start = _decimal(question.parameter("start"), "1")
        self.end = _decimal(question.parameter("end"), "10")
        self.step = abs(_decimal(question.parameter("step"), "1")) or Decimal(1)
        steps = int(abs(self.end - self.start) / self.step)
        self._sign = 1 if self.end >= self.start else -1
        layout = self._row(self)
        self.low = QLabel(self._text(self.start), self)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, max(steps, 0))
        self.slider.setPageStep(max(1, steps // 10))
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setTickInterval(max(1, steps // 10))
        self.high = QLabel(self._text(self.end), self)
        self.shown = QLabel(self.tr("not set"), self)
        self.shown.setMinimumWidth(self.fontMetrics().horizontalAdvance("not set 0000"))
        layout.addWidget(self.low)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.high)
        layout.addWidget(self.shown)
        self.slider.actionTriggered.connect(self._on_slider_action_triggered)
        self.slider.sliderReleased.connect(self._on_slider_action_triggered)
        self._set = False
        self._watch_enter(self.slider)
        self.setFocusProxy(self.slider)

    @staticmethod
    def _text(value: Decimal) -> str:
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)

    def _value_at(self, position: int) -> Decimal:
        return self.start + self._sign * self.step * position

    def value(self) -> str:
        return self._text(self._value_at(self.slider.value())) if self._set else ""

    def _show(self, text: str) -> None:
        if not text:
            self._set = False
            self.slider.setValue(0)
            self.shown.setText(self.tr("not set"))
            return
        number = _decimal(text, str(self.start))
        position = (number - self.start) / (self.step * self._sign)
        if position.is_finite():
            self.slider.setValue(math.floor(float(position) + 0.5))
        self._set = True
        self.shown.setText(text)

    def _on_slider_action_triggered(self, *_args: object) -> None:
        # actionTriggered fires before the move; read the value once the event loop has
        # applied it.
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, self, self._after_move)

    def _after_move(self) -> None:
        self._set = True
        self.shown.setText(self.value())
        self._changed()


class NoteEditor(Editor):
    """A note takes no answer: the filler shows its label; nothing else to show."""

    enter_commits = True

    def __init__(self, question: QuestionValue, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self._row(self)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def value(self) -> str:
        return ""

    def _show(self, text: str) -> None:
        return None


class AcknowledgeEditor(Editor):
    """A check box the interviewer ticks to confirm ("OK")."""

    def __init__(self, question: QuestionValue, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        layout = self._row(self)
        self.box = QCheckBox(self.tr("OK"), self)
        self.box.clicked.connect(self._on_box_clicked)
        layout.addWidget(self.box)
        layout.addStretch(1)
        self._watch_enter(self.box)
        self.setFocusProxy(self.box)

    def value(self) -> str:
        return "OK" if self.box.isChecked() else ""

    def _show(self, text: str) -> None:
        self.box.setChecked(text == "OK")

    def _on_box_clicked(self, _checked: bool) -> None:
        self._changed()


_COORD_RE = r"[+-]?\d{0,3}([.,]\d{0,9})?"


class GeopointEditor(Editor):
    """Latitude and longitude in decimal degrees (a laptop has no GPS to ask)."""

    def __init__(self, question: QuestionValue, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        layout = self._row(self)
        self.lat = QLineEdit(self)
        self.lon = QLineEdit(self)
        self.lat.setPlaceholderText(self.tr("latitude, e.g. 51.5072"))
        self.lon.setPlaceholderText(self.tr("longitude, e.g. -0.1276"))
        self._rest = ("0", "0")
        for line in (self.lat, self.lon):
            line.setValidator(QRegularExpressionValidator(QRegularExpression(_COORD_RE), line))
            line.textEdited.connect(self._on_coordinate_edited)
            self._watch_enter(line)
        layout.addWidget(QLabel(self.tr("Lat"), self))
        layout.addWidget(self.lat)
        layout.addWidget(QLabel(self.tr("Lon"), self))
        layout.addWidget(self.lon)
        self.setFocusProxy(self.lat)

    def _numbers(self) -> tuple[float, float] | None:
        try:
            lat = float(self.lat.text().replace(",", "."))
            lon = float(self.lon.text().replace(",", "."))
        except ValueError:
            return None
        return lat, lon

    def value(self) -> str:
        numbers = self._numbers()
        if numbers is None or self.problem():
            return ""
        return f"{self.lat.text().replace(',', '.')} {self.lon.text().replace(',', '.')} " \
               f"{self._rest[0]} {self._rest[1]}"

    def problem(self) -> str | None:
        if not self.lat.text() and not self.lon.text():
            return None
        numbers = self._numbers()
        if numbers is None:
            return self.tr("Enter both latitude and longitude in decimal degrees.")
        if not (-90 <= numbers[0] <= 90 and -180 <= numbers[1] <= 180):
            return self.tr("Latitude must be within ±90 and longitude within ±180.")
        return None

    def _show(self, text: str) -> None:
        parts = text.split()
        self.lat.setText(parts[0] if parts else "")
        self.lon.setText(parts[1] if len(parts) > 1 else "")
        self._rest = (parts[2] if len(parts) > 2 else "0", parts[3] if len(parts) > 3 else "0")

    def _on_coordinate_edited(self, _text: str) -> None:
        self._changed()


class AttachmentEditor(Editor):
    """Choose a file (image, audio, video or any file). The filler stores it encrypted
    through the record and the answer becomes its name; ``file_chosen`` carries the path."""

    file_chosen = Signal(str)

    _FILTERS: ClassVar[dict[str, str]] = {
        "image": "Images (*.png *.jpg *.jpeg *.gif *.bmp *.webp *.heic)",
        "audio": "Audio (*.mp3 *.m4a *.wav *.ogg *.aac *.amr *.3gp)",
        "video": "Video (*.mp4 *.mov *.avi *.mkv *.3gp)",
    }

    def __init__(self, question: QuestionValue, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        layout = self._row(self)
        self.choose = QPushButton(self.tr("Choose file…"), self)
        self.choose.clicked.connect(self._on_choose_clicked)
        self.name = QLabel(self.tr("No file chosen"), self)
        layout.addWidget(self.choose)
        layout.addWidget(self.name, 1)
        self._value = ""
        self._watch_enter(self.choose)
        self.setFocusProxy(self.choose)

    def value(self) -> str:
        return self._value

    def _show(self, text: str) -> None:
        self._value = text
        self.name.setText(text or self.tr("No file chosen"))

    def choose_path(self, path: str) -> None:
        """What the file dialog does: announce the file (tests call it directly)."""
        self.name.setText(self.tr("Attaching {0}…").format(Path(path).name))
        self.file_chosen.emit(path)

    def _on_choose_clicked(self) -> None:
        pattern = self._FILTERS.get(self.question.type, "")
        filters = ";;".join(p for p in (pattern, self.tr("All files (*)")) if p)
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a file"), "", filters)
        if path:
            self.choose_path(path)


class CalculatedEditor(Editor):
    """A calculation the form shows (a ``calculate`` row with a label): read-only text."""

    def __init__(self, question: QuestionValue, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        layout = self._row(self)
        self.shown = QLabel(self)
        self.shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.shown)
        layout.addStretch(1)
        self._read_only = True
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def value(self) -> str:
        return self.shown.text()

    def _show(self, text: str) -> None:
        self.shown.setText(text)

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = True
