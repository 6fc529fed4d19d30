"""Recording in interview mode: offered only after consent to record; record, pause,
resume and move between sections; stop keeps an attachment as long as what was recorded;
no microphone warns and stores nothing; locking during a recording keeps it; a source
that ends or fails shows that the recording stopped, and why, and keeps it; quick tags
are chips beside the notes and, with paragraphs and the key quote, are stamped with the
recording's position.

The audio comes from a generated tone injected through the recording service's
`source_factory` (the screen never sees an audio source)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from qi_capture.audio.errors import InputLost, NoInputDevice
from qi_capture.audio.sources import Block, ToneSource
from qi_capture.crypto.kdf import floor_params
from qi_capture.services import CoreContext, ProfileService
from qi_capture.services.filling import RecordFill
from tests.ui.conftest import PASSPHRASE, form_id
from tests.ui.helpers import click, settle
from ui.controller import RecordController
from ui.pages.interview import InterviewFiller
from ui.tasks import TaskRunner
from ui.widgets.recording_bar import RecordingBar

RATE = 16000


@pytest.fixture
def tone_source(core: CoreContext) -> Iterator[None]:
    core.recording.source_factory = lambda: ToneSource(600.0, realtime=True)
    yield
    core.recording.source_factory = None


def open_interview(qtbot: QtBot, ctx: CoreContext, runner: TaskRunner,
                   consent: dict[str, str]) -> tuple[InterviewFiller, uuid.UUID]:
    record = ctx.records.create(form_id(ctx, "qi_stakeholder_interview"))
    for path, value in consent.items():
        record.set(path, value)
    filler = InterviewFiller(RecordController(RecordFill(record), runner), "Interview",
                             recording=ctx.recording, record_id=record.record_id,
                             notes=ctx.notes)
    qtbot.addWidget(filler)
    filler.resize(1366, 700)
    filler.show()
    filler.start()
    settle(qtbot, filler)
    return filler, record.record_id


def bar_of(filler: InterviewFiller) -> RecordingBar:
    assert filler.recording_bar is not None
    return filler.recording_bar


def test_record_pause_resume_across_sections_and_stop(
        qtbot: QtBot, core: CoreContext, runner: TaskRunner, tone_source: None) -> None:
    filler, record_id = open_interview(qtbot, core, runner, {"consent": "yes"})
    bar = bar_of(filler)
    assert not bar.record_button.isEnabled()  # consent to record not yet given
    filler.controller.set_answer("consent_recording", "yes")
    settle(qtbot, filler)
    qtbot.waitUntil(bar.record_button.isEnabled)
    assert bar.state_label.text() == "Not recording"

    click(qtbot, bar.record_button)
    assert bar.state == "recording"
    qtbot.waitUntil(lambda: bar.active is not None
                    and bar.active.status().elapsed_seconds >= 0.6, timeout=5000)
    qtbot.waitUntil(lambda: bar.meter.value() > 50, timeout=2000)  # a 0.3 tone: -13 dBFS
    assert bar.elapsed_label.text() == "00:00"
    assert not bar.record_button.isEnabled() and bar.stop_button.isEnabled()

    click(qtbot, bar.pause_button)
    assert bar.state == "paused" and bar.resume_button.isVisible()
    assert not bar.pause_button.isVisible()
    assert bar.active is not None
    paused_at = bar.active.status().elapsed_seconds
    qtbot.wait(500)
    assert bar.active.status().elapsed_seconds - paused_at < 0.15  # nothing recorded
    click(qtbot, bar.resume_button)
    assert bar.state == "recording"
    # The keyboard: Ctrl+Shift+P pauses and resumes.
    filler.activateWindow()
    qtbot.waitUntil(filler.isActiveWindow)
    qtbot.keyClick(filler, Qt.Key.Key_P,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert bar.state == "paused"
    qtbot.keyClick(filler, Qt.Key.Key_P,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert bar.state == "recording"

    # Moving to another section keeps the same recording going.
    active = bar.active
    filler.controller.go_to("barriers/barriers_main")
    settle(qtbot, filler)
    assert filler._shown_key.startswith("barriers/")
    assert bar.active is active and bar.state == "recording"
    qtbot.waitUntil(lambda: active.status().elapsed_seconds >= 1.5, timeout=5000)

    with qtbot.waitSignal(bar.stopped) as stopped:
        click(qtbot, bar.stop_button)
    info = stopped.args[0]
    assert bar.state == "idle" and bar.record_button.isEnabled()
    assert [a.id for a in core.store.attachments.list(record_id)] == [info.id]
    with core.recording.open_audio(info.id) as reader:
        duration = reader.duration_seconds
    # The pause left a gap of about half a second out of the recording.
    assert 1.5 <= duration < 3.0
    assert abs(duration - active.status().elapsed_seconds) < 0.2


def test_no_consent_to_record_offers_no_recording(
        qtbot: QtBot, core: CoreContext, runner: TaskRunner, tone_source: None) -> None:
    filler, record_id = open_interview(
        qtbot, core, runner, {"consent": "yes", "consent_recording": "no"})
    bar = bar_of(filler)
    assert not bar.record_button.isEnabled()
    assert "consent" in bar.state_label.text()
    bar.start()  # the shortcut's path: refused without consent
    assert bar.active is None
    assert core.store.attachments.list(record_id) == []


def test_no_microphone_warns_and_stores_nothing(
        qtbot: QtBot, core: CoreContext, runner: TaskRunner) -> None:
    class Missing(ToneSource):
        def start(self) -> None:
            raise NoInputDevice("no default input device")

    core.recording.source_factory = lambda: Missing(1.0)
    try:
        filler, record_id = open_interview(
            qtbot, core, runner, {"consent": "yes", "consent_recording": "yes"})
        bar = bar_of(filler)
        click(qtbot, bar.record_button)
    finally:
        core.recording.source_factory = None
    assert bar.state == "idle" and bar.record_button.isEnabled()
    assert bar.warning.text().startswith("No microphone was found.")
    assert bar.warning.isVisible()
    assert core.store.attachments.list(record_id) == []


def test_lock_during_recording_keeps_it(qtbot: QtBot, tmp_path: Path) -> None:
    service = ProfileService(tmp_path)
    service.create("Locking interviewer", PASSPHRASE, kdf=floor_params())
    ctx = service.unlock(service.select(), PASSPHRASE)
    ctx.recording.source_factory = lambda: ToneSource(600.0, realtime=True)
    runner = TaskRunner()
    try:
        filler, record_id = open_interview(
            qtbot, ctx, runner, {"consent": "yes", "consent_recording": "yes"})
        bar = bar_of(filler)
        click(qtbot, bar.record_button)
        active = bar.active
        assert active is not None
        qtbot.waitUntil(lambda: active.status().elapsed_seconds >= 0.5, timeout=5000)
        filler.controller.close()
        runner.wait()
    finally:
        ctx.lock()
    qtbot.waitUntil(lambda: bar.state == "idle", timeout=2000)  # the bar saw it stop
    again = service.unlock(service.select(), PASSPHRASE)
    try:
        kept = again.store.attachments.list(record_id)
        assert len(kept) == 1 and kept[0].id == active.attachment_id
        with again.recording.open_audio(kept[0].id) as reader:
            assert reader.duration_seconds >= 0.5
    finally:
        again.lock()


def test_a_silent_input_warns_after_30_seconds(
        qtbot: QtBot, core: CoreContext, runner: TaskRunner) -> None:
    # Digital silence, generated faster than real time: 30 s of it arrive at once (and
    # more behind, so the source does not end before the test stops it).
    core.recording.source_factory = lambda: ToneSource(600.0, amplitude=0.0)
    try:
        filler, record_id = open_interview(
            qtbot, core, runner, {"consent": "yes", "consent_recording": "yes"})
        bar = bar_of(filler)
        click(qtbot, bar.record_button)
        assert bar.warning.text() == ""
        active = bar.active
        assert active is not None
        qtbot.waitUntil(lambda: bar.warning.text().startswith("No sound for"), timeout=10000)
        assert "microphone" in bar.warning.text()
        click(qtbot, bar.stop_button)
        assert bar.state == "idle" and bar.warning.text() == ""
    finally:
        core.recording.source_factory = None
    assert [a.id for a in core.store.attachments.list(record_id)] == [active.attachment_id]


def test_finalising_stops_and_keeps_the_recording(
        qtbot: QtBot, core: CoreContext, runner: TaskRunner, tone_source: None) -> None:
    filler, record_id = open_interview(qtbot, core, runner,
                                       {"consent": "yes", "consent_recording": "yes"})
    bar = bar_of(filler)
    qtbot.waitUntil(bar.record_button.isEnabled)
    click(qtbot, bar.record_button)
    qtbot.waitUntil(lambda: bar.active is not None
                    and bar.active.status().elapsed_seconds >= 0.5, timeout=5000)
    filler.finalise_action.trigger()
    qtbot.waitUntil(lambda: filler.review_dialog is not None, timeout=10_000)
    dialog = filler.review_dialog
    assert dialog is not None
    controller = filler.controller
    outcome: list[str] = []
    controller.finalised.connect(lambda _r: outcome.append("finalised"))
    controller.finalise_refused.connect(lambda _p: outcome.append("refused"))
    with qtbot.waitSignal(bar.stopped):
        dialog.finalise_requested.emit("")  # the interviewer confirms
    # Stopped before the finalise ran, whatever its outcome.
    qtbot.waitUntil(lambda: bool(outcome), timeout=10_000)
    assert bar.state == "idle" and bar.active is None
    assert len(core.store.attachments.list(record_id)) == 1


def test_a_source_that_ends_shows_the_recording_stopped_and_keeps_it(
        qtbot: QtBot, core: CoreContext, runner: TaskRunner) -> None:
    core.recording.source_factory = lambda: ToneSource(2.0)
    try:
        filler, record_id = open_interview(
            qtbot, core, runner, {"consent": "yes", "consent_recording": "yes"})
        bar = bar_of(filler)
        with qtbot.waitSignal(bar.stopped, timeout=10000) as stopped:
            click(qtbot, bar.record_button)
        assert bar.state == "idle" and bar.state_label.text() == "Recording stopped"
        assert bar.warning.text().startswith("Recording stopped: the sound input ended")
        assert "kept" in bar.warning.text() and bar.record_button.isEnabled()
        info = stopped.args[0]
        assert [a.id for a in core.store.attachments.list(record_id)] == [info.id]
        with core.recording.open_audio(info.id) as reader:
            assert abs(reader.duration_seconds - 2.0) < 0.005
        click(qtbot, bar.record_button)  # a new recording clears the note
        assert bar.state_label.text() == "● Recording" and bar.warning.text() == ""
        bar.stop()
    finally:
        core.recording.source_factory = None


def test_a_lost_microphone_shows_why_the_recording_stopped(
        qtbot: QtBot, core: CoreContext, runner: TaskRunner) -> None:
    class Unplugged(ToneSource):
        def read(self, timeout: float) -> Block | None:
            if self._done >= RATE:  # one second, then the device goes away
                raise InputLost("the input stream stopped")
            return super().read(timeout)

    core.recording.source_factory = lambda: Unplugged(60.0)
    try:
        filler, record_id = open_interview(
            qtbot, core, runner, {"consent": "yes", "consent_recording": "yes"})
        bar = bar_of(filler)
        with qtbot.waitSignal(bar.stopped, timeout=10000) as stopped:
            click(qtbot, bar.record_button)
    finally:
        core.recording.source_factory = None
    assert bar.state == "idle" and bar.state_label.text() == "Recording stopped"
    assert bar.warning.text().startswith("The microphone stopped sending sound")
    assert [a.id for a in core.store.attachments.list(record_id)] == [stopped.args[0].id]


def test_tags_are_chips_and_notes_are_stamped_while_recording(
        qtbot: QtBot, core: CoreContext, runner: TaskRunner, tone_source: None) -> None:
    filler, record_id = open_interview(qtbot, core, runner,
                                       {"consent": "yes", "consent_recording": "yes"})
    filler.controller.go_to("approach/approach_overview")
    settle(qtbot, filler)
    notes = filler.notes
    assert notes is not None and filler.notes_path == "approach/approach_overview"
    assert "Alt+1" in filler.findChild(QPushButton, "tag_barrier").toolTip()

    # Not recording: a tag is a chip with no time, no text goes into the notes.
    click(qtbot, filler.findChild(QPushButton, "tag_barrier"))
    assert notes.toPlainText() == ""
    chip = filler.findChild(QPushButton, "chip_0")
    assert chip is not None and chip.text().startswith("#barrier") and ":" not in chip.text()

    bar = bar_of(filler)
    click(qtbot, bar.record_button)
    qtbot.waitUntil(lambda: bar.active is not None
                    and bar.active.status().elapsed_seconds >= 1.0, timeout=5000)
    notes.setFocus()
    qtbot.keyClicks(notes, "Protected time is rare.")
    qtbot.keyClick(notes, Qt.Key.Key_Return)
    qtbot.keyClicks(notes, "Second thought")
    filler.activateWindow()
    qtbot.waitUntil(filler.isActiveWindow)
    qtbot.keyClick(notes, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)  # #enabler
    qtbot.waitUntil(lambda: filler.findChild(QPushButton, "chip_1") is not None)
    enabler = filler.findChild(QPushButton, "chip_1")
    assert enabler.text().startswith("#enabler  00:0")
    qtbot.keyClick(notes, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert filler.key_quote_box is not None and filler.key_quote_box.hasFocus()
    qtbot.keyClicks(filler.key_quote_box, "Time, not methods.")

    state = core.notes.state(record_id)
    marks = {(m.path, m.kind, m.index, m.tag) for m in state.marks}
    assert marks == {("approach/approach_overview", "paragraph", 0, ""),
                     ("approach/approach_overview", "paragraph", 1, ""),
                     ("approach/approach_overview", "tag", 1, "enabler"),
                     ("approach/key_quote_approach", "quote", 0, "")}
    assert all(m.recording == bar.active.name and m.position_ms >= 1000 for m in state.marks)

    # The chip's cross removes the tag (and its mark); the other stays.
    click(qtbot, filler.findChild(QPushButton, "chip_0"))
    qtbot.waitUntil(lambda: filler.findChild(QPushButton, "chip_0") is None)
    state = core.notes.state(record_id)
    assert [t.tag for t in state.tags["approach/approach_overview"]] == ["enabler"]
    bar.stop()
    settle(qtbot, filler)
    assert "#" not in (filler.controller.record.session.raw(  # type: ignore[attr-defined]
        "approach/approach_overview") or "")


def test_the_read_only_view_shows_the_tags_and_each_notes_recording_time(
        qtbot: QtBot, core: CoreContext, runner: TaskRunner, tone_source: None) -> None:
    """Notes typed while recording, a tag, a key quote; then the record viewed read-only:
    the tag is a chip with its time and no cross, and the notes' times are listed; nothing
    there can change them."""
    from PySide6.QtWidgets import QLabel

    from ui.controller import ViewController
    from ui.main_window import load_view

    filler, record_id = open_interview(qtbot, core, runner,
                                       {"consent": "yes", "consent_recording": "yes"})
    filler.controller.go_to("approach/approach_overview")
    settle(qtbot, filler)
    notes = filler.notes
    assert notes is not None
    bar = bar_of(filler)
    click(qtbot, bar.record_button)
    qtbot.waitUntil(lambda: bar.active is not None
                    and bar.active.status().elapsed_seconds >= 1.0, timeout=5000)
    notes.setFocus()
    qtbot.keyClicks(notes, "Protected time is rare.")
    qtbot.keyClick(notes, Qt.Key.Key_Return)
    qtbot.keyClicks(notes, "Second thought")
    click(qtbot, filler.findChild(QPushButton, "tag_barrier"))
    assert filler.key_quote_box is not None
    filler.key_quote_box.setFocus()
    qtbot.keyClicks(filler.key_quote_box, "Time, not methods.")
    bar.stop()
    settle(qtbot, filler)
    state = core.notes.state(record_id)
    times = {(m.kind, m.index): m.position_ms for m in state.marks}
    assert set(times) == {("paragraph", 0), ("paragraph", 1), ("tag", 0), ("quote", 0)}
    filler.close()

    fill, title, _has_pack, spent = load_view(core, record_id)
    viewer = InterviewFiller(ViewController(fill, runner), title, spent=spent,
                             recording=core.recording, record_id=record_id, notes=core.notes)
    qtbot.addWidget(viewer)
    viewer.resize(1366, 700)
    viewer.show()
    viewer.start()
    qtbot.waitUntil(lambda: viewer._shown_key is not None)
    assert viewer.read_only and viewer.recording_bar is None
    viewer.controller.go_to("approach/approach_overview")
    qtbot.waitUntil(lambda: viewer.notes_path == "approach/approach_overview")
    assert viewer.findChild(QPushButton, "tag_barrier") is None  # no adding
    chip = viewer.findChild(QLabel, "chip_0")
    assert chip is not None and chip.isVisible()
    seconds = times[("tag", 0)] // 1000
    assert chip.text() == f"#barrier  00:{seconds:02d}"
    assert viewer.findChild(QPushButton, "chip_0") is None  # no cross to remove it
    label = viewer.note_times
    assert label is not None and label.isVisible()

    def at(kind: str, index: int) -> str:
        return f"00:{times[(kind, index)] // 1000:02d}"

    assert label.text() == (f"In the recording: Note 1 at {at('paragraph', 0)}; "
                            f"Note 2 at {at('paragraph', 1)}; Key quote at {at('quote', 0)}")
    assert core.notes.state(record_id) == state
