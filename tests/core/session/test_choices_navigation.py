"""Choice filters, or_other, jr:choice-name, languages, screens and progress."""

from __future__ import annotations

from typing import Any

import pytest

from qi_capture.forms.session import AnswerError, QuestionEntered, QuestionLeft

CASCADE = """
| survey |                  |          |                 |                          |                    |
|        | type             | name     | label::English (en) | label::Français (fr) | choice_filter      |
|        | select_one region| region   | Region          | Région                   |                    |
|        | select_one city  | city     | City            | Ville                    | region = ${region} |
| choices |          |        |                 |                      |        |
|         | list_name| name   | label::English (en) | label::Français (fr) | region |
|         | region   | n      | North           | Nord                 |        |
|         | region   | s      | South           | Sud                  |        |
|         | city     | leeds  | Leeds           | Leeds                | n      |
|         | city     | york   | York            | York                 | n      |
|         | city     | exeter | Exeter          | Exeter               | s      |
"""


def test_cascading_select(make_form: Any, start: Any) -> None:
    session = start(make_form(CASCADE))
    assert session.choices("city") == []
    session.set("region", "n")
    assert session.choices("city") == [("leeds", "Leeds"), ("york", "York")]
    session.set("region", "s")
    assert session.choices("city") == [("exeter", "Exeter")]
    session.set_language("Français (fr)")
    assert session.choices("region") == [("n", "Nord"), ("s", "Sud")]


def test_choice_name_follows_language(make_form: Any, start: Any) -> None:
    form = make_form("""
    | survey |                 |      |                     |                      |                              |
    |        | type            | name | label::English (en) | label::Français (fr) | calculation                  |
    |        | select_one yn   | ok   | OK?                 | OK ?                 |                              |
    |        | calculate       | word |                     |                      | jr:choice-name(${ok}, '${ok}') |
    | choices |          |      |                     |                      |
    |         | list_name| name | label::English (en) | label::Français (fr) |
    |         | yn       | yes  | Yes                 | Oui                  |
    |         | yn       | no   | No                  | Non                  |
    """)
    session = start(form)
    session.set("ok", "yes")
    assert session.get("word") == "Yes"
    session.set_language("Français (fr)")
    assert session.get("word") == "Oui"


def test_itext_of_a_choice_list_item(make_form: Any, start: Any) -> None:
    form = make_form("""
    | survey |                |       |                     |                      |                                                                   |
    |        | type           | name  | label::English (en) | label::Français (fr) | calculation                                                       |
    |        | integer        | level | Level               | Niveau               |                                                                   |
    |        | calculate      | word  |                     |                      | jr:itext(instance('band')/root/item[name = ${level}]/itextId)      |
    | choices |          |      |                     |                      |
    |         | list_name| name | label::English (en) | label::Français (fr) |
    |         | band     | 1    | Low                 | Bas                  |
    |         | band     | 2    | High                | Haut                 |
    """)
    session = start(form)
    session.set("level", 2)
    assert session.get("word") == "High"
    session.set_language("Français (fr)")
    assert session.get("word") == "Haut"
    session.set("level", 9)
    assert session.get("word") is None


def test_or_other(make_form: Any, start: Any) -> None:
    form = make_form("""
    | survey |                          |        |           |
    |        | type                     | name   | label     |
    |        | select_one colour or_other | colour | Colour  |
    | choices |          |      |       |
    |         | list_name| name | label |
    |         | colour   | red  | Red   |
    """)
    session = start(form)
    assert [name for name, _ in session.choices("colour")] == ["red", "other"]
    session.set("colour", "other")
    assert session.is_relevant("colour_other")
    session.set("colour_other", "teal")
    session.set("colour", "red")
    assert not session.is_relevant("colour_other")


NAV = """
| survey |             |        |        |            |              |
|        | type        | name   | label  | relevant   | appearance   |
|        | integer     | a      | A      |            |              |
|        | text        | b      | B      | ${a} > 1   |              |
|        | begin group | page   | Page   |            | field-list   |
|        | text        | c      | C      |            |              |
|        | text        | d      | D      | ${a} > 5   |              |
|        | end group   |        |        |            |              |
|        | begin repeat| r      | R      |            |              |
|        | text        | e      | E      |            |              |
|        | end repeat  |        |        |            |              |
|        | hidden      | hidden |        |            |              |
|        | note        | bye    | Bye    |            |              |
"""


def test_screens_next_previous_jump_and_progress(make_form: Any, start: Any) -> None:
    session = start(make_form(NAV))
    events: list[object] = []
    session.subscribe(events.append)
    keys = [s.key for s in session.screens()]
    assert keys == ["a", "b", "page", "r[1]/e", "r/*", "bye"]
    assert session.current_screen().key == "a"
    assert session.next_screen().key == "page"  # b is not relevant yet
    session.set("a", 7)
    page = session.current_screen()
    assert page.fields == ("page/c", "page/d")
    assert session.previous_screen().key == "b"
    assert session.go_to("r[1]/e").key == "r[1]/e"
    assert session.next_screen().key == "r/*"
    session.add_repeat("r")
    assert session.next_screen().key == "bye"
    assert session.next_screen() is None
    answered, total = session.progress()
    assert (answered, total) == (1, 6)  # a answered; a, b, c, d, e x2 relevant
    assert any(isinstance(e, QuestionEntered) and e.path == "page" for e in events)
    left = [e for e in events if isinstance(e, QuestionLeft)]
    assert left and all(e.duration >= 0 for e in left)
    with pytest.raises(AnswerError, match="no screen"):
        session.go_to("nowhere")


def test_relevance_chain_five_groups_deep(make_form: Any, start: Any) -> None:
    rows = ["| survey | | | | |", "| | type | name | label | relevant |",
            "| | integer | gate | Gate | |"]
    for level in range(1, 6):
        rows.append(f"| | begin group | g{level} | G{level} | ${{gate}} >= {level} |")
    rows.append("| | text | deep | Deep | |")
    rows.extend(["| | end group | | | |"] * 5)
    rows.append("| | text | after | After | |")
    session = start(make_form("\n".join(rows)))
    for gate in range(0, 6):
        session.set("gate", gate)
        assert session.is_relevant("g1/g2/g3/g4/g5/deep") == (gate >= 5)


def test_cyclic_looking_but_valid_references(make_form: Any, start: Any) -> None:
    # a's relevance reads b, b's constraint reads a: no calculation cycle.
    form = make_form("""
    | survey |         |      |       |           |              |
    |        | type    | name | label | relevant  | constraint   |
    |        | integer | b    | B     |           | . != ${a}    |
    |        | integer | a    | A     | ${b} > 0  | . != ${b}    |
    """)
    session = start(form)
    session.set("b", 2)
    assert session.is_relevant("a")
    issue = session.set("a", 2)
    assert issue is not None and issue.kind == "constraint"
    assert session.set("a", 3) is None
