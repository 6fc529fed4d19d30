"""to_submission / from_submission and drafts (to_state)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FORM = """
| survey |              |        |        |            |              |
|        | type         | name   | label  | relevant   | calculation  |
|        | text         | who    | Who    |            |              |
|        | integer      | n      | N      |            |              |
|        | text         | extra  | Extra  | ${n} > 2   |              |
|        | begin repeat | item   | Item   |            |              |
|        | text         | what   | What   |            |              |
|        | integer      | qty    | Qty    |            |              |
|        | end repeat   |        |        |            |              |
|        | calculate    | total  |        |            | sum(${qty})  |
"""

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
items = st.lists(st.tuples(text, st.integers(-1000, 1000)), min_size=1, max_size=5)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(who=text, n=st.integers(0, 5), extra=text, rows=items)
def test_round_trip(make_form: Any, start: Any, who: str, n: int, extra: str,
                    rows: list[tuple[str, int]]) -> None:
    from qi_capture.forms.session import FormSession

    form = make_form(FORM)
    session = start(form)
    session.set("who", who)
    session.set("extra", extra)
    session.set("n", n)
    for i, (what, qty) in enumerate(rows, start=1):
        if i > 1:
            session.add_repeat("item")
        session.set(f"item[{i}]/what", what)
        session.set(f"item[{i}]/qty", qty)
    submission = session.to_submission()
    restored = FormSession.from_submission(form, submission)
    assert restored.to_submission() == submission
    assert restored.get("total") == str(sum(q for _, q in rows))
    # A draft keeps even the non-relevant answer.
    state = session.to_state()
    resumed = FormSession.from_submission(form, state)
    assert resumed.raw("extra") == session.raw("extra")
    assert resumed.to_state() == state


def test_draft_resumes_at_the_same_screen(make_form: Any, start: Any) -> None:
    from qi_capture.forms.session import FormSession

    form = make_form(FORM)
    session = start(form)
    session.add_repeat("item")
    session.go_to("item[2]/qty")
    resumed = FormSession.from_submission(form, session.to_state())
    assert resumed.current_screen().key == "item[2]/qty"
    assert resumed.repeat_count("item") == 2


def test_new_revision_keeps_answers_and_chains_ids(make_form: Any, start: Any) -> None:
    form = make_form(FORM)
    session = start(form)
    session.set("who", "Ann")
    edited = session.new_revision()
    assert edited.get("who") == "Ann"
    assert edited.deprecated_id == session.instance_id
    assert edited.instance_id != session.instance_id
    assert edited.to_submission()["meta"]["deprecatedID"] == session.instance_id
