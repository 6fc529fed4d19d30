"""Filling a ``begin loop over L``: one group per choice of ``L`` (FORMS.md s3), each
with its own answers, labels and relevance; submitted as pyxform's instance has it
(``loop/<choice>/<field>``)."""

from __future__ import annotations

from typing import Any

from qi_capture.forms.session import FormSession


def _form(make_form: Any) -> Any:
    return make_form("""
    | survey |                       |           |                     |                        |                               |                          |
    |        | type                  | name      | label::English (en) | label::Français (fr)   | relevant                      | calculation              |
    |        | select_multiple fruit | have      | Which fruit?        | Quels fruits ?         |                               |                          |
    |        | begin loop over fruit | per_fruit | Per fruit           | Par fruit              |                               |                          |
    |        | integer               | count     | How many %(label)s? | Combien de %(label)s ? | selected(${have}, '%(name)s') |                          |
    |        | text                  | where     | Where?              | Où ?                   |                               |                          |
    |        | end loop              |           |                     |                        |                               |                          |
    |        | calculate             | total     |                     |                        |                               | concat(/data/per_fruit/apple/where, '+', /data/per_fruit/pear/count) |
    | choices |           |       |                     |                      |
    |         | list_name | name  | label::English (en) | label::Français (fr) |
    |         | fruit     | apple | Apple               | Pomme                |
    |         | fruit     | pear  | Pear                | Poire                |
    """)


def test_one_group_per_choice_with_its_own_answers(make_form: Any, start: Any) -> None:
    s: FormSession = start(_form(make_form))
    assert [x.key for x in s.screens()] == [
        "have", "per_fruit/apple/count", "per_fruit/apple/where",
        "per_fruit/pear/count", "per_fruit/pear/where"]
    assert s.label("per_fruit/apple/count") == "How many Apple?"
    assert s.label("per_fruit/pear/count") == "How many Pear?"
    assert s.label("per_fruit/pear") == "Pear"
    s.set_language("Français (fr)")
    assert s.label("per_fruit/pear/count") == "Combien de Poire ?"
    # Each copy is relevant for its own choice.
    assert not s.is_relevant("per_fruit/apple/count")
    s.set("have", ["pear"])
    assert not s.is_relevant("per_fruit/apple/count")
    assert s.is_relevant("per_fruit/pear/count")
    s.set("per_fruit/pear/count", 3)
    s.set("per_fruit/pear/where", "garden")
    s.set("per_fruit/apple/where", "shop")
    assert s.get("per_fruit/pear/count") == 3
    # A calculation reading the groups by path (${count} would name two fields).
    assert s.get("total") == "shop+3"
    data = s.to_submission()["data"]
    assert data["per_fruit"] == {"apple": {"where": "shop"},
                                 "pear": {"count": "3", "where": "garden"}}
    # A draft comes back as it was.
    again = FormSession.from_submission(s.form, s.to_state())
    assert again.to_state()["data"] == s.to_state()["data"]
    assert again.get("per_fruit/pear/where") == "garden"


def test_jumping_into_a_loop_group(make_form: Any, start: Any) -> None:
    s: FormSession = start(_form(make_form))
    assert s.go_to("per_fruit/pear/where").key == "per_fruit/pear/where"
    # A group shown over several screens: its first relevant one.
    assert s.go_to("per_fruit/apple").key == "per_fruit/apple/where"


def test_a_loop_inside_a_repeat(make_form: Any, start: Any) -> None:
    form = make_form("""
    | survey |                       |        |                     |
    |        | type                  | name   | label               |
    |        | begin repeat          | plot   | Plot                |
    |        | begin loop over crop  | crops  | Crops               |
    |        | decimal               | yield  | Yield of %(label)s  |
    |        | end loop              |        |                     |
    |        | end repeat            |        |                     |
    | choices |           |       |       |
    |         | list_name | name  | label |
    |         | crop      | maize | Maize |
    |         | crop      | beans | Beans |
    """)
    s: FormSession = start(form)
    s.add_repeat("plot")
    s.set("plot[2]/crops/beans/yield", "1.5")
    assert s.label("plot[1]/crops/maize/yield") == "Yield of Maize"
    assert s.to_submission()["data"]["plot"] == [
        {"crops": {"maize": {"yield": ""}, "beans": {"yield": ""}}},
        {"crops": {"maize": {"yield": ""}, "beans": {"yield": "1.5"}}},
    ]
