"""The event loop is never blocked for more than 100 ms while a profile is unlocked
(Argon2id and opening the database run through ui/tasks.py)."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from qi_capture.crypto.kdf import floor_params
from qi_capture.services import ProfileService
from tests.ui.conftest import PASSPHRASE
from ui.main_window import MainWindow

LIMIT = 0.100


class Watchdog:
    """A 10 ms timer; the longest gap between its ticks is how long the loop stalled."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.last = time.perf_counter()
        self.worst = 0.0
        self.ticks = 0

    def start(self) -> None:
        self.last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _on_timer_timeout(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, now - self.last)
        self.last = now
        self.ticks += 1


def test_unlock_never_blocks_the_event_loop(qtbot: QtBot, tmp_path: Path) -> None:
    # Its own profile: the session's shared one is held open by other tests.
    ProfileService(tmp_path).create("Watchdog", PASSPHRASE, kdf=floor_params())
    window = MainWindow(ProfileService(tmp_path))
    qtbot.addWidget(window)
    window.show()
    window.start()
    page = window.unlock_page
    qtbot.waitUntil(lambda: window.stack.currentWidget() is page and page.profile.count() > 0)
    qtbot.keyClicks(page.passphrase, PASSPHRASE)
    watchdog = Watchdog()
    watchdog.start()
    with qtbot.waitSignal(window.unlocked, timeout=20_000):
        page.unlock.click()
    watchdog.stop()
    # The loop kept ticking while Argon2id (64 MiB, t=3: hundreds of ms) ran elsewhere.
    assert watchdog.ticks >= 5, "the event loop did not run during the unlock"
    assert watchdog.worst < LIMIT, f"event loop blocked {watchdog.worst * 1000:.0f} ms"
    window.close()
