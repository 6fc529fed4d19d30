"""Calculations, defaults, once(), triggers, read_only and metadata."""

from __future__ import annotations

from typing import Any

import pytest

from qi_capture.forms.session import AnswerError, ValueChanged


def test_calculation_chain_updates_incrementally(make_form: Any, start: Any) -> None:
    form = make_form("""
    | survey |           |        |       |                          |
    |        | type      | name   | label | calculation              |
    |        | integer   | a      | A     |                          |
    |        | integer   | b      | B     |                          |
    |        | calculate | total  |       | coalesce(${a},0) + coalesce(${b},0) |
    |        | calculate | twice  |       | ${total} * 2             |
    |        | calculate | ratio  |       | ${a} div ${b}            |
    |        | note      | show   | Total is ${total} |               |
    """)
    session = start(form)
    assert session.get("total") == "0"
    session.set("a", 2)
    session.set("b", 3)
    assert session.get("total") == "5"
    assert session.get("twice") == "10"
    assert session.get("ratio") == "0.6666666666666666"
    assert session.label("show") == "Total is 5"
    session.set("b", None)
    # a div '' is NaN, which a calculation stores as empty (FORMS.md section 7).
    assert session.get("ratio") is None
    with pytest.raises(AnswerError, match="calculated"):
        session.set("total", 3)


def test_integer_calculation_truncates_and_date_arithmetic(make_form: Any, start: Any) -> None:
    form = make_form("""
    | survey |           |          |          |                           |
    |        | type      | name     | label    | calculation               |
    |        | date      | dob      | Born     |                           |
    |        | date      | dod      | Died     |                           |
    |        | calculate | days     |          | ${dod} - ${dob}           |
    |        | integer   | years    | Years    | int(${days} div 365.25)   |
    """)
    session = start(form)
    session.set("dob", "1998-01-01")
    session.set("dod", "2018-01-01")
    assert session.get("days") == "7305"
    assert session.get("years") == 20


def test_static_and_dynamic_defaults_and_once(make_form: Any, start: Any) -> None:
    form = make_form("""
    | survey |           |        |        |              |                    |
    |        | type      | name   | label  | default      | calculation        |
    |        | integer   | n      | N      | 5            |                    |
    |        | date      | when   | When   | today()      |                    |
    |        | calculate | pick   |        |              | once(random())     |
    """)
    session = start(form)
    assert session.get("n") == 5
    assert str(session.get("when")) == "2024-03-01"
    assert session.get("pick") == "0.25"
    session.random_source = lambda: 0.75
    session.set("n", 6)
    assert session.get("pick") == "0.25"  # once() keeps its first value


def test_trigger_recalculates_only_when_its_field_changes(make_form: Any, start: Any) -> None:
    form = make_form("""
    | survey |         |          |        |                   |           |
    |        | type    | name     | label  | calculation       | trigger   |
    |        | integer | a        | A      |                   |           |
    |        | integer | b        | B      |                   |           |
    |        | integer | copy     | Copy   | ${b} * 10         | ${a}      |
    |        | text    | cleared  | Clear  |                   | ${a}      |
    """)
    session = start(form)
    session.set("b", 2)
    assert session.get("copy") is None
    session.set("cleared", "x")
    session.set("a", 1)
    assert session.get("copy") == 20
    assert session.get("cleared") is None
    session.set("b", 3)
    assert session.get("copy") == 20  # b is not the trigger
    session.set("copy", 7)  # a triggered field stays editable
    assert session.get("copy") == 7


def test_read_only(make_form: Any, start: Any) -> None:
    form = make_form("""
    | survey |         |      |       |           |         |
    |        | type    | name | label | read_only | default |
    |        | integer | a    | A     | yes       | 3       |
    """)
    session = start(form)
    assert session.is_read_only("a")
    with pytest.raises(AnswerError, match="read-only"):
        session.set("a", 4)
    assert session.get("a") == 3


def test_metadata_is_filled(make_form: Any, start: Any) -> None:
    from qi_capture.forms.session import SessionEnvironment

    form = make_form("""
    | survey |          |          |       |
    |        | type     | name     | label |
    |        | start    | started  |       |
    |        | end      | ended    |       |
    |        | today    | day      |       |
    |        | deviceid | device   |       |
    |        | username | user     |       |
    |        | text     | q        | Q     |
    | settings |                  |
    |          | instance_name    |
    |          | concat('Q-', ${q}) |
    """)
    session = start(form, environment=SessionEnvironment(device_id="dev-1", username="ann"))
    assert session.raw("started").startswith("2024-03-01T09:30:00")
    assert session.raw("day") == "2024-03-01"
    assert session.raw("device") == "dev-1"
    assert session.raw("user") == "ann"
    assert session.instance_id.startswith("uuid:")
    session.set("q", "x")
    sub = session.to_submission(finalise=True)
    assert sub["meta"]["instanceName"] == "Q-x"
    assert sub["meta"]["instanceID"] == session.instance_id
    assert sub["data"]["ended"].startswith("2024-03-01T09:30:00")


def test_value_changed_events_carry_old_and_new(make_form: Any, start: Any) -> None:
    form = make_form("""
    | survey |           |      |       |             |
    |        | type      | name | label | calculation |
    |        | integer   | a    | A     |             |
    |        | calculate | c    |       | ${a} + 1    |
    """)
    session = start(form)
    seen: list[ValueChanged] = []
    session.subscribe(lambda e: seen.append(e) if isinstance(e, ValueChanged) else None)
    session.set("a", 1)
    session.set("a", 1)  # no change, no event
    assert [(e.path, e.old, e.new) for e in seen] == [("a", "", "1"), ("c", "", "2")]
