"""Opening a central store from the profile chooser: the real dialog, a folder and the
admin passphrase typed in; a missing folder and a wrong passphrase say so and open
nothing; the connection is remembered without the passphrase; closing the store goes
back to the profiles and releases it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from qi_capture.services import ProfileService
from tests.ui.admin.conftest import PASSPHRASE, World
from ui.main_window import MainWindow
from ui.tasks import TaskRunner


def _type(qtbot: QtBot, window: MainWindow, folder: str, passphrase: str) -> None:
    dialog = window.open_central_dialog
    assert dialog is not None
    dialog.folder.clear()
    qtbot.keyClicks(dialog.folder, folder)
    dialog.passphrase.clear()
    qtbot.keyClicks(dialog.passphrase, passphrase)
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)


def test_open_a_central_store_from_the_profile_chooser(
    qtbot: QtBot, profile_dir: Path, world: World, runner: TaskRunner, tmp_path: Path
) -> None:
    window = MainWindow(ProfileService(profile_dir), runner=runner)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.unlock_page)
    assert window.open_central_action.isEnabled()
    qtbot.mouseClick(window.unlock_page.open_central, Qt.MouseButton.LeftButton)
    dialog = window.open_central_dialog
    assert dialog is not None and dialog.isVisible()

    _type(qtbot, window, str(tmp_path / "not-a-central-folder"), PASSPHRASE)
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=10_000)
    assert "There is no central store in" in dialog.message.text()
    assert window.console is None

    _type(qtbot, window, str(world.central), "wrong horse battery 99")
    qtbot.waitUntil(lambda: "not the admin passphrase" in dialog.message.text(),
                    timeout=10_000)
    assert window.console is None and dialog.isVisible()
    assert dialog.passphrase.hasSelectedText()  # ready to be typed over
    assert QSettings().value("admin/folder") in (None, "")  # nothing remembered yet

    _type(qtbot, window, str(world.central), PASSPHRASE)
    qtbot.waitUntil(lambda: window.console is not None, timeout=10_000)
    console = window.console
    assert console is not None
    assert window.stack.currentWidget() is console
    assert not dialog.isVisible() and dialog.passphrase.text() == ""
    keys = ("inbox", "records", "conflicts", "exports", "results", "devices", "audit",
            "coding")
    assert console.page_keys() == keys
    assert window.console_menu.menuAction().isVisible()
    actions = window.console_menu.actions()
    assert [a.shortcut().toString() for a in actions] == [f"Ctrl+{i}" for i in range(1, 9)]
    for action, key in zip(actions, keys, strict=True):
        action.trigger()
        assert console.current_key() == key

    # Remembered for next time, with no passphrase anywhere in the settings file.
    settings = QSettings()
    assert settings.value("admin/kind") == "folder"
    assert settings.value("admin/folder") == str(world.central)
    settings.sync()
    text = Path(settings.fileName()).read_text(encoding="utf-8")
    assert PASSPHRASE not in text and "harbour" not in text

    window.close_central_action.trigger()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.unlock_page)
    assert window.console is None
    assert not window.console_menu.menuAction().isVisible()
    runner.wait()

    # Closed for real: it opens again (the store's lock was released), with the folder
    # filled in from the settings.
    qtbot.mouseClick(window.unlock_page.open_central, Qt.MouseButton.LeftButton)
    dialog = window.open_central_dialog
    assert dialog is not None and dialog.folder.text() == str(world.central)
    qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.console is not None, timeout=10_000)
    window.close_central()
    runner.wait()


def test_postgres_url_is_remembered_without_its_password(qtbot: QtBot,
                                                         runner: TaskRunner) -> None:
    from ui.admin.open_dialog import OpenCentralDialog
    from ui.admin.settings import load_connection, save_connection

    dialog = OpenCentralDialog(runner)
    qtbot.addWidget(dialog)
    dialog.use_postgres.setChecked(True)
    dialog.database.setText("qi_central")
    dialog.host.setText("db.example.org")
    dialog.user.setText("analyst")
    connection = dialog.connection()
    assert connection is not None
    assert connection.url == "postgresql://analyst@db.example.org/qi_central"
    dialog.url.setText("postgresql://analyst:s3cret@db.example.org:5433/qi_central")
    connection = dialog.connection()
    assert connection is not None
    save_connection(connection)
    saved = load_connection()
    assert saved is not None
    assert saved.url == "postgresql://analyst@db.example.org:5433/qi_central"
    QSettings().sync()
    assert "s3cret" not in Path(QSettings().fileName()).read_text(encoding="utf-8")


def test_console_locks_when_idle(qtbot: QtBot, profile_dir: Path, world: World,
                                 runner: TaskRunner) -> None:
    """Left idle, the console closes the central store and asks for the admin
    passphrase again (the folder still filled in); typing it opens the store again."""
    window = MainWindow(ProfileService(profile_dir), runner=runner)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.unlock_page)
    window.open_central()
    _type(qtbot, window, str(world.central), PASSPHRASE)
    qtbot.waitUntil(lambda: window.console is not None, timeout=10_000)
    console = window.console
    assert console is not None and window.idle.active
    # Input keeps it open: the countdown starts again with every key.
    window.idle.set_minutes(0.01)  # 600 ms
    window.idle.start()
    handle = window.windowHandle()
    for _ in range(6):
        qtbot.wait(200)
        # Through the window, as a real key press arrives (the watcher sits there).
        QTest.keyClick(handle, Qt.Key.Key_Down)
    assert window.console is console

    qtbot.waitUntil(lambda: window.console is None, timeout=5_000)
    assert console.closed and not window.idle.active
    qtbot.waitUntil(lambda: window.open_central_dialog is not None
                    and window.open_central_dialog.isVisible(), timeout=10_000)
    runner.wait()
    assert not console.desk.has_keys  # closed: the admin keys are forgotten
    dialog = window.open_central_dialog
    assert dialog is not None and dialog.isVisible()
    assert "Locked after a period without use" in dialog.message.text()
    assert dialog.folder.text() == str(world.central) and dialog.passphrase.text() == ""

    window.idle.set_minutes(10)
    qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.console is not None or dialog.message.isVisible(),
                    timeout=30_000)
    assert window.console is not None, dialog.message.text()
    assert window.idle.active
    window.close_central()
    runner.wait()
