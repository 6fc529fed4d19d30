"""Typed answers, paths, validation of values, relevance and required/constraint checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from qi_capture.forms.session import AnswerError, GeoPoint

TYPES_FORM = """
| survey |                   |          |           |
|        | type              | name     | label     |
|        | text              | name     | Name      |
|        | integer           | age      | Age       |
|        | decimal           | weight   | Weight    |
|        | date              | dob      | Born      |
|        | time              | seen_at  | Seen at   |
|        | dateTime          | visit    | Visit     |
|        | select_one yn     | ok       | OK?       |
|        | select_multiple c | colours  | Colours   |
|        | rank c            | ranking  | Rank them |
|        | geopoint          | where    | Where     |
|        | acknowledge       | ack      | Agree     |
| choices |          |       |       |
|         | list_name| name  | label |
|         | yn       | yes   | Yes   |
|         | yn       | no    | No    |
|         | c        | red   | Red   |
|         | c        | green | Green |
|         | c        | blue  | Blue  |
"""


@pytest.mark.parametrize(
    ("path", "value", "typed", "stored"),
    [
        ("name", "Ada", "Ada", "Ada"),
        ("age", 42, 42, "42"),
        ("age", "42", 42, "42"),
        ("weight", Decimal("70.5"), Decimal("70.5"), "70.5"),
        ("weight", 70.25, Decimal("70.25"), "70.25"),
        ("weight", "3", Decimal("3"), "3"),
        ("dob", dt.date(2020, 3, 1), dt.date(2020, 3, 1), "2020-03-01"),
        ("dob", "2020-03-01", dt.date(2020, 3, 1), "2020-03-01"),
        ("seen_at", "10:15:00.000+01:00", dt.time.fromisoformat("10:15:00.000+01:00"),
         "10:15:00.000+01:00"),
        ("visit", dt.datetime(2021, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
         dt.datetime(2021, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "2021-01-02T03:04:05.000+00:00"),
        ("ok", "yes", "yes", "yes"),
        ("colours", ["red", "blue"], ["red", "blue"], "red blue"),
        ("colours", "red blue", ["red", "blue"], "red blue"),
        ("ranking", ["blue", "red", "green"], ["blue", "red", "green"], "blue red green"),
        ("where", (51.5, -0.12), GeoPoint(51.5, -0.12), "51.5 -0.12 0 0"),
        ("where", "51.5 -0.12", GeoPoint(51.5, -0.12), "51.5 -0.12 0 0"),
        ("ack", True, "OK", "OK"),
    ],
)
def test_typed_values_round_trip(make_form: Any, start: Any, path: str, value: object,
                                 typed: object, stored: str) -> None:
    session = start(make_form(TYPES_FORM))
    session.set(path, value)
    assert session.get(path) == typed
    assert session.raw(path) == stored


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("age", "abc", "whole number"),
        ("age", 1.5, "whole number"),
        ("age", True, "whole number"),
        ("weight", "heavy", "number"),
        ("dob", "2020-02-31", "date"),
        ("dob", 12, "date"),
        ("ok", "maybe", "not a choice"),
        ("colours", ["red", "purple"], "not a choice"),
        ("colours", ["red", "red"], "at most once"),
        ("where", "north", "latitude"),
        ("where", (91, 0), "latitude"),
    ],
)
def test_wrong_values_are_refused_and_change_nothing(make_form: Any, start: Any, path: str,
                                                     value: object, expected: str) -> None:
    session = start(make_form(TYPES_FORM))
    before = session.to_state()
    with pytest.raises(AnswerError) as info:
        session.set(path, value)
    assert expected in str(info.value)
    assert session.to_state() == before


def test_empty_values_clear(make_form: Any, start: Any) -> None:
    session = start(make_form(TYPES_FORM))
    session.set("age", 3)
    session.set("age", None)
    assert session.get("age") is None
    session.set("colours", ["red"])
    session.set("colours", [])
    assert session.get("colours") is None


def test_unknown_paths_are_named(make_form: Any, start: Any) -> None:
    session = start(make_form(TYPES_FORM))
    with pytest.raises(AnswerError, match="no field 'nope'"):
        session.set("nope", 1)
    with pytest.raises(AnswerError, match="not a name"):
        session.get("age[x]")


RELEVANCE_FORM = """
| survey |             |        |              |                     |                    |                          |
|        | type        | name   | label        | relevant            | required           | constraint               |
|        | integer     | age    | Age          |                     | yes                | . >= 0 and . < 130       |
|        | begin group | adult  | Adult        | ${age} >= 18        |                    |                          |
|        | text        | job    | Job          |                     | yes                |                          |
|        | begin group | inner  | Inner        | ${job} != 'none'    |                    |                          |
|        | integer     | years  | Years in job |                     | ${job} = 'doctor'  | . <= ${age}              |
|        | end group   |        |              |                     |                    |                          |
|        | end group   |        |              |                     |                    |                          |
"""


def test_relevance_required_and_constraints(make_form: Any, start: Any) -> None:
    session = start(make_form(RELEVANCE_FORM))
    assert {i.path for i in session.errors()} == {"age"}
    issue = session.set("age", 200)
    assert issue is not None and issue.kind == "constraint"
    session.set("age", 40)
    assert session.is_relevant("job")
    assert [i.path for i in session.errors()] == ["adult/job"]
    session.set("job", "doctor")
    assert session.is_relevant("adult/inner/years")
    assert session.is_required("years")
    issue = session.set("years", 50)
    assert issue is not None and issue.kind == "constraint"
    session.set("years", 10)
    assert session.errors() == []
    # Leaving adulthood hides the group: its answers stay but stop counting.
    session.set("age", 10)
    assert not session.is_relevant("years")
    assert session.errors() == []
    assert session.raw("years") == "10"
    assert "adult" not in session.to_submission()["data"]
    session.set("age", 30)
    assert session.get("years") == 10
    assert session.to_submission()["data"]["adult"]["inner"]["years"] == "10"


def test_constraint_and_required_messages_are_translated(make_form: Any, start: Any) -> None:
    form = make_form("""
    | survey |         |      |                  |                  |            |                              |                              |                         |                         |
    |        | type    | name | label::English (en) | label::French (fr) | constraint | constraint_message::English (en) | constraint_message::French (fr) | required | required_message::French (fr) |
    |        | integer | n    | Number           | Nombre           | . > 5      | Too small                    | Trop petit                   | yes      | Obligatoire             |
    | settings |                  |
    |          | default_language |
    |          | English (en)     |
    """)
    session = start(form)
    assert session.language == "English (en)"
    assert session.label("n") == "Number"
    issue = session.set("n", 1)
    assert issue is not None and issue.message == "Too small"
    session.set_language("French (fr)")
    assert session.label("n") == "Nombre"
    assert session.issue("n") is not None
    assert session.issue("n").message == "Trop petit"  # type: ignore[union-attr]
    session.set("n", None)
    assert session.errors()[0].message == "Obligatoire"
    with pytest.raises(AnswerError, match="no language"):
        session.set_language("Klingon")
