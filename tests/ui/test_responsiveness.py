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
    """A 10 ms timer; the longest gap between its ticks is how long the loop stalled.

    ``blocked`` is what the tests hold to the limit: the longest stall that this process
    spent working (its processor time over the gap, every thread: the UI thread's own
    work, or a worker holding the interpreter). A stall while the process was not even
    running (the machine busy elsewhere, a virtual machine paused) is no fault of ours;
    it shows in ``worst`` alone."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.last = time.perf_counter()
        self.last_cpu = time.process_time()
        self.worst = 0.0
        self.blocked = 0.0
        self.ticks = 0

    def start(self) -> None:
        self.last, self.last_cpu = time.perf_counter(), time.process_time()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _on_timer_timeout(self) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        gap = now - self.last
        self.worst = max(self.worst, gap)
        self.blocked = max(self.blocked, min(gap, cpu - self.last_cpu))
        self.last, self.last_cpu = now, cpu
        self.ticks += 1

    def says(self) -> str:
        return (f"event loop blocked {self.blocked * 1000:.0f} ms "
                f"(longest stall {self.worst * 1000:.0f} ms)")


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
    assert watchdog.blocked < LIMIT, watchdog.says()
    window.close()


def test_the_watchdog_tells_work_from_waiting(qtbot: QtBot) -> None:
    """Work on the UI thread counts as blocking; a stall with the process idle (here a
    sleep, as when the machine does not run us) shows as a stall only."""

    def busy() -> None:
        # 0.3 s of this thread's processor time, however busy the machine is (two test
        # runs side by side gave a wall-clock loop only 68 ms of it).
        end = time.thread_time() + 0.3
        while time.thread_time() < end:
            pass

    for block, counted in ((busy, True), (lambda: time.sleep(0.3), False)):
        watchdog = Watchdog()
        watchdog.start()
        qtbot.wait(50)
        QTimer.singleShot(0, block)
        qtbot.wait(100)
        watchdog.stop()
        assert watchdog.worst >= 0.25
        assert (watchdog.blocked >= 0.2) is counted, watchdog.says()
