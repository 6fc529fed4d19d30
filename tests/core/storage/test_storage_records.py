"""Record lifecycle and the revision chain, autosave, paradata, attachments, settings,
catalog: the storage operations the form engine will call."""

from __future__ import annotations

import hashlib
import io
import json
import uuid

import pytest

from qi_capture.storage.canonical import canonical_json, revision_id
from qi_capture.storage.errors import (
    AttachmentTooLarge,
    FormVersionConflict,
    FormVersionNotFound,
    InvalidAnswerValue,
    InvalidStatusTransition,
    RecordNotEditable,
    RecordNotFound,
    StudyNotFound,
)
from qi_capture.storage.paradata import SessionClock
from qi_capture.storage.store import Store


def _form(store: Store) -> int:
    return store.catalog.latest_form_version("qi", "baseline").id


def test_canonical_json() -> None:
    assert canonical_json({"b": 1, "a": [True, None, "é"]}) == '{"a":[true,null,"é"],"b":1}'
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_draft_autosave_and_resume(store: Store) -> None:
    record = store.records.create_record(
        _form(store), interviewer="jo", session_state={"screen": 0}
    )
    store.records.save_answer_change(record.id, "/q1", "a", session_state={"screen": 1})
    store.records.save_answer_changes(
        record.id, {"/rep[1]/x": 1, "/rep[2]/x": 2}, session_state={"screen": 2, "rep": 2}
    )
    store.records.save_answer_change(record.id, "/rep[2]/x", None)  # cleared
    detail = store.records.get_record(record.id)
    assert detail.answers == {"/q1": "a", "/rep[1]/x": 1}
    assert detail.session_state == {"screen": 2, "rep": 2}
    assert detail.summary.status == "draft"
    with pytest.raises(InvalidAnswerValue):
        store.records.save_answer_change(record.id, "/q", float("inf"))


def test_finalise_edit_and_revision_chain(store: Store) -> None:
    seq_before = store.device().last_sequence
    record = store.records.create_record(_form(store), interviewer="jo", instance_name="Trust A")
    store.records.save_answer_change(record.id, "/q1", "first")
    rev1 = store.records.finalise(record.id)
    assert rev1.parents == ()
    assert rev1.device_seq == seq_before + 1
    assert rev1.id == revision_id(rev1.canonical_json)
    assert rev1.id == hashlib.sha256(rev1.canonical_json.encode()).hexdigest()
    doc = json.loads(rev1.canonical_json)
    assert canonical_json(doc) == rev1.canonical_json  # sorted keys, no whitespace
    assert doc["answers"] == {"/q1": "first"}
    assert doc["record_id"] == str(record.id)
    assert doc["form"]["form_id"] == "baseline"

    with pytest.raises(RecordNotEditable):
        store.records.save_answer_change(record.id, "/q1", "sneaky")
    with pytest.raises(InvalidStatusTransition):
        store.records.finalise(record.id)

    store.records.begin_edit(record.id)
    assert store.records.get_record(record.id).answers == {"/q1": "first"}
    store.records.save_answer_change(record.id, "/q1", "second")
    rev2 = store.records.finalise(record.id)
    assert rev2.parents == (rev1.id,)
    assert rev2.device_seq == rev1.device_seq + 1
    detail = store.records.get_record(record.id)
    assert detail.summary.status == "finalised"
    assert detail.summary.head_revision_id == rev2.id
    assert detail.answers == {"/q1": "second"}
    assert [r.id for r in store.records.revisions(record.id)] == [rev1.id, rev2.id]
    assert store.records.get_revision(rev1.id).answers == {"/q1": "first"}
    assert [r.id for r in store.records.revisions_after(rev1.device_seq)][:1] == [rev2.id]


def test_status_moves_forward_only(store: Store) -> None:
    record = store.records.create_record(_form(store), interviewer="jo")
    with pytest.raises(InvalidStatusTransition):
        store.records.set_status(record.id, "sent")  # must be finalised first
    store.records.finalise(record.id)
    with pytest.raises(InvalidStatusTransition):
        store.records.set_status(record.id, "acknowledged")  # no skipping
    store.records.set_status(record.id, "sent")
    with pytest.raises(InvalidStatusTransition):
        store.records.set_status(record.id, "finalised")
    with pytest.raises(InvalidStatusTransition):
        store.records.set_status(record.id, "draft")
    store.records.set_status(record.id, "acknowledged")
    # Editing a sent/acknowledged record makes a new revision; status never goes back.
    store.records.begin_edit(record.id)
    store.records.save_answer_change(record.id, "/late", "fix")
    rev = store.records.finalise(record.id)
    assert len(rev.parents) == 1
    assert store.records.get_record(record.id).summary.status == "acknowledged"
    assert record.id in {r.id for r in store.records.list_records(status="acknowledged")}


def test_unknown_ids(store: Store) -> None:
    with pytest.raises(RecordNotFound):
        store.records.get_record(uuid.uuid4())
    with pytest.raises(FormVersionNotFound):
        store.records.create_record(99999, interviewer="jo")


def test_paradata_with_monotonic_elapsed(store: Store) -> None:
    record = store.records.create_record(_form(store), interviewer="jo")
    clock = SessionClock()
    store.paradata.append(record.id, clock.event("question_entered", {"path": "/q1"}))
    store.records.save_answer_change(
        record.id,
        "/q1",
        "x",
        event=clock.event("value_changed", {"path": "/q1", "old": None, "new": "x"}),
    )
    store.records.finalise(record.id, event=clock.event("finalise"))
    events = store.paradata.list(record.id)
    assert [e.seq for e in events] == [1, 2, 3]
    assert [e.event.kind for e in events] == ["question_entered", "value_changed", "finalise"]
    assert all(e.event.session_started_at == clock.started_at for e in events)
    elapsed = [e.event.elapsed_ms for e in events]
    assert elapsed == sorted(elapsed)
    assert events[1].event.payload == {"path": "/q1", "old": None, "new": "x"}


def test_attachments_chunked_with_limit(store: Store) -> None:
    record = store.records.create_record(_form(store), interviewer="jo")
    data = bytes(range(256)) * 4000  # ~1 MiB, several chunks
    info = store.attachments.add(record.id, "interview.ogg", "audio/ogg", io.BytesIO(data))
    assert info.size == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert b"".join(store.attachments.read(info.id)) == data
    with pytest.raises(AttachmentTooLarge):
        store.attachments.add(record.id, "big", "audio/ogg", io.BytesIO(data), max_bytes=1000)
    assert [a.id for a in store.attachments.list(record.id)] == [info.id]  # rolled back
    store.attachments.delete(info.id)
    assert store.attachments.list(record.id) == []


def test_settings(store: Store) -> None:
    assert store.settings.get("sync_folder", "none") == "none"
    store.settings.set("sync_folder", {"path": "E:/qi"})
    assert store.settings.get("sync_folder") == {"path": "E:/qi"}
    store.settings.delete("sync_folder")
    assert store.settings.get("sync_folder") is None


def test_catalog(store: Store) -> None:
    with pytest.raises(StudyNotFound):
        store.catalog.add_form_version(
            "nope", "f", "1", title="t", xlsform=b"x", compiled_json="{}"
        )
    store.catalog.add_study("s2", "Second")
    a = store.catalog.add_form_version("s2", "f", "1", title="t", xlsform=b"x", compiled_json="{}")
    again = store.catalog.add_form_version(
        "s2", "f", "1", title="t", xlsform=b"x", compiled_json="{}"
    )
    assert again == a
    with pytest.raises(FormVersionConflict):
        store.catalog.add_form_version("s2", "f", "1", title="t", xlsform=b"y", compiled_json="{}")
    b = store.catalog.add_form_version("s2", "f", "2", title="t", xlsform=b"y", compiled_json="[]")
    assert store.catalog.latest_form_version("s2", "f") == b
    assert store.catalog.xlsform_source(b.id) == b"y"
    assert store.catalog.compiled_form(b.id) == "[]"
    assert {s.id for s in store.catalog.list_studies()} >= {"qi", "s2"}


def test_device_signing(store: Store) -> None:
    from qi_capture.crypto import signing

    device = store.device()
    sig = store.sign(b"manifest")
    assert signing.verify(device.public_key, b"manifest", sig)
    assert device.fingerprint == signing.fingerprint(device.public_key)


def test_integrity_of_live_store(store: Store) -> None:
    assert store.check().ok
    assert store.check(full=False).ok
