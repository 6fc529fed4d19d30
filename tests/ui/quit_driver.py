"""Runs the real app (``ui.app.run``, as ``main.py`` does) on a data folder in its own
process, unlocks the profile, then quits through File > Quit: right away (``plain``),
while an answer's autosave is in flight (``autosave``), after a sync (``sync``, whose
end starts a home refresh), or while a read of the store is still running (``read``: the
lock must wait for it, never wipe the keys under it). The
interpreter then tears down as it does for a user, which is where a broken binding shows
("Fatal Python error: ..."). Used by ``test_clean_quit.py``; not a test module.

    python -m tests.ui.quit_driver DATA_DIR MODE   (passphrase in QI_CAPTURE_PASSPHRASE)
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer

import ui.app as app_module
from ui.main_window import MainWindow, load_home


def _later(fn: Callable[[], None], ms: int = 20) -> None:
    QTimer.singleShot(ms, fn)


def drive(window: MainWindow, data: Path, mode: str, passphrase: str) -> None:
    def unlock() -> None:
        page = window.unlock_page
        if window.stack.currentWidget() is not page or page.profile.count() == 0:
            return _later(unlock)
        page.passphrase.setText(passphrase)
        page.unlock.click()
        _later(on_home)

    def on_home() -> None:
        if (window.ctx is None or window.stack.currentWidget() is not window.home
                or window.home._current_form() is None):
            return _later(on_home)
        if mode == "autosave":
            window.home._on_start_clicked()
            _later(type_answers)
        elif mode == "sync":
            dialog = window.open_sync()
            assert dialog is not None
            dialog.folder.setText(str(data / "sync"))
            dialog.send_all.setChecked(True)
            dialog.sync_button.click()
            _later(lambda: after_sync(dialog))
        elif mode == "read":
            window.runner.run(slow_read, window.ctx)
            _later(quit_app, 0)
        else:
            quit_app()

    def slow_read(ctx: object) -> None:
        time.sleep(0.5)
        window.home  # noqa: B018 - keeps the closure on the window
        load_home(ctx)  # type: ignore[arg-type]

    def type_answers() -> None:
        filler = window.filler
        if filler is None or filler._shown_key is None:
            return _later(type_answers)
        filler.controller.set_answer("consent", "yes")
        filler.controller.set_answer("respondent/org_name", "Riverside")
        _later(quit_app, 0)  # the autosave is still on the write queue

    def after_sync(dialog: object) -> None:
        if getattr(dialog, "_token", None) is not None:
            return _later(lambda: after_sync(dialog))
        quit_app()

    def quit_app() -> None:
        for menu in window.menuBar().actions():
            for action in menu.menu().actions() if menu.menu() else []:
                if action.text().replace("&", "") == "Quit":
                    action.trigger()
                    return
        raise SystemExit("the File menu has no Quit")

    _later(unlock, 0)


def main(argv: list[str]) -> int:
    data, mode = Path(argv[1]), argv[2]
    passphrase = os.environ["QI_CAPTURE_PASSPHRASE"]
    show = MainWindow.show

    def show_and_drive(self: MainWindow) -> None:
        show(self)
        drive(self, data, mode, passphrase)

    MainWindow.show = show_and_drive  # type: ignore[method-assign]
    # The app writes its window's geometry as it quits: into the test's folder, not the
    # settings of whoever runs the tests.
    app_module.keep_settings_in(data / "settings")
    return app_module.run([argv[0], "--data-dir", str(data)])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
