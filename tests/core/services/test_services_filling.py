"""Filling through intentions (`RecordFill`, `ReadOnlyFill`) and the frozen `FormView`
they hand back, on a real SQLCipher profile: the values the form filler draws, the
refusals it shows, and that reading a view writes nothing."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from qi_capture.services import CoreContext
from qi_capture.services.dto import RevisionInfo
from qi_capture.services.filling import RecordFill, open_read_only
from qi_capture.services.screen import ANSWERED, UNANSWERED, Moved, RepeatPosition


def stored(ctx: CoreContext, record_id: uuid.UUID) -> dict[str, object]:
    return dict(ctx.store.records.get_record(record_id).answers)


def events(ctx: CoreContext, record_id: uuid.UUID) -> int:
    return len(ctx.records.paradata(record_id))


@pytest.fixture
def fill(ctx: CoreContext, form_version_id: int) -> RecordFill:
    filling = RecordFill(ctx.records.create(form_version_id))
    assert filling.start() == Moved("moved")
    return filling


def test_the_view_is_a_frozen_value_that_a_later_change_leaves_alone(
    ctx: CoreContext, fill: RecordFill
) -> None:
    before = fill.view()
    screen = before.screen
    assert screen is not None and screen.key == "name" and screen.kind == "field"
    name = screen.question("name")
    assert name is not None
    assert (name.label, name.type, name.required, name.value) == ("Name", "text", True, "")
    assert name.problem is not None and name.problem.kind == "required"
    assert not screen.has_previous and screen.has_next
    states = {e.path: e.state for e in before.index}
    assert states["name"] == UNANSWERED
    required = {e.path for e in before.index if e.required}
    assert "name" in required and "notes" not in required
    with pytest.raises(dataclasses.FrozenInstanceError):
        name.value = "changed"  # type: ignore[misc]

    fill.set_answer("name", "Ann")
    after = fill.view()
    assert stored(ctx, fill.record.record_id)["name"] == "Ann"  # durable on return
    assert after.screen is not None and after.screen.questions[0].value == "Ann"
    assert after.screen.questions[0].problem is None
    assert {e.path: e.state for e in after.index}["name"] == ANSWERED
    assert after.answered == before.answered + 1
    assert name.value == "" and before.answered + 1 == after.answered  # the old view stands
    fill.close()


def test_reading_a_view_writes_nothing(ctx: CoreContext, fill: RecordFill) -> None:
    record_id = fill.record.record_id
    count, writes = events(ctx, record_id), fill.record.writes
    for _ in range(3):
        fill.view(with_problems=True)
    assert (events(ctx, record_id), fill.record.writes) == (count, writes)
    fill.close()


def test_next_is_refused_with_the_screens_problems_and_stays(fill: RecordFill) -> None:
    refused = fill.next()
    assert refused.outcome == "refused"
    assert [(p.path, p.label, p.kind) for p in refused.problems] == [
        ("name", "Name", "required")]
    view = fill.view()
    assert view.screen is not None and view.screen.key == "name"
    assert fill.next(check=False) == Moved("moved")
    view = fill.view()
    assert view.screen is not None and view.screen.key == "notes"
    assert view.screen.has_previous
    fill.close()


def test_repeats_position_and_closing_screen(fill: RecordFill) -> None:
    # The form starts with one child; adding goes to the new second one.
    assert fill.add_repeat("child") == Moved("moved")
    view = fill.view()
    assert view.screen is not None and view.screen.key == "child[2]/cname"
    assert view.screen.position == RepeatPosition("child", "Child", 2, 2)
    assert view.screen.position.heading == "Child 2 of 2"
    fill.set_answer("child[1]/cname", "Kim")
    fill.go_to("child/*")
    closing = fill.view().screen
    assert closing is not None and closing.kind == "repeat"
    assert (closing.slot_path, closing.title, closing.position) == ("child", "Child", None)
    assert [(i.path, i.index, i.name) for i in closing.instances] == [
        ("child[1]", 1, "Kim"), ("child[2]", 2, "…")]
    fill.remove_repeat("child", 1)
    closing = fill.view().screen
    assert closing is not None and [i.name for i in closing.instances] == ["…"]
    fill.close()


def test_finalise_is_refused_with_every_problem_then_written(
    ctx: CoreContext, fill: RecordFill
) -> None:
    refused = fill.finalise()
    assert isinstance(refused, Moved) and refused.outcome == "refused"
    assert {p.path for p in refused.problems} == {"name", "age"}
    problems = fill.view(with_problems=True).problems
    assert problems is not None and {p.path for p in problems} == {"name", "age"}
    assert fill.view().problems is None  # only read when asked for
    fill.set_answer("age", "200")
    bad = fill.view(with_problems=True).problems
    assert bad is not None and {p.kind for p in bad if p.path == "age"} == {"constraint"}
    fill.set_answer("name", "Ann")
    fill.set_answer("age", "41")
    assert fill.problems() == ()
    revision = fill.finalise()
    assert isinstance(revision, RevisionInfo)
    assert ctx.records.summary(fill.record.record_id).status == "finalised"

    viewer, record_view = open_read_only(ctx, fill.record.record_id)
    assert viewer.read_only and record_view.summary.id == fill.record.record_id
    viewer.start()
    first = viewer.view().screen
    assert first is not None and first.questions[0].value == "Ann"
    viewer.set_answer("name", "Bob")  # nothing is written to a finalised record
    assert stored(ctx, fill.record.record_id)["name"] == "Ann"
    outcomes = [viewer.next().outcome for _ in range(20)]
    assert outcomes[-1] == "end" and "refused" not in outcomes


def test_an_interview_open_question_carries_its_key_quote_and_sections(
    ctx: CoreContext
) -> None:
    form = ctx.studies.resolve("qi_stakeholder_interview")
    fill = RecordFill(ctx.records.create(form.id))
    fill.start()
    fill.set_answer("consent", "yes")
    opened = None
    for entry in fill.view().index:
        fill.go_to(entry.path)
        screen = fill.view().screen
        if screen is not None and screen.open_question:
            opened = fill.view()
            break
    assert opened is not None and opened.screen is not None
    assert opened.screen.section and opened.screen.section_title
    assert opened.key_quote is not None
    assert opened.key_quote.name.startswith("key_quote")
    assert opened.key_quote.path != opened.screen.fields[0]
    current = [s.key for s in opened.sections if s.current]
    assert current == [opened.screen.section]
    fill.close()


@pytest.mark.parametrize(
    ("comment", "kept"), [("  Spoke to the deputy.\n", "Spoke to the deputy."), ("   ", None)]
)
def test_the_reviewer_comment_rides_in_the_finalise_event(
    ctx: CoreContext, fill: RecordFill, comment: str, kept: str | None
) -> None:
    fill.set_answer("name", "Ann")
    fill.set_answer("age", "41")
    assert isinstance(fill.finalise(comment), RevisionInfo)
    finalise = [e.event for e in ctx.records.paradata(fill.record.record_id)
                if e.event.kind == "finalise"]
    assert len(finalise) == 1
    payload = finalise[0].payload
    assert isinstance(payload, dict) and payload["answers"] >= 2
    assert payload.get("comment") == kept
