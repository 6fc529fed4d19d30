"""Every survey/choices/settings column of FORMS.md reaches the model."""

from __future__ import annotations

from qi_capture.forms import Form
from qi_capture.forms.model import Expr, Text
from tests.core.forms.conftest import LoadMd

TRANSLATED = """
| survey |
|        | type     | name | label::English (en) | label::Français (fr) | hint::English (en) | hint::Français (fr) | guidance_hint::English (en) | required | required_message::English (en) | constraint | constraint_message::English (en) | constraint_message::Français (fr) | media::image::English (en) | audio |
|        | integer  | age  | Age of ${who}        | Âge                  | In years           | En années           | Ask kindly                  | yes      | Age please                     | . < 120    | Too old                          | Trop vieux                        | age.png                    | age.mp3 |
|        | text     | who  | Who                  | Qui                  |                    |                     |                             |          |                                |            |                                  |                                   |                            |       |
| choices |
|         | list_name | name | label::English (en) | label::Français (fr) | region | image::English (en) |
|         | yn        | yes  | Yes                 | Oui                  | north  | y.png               |
| settings |
|          | form_title | form_id | version    | default_language | style | instance_name   | public_key | allow_choice_duplicates |
|          | My survey  | my_id   | 2024030101 | English (en)     | pages | concat(${who}) | ABC        | no                      |
"""


def test_translations_media_and_messages(load_md: LoadMd) -> None:
    form = load_md(TRANSLATED)
    age = form.element("age")
    assert age.label == Text({"English (en)": "Age of ${who}", "Français (fr)": "Âge"})
    assert age.hint == Text({"English (en)": "In years", "Français (fr)": "En années"})
    assert age.guidance_hint == Text({"English (en)": "Ask kindly"})
    assert age.required == Expr("true()", ())
    assert age.required_message == Text({"English (en)": "Age please"})
    assert age.constraint == Expr(". < 120", ())
    assert age.constraint_message is not None
    assert age.constraint_message.get("Français (fr)") == "Trop vieux"
    assert age.media["image"] == Text({"English (en)": "age.png"})
    assert age.media["audio"].get(None) == "age.mp3"
    assert form.languages[:2] == ("English (en)", "Français (fr)")
    assert form.default_language == "English (en)"


def test_settings(load_md: LoadMd) -> None:
    form = load_md(TRANSLATED)
    assert (form.title, form.form_id, form.version, form.style) == (
        "My survey", "my_id", "2024030101", "pages")
    assert form.instance_name == Expr("concat(${who})", ("who",))
    assert form.settings["public_key"] == "ABC"
    assert form.root_name == "data"
    # instance_name is also pyxform's meta/instanceName calculation
    assert form.element("instanceName").path == ("meta", "instanceName")


def test_choice_columns(load_md: LoadMd) -> None:
    form = load_md(TRANSLATED)
    (yes,) = form.choices("yn")
    assert yes.label == Text({"English (en)": "Yes", "Français (fr)": "Oui"})
    assert yes.extras == {"region": "north"}
    assert yes.media["image"] == Text({"English (en)": "y.png"})


def test_labels_render_references_so_they_depend_on_them(load_md: LoadMd) -> None:
    form = load_md(TRANSLATED)
    assert "age" in form.dependents["who"]
    assert "instanceName" in form.dependents["who"]


LOGIC = """
| survey |
|        | type          | name | label | relevant      | calculation   | default   | read_only | choice_filter     | appearance       | parameters          | trigger | bind::esri:fieldLength | instance::odk:tag | body::accuracyThreshold |
|        | integer       | a    | A     |               |               | 5         | yes       |                   | thousands-sep    |                     |         | 10                     | x                 |                         |
|        | date          | b    | B     | ${a} > 1      |               | today()   |           |                   | no-calendar      |                     |         |                        |                   |                         |
|        | calculate     | c    |       |               | ${a} * 2      |           |           |                   |                  |                     | ${a}    |                        |                   |                         |
|        | calculate     | e    |       |               | ${c} + 1      |           |           |                   |                  |                     |         |                        |                   |                         |
|        | select_one yn | s    | S     |               |               |           | ${a} = 1  | region = ${c}     | minimal quick    | randomize=true seed=1 |       |                        |                   |                         |
|        | geopoint      | g    | G     |               |               |           |           |                   |                  | capture-accuracy=5  |         |                        |                   | 3                       |
|        | text          | t    | T     |               |               |           | no        |                   |                  |                     |         |                        |                   |                         |
| choices |
|         | list_name | name | label | region |
|         | yn        | yes  | Yes   | 2      |
"""


def test_logic_columns(load_md: LoadMd) -> None:
    form = load_md(LOGIC)
    a, b, c, s, g = (form.element(n) for n in "abcsg")
    assert a.default == "5" and a.dynamic_default is None
    assert a.read_only == Expr("true()", ())
    assert a.appearance == ("thousands-sep",)
    assert a.extra == {"bind::esri:fieldLength": "10", "instance::odk:tag": "x"}
    assert b.relevant == Expr("${a} > 1", ("a",))
    assert b.default is None and b.dynamic_default == Expr("today()", ())
    assert c.calculation == Expr("${a} * 2", ("a",))
    assert c.trigger == ("a",)
    assert s.read_only == Expr("${a} = 1", ("a",))
    assert s.choice_filter == Expr("region = ${c}", ("c",))
    assert s.appearance == ("minimal", "quick")
    assert s.parameters == {"randomize": "true", "seed": "1"}
    assert g.parameters == {"capture-accuracy": "5"}
    assert g.extra == {"body::accuracyThreshold": "3"}
    assert form.element("t").read_only is None  # "no" is no read_only at all


def test_dependency_graph_and_calculation_order(load_md: LoadMd) -> None:
    form = load_md(LOGIC)
    assert form.dependents["a"] == ("b", "c", "s")
    assert form.dependents["c"] == ("e", "s")
    assert form.calculation_order.index("c") < form.calculation_order.index("e")


def test_rows_and_paths(load_md: LoadMd) -> None:
    form = load_md(LOGIC)
    assert [form.element(n).row for n in "abcesgt"] == [2, 3, 4, 5, 6, 7, 8]
    assert form.element("a").path == ("a",)


def test_table_list_keeps_the_authors_appearance_and_label(load_md: LoadMd) -> None:
    form = load_md("""
        | survey |
        |        | type          | name | label  | hint | appearance |
        |        | begin group   | tl   | Table  | Pick | table-list |
        |        | select_one yn | q1   | Q1     |      |            |
        |        | select_one yn | q2   | Q2     |      |            |
        |        | end group     |      |        |      |            |
        | choices |
        |         | list_name | name | label |
        |         | yn        | yes  | Yes   |
    """)
    group = form.element("tl")
    assert group.appearance == ("table-list",)
    assert group.label == Text({"default": "Table"}) and group.hint == Text({"default": "Pick"})
    assert [c.name for c in group.children] == ["q1", "q2"]


def test_header_aliases_and_legacy_single_colon(load_md: LoadMd) -> None:
    form = load_md("""
        | survey |
        |        | type    | name | label:english | relevance | calculate |
        |        | integer | a    | A             |           |           |
        |        | integer | b    | B             | ${a} = 1  |           |
        |        | calculate | c  |               |           | ${b}      |
    """)
    assert form.element("b").relevant == Expr("${a} = 1", ("a",))
    assert form.element("c").calculation == Expr("${b}", ("b",))
    assert form.element("a").label == Text({"english": "A"})


def test_json_round_trip_is_exact(load_md: LoadMd) -> None:
    import json

    for text in (TRANSLATED, LOGIC):
        form = load_md(text)
        reopened = Form.from_json(json.loads(json.dumps(form.to_json())))
        assert Form.from_json_text(json.dumps(form.to_json())) == reopened
        assert reopened == form
        assert reopened.to_json() == form.to_json()
        assert reopened.element("a" if text is LOGIC else "age") == (
            form.element("a" if text is LOGIC else "age"))
