"""Every editor type: a value typed or clicked in the widget reaches the session as the
stored text, and the stored text shown again in a fresh editor reads back the same."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QRadioButton
from pytestqt.qtbot import QtBot

from qi_capture.forms import Form, load_form
from qi_capture.forms.session import FormSession
from qi_capture.services.screen_reader import question_value
from tests.ui.helpers import click
from ui.widgets.editors import EDITORS, Editor, editor_for
from ui.widgets.editors.choices import RankEditor, SelectMultipleEditor, SelectOneEditor
from ui.widgets.editors.misc import (
    AcknowledgeEditor,
    AttachmentEditor,
    CalculatedEditor,
    GeopointEditor,
    RangeEditor,
)
from ui.widgets.editors.text import TextEditor
from ui.widgets.editors.when import DateEditor, DateTimeEditor, TimeEditor

FORM = """
| survey |                   |          |              |            |                         |             |
|        | type              | name     | label        | appearance | parameters              | calculation |
|        | text              | t        | Text         |            |                         |             |
|        | text              | tm       | Long text    | multiline  |                         |             |
|        | integer           | i        | Integer      |            |                         |             |
|        | decimal           | d        | Decimal      |            |                         |             |
|        | range             | r        | Range        |            | start=0 end=10 step=2   |             |
|        | date              | dt       | Date         |            |                         |             |
|        | time              | tt       | Time         |            |                         |             |
|        | dateTime          | dtt      | Date time    |            |                         |             |
|        | select_one yn     | s1       | One          |            |                         |             |
|        | select_one yn     | s1m      | One minimal  | minimal    |                         |             |
|        | select_one agree  | s1l      | One likert   | likert     |                         |             |
|        | select_multiple c | sm       | Many         |            |                         |             |
|        | rank c            | rk       | Rank         |            |                         |             |
|        | note              | n        | A note       |            |                         |             |
|        | acknowledge       | ack      | Acknowledge  |            |                         |             |
|        | geopoint          | g        | Where        |            |                         |             |
|        | image             | img      | Photo        |            |                         |             |
|        | calculate         | calc     | Twice i      |            |                         | ${i} * 2    |
| choices |           |          |          |
|         | list_name | name     | label    |
|         | yn        | yes      | Yes      |
|         | yn        | no       | No       |
|         | agree     | a1       | Disagree |
|         | agree     | a2       | Neutral  |
|         | agree     | a3       | Agree    |
|         | c         | red      | Red      |
|         | c         | green    | Green    |
|         | c         | blue     | Blue     |
"""


@pytest.fixture(scope="module")
def form(tmp_path_factory: pytest.TempPathFactory) -> Form:
    path = tmp_path_factory.mktemp("forms") / "types.md"
    path.write_text(textwrap.dedent(FORM), encoding="utf-8")
    return load_form(path)


def make(qtbot: QtBot, session: FormSession, name: str) -> Editor:
    question = question_value(session, name)
    editor = editor_for(question)
    editor.set_choices(list(question.choices)) if question.has_choices else None
    qtbot.addWidget(editor)
    editor.show()
    return editor


def round_trip(qtbot: QtBot, session: FormSession, name: str, editor: Editor,
               expected: str) -> None:
    assert editor.problem() is None
    assert editor.value() == expected
    session.set(name, editor.value())
    assert session.raw(name) == expected
    again = make(qtbot, session, name)
    with qtbot.assertNotEmitted(again.value_changed):
        again.set_value(session.raw(name))
    assert again.value() == expected


@pytest.mark.parametrize(("name", "keys", "expected"), [
    ("t", "Ward 7 huddle", "Ward 7 huddle"),
    ("i", "-42", "-42"),
    ("d", "3,25", "3.25"),
    ("dt", "2025-03-31", "2025-03-31"),
])
def test_typed_editors(qtbot: QtBot, form: Form, name: str, keys: str, expected: str) -> None:
    session = form.new_session()
    editor = make(qtbot, session, name)
    with qtbot.waitSignal(editor.value_changed):
        qtbot.keyClicks(editor.focus_widget(), keys)
    round_trip(qtbot, session, name, editor, expected)


def test_integer_refuses_letters(qtbot: QtBot, form: Form) -> None:
    editor = make(qtbot, form.new_session(), "i")
    qtbot.keyClicks(editor.focus_widget(), "12ab3")
    assert editor.value() == "123"


def test_multiline_text_keeps_enter_and_commits_on_ctrl_enter(qtbot: QtBot, form: Form) -> None:
    session = form.new_session()
    editor = make(qtbot, session, "tm")
    assert isinstance(editor, TextEditor) and editor.box is not None
    qtbot.keyClicks(editor.box, "line one")
    with qtbot.assertNotEmitted(editor.committed):
        qtbot.keyClick(editor.box, Qt.Key.Key_Return)
    qtbot.keyClicks(editor.box, "line two")
    with qtbot.waitSignal(editor.committed):
        qtbot.keyClick(editor.box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    round_trip(qtbot, session, "tm", editor, "line one\nline two")


def test_single_line_enter_commits(qtbot: QtBot, form: Form) -> None:
    editor = make(qtbot, form.new_session(), "t")
    with qtbot.waitSignal(editor.committed):
        qtbot.keyClick(editor.focus_widget(), Qt.Key.Key_Return)


def test_date_incomplete_is_a_problem_not_a_value(qtbot: QtBot, form: Form) -> None:
    editor = make(qtbot, form.new_session(), "dt")
    assert isinstance(editor, DateEditor)
    qtbot.keyClicks(editor.focus_widget(), "2025-13")
    assert editor.value() == ""
    assert editor.problem()


def test_time_editor(qtbot: QtBot, form: Form) -> None:
    session = form.new_session()
    editor = make(qtbot, session, "tt")
    assert isinstance(editor, TimeEditor)
    qtbot.keyClicks(editor.time, "14:30")
    round_trip(qtbot, session, "tt", editor, "14:30:00.000")


def test_datetime_editor(qtbot: QtBot, form: Form) -> None:
    session = form.new_session()
    editor = make(qtbot, session, "dtt")
    assert isinstance(editor, DateTimeEditor)
    qtbot.keyClicks(editor.date.line, "2025-03-31")
    assert editor.problem()  # the time is still missing
    qtbot.keyClicks(editor.time, "09:15")
    value = editor.value()
    assert value.startswith("2025-03-31T09:15:00.000")
    round_trip(qtbot, session, "dtt", editor, value)


def test_range_slider_with_the_keyboard(qtbot: QtBot, form: Form) -> None:
    session = form.new_session()
    editor = make(qtbot, session, "r")
    assert isinstance(editor, RangeEditor)
    assert editor.value() == ""  # unset until moved
    with qtbot.waitSignal(editor.value_changed):
        qtbot.keyClick(editor.slider, Qt.Key.Key_Right)
    with qtbot.waitSignal(editor.value_changed):
        qtbot.keyClick(editor.slider, Qt.Key.Key_Right)
    round_trip(qtbot, session, "r", editor, "4")


def test_select_one_radio_buttons(qtbot: QtBot, form: Form) -> None:
    session = form.new_session()
    editor = make(qtbot, session, "s1")
    assert isinstance(editor, SelectOneEditor)
    no = next(b for b in editor.findChildren(QRadioButton) if b.text() == "No")
    with qtbot.waitSignal(editor.value_changed):
        click(qtbot, no)
    round_trip(qtbot, session, "s1", editor, "no")
    with qtbot.waitSignal(editor.value_changed):
        qtbot.mouseClick(editor._clear, Qt.MouseButton.LeftButton)
    assert editor.value() == ""


def test_select_one_minimal_is_a_drop_down(qtbot: QtBot, form: Form) -> None:
    session = form.new_session()
    editor = make(qtbot, session, "s1m")
    combo = editor.findChild(QComboBox)
    assert combo is not None and not editor.findChildren(QRadioButton)
    combo.setFocus()
    with qtbot.waitSignal(editor.value_changed):
        qtbot.keyClick(combo, Qt.Key.Key_Down)
        combo.activated.emit(combo.currentIndex())  # offscreen: keys move, popup absent
    round_trip(qtbot, session, "s1m", editor, "yes")


def test_select_one_likert_is_one_row(qtbot: QtBot, form: Form) -> None:
    session = form.new_session()
    editor = make(qtbot, session, "s1l")
    buttons = editor.findChildren(QRadioButton)
    assert len({b.y() for b in buttons}) == 1  # a row
    with qtbot.waitSignal(editor.value_changed):
        click(qtbot, buttons[2])
    round_trip(qtbot, session, "s1l", editor, "a3")


def test_select_multiple_check_boxes(qtbot: QtBot, form: Form) -> None:
    session = form.new_session()
    editor = make(qtbot, session, "sm")
    assert isinstance(editor, SelectMultipleEditor)
    boxes = {b.text(): b for b in editor.findChildren(QCheckBox)}
    click(qtbot, boxes["Blue"])
    click(qtbot, boxes["Red"])
    round_trip(qtbot, session, "sm", editor, "red blue")


def test_rank_with_buttons_and_keys(qtbot: QtBot, form: Form) -> None:
    session = form.new_session()
    editor = make(qtbot, session, "rk")
    assert isinstance(editor, RankEditor)
    editor.list.setCurrentRow(2)
    qtbot.mouseClick(editor.up, Qt.MouseButton.LeftButton)  # blue above green
    assert editor.order() == ["red", "blue", "green"]
    editor.list.setCurrentRow(0)
    qtbot.keyClick(editor.list, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    round_trip(qtbot, session, "rk", editor, "blue red green")


def test_acknowledge(qtbot: QtBot, form: Form) -> None:
    session = form.new_session()
    editor = make(qtbot, session, "ack")
    assert isinstance(editor, AcknowledgeEditor)
    click(qtbot, editor.box)
    round_trip(qtbot, session, "ack", editor, "OK")


def test_geopoint(qtbot: QtBot, form: Form) -> None:
    session = form.new_session()
    editor = make(qtbot, session, "g")
    assert isinstance(editor, GeopointEditor)
    qtbot.keyClicks(editor.lat, "51.5072")
    assert editor.problem()  # longitude missing
    qtbot.keyClicks(editor.lon, "-0.1276")
    round_trip(qtbot, session, "g", editor, "51.5072 -0.1276 0 0")
    editor.lat.setText("95")
    assert editor.problem() and editor.value() == ""


def test_attachment_announces_the_chosen_file(qtbot: QtBot, form: Form,
                                              tmp_path: Path) -> None:
    editor = make(qtbot, form.new_session(), "img")
    assert isinstance(editor, AttachmentEditor)
    picture = tmp_path / "ward.png"
    picture.write_bytes(b"\x89PNG")
    with qtbot.waitSignal(editor.file_chosen) as chosen:
        editor.choose_path(str(picture))
    assert chosen.args == [str(picture)]
    editor.set_value("ward.png")
    assert editor.value() == "ward.png" and "ward.png" in editor.name.text()


def test_calculation_is_shown_read_only(qtbot: QtBot, form: Form) -> None:
    session = form.new_session()
    session.set("i", 21)
    editor = make(qtbot, session, "calc")
    assert isinstance(editor, CalculatedEditor)
    editor.set_value(session.raw("calc"))
    assert editor.value() == "42" and editor.is_read_only()


def test_note_takes_no_answer(qtbot: QtBot, form: Form) -> None:
    editor = make(qtbot, form.new_session(), "n")
    assert editor.value() == ""


def test_registry_covers_every_type_the_engine_shows(form: Form) -> None:
    for element in form.fields():
        if element.type not in ("start", "end", "calculate", "hidden"):
            assert element.type in EDITORS, element.type
