"""Idle lock: any key or mouse input restarts the countdown; when it runs out the main
window locks the profile (SECURITY.md: views cleared, key forgotten, passphrase asked).

The filter sits on the main window's QWindow, where every input event arrives before
Qt hands it to a widget, not on the whole application: an application-wide Python
filter is called for every object's every event (wrapping each object in Python, which
is slow and, for objects being destroyed, crashes PySide).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QInputEvent
from PySide6.QtWidgets import QWidget

#: The default policy when the study sets none.
DEFAULT_IDLE_MINUTES = 10.0


class IdleWatcher(QObject):
    idle_timed_out = Signal()

    def __init__(self, window: QWidget, minutes: float = DEFAULT_IDLE_MINUTES) -> None:
        super().__init__(window)
        self._window = window
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.idle_timed_out)
        self.set_minutes(minutes)
        self._watched: QObject | None = None

    def set_minutes(self, minutes: float) -> None:
        self._timer.setInterval(max(1, int(minutes * 60_000)))

    def start(self) -> None:
        target: QObject = self._window.windowHandle() or self._window
        if target is not self._watched:
            self._release()
            target.installEventFilter(self)
            self._watched = target
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._release()

    def _release(self) -> None:
        if self._watched is not None:
            self._watched.removeEventFilter(self)
            self._watched = None

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # isinstance, not event.type(): an event type Qt does not name becomes a new
        # Python enum member, which costs milliseconds.
        if isinstance(event, QInputEvent) and self._timer.isActive():
            self._timer.start()
        return False
