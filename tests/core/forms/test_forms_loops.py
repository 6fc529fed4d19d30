"""``begin loop over L`` is expanded as pyxform expands it (FORMS.md s3): one group per
choice of ``L``, named after the choice and labelled with its label, holding the loop's
rows with ``%(name)s``/``%(label)s`` substituted (per language). Each form is also
converted by pyxform itself and the compiled model is compared with its XForm: the
primary instance's structure, and every label and hint in every language."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyxform.xls2xform import convert

from qi_capture.forms import Form, load_form
from qi_capture.forms.model import DEFAULT_LANGUAGE, Element
from tests import needs
from tests.core.forms.conftest import LoadMd, md

CORPUS = needs.CORPUS_DIR

FRUIT = """
| survey |                       |           |                     |                        |                    |                               |            |
|        | type                  | name      | label::English (en) | label::Français (fr)   | hint::English (en) | relevant                      | constraint |
|        | select_multiple fruit | have      | Which fruit?        | Quels fruits ?         |                    |                               |            |
|        | begin loop over fruit | per_fruit | Per fruit           | Par fruit              |                    |                               |            |
|        | integer               | count     | How many %(label)s? | Combien de %(label)s ? | Count of %(name)s  | selected(${have}, '%(name)s') | . < 100    |
|        | begin group           | more      | More on %(label)s   | Plus sur %(label)s     |                    |                               |            |
|        | text                  | remark    | About %(label)s     | Sur %(label)s          |                    |                               |            |
|        | end group             |           |                     |                        |                    |                               |            |
|        | end loop              |           |                     |                        |                    |                               |            |
|        | integer               | after     | After               | Après                  |                    |                               |            |
| choices |           |       |                     |                      |
|         | list_name | name  | label::English (en) | label::Français (fr) |
|         | fruit     | apple | Apple               | Pomme                |
|         | fruit     | pear  | Pear                | Poire                |
|         | fruit     | none  | None                | Aucun                |
"""

PLAIN = """
| survey |                        |          |                      |                     |
|        | type                   | name     | label                | default             |
|        | begin loop over rooms  | rooms    | Rooms                |                     |
|        | integer                | windows  | Windows in %(label)s |                     |
|        | text                   | rname    | Name                 | %(name)s            |
|        | end loop               |          |                      |                     |
| choices |           |         |             |
|         | list_name | name    | label       |
|         | rooms     | kitchen | Kitchen     |
|         | rooms     | bedroom | Bedroom     |
"""


def _xform(tmp_path: Path, name: str, text: str) -> ET.Element:
    path = tmp_path / f"{name}.md"
    path.write_bytes(md(text))
    return _xform_of(path)


def _xform_of(path: Path) -> ET.Element:
    xml = convert(xlsform=str(path), validate=False, pretty_print=False).xform
    return ET.fromstring(xml)


_NS = {"x": "http://www.w3.org/2002/xforms", "h": "http://www.w3.org/1999/xhtml"}
_ITEXT_REF = re.compile(r"jr:itext\('([^']+)'\)")


def _instance_paths(xform: ET.Element) -> list[tuple[str, ...]]:
    """Every element path of pyxform's primary instance (below the root), in order."""
    data = xform.find("h:head/x:model/x:instance", _NS)
    assert data is not None
    root = next(iter(data))

    def walk(node: ET.Element, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        for child in node:
            path = (*prefix, child.tag.split("}")[-1])
            yield path
            yield from walk(child, path)

    return [p for p in walk(root, ()) if p[0] != "meta"]


def _texts(xform: ET.Element, kind: str) -> dict[tuple[str, ...], dict[str, str]]:
    """path -> {language: text} of every ``label``/``hint`` in pyxform's body."""
    itext: dict[str, dict[str, str]] = {}
    for translation in xform.iterfind("h:head/x:model/x:itext/x:translation", _NS):
        for text in translation.iterfind("x:text", _NS):
            value = text.find("x:value", _NS)
            itext.setdefault(text.attrib["id"], {})[translation.attrib["lang"]] = (
                value.text or "" if value is not None else "")
    out: dict[tuple[str, ...], dict[str, str]] = {}
    body = xform.find("h:body", _NS)
    assert body is not None
    for control in body.iter():
        ref = control.attrib.get("ref", "")
        label = control.find(f"x:{kind}", _NS)
        if not ref.startswith("/") or label is None:
            continue
        path = tuple(ref.strip("/").split("/")[1:])
        match = _ITEXT_REF.fullmatch(label.attrib.get("ref", ""))
        values = itext[match[1]] if match else {DEFAULT_LANGUAGE: label.text or ""}
        # pyxform writes '-' for a translation a text lacks (FORMS.md s5); we keep None.
        out[path] = {lang: text for lang, text in values.items() if text != "-"}
    return out


def _ours(form: Form, kind: str) -> dict[tuple[str, ...], dict[str, str]]:
    def text(element: Element) -> dict[str, str] | None:
        value = getattr(element, kind)
        return dict(value.values) if value is not None else None

    return {e.path: t for e in form.elements() if e.path[0] != "meta"
            and (t := text(e)) is not None}


def _assert_like_pyxform(form: Form, xform: ET.Element) -> None:
    assert [e.path for e in form.elements() if e.path[0] != "meta"] == _instance_paths(xform)
    for kind in ("label", "hint"):
        ours = _ours(form, kind)
        theirs = _texts(xform, kind)
        assert {p: t for p, t in ours.items() if p in theirs} == theirs, kind


def test_a_translated_loop_is_expanded_like_pyxform(load_md: LoadMd, tmp_path: Path) -> None:
    form = load_md(FRUIT)
    _assert_like_pyxform(form, _xform(tmp_path, "fruit", FRUIT))
    loop = form.element("per_fruit")
    assert (loop.kind, loop.type, loop.list_name) == ("group", "loop", "fruit")
    # The "none" choice gets no group (pyxform leaves it out of loops).
    assert [g.name for g in loop.children] == ["apple", "pear"]
    apple, pear = loop.children
    assert apple.label is not None and dict(apple.label.values) == {
        "English (en)": "Apple", "Français (fr)": "Pomme"}
    count = apple.children[0]
    assert count.path == ("per_fruit", "apple", "count")
    assert dict(count.label.values) == {"English (en)": "How many Apple?",
                                        "Français (fr)": "Combien de Pomme ?"}
    assert count.hint is not None and count.hint.get("English (en)") == "Count of apple"
    # Expressions are substituted too: each copy is relevant for its own choice.
    assert count.relevant is not None
    assert count.relevant.source == "selected(${have}, 'apple')"
    assert count.relevant.references == ("have",)
    assert pear.children[0].relevant.source == "selected(${have}, 'pear')"
    assert count.constraint is not None and count.constraint.source == ". < 100"
    # Only the loop's own rows are substituted, not rows nested deeper (as pyxform).
    more = apple.children[1]
    assert more.label.get("English (en)") == "More on Apple"
    assert more.children[0].label.get("English (en)") == "About %(label)s"
    # Every copy keeps the row it came from; the form goes on after the loop.
    assert {e.row for e in (count, pear.children[0])} == {4}
    assert (apple.row, form.element("after").row) == (3, 9)
    assert form.element("after").path == ("after",)


def test_an_untranslated_loop_substitutes_labels_and_defaults(load_md: LoadMd,
                                                              tmp_path: Path) -> None:
    form = load_md(PLAIN)
    _assert_like_pyxform(form, _xform(tmp_path, "plain", PLAIN))
    kitchen, bedroom = form.element("rooms").children
    assert kitchen.label.get(None) == "Kitchen"
    assert [c.label.get(None) for c in kitchen.children] == ["Windows in Kitchen", "Name"]
    assert [c.default for c in (kitchen.children[1], bedroom.children[1])] == [
        "kitchen", "bedroom"]


@pytest.mark.needs_shared
def test_the_corpus_loop_covers_the_or_other_choice() -> None:
    """pyxform__loop.md: ``or specify other`` on a select of the same list adds 'other',
    and pyxform's loop covers it; its single-colon ``label:english`` header."""
    path = CORPUS / "pyxform__loop.md"
    form = load_form(path)
    _assert_like_pyxform(form, _xform_of(path))
    groups = form.element("loop_toilet_types").children
    assert [g.name for g in groups] == [
        "pit_latrine_with_slab", "open_pit_latrine", "bucket_system", "other"]
    assert [g.children[0].label.get("english") for g in groups] == [
        "How many Pit latrine with slab are on the premises?",
        "How many Pit latrine without slab/open pit are on the premises?",
        "How many Bucket system are on the premises?",
        "How many Other are on the premises?"]


def test_a_compiled_loop_survives_json(load_md: LoadMd) -> None:
    form = load_md(FRUIT)
    again = Form.from_json(form.to_json())
    assert [e.path for e in again.elements()] == [e.path for e in form.elements()]
    assert again.to_json() == form.to_json()
