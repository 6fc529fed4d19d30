"""The centre's recording player, driven by pytest-qt: a recorded interview (a generated
tone through the laptop's recorder, a bundle and a merge) on the record view, its notes'
times shown and clickable, and the player's controls; with no sound device a clear
message while the position keeps working."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from qi_capture.audio.marks import NoteMark
from qi_capture.audio.sources import tone
from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.dto import RecordDetail
from tests import needs
from tests.e2e.conftest import MERGE_FORM as MERGE
from tests.e2e.conftest import PASSPHRASE, MakeWorld, make_world  # noqa: F401 - fixture
from tests.e2e.recorded import recorded_centre
from ui.admin.pages.record_view import RecordView
from ui.tasks import TaskRunner
from ui.widgets.player import Player, clock

SECONDS = 12.0
NOTES = "Met the council twice.\nFunding was the main barrier.\nYouth club wants evenings."


@pytest.fixture
def no_speaker(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default output is a device that does not exist: the same error everywhere,
    with or without a sound card."""
    needs.portaudio()
    import sounddevice

    monkeypatch.setattr(sounddevice.default, "device", [None, 987654])


@pytest.fixture
def desk_and_record(make_world: MakeWorld) -> Iterator[tuple[AdminDesk, str]]:  # noqa: F811
    central, record_id, _attachment = recorded_centre(
        make_world, tone(SECONDS), {"org": NOTES, "staff": "12"})
    with AdminDesk.open(central, PASSPHRASE) as desk:
        yield desk, record_id.hex


def marks() -> tuple[NoteMark, ...]:
    return (
        NoteMark("org", "paragraph", 0, "", "interview.opus", 2_000),
        NoteMark("org", "paragraph", 2, "", "interview.opus", 9_500),
        NoteMark("org", "tag", 0, "barrier", "interview.opus", 6_250),
    )


def read_detail(qtbot: QtBot, runner: TaskRunner, desk: AdminDesk, ref: str) -> RecordDetail:
    got: list[object] = []
    task = runner.run(desk.record, ref)
    task.finished.connect(got.append)
    task.failed.connect(got.append)
    qtbot.waitUntil(lambda: bool(got), timeout=20_000)
    assert isinstance(got[0], RecordDetail), got
    return got[0]


def click_text(qtbot: QtBot, view: RecordView, text: str) -> None:
    """A real mouse click on the first occurrence of ``text`` in the answers."""
    found = view.answers.document().find(text)
    assert not found.isNull(), text
    found.setPosition(found.selectionStart() + 1, QTextCursor.MoveMode.MoveAnchor)
    point = view.answers.cursorRect(found).center()
    qtbot.mouseClick(view.answers.viewport(), Qt.MouseButton.LeftButton, pos=point)


def test_record_view_plays_the_recording_from_a_notes_time(
    qtbot: QtBot, runner: TaskRunner, desk_and_record: tuple[AdminDesk, str],
    no_speaker: None,
) -> None:
    desk, ref = desk_and_record
    view = RecordView(desk, runner)
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    detail = dataclasses.replace(read_detail(qtbot, runner, desk, ref), note_marks=marks())
    view.show_detail(detail)
    player = view.player
    qtbot.waitUntil(lambda: player.session is not None, timeout=20_000)
    assert player.isVisible()
    assert player.time.text() == f"0:00 / {clock(round(SECONDS * 1000))}"
    assert "interview.opus" in player.title.text()

    text = view.answers.toPlainText()
    # Each timed paragraph after its time; the tag's time after the note.
    assert "▶ 0:02  Met the council twice." in text.replace("\xa0", " ")
    assert "▶ 0:09  Youth club wants evenings." in text.replace("\xa0", " ")
    assert "▶ 0:06 tag: barrier" in text
    assert "Funding was the main barrier." in text

    click_text(qtbot, view, "▶ 0:09")
    # No speaker: said once, clearly; the position moved all the same.
    assert player.message.isVisible()
    assert "No speaker or headphones" in player.message.text()
    assert "still work" in player.message.text()
    assert player.position_ms == 9_500
    assert player.time.text().startswith("0:09 /")
    assert player.slider.value() == 9_500
    click_text(qtbot, view, "▶ 0:06 tag")
    assert player.position_ms == 6_250

    view.clear()
    assert player.session is None and not player.isVisible()


def test_player_controls(
    qtbot: QtBot, desk_and_record: tuple[AdminDesk, str], no_speaker: None,
) -> None:
    desk, ref = desk_and_record
    player = Player()
    qtbot.addWidget(player)
    player.show()
    assert not player.play_button.isEnabled()
    player.set_session(desk.open_recording(ref))
    session = player.session
    assert session is not None and player.play_button.isEnabled()
    # Seek by keyboard on the position slider: page steps are the 5 s jump.
    player.slider.setFocus()
    qtbot.keyClick(player.slider, Qt.Key.Key_PageUp)
    assert session.position_ms == 5_000
    qtbot.keyClick(player.slider, Qt.Key.Key_End)
    assert session.position_ms == session.duration_ms
    qtbot.mouseClick(player.back_button, Qt.MouseButton.LeftButton)
    assert session.position_ms == session.duration_ms - 5_000
    assert player.time.text() == (f"{clock(session.duration_ms - 5_000)} / "
                                  f"{clock(session.duration_ms)}")
    # Speed: every step offered sets the session's.
    seen = []
    for i in range(player.speed.count()):
        player.speed.setCurrentIndex(i)
        seen.append(session.speed)
    assert seen == [0.75, 1.0, 1.25, 1.5, 2.0]
    qtbot.mouseClick(player.play_button, Qt.MouseButton.LeftButton)
    assert player.message.isVisible() and not session.playing
    assert player.play_button.text() == "Play"
    player.set_session(None)
    assert player.time.text() == "0:00 / 0:00" and not player.slider.isEnabled()


def test_a_record_without_audio_shows_no_player(
    qtbot: QtBot, runner: TaskRunner, tmp_path: Path, make_world: MakeWorld,  # noqa: F811
) -> None:
    from qi_capture.central.store import CentralStore
    from qi_capture.services.device_registry import DeviceRegistry
    from qi_capture.services.merge import find_bundles, merge_files
    from qi_capture.storage.profile import Profile
    from qi_capture.sync.admin import AdminProfile
    from qi_capture.sync.folder import sync_folder
    from tests.e2e.conftest import finalise_records

    central_dir, laptop, folder = make_world("merge_e2e.md", MERGE)
    with Profile.unlock(laptop, PASSPHRASE) as store:
        finalise_records(store, 1)
        sync_folder(store, folder)
        device = store.device()
    with CentralStore.open(central_dir, PASSPHRASE) as central:
        assert central.profile is not None
        DeviceRegistry(central).enrol_key(device.public_key)
        merge_files(central, AdminProfile(central.profile), find_bundles([str(folder)]))
    with AdminDesk.open(central_dir, PASSPHRASE) as desk:
        ref = desk.records("merge_e2e").rows[0].short_id
        view = RecordView(desk, runner)
        qtbot.addWidget(view)
        view.show()
        view.show_record(ref)
        qtbot.waitUntil(lambda: view.detail is not None, timeout=20_000)
        assert not view.player.isVisible() and view.player.session is None
        runner.wait()
