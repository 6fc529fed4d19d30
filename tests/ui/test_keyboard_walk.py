"""A whole form filled and finalised with the keyboard alone: every key goes to the
widget that has focus, as a person who cannot use a mouse (or prefers not to) works.
Each screen puts focus on its first answer, Ctrl+Return moves on, Space and the arrow
keys pick choices, and Ctrl+Shift+F finalises."""

from __future__ import annotations

import textwrap

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from qi_capture.services import CoreContext
from qi_capture.services.filling import RecordFill
from tests.ui.helpers import settle
from ui.controller import RecordController
from ui.pages.form_filler import FormFiller
from ui.tasks import TaskRunner

FORM = textwrap.dedent("""
    | survey   |                    |          |                        |          |
    |          | type               | name     | label                  | required |
    |          | text               | org      | Organisation           | yes      |
    |          | integer            | staff    | Staff trained in QI    | yes      |
    |          | select_one yn      | lead     | Is there a QI lead?    | yes      |
    |          | select_multiple mm | methods  | Methods used           |          |
    |          | text               | notes    | Anything else?         |          |
    | choices  |                    |          |                        |          |
    |          | list_name          | name     | label                  |          |
    |          | yn                 | yes      | Yes                    |          |
    |          | yn                 | no       | No                     |          |
    |          | mm                 | pdsa     | PDSA cycles            |          |
    |          | mm                 | spc      | SPC charts             |          |
    |          | mm                 | lean     | Lean                   |          |
    | settings |                    |          |                        |          |
    |          | form_id            | version  |                        |          |
    |          | keyboard_walk      | 1        |                        |          |
""")

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def focused(qtbot: QtBot) -> QWidget:
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=3000)
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def press(
    qtbot: QtBot, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    qtbot.keyClick(focused(qtbot), key, modifiers)


def type_text(qtbot: QtBot, text: str) -> None:
    qtbot.keyClicks(focused(qtbot), text)


def next_question(qtbot: QtBot, filler: FormFiller) -> None:
    settle(qtbot, filler)
    press(qtbot, Qt.Key.Key_Return, CTRL)
    settle(qtbot, filler)


def test_a_form_filled_and_finalised_with_the_keyboard_alone(
    qtbot: QtBot, core: CoreContext, runner: TaskRunner
) -> None:
    added = core.studies.add_form_bytes(FORM.encode(), "keyboard_walk.md")
    record = core.records.create(added.form.id)
    filler = FormFiller(RecordController(RecordFill(record), runner), "Keyboard walk")
    qtbot.addWidget(filler)
    filler.resize(1200, 700)
    filler.show()
    filler.activateWindow()
    qtbot.waitExposed(filler)
    filler.start()
    settle(qtbot, filler)

    assert filler._shown_key == "org"
    type_text(qtbot, "Hilltop NHS Trust")
    next_question(qtbot, filler)
    assert filler._shown_key == "staff"
    type_text(qtbot, "42")
    next_question(qtbot, filler)
    assert filler._shown_key == "lead"
    press(qtbot, Qt.Key.Key_Space)  # the first choice has focus: pick it
    next_question(qtbot, filler)
    assert filler._shown_key == "methods"
    press(qtbot, Qt.Key.Key_Space)  # PDSA cycles
    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_Space)  # Lean
    next_question(qtbot, filler)
    assert filler._shown_key == "notes"
    type_text(qtbot, "All by keyboard")
    settle(qtbot, filler)
    press(qtbot, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)  # back: nothing lost
    settle(qtbot, filler)
    assert filler._shown_key == "methods"
    next_question(qtbot, filler)
    assert filler._shown_key == "notes"

    assert record.session.raw("org") == "Hilltop NHS Trust"
    assert record.session.raw("staff") == "42"
    assert record.session.raw("lead") == "yes"
    assert record.session.raw("methods") == "pdsa lean"
    assert record.session.raw("notes") == "All by keyboard"
    press(qtbot, Qt.Key.Key_F, CTRL | SHIFT)  # the review, its Finalise button focused
    qtbot.waitUntil(lambda: filler.review_dialog is not None
                    and filler.review_dialog.isVisible(), timeout=5000)
    with qtbot.waitSignal(filler.finalised, timeout=5000):
        press(qtbot, Qt.Key.Key_Return)
