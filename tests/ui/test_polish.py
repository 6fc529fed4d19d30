"""The interviewer's app polish, point by point: focus, Enter, choices, errors, progress,
headings, repeats, home, first run, the study pack's check code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QRadioButton
from pytestqt.qtbot import QtBot

from qi_capture.services import CoreContext
from qi_capture.services.dto import short_fingerprint
from tests.ui.helpers import click_choice, settle, view
from tests.ui.test_form_filler_baseline import open_filler
from tests.ui.walks import choice_group_name
from ui.app import apply_style
from ui.pages.first_run import FirstRunPage
from ui.tasks import TaskRunner


def go(qtbot: QtBot, filler: object, key: str) -> None:
    filler.controller.go_to(key)  # type: ignore[attr-defined]
    settle(qtbot, filler)  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: filler._shown_key == key)  # type: ignore[attr-defined]


@pytest.fixture
def styled(qapp: QApplication) -> Iterator[None]:
    """The app's own style sheet, as the app runs (pytest-qt's application has none)."""
    apply_style(qapp)
    yield
    qapp.setStyleSheet("")


def test_enter_moves_on_from_a_note_and_focus_shows(qtbot: QtBot, core: CoreContext,
                                                    runner: TaskRunner, styled: None) -> None:
    filler = open_filler(qtbot, core, runner)
    assert filler._shown_key == "intro"
    assert filler.progress.text() == "No answers yet"  # not "0 of 1 answered"
    qtbot.waitUntil(lambda: filler.next_button.hasFocus())
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    settle(qtbot, filler)
    assert filler._shown_key == "consent"
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QRadioButton))
    focused = QApplication.focusWidget()
    # The focus is drawn (the style sheet's ring), however it got there.
    with_focus = focused.grab().toImage()
    filler.back_home.setFocus(Qt.FocusReason.MouseFocusReason)
    qtbot.waitUntil(lambda: not focused.hasFocus())
    assert focused.grab().toImage() != with_focus


def test_choices_named_compact_and_cleared_only_when_answered(
        qtbot: QtBot, core: CoreContext, runner: TaskRunner) -> None:
    filler = open_filler(qtbot, core, runner)
    filler.controller.set_answer("consent", "yes")
    go(qtbot, filler, "respondent")
    org_type = view(filler, "respondent/org_type")
    buttons = org_type.editor.findChildren(QRadioButton)
    assert buttons and choice_group_name(buttons[0]) == org_type.question.label
    clear = org_type.editor._clear  # type: ignore[attr-defined]
    assert not clear.isVisible()
    click_choice(qtbot, filler, "respondent/org_type", "Acute trust")
    assert clear.isVisible() and "Type of organisation" in clear.accessibleName()
    name = view(filler, "respondent/org_name").editor.focus_widget()
    assert isinstance(name, QLineEdit) and name.accessibleName()

    settle(qtbot, filler)
    go(qtbot, filler, "leadership")
    likert = next(v for v in filler.question_views() if "likert" in v.question.appearance)
    row = likert.editor.findChildren(QRadioButton)
    assert len(row) == 5
    span = row[-1].geometry().right() - row[0].geometry().left()
    assert span < filler.screen_area.viewport().width() * 0.8  # not spread edge to edge


def test_an_invalid_answer_is_marked_announced_and_not_counted(
        qtbot: QtBot, core: CoreContext, runner: TaskRunner) -> None:
    filler = open_filler(qtbot, core, runner)
    filler.controller.set_answer("consent", "yes")
    go(qtbot, filler, "qi_methods")
    before = filler.progress.value()
    click_choice(qtbot, filler, "qi_methods/methods", "Lean")
    settle(qtbot, filler)
    assert filler.progress.value() == before + 1
    click_choice(qtbot, filler, "qi_methods/methods", "No structured QI method in use")
    settle(qtbot, filler)
    question = view(filler, "qi_methods/methods")
    assert question.problem.isVisible()
    assert question.property("invalid") is True
    # The message is the control's description, for a screen reader.
    assert question.editor.focus_widget().accessibleDescription() == question.problem.text()
    assert filler.progress.value() == before  # an invalid answer is not an answer yet


def test_one_question_screen_names_its_group_and_repeat_asks(
        qtbot: QtBot, core: CoreContext, runner: TaskRunner) -> None:
    filler = open_filler(qtbot, core, runner)
    filler.controller.set_answer("consent", "yes")
    filler.controller.set_answer("projects/has_projects", "yes")
    go(qtbot, filler, "projects/qi_project/*")
    assert filler.add_question.text().startswith("Add another")
    qtbot.waitUntil(lambda: filler.add_button.hasFocus())
    qtbot.keyClick(filler.add_button, Qt.Key.Key_Return)
    settle(qtbot, filler)
    assert filler._instance is not None


def test_first_run_match_tick_and_show_toggle(qtbot: QtBot) -> None:
    page = FirstRunPage()
    qtbot.addWidget(page)
    page.show()
    height = page.findChild(type(page.message).__mro__[1], "card")
    before = height.geometry() if height is not None else None
    qtbot.keyClicks(page.passphrase, "copper kettle harbour 42")
    qtbot.keyClicks(page.confirm, "copper kettle harbour 4")
    assert page.match.text() == "" and page.message.isVisible()
    qtbot.keyClicks(page.confirm, "2")
    assert "match" in page.match.text() and not page.message.isVisible()
    if before is not None:
        assert height.geometry().top() == before.top()  # the card does not jump
    page.show_passphrase.setChecked(True)
    assert page.passphrase.echoMode() == QLineEdit.EchoMode.Normal
    page.clear()
    assert page.passphrase.echoMode() == QLineEdit.EchoMode.Password


def test_short_check_code() -> None:
    code = short_fingerprint("ed25519:f80735f4d42b8dc2" + "0" * 48)
    assert code == "F807-35F4-D42B-8DC2"


def test_the_interview_clock_pauses(qtbot: QtBot, core: CoreContext,
                                    runner: TaskRunner) -> None:
    from tests.ui.test_interview_and_finalise import open_interview

    filler = open_interview(qtbot, core, runner)
    record = filler.controller.record  # type: ignore[attr-defined]
    qtbot.wait(300)
    qtbot.mouseClick(filler.pause_button, Qt.MouseButton.LeftButton)
    settle(qtbot, filler)
    assert "(paused)" in filler.clock_label.text()
    assert filler.pause_button.text() == "Resume clock"
    held = filler.question_seconds()
    qtbot.wait(400)
    assert filler.question_seconds() == held  # no time runs while paused
    # The session's timing stopped too: the screen's time so far is written.
    kinds = [e.event.kind for e in core.records.paradata(record.record_id)]
    assert kinds[-1] == "question_left"
    assert filler.pause_action.shortcut().toString() == "Ctrl+Shift+K"
    # No other action of interview mode (the recording bar's among them) claims it.
    from PySide6.QtGui import QAction

    shortcuts = [a.shortcut().toString() for a in filler.findChildren(QAction)
                 if not a.shortcut().isEmpty()]
    assert len(shortcuts) == len(set(shortcuts)), sorted(shortcuts)
    filler.pause_action.trigger()
    settle(qtbot, filler)
    assert "(paused)" not in filler.clock_label.text()
    qtbot.wait(300)
    assert filler.question_seconds() > held
    kinds = [e.event.kind for e in core.records.paradata(record.record_id)]
    assert kinds[-1] == "question_entered"


def test_an_inactive_selection_is_muted(qtbot: QtBot, styled: None) -> None:
    """Only the list with the focus shows the bright selection colour."""
    from PySide6.QtCore import QStringListModel
    from PySide6.QtWidgets import QListView, QVBoxLayout, QWidget

    window = QWidget()
    qtbot.addWidget(window)
    layout = QVBoxLayout(window)
    lists = []
    for _ in range(2):
        view_ = QListView(window)
        view_.setModel(QStringListModel(["One", "Two"], view_))
        view_.setCurrentIndex(view_.model().index(0, 0))
        layout.addWidget(view_)
        lists.append(view_)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    lists[0].setFocus()
    qtbot.waitUntil(lists[0].hasFocus)

    def colour(view_: QListView) -> tuple[int, int, int]:
        rect = view_.visualRect(view_.model().index(0, 0))
        pixel = view_.viewport().grab().toImage().pixelColor(rect.right() - 4,
                                                             rect.center().y())
        return pixel.red(), pixel.green(), pixel.blue()

    assert colour(lists[1]) == (0xD8, 0xDD, 0xE0)  # muted
    assert colour(lists[0]) != colour(lists[1])


def test_a_filler_closed_before_its_focus_timer_fires_is_left_alone(
        qtbot: QtBot, core: CoreContext, runner: TaskRunner) -> None:
    """The focus on a new screen is set from a zero-time timer; a filler deleted before it
    fires (the record closed, the profile locked at that moment) cancels it rather than
    touching deleted buttons (a RuntimeError in the event loop before)."""
    import shiboken6
    from PySide6.QtWidgets import QWidget

    from qi_capture.services.filling import RecordFill
    from tests.ui.conftest import form_id
    from ui.controller import RecordController
    from ui.pages.form_filler import FormFiller

    holder = QWidget()  # what pytest-qt closes at the end; the filler goes before
    qtbot.addWidget(holder)
    controller = RecordController(RecordFill(core.records.create(form_id(core, "qi_baseline"))),
                                  runner)
    filler = FormFiller(controller, "QI baseline")
    filler.setParent(holder)
    holder.resize(1366, 700)
    holder.show()
    filler.start()
    settle(qtbot, filler)
    assert filler._shown_key == "intro"  # a note-only screen: the way-on button's focus
    qtbot.waitUntil(lambda: filler.next_button.hasFocus())
    next_button = filler.next_button
    filler._focus_first()  # the timer is armed again, and the filler goes before it fires
    shiboken6.delete(filler)
    assert not shiboken6.isValid(next_button)
    qtbot.wait(50)  # the timer's moment passes: nothing is called on deleted widgets
