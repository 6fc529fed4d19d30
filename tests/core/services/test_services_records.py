"""RecordService and the autosaving RecordDraft, on a real SQLCipher profile: every
change durable when the call returns, exact resume, finalise (refused with the session's
errors, or a revision holding the submission snapshot), edit as a new revision, delete."""

from __future__ import annotations

import io
import json
import uuid

import pytest

from qi_capture.forms.session import AnswerError, FormSession
from qi_capture.services import CoreContext
from qi_capture.services.answers import flatten, snapshot, unflatten
from qi_capture.services.errors import CannotFinalise, RecordClosed
from qi_capture.storage.canonical import canonical_json, revision_id
from qi_capture.storage.errors import RecordNotDeletable, RecordNotEditable, RecordNotFound


def stored(ctx: CoreContext, record_id: uuid.UUID) -> dict[str, object]:
    """What a fresh read of the database says the draft holds."""
    return dict(ctx.store.records.get_record(record_id).answers)


def kinds(ctx: CoreContext, record_id: uuid.UUID) -> list[str]:
    return [e.event.kind for e in ctx.records.paradata(record_id)]


def test_each_change_is_durable_when_set_returns(ctx: CoreContext, form_version_id: int) -> None:
    record = ctx.records.create(form_version_id)
    assert stored(ctx, record.record_id)["meta/instanceID"] == record.session.instance_id
    issue = record.set("name", "Ann")
    assert issue is None
    assert stored(ctx, record.record_id)["name"] == "Ann"
    record.set("age", 41)
    after = stored(ctx, record.record_id)
    # The calculation the answer changed is written in the same transaction.
    assert (after["age"], after["age2"]) == ("41", "82")
    state = ctx.store.records.get_record(record.record_id).session_state
    assert isinstance(state, dict) and state["data"]["age"] == "41"
    events = ctx.records.paradata(record.record_id)
    changed = [e.event.payload for e in events if e.event.kind == "value_changed"]
    assert {"path": "age", "old": "", "new": "41"} in changed
    assert record.writes == 2
    record.close()


def test_changes_made_on_the_form_session_directly_are_saved_too(
    ctx: CoreContext, form_version_id: int
) -> None:
    record = ctx.records.create(form_version_id)
    before = record.writes
    record.session.set("age", 7)  # a UI editor bound to the session itself
    assert stored(ctx, record.record_id)["age"] == "7"
    assert stored(ctx, record.record_id)["age2"] == "14"
    # Each ValueChanged (the answer, then its calculation) in its own transaction.
    assert record.writes - before == 2
    record.close()


def test_a_constraint_failure_is_logged_and_the_value_kept(
    ctx: CoreContext, form_version_id: int
) -> None:
    record = ctx.records.create(form_version_id)
    issue = record.set("age", 300)
    assert issue is not None and issue.kind == "constraint"
    assert stored(ctx, record.record_id)["age"] == "300"
    assert "constraint_failed" in kinds(ctx, record.record_id)
    with pytest.raises(AnswerError):
        record.set("age", "old")  # the wrong type: refused, nothing written
    assert stored(ctx, record.record_id)["age"] == "300"
    record.close()


CASCADE = b"""
| survey |                   |        |        |                  |
|        | type              | name   | label  | choice_filter    |
|        | select_one state  | state  | State  |                  |
|        | select_one county | county | County | state = ${state} |
| choices |           |            |            |            |
|         | list_name | name       | label      | state      |
|         | state     | texas      | Texas      |            |
|         | state     | washington | Washington |            |
|         | county    | brewster   | Brewster   | texas      |
|         | county    | king       | King       | washington |
| settings |             |         |
|          | form_id     | version |
|          | svc_cascade | 1       |
"""


def test_a_choice_the_filter_no_longer_offers_is_cleared_and_logged(ctx: CoreContext) -> None:
    added = ctx.studies.add_form_bytes(CASCADE, "svc_cascade.md")
    record = ctx.records.create(added.form.id)
    record.set("state", "texas")
    record.set("county", "brewster")
    record.set("state", "washington")
    assert stored(ctx, record.record_id).get("county", "") == ""  # empty: not stored
    events = [e.event for e in ctx.records.paradata(record.record_id)]
    cleared = [e.payload for e in events if e.kind == "choice_cleared"]
    assert cleared == [{"path": "county", "choices": ["brewster"]}]
    changed = [e.payload for e in events if e.kind == "value_changed"]
    assert changed[-1] == {"path": "county", "old": "brewster", "new": ""}
    record.close()


def test_repeat_changes_rewrite_the_shifted_paths(ctx: CoreContext, form_version_id: int) -> None:
    record = ctx.records.create(form_version_id)
    record.ensure_instances("child[3]/cname")
    record.set("child[1]/cname", "A")
    record.set("child[3]/cname", "C")
    assert stored(ctx, record.record_id)["children"] == "3"
    record.remove_repeat("child", 1)
    after = stored(ctx, record.record_id)
    assert "child[3]/cname" not in after
    assert after["child[2]/cname"] == "C"
    assert "child[1]/cname" not in after  # the old child[2] had no name
    assert after["children"] == "2"
    assert {"repeat_added", "repeat_removed"} <= set(kinds(ctx, record.record_id))
    record.close()


def test_resume_restores_the_session_exactly(ctx: CoreContext, form_version_id: int) -> None:
    record = ctx.records.create(form_version_id, language=None)
    record.set("name", "Bo")
    record.add_repeat("child")
    record.set("child[2]/cname", "Kit")
    record.go_to("child[2]/cname")
    expected = record.session.to_state()
    record_id = record.record_id
    record.close()  # like closing the filler; a crash is tested in test_services_crash

    resumed = ctx.records.resume(record_id)
    assert resumed.session.to_state() == expected
    screen = resumed.session.current_screen()
    assert screen is not None and screen.key == "child[2]/cname"
    assert resumed.session.repeat_count("child") == 2
    assert kinds(ctx, record_id)[-1] == "resume"
    resumed.close()


def test_finalise_is_refused_with_the_session_errors(ctx: CoreContext, form_version_id: int) -> None:
    record = ctx.records.create(form_version_id)
    record.set("age", 300)
    with pytest.raises(CannotFinalise) as refused:
        record.finalise()
    problems = {(path, kind) for path, kind, _message in refused.value.issues}
    assert problems == {("name", "required"), ("age", "constraint")}
    assert refused.value.params["issues"][0]["path"] == "name"
    summary = ctx.records.summary(record.record_id)
    assert (summary.status, summary.head_revision_id) == ("draft", None)
    assert ctx.records.revisions(record.record_id) == []
    record.set("name", "Cy")  # still open for changes
    record.close()


def test_finalise_writes_the_submission_snapshot_then_edit_makes_a_child_revision(
    ctx: CoreContext, form_version_id: int
) -> None:
    record = ctx.records.create(form_version_id)
    record.set("name", "Dee")
    record.set("age", 30)
    record.set("child[1]/cname", "Eve")
    submission_before = record.session.to_submission()
    first = record.finalise()
    assert record.closed
    with pytest.raises(RecordClosed):
        record.set("name", "late")

    assert first.answers["name"] == "Dee"
    assert first.answers["age2"] == "60"
    assert first.answers["child[1]/cname"] == "Eve"
    assert first.answers["meta/instanceID"] == submission_before["meta"]["instanceID"]
    assert revision_id(first.canonical_json) == first.id
    assert canonical_json(json.loads(first.canonical_json)) == first.canonical_json
    summary = ctx.records.summary(record.record_id)
    assert (summary.status, summary.head_revision_id) == ("finalised", first.id)
    assert kinds(ctx, record.record_id)[-1] == "finalise"

    with pytest.raises(RecordNotEditable):
        ctx.records.resume(record.record_id)
    edit = ctx.records.edit(record.record_id)
    assert edit.session.get("name") == "Dee"
    assert edit.session.deprecated_id == first.answers["meta/instanceID"]
    assert ctx.records.summary(record.record_id).editing
    edit.set("age", 31)
    second = edit.finalise()
    assert second.parents == (first.id,)
    assert second.device_seq == first.device_seq + 1
    assert second.answers["age2"] == "62"
    assert second.answers["meta/deprecatedID"] == first.answers["meta/instanceID"]
    assert second.answers["meta/instanceID"] != first.answers["meta/instanceID"]
    view = ctx.records.get(record.record_id)
    assert [r.id for r in view.revisions] == [first.id, second.id]
    assert view.answers == second.answers
    assert not view.summary.editing


def test_an_edit_left_open_resumes_as_an_edit(ctx: CoreContext, form_version_id: int) -> None:
    record = ctx.records.create(form_version_id)
    record.set("name", "Fay")
    record.set("age", 5)
    first = record.finalise()
    edit = ctx.records.edit(record.record_id)
    edit.set("name", "Faye")
    edit.close()
    again = ctx.records.edit(record.record_id)  # resumes the open edit
    assert again.session.get("name") == "Faye"
    assert again.session.deprecated_id == first.answers["meta/instanceID"]
    assert again.finalise().parents == (first.id,)


def test_attachments_are_stored_and_answered_by_name(
    ctx: CoreContext, form_version_id: int
) -> None:
    record = ctx.records.create(form_version_id)
    data = bytes(range(256)) * 2000
    info = record.attach("photo", "face.jpg", "image/jpeg", io.BytesIO(data))
    assert stored(ctx, record.record_id)["photo"] == "face.jpg"
    assert b"".join(ctx.records.read_attachment(info.id)) == data
    assert ctx.records.get(record.record_id).attachments[0].size == len(data)
    record.close()


def test_delete_draft_and_never_a_finalised_record(ctx: CoreContext, form_version_id: int) -> None:
    draft = ctx.records.create(form_version_id)
    draft.set("name", "Gus")
    draft.attach("photo", "p.png", "image/png", io.BytesIO(b"png"))
    ctx.records.delete_draft(draft.record_id)
    assert draft.closed
    with pytest.raises(RecordNotFound):
        ctx.records.get(draft.record_id)
    assert ctx.records.paradata(draft.record_id) == []

    done = ctx.records.create(form_version_id)
    done.set("name", "Hal")
    done.set("age", 9)
    done.finalise()
    with pytest.raises(RecordNotDeletable):
        ctx.records.delete_draft(done.record_id)


def test_list_get_and_find_return_frozen_dtos(ctx: CoreContext, form_version_id: int) -> None:
    record = ctx.records.create(form_version_id)
    record.close()
    listed = ctx.records.list_records(status="draft")
    assert record.record_id in {r.id for r in listed}
    view = ctx.records.get(record.record_id)
    with pytest.raises(AttributeError):
        view.summary.status = "sent"  # type: ignore[misc]
    assert view.form.form_id == "svc_test"
    assert view.summary.interviewer == "Jo Tester"
    assert ctx.records.find(str(record.record_id)[:8]).id == record.record_id
    with pytest.raises(RecordNotFound):
        ctx.records.find("zz")


def test_paradata_carries_the_session_story(ctx: CoreContext, form_version_id: int) -> None:
    record = ctx.records.create(form_version_id)
    record.go_to("name")
    record.set("name", "Ivy")
    record.next_screen()
    record.close()
    events = ctx.records.paradata(record.record_id)
    assert [e.event.kind for e in events] == [
        "session_started", "question_entered", "value_changed", "question_left",
        "question_entered", "question_left",
    ]
    assert len({e.event.session_id for e in events}) == 1
    elapsed = [e.event.elapsed_ms for e in events]
    assert elapsed == sorted(elapsed)
    left = events[3].event.payload
    assert isinstance(left, dict) and left["path"] == "name" and left["duration_ms"] >= 0


def test_flatten_unflatten_round_trip(ctx: CoreContext, form_version_id: int) -> None:
    form = ctx.studies.load_form(form_version_id)
    session = form.new_session()
    session.set("name", "Jo")
    session.ensure_instances("child[3]/cname")
    session.set("child[3]/cname", "Z")
    answers = snapshot(session.to_submission())
    rebuilt = FormSession.from_submission(form, {"form_id": form.form_id,
                                                 "data": unflatten(answers)})
    assert rebuilt.repeat_count("child") == 3
    assert flatten(rebuilt.to_submission()["data"]) == flatten(session.to_submission()["data"])
