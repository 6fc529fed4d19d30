"""The whole window as a person uses it: first run, home, a draft closed and resumed,
lock and unlock (a wrong passphrase first), idle lock, deleting a draft."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from qi_capture.crypto.kdf import floor_params
from qi_capture.services import ProfileService
from tests.ui.conftest import PASSPHRASE
from tests.ui.helpers import click_choice, next_screen, settle, type_into
from ui.dialogs import confirm
from ui.main_window import MainWindow
from ui.models.records import RecordIdRole
from ui.pages.form_filler import FormFiller


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    win = MainWindow(ProfileService(tmp_path), create_options={"kdf": floor_params()})
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    return win


def create_profile(qtbot: QtBot, window: MainWindow) -> None:
    window.start()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.first_run)
    page = window.first_run
    qtbot.keyClicks(page.name, "Alex Interviewer")
    qtbot.keyClicks(page.passphrase, PASSPHRASE)
    assert not page.create_button.isEnabled()
    qtbot.keyClicks(page.confirm, PASSPHRASE[:-1] + "x")
    assert page.message.isVisible()  # "not the same"
    page.confirm.clear()
    qtbot.keyClicks(page.confirm, PASSPHRASE)
    assert page.create_button.isEnabled() and page.meter.level in ("good", "strong", "fair")
    with qtbot.waitSignal(window.unlocked, timeout=20_000):
        qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.home


def unlock(qtbot: QtBot, window: MainWindow, passphrase: str) -> None:
    page = window.unlock_page
    qtbot.waitUntil(lambda: window.stack.currentWidget() is page and page.profile.count() > 0,
                    timeout=5000)
    page.passphrase.clear()
    qtbot.keyClicks(page.passphrase, passphrase)
    qtbot.keyClick(page.passphrase, Qt.Key.Key_Return)


def start_record(qtbot: QtBot, window: MainWindow, title: str) -> FormFiller:
    home = window.home
    model = home.forms_model
    study = model.index(0, 0)
    for row in range(model.rowCount(study)):
        index = model.index(row, 0, study)
        if index.data() == title:
            home.forms_view.setCurrentIndex(index)
    with qtbot.waitSignal(window.record_opened, timeout=5000) as opened:
        qtbot.mouseClick(home.start, Qt.MouseButton.LeftButton)
    filler = opened.args[0]
    assert isinstance(filler, FormFiller)
    settle(qtbot, filler)
    return filler


def test_first_run_draft_resume_lock_unlock(qtbot: QtBot, window: MainWindow) -> None:
    create_profile(qtbot, window)
    assert "Alex Interviewer" in window.home.greeting.text()
    assert window.home.forms_model.rowCount(window.home.forms_model.index(0, 0)) == 2

    filler = start_record(qtbot, window, "London QI baseline questionnaire")
    next_screen(qtbot, filler)
    click_choice(qtbot, filler, "consent", "Yes")
    next_screen(qtbot, filler)
    type_into(qtbot, filler, "respondent/org_name", "Riverside Trust")
    settle(qtbot, filler)
    assert filler.saved.state == "saved"

    # Close: the draft is listed and resumes where it was left.
    qtbot.keyClick(filler, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.home, timeout=5000)
    qtbot.waitUntil(lambda: window.home.records_model.rowCount() == 1, timeout=5000)
    window.home.table.selectRow(0)
    with qtbot.waitSignal(window.record_opened, timeout=5000) as opened:
        qtbot.mouseClick(window.home.open, Qt.MouseButton.LeftButton)
    filler = opened.args[0]
    settle(qtbot, filler)
    assert filler._shown_key == "respondent"
    assert filler.view_for("respondent/org_name").editor.value() == "Riverside Trust"

    # Lock from the menu: views cleared, a wrong passphrase says so, the right one
    # brings the draft back.
    type_into(qtbot, filler, "respondent/org_name", " NHS FT")
    with qtbot.waitSignal(window.locked):
        window.lock_action.trigger()
    assert window.filler is None and window.home.records_model.rowCount() == 0
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.unlock_page, timeout=5000)
    assert window.unlock_page.reason.isVisible()
    unlock(qtbot, window, "not my passphrase at all")
    qtbot.waitUntil(lambda: window.unlock_page.message.isVisible(), timeout=10_000)
    assert "not right" in window.unlock_page.message.text()
    with qtbot.waitSignal(window.record_opened, timeout=10_000) as opened:
        unlock(qtbot, window, PASSPHRASE)
    filler = opened.args[0]
    settle(qtbot, filler)
    assert filler.view_for("respondent/org_name").editor.value() == "Riverside Trust NHS FT"
    window.close()


def test_an_unlock_typed_while_the_lock_is_still_closing_the_store_waits_for_it(
        qtbot: QtBot, window: MainWindow) -> None:
    """The lock closes the store after the last queued write: a passphrase typed before
    that (a slow disk, a long autosave) opens the profile once it is closed, instead of
    finding its lock file still held ("open in another window")."""
    create_profile(qtbot, window)
    slow_write = threading.Event()
    window.runner.write(slow_write.wait, 10)  # a write still queued when the lock comes
    with qtbot.waitSignal(window.locked):
        window.lock_action.trigger()
    with qtbot.waitSignal(window.unlocked, timeout=20_000):
        unlock(qtbot, window, PASSPHRASE)
        qtbot.wait(300)  # the unlock asked for while the store is still open
        slow_write.set()
    assert not window.unlock_page.message.isVisible()
    assert "Alex Interviewer" in window.home.greeting.text()
    window.close()


def test_idle_lock_and_delete_draft(qtbot: QtBot, window: MainWindow,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    create_profile(qtbot, window)
    filler = start_record(qtbot, window, "London QI baseline questionnaire")
    next_screen(qtbot, filler)
    click_choice(qtbot, filler, "consent", "No")
    settle(qtbot, filler)
    window.idle.set_minutes(0.001)  # 60 ms
    window.idle.start()
    with qtbot.waitSignal(window.locked, timeout=5000):
        pass
    assert window.filler is None
    window.idle.set_minutes(10)
    with qtbot.waitSignal(window.record_opened, timeout=10_000) as opened:
        unlock(qtbot, window, PASSPHRASE)
    filler = opened.args[0]
    settle(qtbot, filler)
    assert filler._shown_key == "consent"
    qtbot.keyClick(filler, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.home.records_model.rowCount() == 1, timeout=5000)

    home = window.home
    home.table.selectRow(0)
    asked: list[str] = []
    monkeypatch.setattr(confirm, "ask", lambda parent, title, text: asked.append(text) or True)
    qtbot.mouseClick(home.delete, Qt.MouseButton.LeftButton)
    assert asked
    qtbot.waitUntil(lambda: home.records_model.rowCount() == 0, timeout=5000)
    window.close()


def test_late_home_load_does_not_bring_back_a_deleted_draft(
        qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    """Home loads run in parallel: one started before a delete and finished after the
    delete's own load must not draw the deleted draft again."""
    import threading

    import ui.main_window as main_window

    create_profile(qtbot, window)
    filler = start_record(qtbot, window, "London QI baseline questionnaire")
    qtbot.keyClick(filler, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.home.records_model.rowCount() == 1, timeout=5000)

    real_load = main_window.load_home
    release = threading.Event()
    calls: list[int] = []

    def load(ctx: object) -> object:
        calls.append(1)
        result = real_load(ctx)  # type: ignore[arg-type]
        if len(calls) == 1:  # the old load: read before the delete, returns after
            release.wait(10)
        return result
    monkeypatch.setattr(main_window, "load_home", load)
    window.refresh_home()
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=5000)
    home = window.home
    home.table.selectRow(0)
    monkeypatch.setattr(confirm, "ask", lambda parent, title, text: True)
    qtbot.mouseClick(home.delete, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: home.records_model.rowCount() == 0, timeout=5000)
    release.set()
    qtbot.wait(300)  # the old load's result arrives and must be dropped
    assert home.records_model.rowCount() == 0
    window.close()


def test_home_filters(qtbot: QtBot, window: MainWindow) -> None:
    create_profile(qtbot, window)
    for title in ("London QI baseline questionnaire", "London QI stakeholder interview guide"):
        filler = start_record(qtbot, window, title)
        qtbot.keyClick(filler, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: window.stack.currentWidget() is window.home, timeout=5000)
    home = window.home
    qtbot.waitUntil(lambda: home.records_model.rowCount() == 2, timeout=5000)
    # The form chosen in the tree stays chosen after the record closes, and the table
    # shows its records (the form filter follows the tree).
    assert home.forms_view.currentIndex().data() == "London QI stakeholder interview guide"
    assert home.form_filter.currentText() == "London QI stakeholder interview guide"
    assert home.proxy.rowCount() == 1
    home.form_filter.setCurrentIndex(0)
    assert home.proxy.rowCount() == 2
    home.form_filter.setCurrentIndex(home.form_filter.findText(
        "London QI stakeholder interview guide"))
    assert home.proxy.rowCount() == 1
    home.form_filter.setCurrentIndex(0)
    home.status.setCurrentIndex(home.status.findData("finalised"))
    assert home.proxy.rowCount() == 0
    home.status.setCurrentIndex(0)
    qtbot.keyClicks(home.search, "interview")
    assert home.proxy.rowCount() == 1
    assert home.proxy.index(0, 0).data(RecordIdRole)
    # The one row left is selected: Enter in the search box opens it.
    assert home.selected() is not None
    with qtbot.waitSignal(home.open_record_requested, timeout=2000):
        qtbot.keyClick(home.search, Qt.Key.Key_Return)
    window.close()
