"""An answer its constraint refuses is not yet an answer: progress does not count it and
a calculation shown on screen, or a label, that uses it (directly or through another
calculation) holds the figure back until it is corrected; pausing the clock stops the screen's timing."""

from __future__ import annotations

from typing import Any

from qi_capture.forms.session import QuestionEntered, QuestionLeft
from qi_capture.services.screen_reader import HELD_BACK_HINT, question_value

FORM = """
| survey   |           |         |                  |            |                        |
|          | type      | name    | label            | constraint | calculation            |
|          | integer   | age     | Age (years)      | . < 130    |                        |
|          | calculate | months  |                  |            | ${age} * 12            |
|          | integer   | shown   | Age in months    |            | ${months}              |
|          | note      | total   | In months: ${months} |        |                        |
|          | text      | note_in | Anything else?   |            |                        |
"""


def test_an_invalid_answer_is_not_counted_nor_shown_in_a_calculation(
        make_form: Any, start: Any) -> None:
    session = start(make_form(FORM))
    session.set("age", 40)
    assert session.progress() == (1, 2)
    shown = question_value(session, "shown")
    assert shown.value == "480" and shown.hint != HELD_BACK_HINT
    assert question_value(session, "total").label == "In months: 480"

    session.set("age", 400)  # refused by its constraint, kept to be corrected
    assert session.issue("age") is not None
    assert session.progress() == (0, 2)
    held = question_value(session, "shown")
    assert held.value == "" and held.hint == HELD_BACK_HINT
    assert question_value(session, "total").label == "In months: …"  # not 4800

    session.set("age", 41)
    assert session.progress() == (1, 2)
    assert question_value(session, "shown").value == "492"


def test_pausing_the_clock_stops_the_screen_timing(make_form: Any, start: Any) -> None:
    session = start(make_form(FORM))
    events: list[object] = []
    session.subscribe(events.append)
    session.go_to("age")
    session.pause_timing()
    assert isinstance(events[-1], QuestionLeft) and events[-1].path == "age"
    session.pause_timing()  # already paused: nothing more
    assert isinstance(events[-1], QuestionLeft) and len(events) == 2
    session.resume_timing()
    assert isinstance(events[-1], QuestionEntered) and events[-1].path == "age"
    session.resume_timing()  # already running: nothing more
    assert len(events) == 3
