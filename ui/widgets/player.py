"""The recording player of the admin console (record view, Coding page): play, pause,
seek, speed 0.75x to 2x, jump back 5 seconds, position and length shown.

It drives a `PlaybackSession` from the admin door (`AdminDesk.open_recording`), which
decodes from the decrypting stream and plays through PortAudio. The session keeps the
position itself, so without a sound device the player says so once and seeking, jumping
and a note's "play from here" still move the position. The audio runs on PortAudio's
thread; this widget only polls the session's position (a timer on the UI thread), so no
widget is touched from another thread.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from qi_capture.errors import QICaptureError
from qi_capture.services.admin.playback import JUMP_BACK_MS, PlaybackSession
from ui.errors import message_for

SPEEDS = (0.75, 1.0, 1.25, 1.5, 2.0)
_TICK_MS = 100


def clock(ms: int) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour), for positions and lengths."""
    seconds = max(0, ms) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Player(QWidget):
    #: The position moved (milliseconds), by playing, seeking or a jump.
    position_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordingPlayer")
        self.session: PlaybackSession | None = None
        self._dragging = False

        self.title = QLabel(self.tr("No recording"), self)
        self.title.setObjectName("playerTitle")
        style = self.style()
        self.play_button = QPushButton(self)
        self.play_button.setObjectName("playerPlay")
        self.play_button.clicked.connect(self.toggle)
        self.back_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekBackward),
            self.tr("5 s"), self)
        self.back_button.setObjectName("playerBack")
        self.back_button.setToolTip(self.tr("Jump back 5 seconds"))
        self.back_button.setAccessibleName(self.tr("Jump back 5 seconds"))
        self.back_button.clicked.connect(self.jump_back)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("playerPosition")
        self.slider.setAccessibleName(self.tr("Position in the recording"))
        self.slider.setSingleStep(1000)
        self.slider.setPageStep(JUMP_BACK_MS)
        self.slider.sliderPressed.connect(self._on_slider_pressed)
        self.slider.sliderReleased.connect(self._on_slider_released)
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.time = QLabel("0:00 / 0:00", self)
        self.time.setObjectName("playerTime")
        self.speed = QComboBox(self)
        self.speed.setObjectName("playerSpeed")
        self.speed.setAccessibleName(self.tr("Playback speed"))
        for value in SPEEDS:
            self.speed.addItem(f"{value:g}×", value)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.currentIndexChanged.connect(self._on_speed_changed)
        self.message = QLabel(self)
        self.message.setObjectName("errorText")
        self.message.setWordWrap(True)
        self.message.hide()

        # The position on a line of its own: beside a record it gets the panel's width.
        row = QHBoxLayout()
        row.addWidget(self.play_button)
        row.addWidget(self.back_button)
        row.addWidget(self.time)
        row.addStretch(1)
        row.addWidget(self.speed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.slider)
        layout.addLayout(row)
        layout.addWidget(self.message)

        self._timer = QTimer(self)
        self._timer.setInterval(_TICK_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._show_playing(False)
        self._set_enabled(False)

    # -- the session -------------------------------------------------------------------
    def set_session(self, session: PlaybackSession | None) -> None:
        """Show ``session`` (the player owns it from now on and closes it), or nothing."""
        self.close_session()
        self.session = session
        self.message.hide()
        if session is None:
            self.title.setText(self.tr("No recording"))
            self._set_enabled(False)
            self._show_position(0)
            return
        self.title.setText(self.tr("Recording: {0} ({1})").format(
            session.name, clock(session.duration_ms)))
        self.slider.blockSignals(True)
        self.slider.setRange(0, session.duration_ms)
        self.slider.blockSignals(False)
        session.set_speed(float(self.speed.currentData()))
        self._set_enabled(True)
        self._show_position(session.position_ms)

    def close_session(self) -> None:
        self._timer.stop()
        if self.session is not None:
            self.session.close()
            self.session = None
        self._show_playing(False)

    def show_error(self, error: BaseException) -> None:
        self.message.setText(message_for(error))
        self.message.show()

    # -- intents -----------------------------------------------------------------------
    @property
    def position_ms(self) -> int:
        return self.session.position_ms if self.session is not None else 0

    def play(self) -> None:
        if self.session is None:
            return
        try:
            self.session.play()
        except QICaptureError as exc:  # shown; the position keeps working
            self.message.setText(self.tr(
                "{0} The position, the jump back and the notes' times still work.")
                .format(message_for(exc)))
            self.message.show()
            self._show_playing(False)
            return
        self.message.hide()
        self._show_playing(True)
        self._timer.start()

    def pause(self) -> None:
        if self.session is not None:
            self.session.pause()
        self._timer.stop()
        self._show_playing(False)
        self._show_position(self.position_ms)

    def toggle(self) -> None:
        if self.session is not None and self.session.playing:
            self.pause()
        else:
            self.play()

    def seek(self, ms: int) -> None:
        if self.session is None:
            return
        self._show_position(self.session.seek(ms))

    def jump_back(self) -> None:
        if self.session is None:
            return
        self._show_position(self.session.jump_back())

    def play_from(self, ms: int) -> None:
        """Seek to ``ms`` and play (a note's moment; without a sound device, only seek)."""
        self.seek(ms)
        self.play()

    # -- display -----------------------------------------------------------------------
    def _set_enabled(self, on: bool) -> None:
        for widget in (self.play_button, self.back_button, self.slider, self.speed):
            widget.setEnabled(on)

    def _show_playing(self, playing: bool) -> None:
        style = self.style()
        icon = (QStyle.StandardPixmap.SP_MediaPause if playing
                else QStyle.StandardPixmap.SP_MediaPlay)
        self.play_button.setIcon(style.standardIcon(icon))
        text = self.tr("Pause") if playing else self.tr("Play")
        self.play_button.setText(text)
        self.play_button.setAccessibleName(text)

    def _show_position(self, ms: int) -> None:
        if not self._dragging:
            self.slider.blockSignals(True)
            self.slider.setValue(ms)
            self.slider.blockSignals(False)
        length = self.session.duration_ms if self.session is not None else 0
        self.time.setText(f"{clock(ms)} / {clock(length)}")
        self.position_changed.emit(ms)

    def _on_timer_timeout(self) -> None:
        if self.session is None:
            self._timer.stop()
            return
        self._show_position(self.session.position_ms)
        if not self.session.playing:  # reached the end
            self._timer.stop()
            self._show_playing(False)

    def _on_slider_pressed(self) -> None:
        self._dragging = True

    def _on_slider_released(self) -> None:
        self._dragging = False
        self.seek(self.slider.value())

    def _on_slider_value_changed(self, value: int) -> None:
        if not self._dragging:  # keyboard or a click on the groove
            self.seek(value)
        else:
            length = self.session.duration_ms if self.session is not None else 0
            self.time.setText(f"{clock(value)} / {clock(length)}")

    def _on_speed_changed(self, _index: int) -> None:
        if self.session is not None:
            self.session.set_speed(float(self.speed.currentData()))
