"""Repeats: add/insert/remove, repeat_count, nested repeats, cross-instance calculations."""

from __future__ import annotations

from typing import Any

import pytest

from qi_capture.forms.session import AnswerError, FormSession, RepeatAdded

HOUSEHOLD = """
| survey |              |           |            |                                   |
|        | type         | name      | label      | calculation                       |
|        | begin repeat | household | Household  |                                   |
|        | integer      | size      | Size       |                                   |
|        | calculate    | pos       |            | position(..)                      |
|        | begin repeat | member    | Member     |                                   |
|        | text         | mname     | Name       |                                   |
|        | integer      | mage      | Age        |                                   |
|        | calculate    | older     |            | ${mage} > ${size}                 |
|        | end repeat   |           |            |                                   |
|        | calculate    | members   |            | count(${member})                  |
|        | end repeat   |           |            |                                   |
|        | calculate    | total     |            | sum(${size})                      |
|        | calculate    | hh        |            | count(${household})               |
|        | calculate    | second    |            | indexed-repeat(${size}, ${household}, 2) |
"""


def test_repeat_instances_and_aggregates(make_form: Any, start: Any) -> None:
    session = start(make_form(HOUSEHOLD))
    assert session.repeat_count("household") == 1
    session.set("household[1]/size", 3)
    assert session.add_repeat("household") == "household[2]"
    session.set("household[2]/size", 4)
    assert session.get("total") == "7"
    assert session.get("hh") == "2"
    assert session.get("second") == "4"
    assert session.get("household[2]/pos") == "2"
    session.insert_repeat("household", 1)
    assert session.get("household[2]/size") == 3
    assert session.get("household[3]/pos") == "3"
    assert session.get("hh") == "3"
    assert session.get("second") == "3"
    session.remove_repeat("household", 1)
    assert session.get("household[1]/size") == 3
    assert session.get("household[1]/pos") == "1"
    assert session.get("total") == "7"
    assert session.get("hh") == "2"


def test_nested_repeats_resolve_to_the_same_instance(make_form: Any, start: Any) -> None:
    session = start(make_form(HOUSEHOLD))
    session.add_repeat("household")
    session.set("household[1]/size", 30)
    session.set("household[2]/size", 5)
    # A new household holds no member until one is added (ODK copies the template).
    assert session.repeat_count("household[2]/member") == 0
    assert session.get("household[2]/members") == "0"
    assert session.add_repeat("household[2]/member") == "household[2]/member[1]"
    session.set("household[2]/member[1]/mname", "Bo")
    session.set("household[2]/member[1]/mage", 10)
    session.add_repeat("household[2]/member")
    session.set("household[2]/member[2]/mage", 3)
    # ${size} inside member means the size of the enclosing household.
    assert session.get("household[2]/member[1]/older") == "true"
    assert session.get("household[2]/member[2]/older") == "false"
    assert session.get("household[2]/members") == "2"
    assert session.get("household[1]/members") == "1"
    session.set("household[2]/size", 2)
    assert session.get("household[2]/member[2]/older") == "true"


def test_repeat_paths_are_checked(make_form: Any, start: Any) -> None:
    session = start(make_form(HOUSEHOLD))
    with pytest.raises(AnswerError, match="say which instance"):
        session.set("size", 2)
    with pytest.raises(AnswerError, match="no 'household\\[5\\]'"):
        session.set("household[5]/size", 2)
    with pytest.raises(AnswerError, match="there is no instance 3"):
        session.remove_repeat("household", 3)


COUNTED = """
| survey |              |        |        |              |
|        | type         | name   | label  | repeat_count |
|        | integer      | n      | N      |              |
|        | begin repeat | child  | Child  | ${n}         |
|        | text         | cname  | Name   |              |
|        | end repeat   |        |        |              |
"""


def test_repeat_count_grows_and_shrinks_without_losing_answers(make_form: Any,
                                                               start: Any) -> None:
    session = start(make_form(COUNTED))
    assert session.repeat_count("child") == 0
    session.set("n", 3)
    assert session.repeat_count("child") == 3
    session.set("child[2]/cname", "Kit")
    session.set("n", 1)
    # Instance 3 was empty and goes; instance 2 holds an answer and stays until the
    # caller removes it.
    assert session.repeat_count("child") == 2
    assert session.surplus_instances("child") == 1
    session.remove_repeat("child", 2)
    assert session.repeat_count("child") == 1
    with pytest.raises(AnswerError, match="repeat count"):
        session.add_repeat("child")


def test_sum_over_many_instances(make_form: Any, start: Any) -> None:
    session = start(make_form("""
    | survey |              |      |       |             |
    |        | type         | name | label | calculation |
    |        | begin repeat | r    | R     |             |
    |        | integer      | v    | V     |             |
    |        | end repeat   |      |       |             |
    |        | calculate    | s    |       | sum(${v})   |
    """))
    for i in range(1, 51):
        if i > 1:
            session.add_repeat("r")
        session.set(f"r[{i}]/v", i)
    assert session.get("s") == str(sum(range(1, 51)))


def test_readers_of_a_whole_repeat_follow_values_and_counts(make_form: Any, start: Any) -> None:
    session = start(make_form("""
    | survey |              |       |       |                        |
    |        | type         | name  | label | calculation            |
    |        | begin repeat | pet   | Pet   |                        |
    |        | text         | kind  | Kind  |                        |
    |        | end repeat   |       |       |                        |
    |        | calculate    | n     |       | count(${pet})          |
    |        | calculate    | all   |       | join('+', ${pet})      |
    """))
    session.set("pet[1]/kind", "cat")
    assert (session.get("n"), session.get("all")) == ("1", "cat")
    session.add_repeat("pet")
    session.set("pet[2]/kind", "dog")
    # join() reads the instances' values; count() only how many there are.
    assert (session.get("n"), session.get("all")) == ("2", "cat+dog")
    session.remove_repeat("pet", 1)
    assert (session.get("n"), session.get("all")) == ("1", "dog")


NESTED = """
| survey |              |           |           |                   |
|        | type         | name      | label     | repeat_count      |
|        | begin repeat | household | Household |                   |
|        | integer      | size      | Size      |                   |
|        | begin repeat | member    | Member    |                   |
|        | text         | mname     | Name      |                   |
|        | end repeat   |           |           |                   |
|        | begin repeat | room      | Room      | 2                 |
|        | text         | rname     | Room name |                   |
|        | end repeat   |           |           |                   |
|        | begin repeat | child     | Child     | ${size}           |
|        | text         | cname     | Child     |                   |
|        | end repeat   |           |           |                   |
|        | end repeat   |           |           |                   |
"""


def test_a_new_outer_instance_holds_no_nested_instance(make_form: Any, start: Any) -> None:
    """As in ODK Collect: the first load has one instance of each repeat, nested ones
    too (pyxform writes it into the form); an instance added later is a copy of the
    template, with no instance of a nested repeat unless its count asks for some."""
    session = start(make_form(NESTED))
    assert session.repeat_count("household[1]/member") == 1
    added: list[str] = []
    session.subscribe(lambda e: added.append(e.path) if isinstance(e, RepeatAdded) else None)
    assert session.add_repeat("household") == "household[2]"
    assert session.repeat_count("household[2]/member") == 0
    assert session.repeat_count("household[2]/room") == 2  # a fixed count still applies
    assert session.repeat_count("household[2]/child") == 0  # ${size} is still empty
    assert added == ["household[2]", "household[2]/room[1]", "household[2]/room[2]"]
    session.set("household[2]/size", 1)
    assert session.repeat_count("household[2]/child") == 1
    # No blank member is submitted for the new household.
    household = session.to_submission()["data"]["household"]
    assert household[0]["member"] == [{"mname": ""}]
    assert household[1]["member"] == []
    assert household[1]["room"] == [{"rname": ""}, {"rname": ""}]
    assert household[1]["child"] == [{"cname": ""}]
    # Its member repeat is offered for adding, and a draft keeps it empty.
    screens = [s.key for s in session.screens()]
    assert "household[2]/member/*" in screens
    assert not any(key.startswith("household[2]/member[") for key in screens)
    again = FormSession.from_submission(session.form, session.to_state())
    assert again.repeat_count("household[2]/member") == 0
    assert again.to_submission()["data"] == session.to_submission()["data"]
    session.add_repeat("household[2]/member")
    session.set("household[2]/member[1]/mname", "Ann")
    assert session.to_submission()["data"]["household"][1]["member"] == [{"mname": "Ann"}]


def test_jumping_to_an_added_instance(make_form: Any, start: Any) -> None:
    session = start(make_form(NESTED))
    path = session.add_repeat("household")
    # add_repeat's path is the instance; its first screen is the first question in it.
    assert session.go_to(path).key == "household[2]/size"
    with pytest.raises(AnswerError):
        session.go_to("household[3]")


def test_ensure_instances_through_new_outer_instances(make_form: Any, start: Any) -> None:
    session = start(make_form(NESTED))
    session.ensure_instances("household[3]/member[2]/mname")
    assert session.repeat_count("household") == 3
    assert [session.repeat_count(f"household[{i}]/member") for i in (1, 2, 3)] == [1, 0, 2]
    session.set("household[3]/member[2]/mname", "Bo")
    assert session.get("household[3]/member[2]/mname") == "Bo"
