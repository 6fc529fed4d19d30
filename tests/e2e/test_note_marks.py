"""Interview notes stamped with the recording's time, end to end: a real laptop profile
records a generated tone, stamps a paragraph, two quick tags (one removed again) and a
key quote at known positions, finalises and syncs a real bundle; the centre merges it
and the admin desk's record detail carries exactly those marks, the structured tags are
what the report's and coding's sources read, and no mark carries the notes' text. A
study pack's recording cap stops a recording at the cap and keeps it."""

from __future__ import annotations

import queue
import textwrap
import time
import uuid

import numpy as np

from qi_capture.audio.ending import ENDED_CAP
from qi_capture.audio.sources import Block, ToneSource
from qi_capture.central.store import CentralStore
from qi_capture.services import CoreContext
from qi_capture.services.admin import AdminDesk
from qi_capture.storage.profile import Profile
from qi_capture.sync.admin import AdminProfile
from qi_capture.sync.folder import sync_folder
from qi_capture.sync.pack import PackForm, StudyPolicy, build_pack, import_pack, read_pack
from tests.e2e.conftest import PASSPHRASE, MakeWorld

FORM_NAME = "notes_form.md"
FORM = textwrap.dedent("""
    | survey   |           |           |            |
    |          | type      | name      | label      |
    |          | text      | notes     | Notes      |
    |          | text      | quote     | Key quote  |
    | settings |           |           |            |
    |          | form_id   | version   |            |
    |          | notes_form | 1        |            |
""")
RATE = 16000
SECRET = "Staff have no protected time"


class SteppedSource:
    """A tone released one second at a time by the test, so that each note is stamped
    at a position the test knows."""

    def __init__(self) -> None:
        self._blocks: queue.Queue[Block | None] = queue.Queue()
        self._sent = 0

    @property
    def sample_rate(self) -> int:
        return RATE

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self._blocks.put(None)

    def release(self, seconds: int) -> None:
        for _ in range(seconds):
            t = np.arange(self._sent, self._sent + RATE) / RATE
            self._blocks.put((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))
            self._sent += RATE

    def read(self, timeout: float) -> Block | None:
        try:
            return self._blocks.get(timeout=timeout)
        except queue.Empty:
            return np.zeros(0, dtype=np.float32)


def _wait_for(ctx: CoreContext, record_id: uuid.UUID, seconds: float) -> None:
    active = ctx.recording.active_for(record_id)
    assert active is not None
    deadline = time.monotonic() + 30
    while active.status().elapsed_seconds < seconds:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_marks_and_tags_travel_to_the_record_detail(make_world: MakeWorld) -> None:
    central, laptop, folder = make_world(FORM_NAME, FORM)
    with Profile.unlock(laptop, PASSPHRASE) as store:
        ctx = CoreContext(store)
        device = store.device()
        form = ctx.studies.resolve("notes_form")
        with ctx.records.create(form.id) as record:
            rid = record.record_id
            source = SteppedSource()
            active = ctx.recording.start(rid, source)
            assert ctx.notes.mark(rid, "notes", "paragraph", 0) is not None  # at 0 s
            source.release(3)
            _wait_for(ctx, rid, 3)
            record.set("notes", SECRET)
            tag, mark = ctx.notes.add_tag(rid, "notes", "Barrier")
            assert (tag.index, tag.tag) == (0, "barrier")
            assert mark is not None and mark.position_ms == 3000
            source.release(2)
            _wait_for(ctx, rid, 5)
            idea, _ = ctx.notes.add_tag(rid, "notes", "idea")
            ctx.notes.remove_tag(rid, "notes", idea.index)
            active.pause()  # no stamp while paused
            assert ctx.notes.mark(rid, "quote", "quote", 0) is None
            active.resume()
            source.release(2)
            _wait_for(ctx, rid, 7)
            ctx.notes.mark(rid, "quote", "quote", 0)
            record.set("quote", "We need time.")
            info = active.stop()
            assert ctx.notes.mark(rid, "notes", "paragraph", 1) is None  # not recording
            state = ctx.notes.state(rid)
            assert [(t.tag, t.index) for t in state.tags["notes"]] == [("barrier", 0)]
            record.finalise()
        sync_folder(store, folder)

    with AdminDesk.open(central, PASSPHRASE) as desk:
        desk.merge([folder])
        desk.enrol(device.id, name="Laptop A")
        detail = desk.record(rid)
        marks = [(m.path, m.kind, m.index, m.tag, m.recording, m.position_ms)
                 for m in detail.note_marks]
        assert marks == [
            ("notes", "paragraph", 0, "", info.name, 0),
            ("notes", "tag", 0, "barrier", info.name, 3000),
            ("quote", "quote", 0, "", info.name, 7000),
        ]
        assert SECRET not in str(detail.to_json()["note_marks"])
    with CentralStore.open(central, PASSPHRASE) as store_c:
        tags = store_c.quick_tags([rid])
        assert {p: [t.tag for t in ts] for p, ts in tags[rid].tags.items()} == {
            "notes": ["barrier"]}


def test_the_study_cap_stops_a_recording_and_keeps_it(make_world: MakeWorld) -> None:
    central, laptop, _folder = make_world(FORM_NAME, FORM)
    with AdminProfile.open(central, PASSPHRASE) as admin:
        pack = build_pack(admin.keys(), [PackForm(FORM_NAME, FORM.encode())],
                          StudyPolicy(idle_lock_minutes=5, retention_days=30,
                                      max_recording_minutes=1, max_bundle_bytes=5 << 20))
    policy = read_pack(pack).policy
    assert (policy.max_recording_minutes, policy.max_bundle_bytes) == (1, 5 << 20)
    with Profile.unlock(laptop, PASSPHRASE) as store:
        ctx = CoreContext(store)
        import_pack(store, pack, lambda data, name, study, title: ctx.studies.add_form_bytes(
            data, name, study_id=study, study_title=title).created)
        with ctx.records.create(ctx.studies.resolve("notes_form").id) as record:
            assert ctx.recording.max_recording_minutes(record.record_id) == 1
            active = ctx.recording.start(record.record_id, ToneSource(600.0))
            deadline = time.monotonic() + 60
            while active.status().state != "stopped":
                assert time.monotonic() < deadline
                time.sleep(0.05)
            status = active.status()
            assert status.ended == ENDED_CAP and status.elapsed_seconds == 60.0
            info = active.stop()
            with ctx.recording.open_audio(info.id) as reader:
                assert abs(reader.duration_seconds - 60.0) < 0.005
