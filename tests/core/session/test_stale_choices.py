"""A select answer its choice filter no longer offers is taken out, as ODK Collect does
(JavaRosa's ItemsetBinding drops selections missing from the re-filtered choice list; a
select_one is cleared, a select_multiple keeps the rest), with a ``ChoiceCleared``
paradata event; what reads the select is recomputed, and a cascade clears all the way
down. Non-relevant answers are kept (FORMS.md s8) and a restored record is not changed."""

from __future__ import annotations

from typing import Any

from qi_capture.forms.session import ChoiceCleared, FormSession, SessionEvent, ValueChanged

PLACES = """
| survey |                         |          |          |                                   |                      |                                |
|        | type                    | name     | label    | choice_filter                     | relevant             | calculation                    |
|        | select_one state        | state    | State    |                                   |                      |                                |
|        | select_one county       | county   | County   | state = ${state}                  |                      |                                |
|        | select_one city         | city     | City     | county = ${county}                |                      |                                |
|        | select_multiple county  | visited  | Visited  | state = ${state}                  |                      |                                |
|        | calculate               | n_visited|          |                                   |                      | count-selected(${visited})     |
|        | text                    | why      | Why?     |                                   | ${county} = 'brewster' |                              |
|        | calculate               | where    |          |                                   |                      | concat(${county}, '/', ${city}) |
| choices |           |            |            |            |            |
|         | list_name | name       | label      | state      | county     |
|         | state     | texas      | Texas      |            |            |
|         | state     | washington | Washington |            |            |
|         | county    | brewster   | Brewster   | texas      |            |
|         | county    | cameron    | Cameron    | texas      |            |
|         | county    | king       | King       | washington |            |
|         | city      | alpine     | Alpine     |            | brewster   |
|         | city      | marathon   | Marathon   |            | brewster   |
|         | city      | seattle    | Seattle    |            | king       |
"""


def _events(session: FormSession) -> list[SessionEvent]:
    seen: list[SessionEvent] = []
    session.subscribe(seen.append)
    return seen


def test_a_select_one_no_longer_offered_is_cleared(make_form: Any, start: Any) -> None:
    s = start(make_form(PLACES))
    s.set("state", "texas")
    s.set("county", "brewster")
    seen = _events(s)
    s.set("state", "washington")
    assert s.choices("county") == [("king", "King")]
    assert s.raw("county") == ""
    assert s.to_submission()["data"]["county"] == ""
    # One ValueChanged for the new value, one ChoiceCleared saying why.
    county = [e for e in seen if getattr(e, "path", None) == "county"]
    assert [(type(e), e.old, e.new) for e in county if isinstance(e, ValueChanged)] == [
        (ValueChanged, "brewster", "")]
    assert [e.choices for e in county if isinstance(e, ChoiceCleared)] == [("brewster",)]


def test_a_choice_still_offered_is_kept(make_form: Any, start: Any) -> None:
    s = start(make_form(PLACES))
    s.set("state", "texas")
    s.set("county", "cameron")
    s.set("visited", ["brewster", "cameron"])
    seen = _events(s)
    s.set("state", "texas")  # unchanged
    s.set("why", "x")  # a change the filters do not read
    assert (s.raw("county"), s.raw("visited")) == ("cameron", "brewster cameron")
    assert not [e for e in seen if isinstance(e, ChoiceCleared)]


def test_a_select_multiple_keeps_the_choices_still_offered(make_form: Any, start: Any) -> None:
    form = make_form("""
    | survey |                        |         |         |                            |
    |        | type                   | name    | label   | choice_filter              |
    |        | select_multiple state  | states  | States  |                            |
    |        | select_multiple county | visited | Visited | selected(${states}, state) |
    | choices |           |            |            |            |
    |         | list_name | name       | label      | state      |
    |         | state     | texas      | Texas      |            |
    |         | state     | washington | Washington |            |
    |         | county    | brewster   | Brewster   | texas      |
    |         | county    | king       | King       | washington |
    |         | county    | cameron    | Cameron    | texas      |
    """)
    s = start(form)
    s.set("states", ["texas", "washington"])
    s.set("visited", ["cameron", "king", "brewster"])
    seen = _events(s)
    s.set("states", ["texas"])
    # Only the choice no longer offered goes; the others keep their order.
    assert s.get("visited") == ["cameron", "brewster"]
    assert [e.choices for e in seen if isinstance(e, ChoiceCleared)] == [("king",)]
    s.set("states", [])
    assert s.get("visited") is None
    assert [e.choices for e in seen if isinstance(e, ChoiceCleared)][-1] == (
        "cameron", "brewster")


def test_the_clearing_cascades_and_what_reads_it_is_recomputed(make_form: Any,
                                                                start: Any) -> None:
    s = start(make_form(PLACES))
    s.set("state", "texas")
    s.set("county", "brewster")
    s.set("city", "marathon")
    s.set("visited", ["brewster", "cameron"])
    s.set("why", "dry")
    assert (s.get("where"), s.get("n_visited"), s.is_relevant("why")) == (
        "brewster/marathon", "2", True)
    seen = _events(s)
    s.set("state", "washington")
    # county is cleared, so city (filtered on county) is cleared too.
    assert (s.raw("county"), s.raw("city"), s.raw("visited")) == ("", "", "")
    assert [(e.path, e.choices) for e in seen if isinstance(e, ChoiceCleared)] == [
        ("county", ("brewster",)), ("visited", ("brewster", "cameron")),
        ("city", ("marathon",))]
    # Calculations and relevance that read the cleared answers follow.
    assert (s.get("where"), s.get("n_visited")) == ("/", "0")
    assert not s.is_relevant("why")
    assert "why" not in s.to_submission()["data"]


def test_a_non_relevant_select_keeps_its_answer_until_it_is_relevant_again(
        make_form: Any, start: Any) -> None:
    form = make_form("""
    | survey |                   |        |        |                  |                  |
    |        | type              | name   | label  | choice_filter    | relevant         |
    |        | select_one state  | state  | State  |                  |                  |
    |        | select_one yn     | known  | Known? |                  |                  |
    |        | begin group       | where  | Where  |                  | ${known} = 'yes' |
    |        | select_one county | county | County | state = ${state} |                  |
    |        | end group         |        |        |                  |                  |
    | choices |           |            |            |            |
    |         | list_name | name       | label      | state      |
    |         | yn        | yes        | Yes        |            |
    |         | yn        | no         | No         |            |
    |         | state     | texas      | Texas      |            |
    |         | state     | washington | Washington |            |
    |         | county    | brewster   | Brewster   | texas      |
    |         | county    | king       | King       | washington |
    """)
    s = start(form)
    s.set("known", "yes")
    s.set("state", "texas")
    s.set("county", "brewster")
    s.set("known", "no")
    s.set("state", "washington")
    assert s.raw("county") == "brewster"  # hidden, so kept (and not submitted)
    assert "where" not in s.to_submission()["data"]
    s.set("state", "texas")
    s.set("known", "yes")
    assert s.raw("county") == "brewster"  # offered again: nothing lost
    s.set("known", "no")
    s.set("state", "washington")
    s.set("known", "yes")  # relevant again, with a choice no longer offered
    assert s.raw("county") == ""


def test_selects_in_repeat_instances_are_checked_in_their_own_instance(
        make_form: Any, start: Any) -> None:
    form = make_form("""
    | survey |                   |        |        |                  |
    |        | type              | name   | label  | choice_filter    |
    |        | begin repeat      | trip   | Trip   |                  |
    |        | select_one state  | state  | State  |                  |
    |        | select_one county | county | County | state = ${state} |
    |        | end repeat        |        |        |                  |
    | choices |           |            |            |            |
    |         | list_name | name       | label      | state      |
    |         | state     | texas      | Texas      |            |
    |         | state     | washington | Washington |            |
    |         | county    | brewster   | Brewster   | texas      |
    |         | county    | king       | King       | washington |
    """)
    s = start(form)
    s.add_repeat("trip")
    for index in (1, 2):
        s.set(f"trip[{index}]/state", "texas")
        s.set(f"trip[{index}]/county", "brewster")
    s.set("trip[2]/state", "washington")
    assert (s.raw("trip[1]/county"), s.raw("trip[2]/county")) == ("brewster", "")


def test_a_select_of_repeat_answers_drops_an_answer_no_longer_given(make_form: Any,
                                                                    start: Any) -> None:
    form = make_form("""
    | survey |                     |        |        |
    |        | type                | name   | label  |
    |        | begin repeat        | member | Member |
    |        | text                | mname  | Name   |
    |        | end repeat          |        |        |
    |        | select_one ${mname} | head   | Head   |
    """)
    s = start(form)
    s.set("member[1]/mname", "Ann")
    s.add_repeat("member")
    s.set("member[2]/mname", "Bob")
    s.set("head", "Bob")
    s.set("member[2]/mname", "Rob")  # the answer 'Bob' is no longer offered
    assert s.raw("head") == ""
    s.set("head", "Ann")
    s.set("member[2]/mname", "Robert")
    assert s.raw("head") == "Ann"
    s.remove_repeat("member", 1)  # 'Ann' goes with her instance
    assert s.raw("head") == ""


def test_setting_and_restoring_never_clear(make_form: Any, start: Any) -> None:
    form = make_form(PLACES)
    s = start(form)
    # An answer is set as given, in any order (the filter is re-checked when what it
    # reads changes, not when the select itself is answered).
    s.set("county", "brewster")
    assert s.raw("county") == "brewster"
    s.set("state", "texas")
    assert s.raw("county") == "brewster"  # offered now
    state = s.to_state()
    state["data"]["state"] = "washington"  # e.g. a record saved by an older version
    restored = FormSession.from_submission(form, state)
    assert restored.raw("county") == "brewster"  # opening a record never changes it
    restored.set("state", "texas")
    restored.set("state", "washington")
    assert restored.raw("county") == ""


def test_opening_a_stored_record_changes_no_answer(make_form: Any, start: Any) -> None:
    """Opening runs no listener yet, so a clearing then would go unrecorded: a record is
    opened as stored, and its selects are checked when what their filters read changes."""
    form = make_form("""
    | survey |                   |        |        |                  |             |
    |        | type              | name   | label  | choice_filter    | calculation |
    |        | select_one state  | state  | State  |                  |             |
    |        | calculate         | st     |        |                  | ${state}    |
    |        | select_one county | county | County | state = ${st}    |             |
    | choices |           |            |            |            |
    |         | list_name | name       | label      | state      |
    |         | state     | texas      | Texas      |            |
    |         | state     | washington | Washington |            |
    |         | county    | brewster   | Brewster   | texas      |
    """)
    # Saved inconsistent (by a version without clearing): recomputing st on opening
    # changes what the county filter reads, yet the county is kept.
    stored = {"form_id": form.form_id,
              "data": {"state": "washington", "st": "texas", "county": "brewster"}}
    session = FormSession.from_submission(form, stored)
    assert (session.raw("st"), session.raw("county")) == ("washington", "brewster")
    session.set("state", "texas")
    assert session.raw("county") == "brewster"
    session.set("state", "washington")
    assert session.raw("county") == ""


def test_a_filter_that_fails_to_evaluate_clears_nothing(make_form: Any, start: Any) -> None:
    form = make_form("""
    | survey |                   |        |        |                                  |
    |        | type              | name   | label  | choice_filter                    |
    |        | integer           | n      | N      |                                  |
    |        | select_one county | county | County | ${n} > 0 and date('2024-02-31') != '' |
    | choices |           |          |          |
    |         | list_name | name     | label    |
    |         | county    | brewster | Brewster |
    """)
    s = start(form)
    s.set("county", "brewster")
    s.set("n", 2)
    assert s.raw("county") == "brewster"
