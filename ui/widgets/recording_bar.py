"""The interview screen's recording bar: Record, Pause, Resume and Stop, the elapsed
time, a level meter and a warning line (no microphone, or a silent input).

The bar lives as long as the interview screen, not one section, so a recording goes on
while the interviewer moves between sections. It talks only to the recording service:
the status it shows is polled from `ActiveRecording.status` by a timer. Recording is
offered only while the participant's consent to be recorded is given (`set_consent`);
withdrawing consent does not stop a recording already running (the interviewer stops it).
"""

from __future__ import annotations

import logging
import uuid

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from qi_capture.errors import QICaptureError
from qi_capture.services.dto import AttachmentInfo
from qi_capture.services.recording import (
    ENDED_CAP,
    ENDED_SOURCE,
    ActiveRecording,
    RecordingService,
)
from ui.errors import message_for

log = logging.getLogger(__name__)

#: The meter's floor: quieter than this shows as an empty bar (the silence detector's
#: threshold is -55 dBFS).
METER_FLOOR_DBFS = -60.0
POLL_MS = 100


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class RecordingBar(QFrame):
    #: A recording was stopped and kept (its attachment).
    stopped = Signal(object)

    def __init__(self, service: RecordingService, record_id: uuid.UUID,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordingBar")
        self._service = service
        self._record_id = record_id
        self._consent = False
        self.active: ActiveRecording | None = None
        self.last: AttachmentInfo | None = None
        #: Set when the last recording stopped by itself (its source ended or failed, or
        #: the length cap): the bar says "Recording stopped" until the next one starts.
        self.stopped_by_itself = False

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.record_button = self._button("recordButton", self.tr("● Record"),
                                          self.tr("Start recording (Ctrl+Shift+R)"))
        self.pause_button = self._button("pauseButton", self.tr("Pause"),
                                         self.tr("Pause recording (Ctrl+Shift+P)"))
        self.resume_button = self._button("resumeButton", self.tr("Resume"),
                                          self.tr("Resume recording (Ctrl+Shift+P)"))
        self.stop_button = self._button("stopButton", self.tr("Stop"),
                                        self.tr("Stop and keep the recording (Ctrl+Shift+T)"))
        self.record_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.pause)
        self.resume_button.clicked.connect(self.resume)
        self.stop_button.clicked.connect(self.stop)
        for button in (self.record_button, self.pause_button, self.resume_button,
                       self.stop_button):
            layout.addWidget(button)

        self.state_label = QLabel(self)
        self.state_label.setObjectName("recordingState")
        layout.addWidget(self.state_label)
        self.elapsed_label = QLabel(self)
        self.elapsed_label.setObjectName("recordingElapsed")
        self.elapsed_label.setAccessibleName(self.tr("Recording time"))
        layout.addWidget(self.elapsed_label)
        self.meter_label = QLabel(self.tr("Level"), self)
        layout.addWidget(self.meter_label)
        self.meter = QProgressBar(self)
        self.meter.setObjectName("levelMeter")
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(False)
        self.meter.setAccessibleName(self.tr("Input level"))
        self.meter.setMinimumWidth(120)
        self.meter.setMaximumWidth(220)
        layout.addWidget(self.meter)
        self.warning = QLabel(self)
        self.warning.setObjectName("recordingWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #a4262c; font-weight: bold;")
        layout.addWidget(self.warning, 1)

        # Shortcuts: Ctrl+Shift+R/P/T are free in the filler and the main window. The
        # buttons have no Alt mnemonics: Alt+R already opens the Records menu.
        self._record_action = self._action("Ctrl+Shift+R", self.start)
        self._pause_action = self._action("Ctrl+Shift+P", self._toggle_pause)
        self._stop_action = self._action("Ctrl+Shift+T", self.stop)

        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._on_poll_timeout)
        self._refresh()

    def _button(self, name: str, text: str, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setToolTip(tip)
        return button

    def _action(self, keys: str, slot: object) -> QAction:
        action = QAction(self)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # --- state --------------------------------------------------------------------------
    @property
    def state(self) -> str:
        """"idle" (nothing running), "recording" or "paused"."""
        if self.active is None:
            return "idle"
        return "paused" if self.active.status().state == "paused" else "recording"

    def set_consent(self, given: bool) -> None:
        """Offer recording only once the participant has agreed to be recorded."""
        self._consent = given
        self._refresh()

    def start(self) -> None:
        if self.active is not None or not self._consent:
            return
        self.stopped_by_itself = False
        try:
            self.active = self._service.start(self._record_id)
        except QICaptureError as exc:  # no microphone etc.: shown, nothing was stored
            log.warning("recording not started: %s", type(exc).__name__)
            self.warning.setText(message_for(exc))
            self._refresh()
            return
        self.warning.clear()
        self._poll.start()
        self._refresh()

    def pause(self) -> None:
        if self.active is not None:
            self.active.pause()
            self._refresh()

    def resume(self) -> None:
        if self.active is not None:
            self.active.resume()
            self._refresh()

    def _toggle_pause(self) -> None:
        if self.state == "paused":
            self.resume()
        else:
            self.pause()

    def stop(self) -> AttachmentInfo | None:
        """Stop and keep the recording (idempotent; also when the screen closes)."""
        active, self.active = self.active, None
        self._poll.stop()
        if active is None:
            return None
        try:
            self.last = active.stop()
        except QICaptureError as exc:  # the source failed: what was recorded is kept
            log.warning("recording ended with an error: %s", type(exc).__name__)
            self.warning.setText(message_for(exc))
            self.last = active.result
        self._refresh()
        if self.last is not None:
            self.stopped.emit(self.last)
        return self.last

    def _ended(self, reason: str, active: ActiveRecording | None) -> None:
        self.stopped_by_itself = True
        cap = active.max_seconds if active is not None else None
        if reason == ENDED_CAP and cap is not None:
            self.warning.setText(self.tr(
                "Recording stopped at the study's limit of {0} minutes. The recording is "
                "kept; start a new one to go on recording.").format(round(cap / 60)))
        elif reason == ENDED_SOURCE:
            self.warning.setText(self.tr(
                "Recording stopped: the sound input ended (was the microphone "
                "disconnected?). The recording is kept."))
        # A source that failed: `stop` shows its error.
        log.info("recording stopped by itself: %s", reason)

    # --- drawing ------------------------------------------------------------------------
    def _on_poll_timeout(self) -> None:
        self._refresh()

    def _refresh(self) -> None:
        active = self.active
        status = active.status() if active is not None else None
        if status is not None and status.state == "stopped":
            # Stopped from elsewhere (the profile locked) or by itself (the source ended
            # or failed, the study's cap): keep it (stop is idempotent), say why, and show
            # the bar idle again.
            if status.ended:
                self._ended(status.ended, active)
            self.stop()
            return
        state = self.state if active is not None else "idle"
        self.record_button.setEnabled(state == "idle" and self._consent)
        self.pause_button.setEnabled(state == "recording")
        self.resume_button.setEnabled(state == "paused")
        self.stop_button.setEnabled(state != "idle")
        self.pause_button.setVisible(state != "paused")
        self.resume_button.setVisible(state == "paused")
        self._record_action.setEnabled(self.record_button.isEnabled())
        self._pause_action.setEnabled(state != "idle")
        self._stop_action.setEnabled(state != "idle")
        if state == "idle" or status is None:
            self.state_label.setText(
                self.tr("Recording stopped") if self.stopped_by_itself
                else self.tr("Not recording") if self._consent
                else self.tr("Recording needs the participant's consent"))
            self.elapsed_label.setText("")
            self.meter.setValue(0)
            self.meter.setVisible(False)
            self.meter_label.setVisible(False)
            self.state_label.setStyleSheet("")
            if self.warning.text().startswith(self.tr("No sound")):
                self.warning.clear()  # about the recording that has just ended
            return
        self.state_label.setText(self.tr("● Recording") if state == "recording"
                                 else self.tr("Paused"))
        self.elapsed_label.setText(_clock(status.elapsed_seconds))
        self.meter.setVisible(True)
        self.meter_label.setVisible(True)
        self.state_label.setStyleSheet(
            "color: #a4262c; font-weight: bold;" if state == "recording" else "font-weight: bold;")
        level = status.level.rms_dbfs if state == "recording" else METER_FLOOR_DBFS
        fraction = (max(level, METER_FLOOR_DBFS) - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS
        self.meter.setValue(round(100 * min(max(fraction, 0.0), 1.0)))
        if status.silent and state == "recording":
            self.warning.setText(self.tr(
                "No sound for {0} s: check that the microphone is on and not muted.").format(
                    int(status.silent_seconds)))
        elif self.warning.text().startswith(self.tr("No sound")):
            self.warning.clear()
