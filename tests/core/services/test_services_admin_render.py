"""The pure renderer behind the admin's record view: labels (untranslated form), choice
labels with unknown choices kept as stored, notes only beside answers, ODK's meta group
left out, answers the form does not describe listed apart, no form at all."""

from __future__ import annotations

import textwrap

from qi_capture.forms import load_form_bytes
from qi_capture.services.admin.render import OTHER_VALUES, render

FORM = textwrap.dedent("""
    | survey   |                     |        |               |
    |          | type                | name   | label         |
    |          | begin group         | a      | Part A        |
    |          | note                | hello  | Read this out |
    |          | select_multiple yn  | picks  | Picks         |
    |          | end group           |        |               |
    |          | begin group         | b      | Part B        |
    |          | note                | bnote  | Only beside B |
    |          | text                | btext  | B text        |
    |          | end group           |        |               |
    | choices  |                     |        |               |
    |          | list_name           | name   | label         |
    |          | yn                  | yes    | Yes           |
    |          | yn                  | no     | No            |
    | settings |                     |        |               |
    |          | form_id             |        |               |
    |          | render_test         |        |               |
""")


def test_labels_notes_meta_and_strays() -> None:
    form = load_form_bytes(FORM.encode(), "render_test.md")
    answers = {"a/picks": "yes maybe", "meta/instanceID": "uuid:1", "old_question": 4}
    sections = render(form, answers, form.default_language)
    assert [s.title for s in sections] == ["Part A", OTHER_VALUES]
    part_a, other = sections
    assert [(i.kind, i.label, i.text) for i in part_a.items] == [
        ("note", "Read this out", None), ("answer", "Picks", "Yes, maybe")]
    # Part B has no answer: neither its heading nor its note shows. Nor does meta/.
    assert [(i.kind, i.path, i.text, i.value) for i in other.items] == [
        ("unknown", "old_question", "4", 4)]


def test_without_a_form_every_answer_shows_by_path() -> None:
    (only,) = render(None, {"b": "2", "a": "1"}, None)
    assert only.title is None and [(i.label, i.text) for i in only.items] == [
        ("a", "1"), ("b", "2")]
    assert render(None, {}, None) == ()
