"""Every main screen of the interviewer's app, at 1366x768 with 100%, 125% and 150% text:
each button is on the screen (or in a scroll area that is), dialogs fit above a taskbar,
no Alt+letter is claimed twice, and the accessibility tree has no unnamed control."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from pytestqt.qtbot import QtBot

from qi_capture.crypto.kdf import floor_params
from qi_capture.services import ProfileService
from tests.ui.conftest import PASSPHRASE
from tests.ui.helpers import settle
from tests.ui.walks import buttons_off_screen, mnemonic_clashes, unnamed_controls
from ui.main_window import MainWindow
from ui.pages.form_filler import FormFiller
from ui.screenshots import make_pack

SCREEN = QRect(0, 0, 1366, 768)
#: A dialog must fit above a 48 px taskbar, with its own 32 px title bar.
DIALOG_ROOM = QRect(0, 0, 1366, 768 - 48 - 32)


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_pack(tmp_path_factory.mktemp("pack"))


@pytest.fixture
def text_scale(request: pytest.FixtureRequest) -> Iterator[int]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.font()
    font = app.font()
    font.setPointSizeF(font.pointSizeF() * request.param / 100)
    app.setFont(font)
    yield request.param
    app.setFont(before)


def visit(qtbot: QtBot, tmp_path: Path, pack: Path,
          check: Callable[[str, QWidget, QRect], None]) -> None:
    """Drive the window through its screens, calling ``check`` on each."""
    window = MainWindow(ProfileService(tmp_path), create_options={"kdf": floor_params()})
    qtbot.addWidget(window)
    window.resize(SCREEN.size())
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.first_run)
    page = window.first_run
    page.name.setText("Alex Interviewer")
    page.passphrase.setText(PASSPHRASE)
    page.confirm.setText(PASSPHRASE)
    check("first run", window, SCREEN)
    with qtbot.waitSignal(window.unlocked, timeout=20_000):
        page.create_button.click()
    qtbot.waitUntil(lambda: window.home.forms_model.rowCount() > 0)
    check("home", window, SCREEN)

    window.home._on_start_clicked()
    qtbot.waitUntil(lambda: isinstance(window.filler, FormFiller)
                    and window.filler._shown_key is not None)
    filler = window.filler
    assert filler is not None
    assert window.status.text() == ""  # "Unlocked." belonged to the home screen
    check("questionnaire intro", window, SCREEN)
    ctl = filler.controller
    ctl.set_answer("consent", "yes")
    for key in ("respondent", "qi_methods", "leadership", "projects/qi_project/*"):
        ctl.go_to(key)
        settle(qtbot, filler)
        qtbot.waitUntil(lambda k=key: filler._shown_key == k)  # type: ignore[misc]
        check(f"questionnaire {key}", window, SCREEN)
    filler.finalise_action.trigger()
    qtbot.waitUntil(lambda: filler.review_dialog is not None
                    and filler.review_dialog.isVisible())
    review = filler.review_dialog
    assert review is not None
    check("finalise review", review, DIALOG_ROOM)
    review.reject()
    window.close_record()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.home)

    home = window.home
    home.forms_view.setCurrentIndex(
        home.forms_model.index(1, 0, home.forms_model.index(0, 0)))
    home._on_start_clicked()
    qtbot.waitUntil(lambda: window.filler is not None and window.filler is not filler
                    and window.filler._shown_key is not None)
    interview = window.filler
    assert interview is not None
    interview.controller.set_answer("consent", "yes")
    interview.controller.go_to("approach/approach_overview")
    settle(qtbot, interview)
    check("interview", window, SCREEN)
    window.close_record()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.home)

    dialog = window.open_pack_import()
    assert dialog is not None
    qtbot.keyClicks(dialog.path, str(pack))  # checked once typing pauses, no Enter
    qtbot.waitUntil(lambda: dialog.details.isVisible(), timeout=20_000)
    assert "check code" in dialog.signer.text()
    check("study pack", dialog, DIALOG_ROOM)
    dialog.close_button.click()
    laptop = window.open_laptop_dialog()
    assert laptop is not None
    check("about this laptop", laptop, DIALOG_ROOM)
    laptop.reject()
    sync = window.open_sync()
    assert sync is not None
    check("sync", sync, DIALOG_ROOM)
    sync.close_button.click()
    qtbot.waitUntil(lambda: not window.runner.pending_writes)

    window.lock("Locked.")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.unlock_page
                    and window.unlock_page.profile.count() > 0)
    check("unlock", window, SCREEN)
    window.close()


@pytest.mark.parametrize("text_scale", [100, 125, 150], indirect=True)
def test_every_button_is_on_the_screen(qtbot: QtBot, tmp_path: Path, pack: Path,
                                       text_scale: int) -> None:
    problems: list[str] = []
    seen: list[str] = []

    def check(name: str, widget: QWidget, room: QRect) -> None:
        qtbot.wait(30)  # layouts settle
        if isinstance(widget, QDialog):
            widget.adjustSize()
        seen.append(name)
        problems.extend(f"{name} at {text_scale}%: {p}"
                        for p in buttons_off_screen(widget, room))

    visit(qtbot, tmp_path, pack, check)
    assert len(seen) == 13
    assert not problems, "\n".join(problems)


def test_no_mnemonic_clashes_and_no_unnamed_controls(qtbot: QtBot, tmp_path: Path,
                                                      pack: Path) -> None:
    clashes: list[str] = []
    unnamed: list[str] = []

    def check(name: str, widget: QWidget, _room: QRect) -> None:
        qtbot.wait(30)
        clashes.extend(f"{name}: Alt+{key} {claims}"
                       for key, claims in mnemonic_clashes(widget).items())
        unnamed.extend(f"{name}: {u}" for u in unnamed_controls(widget))

    visit(qtbot, tmp_path, pack, check)
    assert not clashes, "\n".join(clashes)
    assert not unnamed, "\n".join(unnamed)


def test_the_walks_find_what_they_look_for(qtbot: QtBot) -> None:
    """The walks themselves: a clash, an unnamed button and a button off the screen are
    each found."""
    from PySide6.QtWidgets import QPushButton, QVBoxLayout

    box = QDialog()
    qtbot.addWidget(box)
    layout = QVBoxLayout(box)
    layout.addWidget(QPushButton("&Open", box))
    layout.addWidget(QPushButton("&Other", box))
    layout.addWidget(QPushButton("", box))
    box.resize(200, 900)
    box.show()
    qtbot.waitExposed(box)
    assert "o" in mnemonic_clashes(box)
    assert any("PushButton" in u for u in unnamed_controls(box))
    assert buttons_off_screen(box, QRect(0, 0, 300, 300))
    assert Qt.Key.Key_O  # the letter the clash is about
