"""Every XLSForm type reaches the model with its canonical name, XForm data type and preload."""

from __future__ import annotations

from pathlib import Path

import pytest

from qi_capture.forms import Form, load_form, load_form_bytes
from qi_capture.forms import errors as codes
from tests.core.forms.conftest import LoadMd, md

TYPES_FORM = """
| survey |
|        | type                         | name     | label   | parameters          | calculation |
|        | text                         | t        | T       |                     |             |
|        | string                       | t2       | T2      |                     |             |
|        | integer                      | i        | I       |                     |             |
|        | int                          | i2       | I2      |                     |             |
|        | decimal                      | d        | D       |                     |             |
|        | range                        | r        | R       | start=0 end=10 step=1 |           |
|        | range                        | rd       | RD      | start=0 end=1 step=0.5 |          |
|        | select_one yn                | s1       | S1      |                     |             |
|        | select_multiple yn           | sm       | SM      |                     |             |
|        | select_one yn or_other       | so       | SO      |                     |             |
|        | rank yn                      | rk       | RK      |                     |             |
|        | note                         | n        | N       |                     |             |
|        | acknowledge                  | ack      | ACK     |                     |             |
|        | date                         | dt       | DT      |                     |             |
|        | time                         | tm       | TM      |                     |             |
|        | dateTime                     | dtm      | DTM     |                     |             |
|        | datetime                     | dtm2     | DTM2    |                     |             |
|        | calculate                    | c        |         |                     | 1 + 1       |
|        | hidden                       | h        |         |                     |             |
|        | image                        | img      | IMG     |                     |             |
|        | photo                        | img2     | IMG2    |                     |             |
|        | audio                        | au       | AU      |                     |             |
|        | video                        | vi       | VI      |                     |             |
|        | file                         | fi       | FI      |                     |             |
|        | background-audio             | bga      |         |                     |             |
|        | barcode                      | bc       | BC      |                     |             |
|        | geopoint                     | gp       | GP      |                     |             |
|        | geotrace                     | gt       | GT      |                     |             |
|        | geoshape                     | gs       | GS      |                     |             |
|        | start                        | st       |         |                     |             |
|        | end                          | en       |         |                     |             |
|        | today                        | td       |         |                     |             |
|        | deviceid                     | dev      |         |                     |             |
|        | username                     | usr      |         |                     |             |
|        | phonenumber                  | ph       |         |                     |             |
|        | email                        | em       |         |                     |             |
|        | start-geopoint               | sgp      |         |                     |             |
| choices |
|         | list_name | name | label |
|         | yn        | yes  | Yes   |
|         | yn        | no   | No    |
"""

EXPECTED = {
    "t": ("text", "string", None),
    "t2": ("text", "string", None),
    "i": ("integer", "int", None),
    "i2": ("integer", "int", None),
    "d": ("decimal", "decimal", None),
    "r": ("range", "int", None),
    "rd": ("range", "decimal", None),
    "s1": ("select_one", "string", None),
    "sm": ("select_multiple", "string", None),
    "so": ("select_one", "string", None),
    "so_other": ("text", "string", None),
    "rk": ("rank", "odk:rank", None),
    "n": ("note", "string", None),
    "ack": ("acknowledge", "string", None),
    "dt": ("date", "date", None),
    "tm": ("time", "time", None),
    "dtm": ("dateTime", "dateTime", None),
    "dtm2": ("dateTime", "dateTime", None),
    "c": ("calculate", "string", None),
    "h": ("hidden", "string", None),
    "img": ("image", "binary", None),
    "img2": ("image", "binary", None),
    "au": ("audio", "binary", None),
    "vi": ("video", "binary", None),
    "fi": ("file", "binary", None),
    "bga": ("background-audio", "binary", None),
    "bc": ("barcode", "barcode", None),
    "gp": ("geopoint", "geopoint", None),
    "gt": ("geotrace", "geotrace", None),
    "gs": ("geoshape", "geoshape", None),
    "st": ("start", "dateTime", "start"),
    "en": ("end", "dateTime", "end"),
    "td": ("today", "date", "today"),
    "dev": ("deviceid", "string", "deviceid"),
    "usr": ("username", "string", "username"),
    "ph": ("phonenumber", "string", "phonenumber"),
    "em": ("email", "string", "email"),
    "sgp": ("start-geopoint", "geopoint", "start-geopoint"),
    "instanceID": ("calculate", "string", "instanceID"),
}


@pytest.fixture(scope="module")
def types_form() -> Form:
    return load_form_bytes(md(TYPES_FORM), "types.md")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_type_reaches_the_model(types_form: Form, name: str) -> None:
    element = types_form.element(name)
    assert element.kind == "field"
    assert (element.type, element.data_type, element.preload) == EXPECTED[name]


def test_selects_carry_their_list_and_or_other(types_form: Form) -> None:
    assert types_form.element("s1").list_name == "yn"
    assert types_form.element("rk").list_name == "yn"
    so = types_form.element("so")
    assert so.or_other and so.list_name == "yn"
    assert [c.name for c in types_form.choices("yn")][-1] == "other"
    other = types_form.element("so_other")
    assert other.relevant is not None and other.relevant.references == ("so",)
    assert other.row == so.row


def test_instance_id_lives_in_meta(types_form: Form) -> None:
    assert types_form.element("instanceID").path == ("meta", "instanceID")


def test_limited_types_are_named_warnings(types_form: Form) -> None:
    limited = {w.row for w in types_form.warnings if w.code == codes.LIMITED_TYPE}
    rows = {types_form.element(n).row for n in ("bc", "bga", "sgp")}
    assert rows <= limited


def test_groups_repeats_and_loops(load_md: LoadMd) -> None:
    form = load_md("""
        | survey |
        |        | type                | name   | label          | repeat_count |
        |        | begin group         | g      | G              |              |
        |        | begin repeat        | r      | R              |              |
        |        | text                | a      | A              |              |
        |        | end repeat          |        |                |              |
        |        | integer             | n      | N              |              |
        |        | begin repeat        | rc     | RC             | ${n}         |
        |        | text                | b      | B              |              |
        |        | end repeat          |        |                |              |
        |        | begin repeat        | rx     | RX             | ${n} + 1     |
        |        | text                | c      | C              |              |
        |        | end repeat          |        |                |              |
        |        | end group           |        |                |              |
        |        | begin loop over yn  | lp     | Loop %(label)s |              |
        |        | integer             | k      | K              |              |
        |        | end loop            |        |                |              |
        | choices |
        |         | list_name | name | label |
        |         | yn        | yes  | Yes   |
        |         | yn        | no   | No    |
    """)
    g = form.element("g")
    assert (g.kind, g.type) == ("group", "group")
    assert form.element("a").path == ("g", "r", "a")
    assert form.element("r").kind == "repeat" and form.element("r").repeat_count is None
    assert form.element("rc").repeat_count is not None
    assert form.element("rc").repeat_count.references == ("n",)
    # A non-trivial count gets pyxform's generated read-only calculation, as in the XForm.
    generated = form.element("rx_count")
    assert generated.calculation is not None and generated.calculation.references == ("n",)
    assert form.element("rx").repeat_count.references == ("rx_count",)
    assert generated.row == form.element("rx").row
    loop = form.element("lp")
    assert (loop.kind, loop.type, loop.list_name) == ("group", "loop", "yn")
    # One group per choice, named after it, as pyxform expands the loop.
    assert [(c.name, c.kind, c.type, c.path) for c in loop.children] == [
        ("yes", "group", "group", ("lp", "yes")), ("no", "group", "group", ("lp", "no"))]
    assert [c.label.get(None) for c in loop.children] == ["Yes", "No"]
    assert [k.path for c in loop.children for k in c.children] == [
        ("lp", "yes", "k"), ("lp", "no", "k")]


def test_select_from_file_repeat_and_external(load_md: LoadMd) -> None:
    form = load_md("""
        | survey |
        |        | type                          | name  | label | choice_filter |
        |        | begin repeat                  | p     | P     |               |
        |        | text                          | pname | Name  |               |
        |        | end repeat                    |       |       |               |
        |        | select_one ${pname}           | who   | Who   |               |
        |        | select_one_from_file towns.csv | town | Town  |               |
        |        | select_multiple_from_file a.xml | many | Many |               |
        |        | select_one_external ext       | ex    | Ex    | x = 1         |
        |        | csv-external                  | lookup |      |               |
        | external_choices |
        |        | list_name | name | label |
        |        | ext       | a    | A     |
    """)
    who = form.element("who")
    assert (who.type, who.choices_from, who.list_name) == ("select_one", "pname", None)
    assert form.dependents["pname"] == ("who",)
    town = form.element("town")
    assert (town.type, town.choices_file) == ("select_one_from_file", "towns.csv")
    assert form.element("many").type == "select_multiple_from_file"
    assert form.element("ex").type == "select_one_external"
    assert form.secondary_instances == {"towns": "towns.csv", "a": "a.xml",
                                        "lookup": "lookup.csv"}
    assert form.find("lookup") is None  # a declaration, not a field
    missing = [w for w in form.warnings if w.code == codes.LIMITED_TYPE]
    assert any("towns.csv" in w.message and w.row == town.row for w in missing)
    assert any("itemsets.csv" in w.message for w in missing)


def test_attachments_present_in_media_dir_give_no_warning(tmp_path: Path) -> None:
    form_path = tmp_path / "towns_form.md"
    form_path.write_bytes(md("""
        | survey |
        |        | type                           | name | label |
        |        | select_one_from_file towns.csv | town | Town  |
    """))
    (tmp_path / "towns_form-media").mkdir()
    (tmp_path / "towns_form-media" / "towns.csv").write_text("name,label\na,A\n")
    form = load_form(form_path)
    assert not [w for w in form.warnings if "towns.csv" in w.message]
