"""The Coding page plays an interview's recording beside its transcript: the built-in
study's interviews, the first recorded (generated speech, or a tone without espeak-ng),
stored as the centre stores a merged attachment; the others show no player."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.demo_audio import recorded_demo_central
from ui.admin.console import AdminConsole, register_pages
from ui.admin.pages.coding import CodingPage
from ui.tasks import TaskRunner

PASSPHRASE = "copper kettle harbour 42"


@pytest.fixture
def console(qtbot: QtBot, tmp_path: Path, runner: TaskRunner) -> Iterator[tuple[AdminConsole, str]]:
    folder, record_id = recorded_demo_central(tmp_path / "central", PASSPHRASE)
    desk = AdminDesk.open(folder, PASSPHRASE)
    widget = AdminConsole(desk, runner, target=str(folder))
    register_pages(widget)
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    widget.show()
    yield widget, record_id.hex
    if widget.close_desk() is not None:
        runner.wait()


def test_coding_page_plays_a_recorded_interview(
    qtbot: QtBot, console: tuple[AdminConsole, str],
) -> None:
    widget, recorded = console
    widget.show_page("coding")
    page = widget.page("coding")
    assert isinstance(page, CodingPage)
    panel = page.transcript
    qtbot.waitUntil(lambda: panel.interviews.rowCount() == 3, timeout=30_000)
    rows = {panel.interviews.interview_at(r).record_id.hex: r
            for r in range(panel.interviews.rowCount())}
    panel.list.selectRow(rows[recorded])
    qtbot.waitUntil(lambda: panel.player.session is not None, timeout=30_000)
    player = panel.player
    assert player.isVisible() and "interview.opus" in player.title.text()
    assert player.session is not None and player.session.duration_ms > 10_000
    player.seek(7_000)
    assert player.position_ms == 7_000 and player.time.text().startswith("0:07 /")

    other = next(r for h, r in rows.items() if h != recorded)
    panel.list.selectRow(other)
    qtbot.waitUntil(lambda: panel.view.transcript is not None
                    and panel.view.transcript.record_id.hex != recorded, timeout=30_000)
    qtbot.waitUntil(lambda: panel.player.session is None and not panel.player.isVisible())
    qtbot.wait(200)  # the recording's lookup for this interview has come back
    assert not panel.player.isVisible() and not panel.player.message.isVisible()


def test_a_stretch_of_the_recording_is_coded_from_the_player_and_played_again(
    qtbot: QtBot, console: tuple[AdminConsole, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl+Shift+K at 0:02, seek, Ctrl+Shift+K at 0:05, a code picked with the
    keyboard: the stretch is coded (in the store, and listed with its time range), and
    a click on it in the list takes the player back to its start."""
    from PySide6.QtCore import Qt

    widget, recorded = console
    widget.show_page("coding")
    page = widget.page("coding")
    assert isinstance(page, CodingPage)
    panel = page.transcript
    qtbot.waitUntil(lambda: panel.interviews.rowCount() == 3, timeout=30_000)
    rows = {panel.interviews.interview_at(r).record_id.hex: r
            for r in range(panel.interviews.rowCount())}
    panel.list.selectRow(rows[recorded])
    qtbot.waitUntil(lambda: panel.player.session is not None
                    and panel.stretches.isVisible(), timeout=30_000)
    qtbot.waitUntil(lambda: page.session.tree.rowCount() > 0, timeout=30_000)
    assert not panel.stretches.list.isVisible()  # nothing coded on the recording yet
    player, stretches = panel.player, panel.stretches
    # Playing needs a sound device; seeking is what the marks read.
    monkeypatch.setattr(player, "play", lambda: None)
    player.seek(5_000)
    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_K,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert stretches.start_ms == 5_000 and "0:05" in stretches.state.text()
    player.seek(2_000)  # marked backwards: taken the right way round
    qtbot.keyClick(panel.view, Qt.Key.Key_K,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: panel.picker is not None and panel.picker.isVisible())
    picker = panel.picker
    assert picker is not None and picker.windowTitle() == "Code the stretch"
    qtbot.keyClick(picker.filter, Qt.Key.Key_Return)
    chosen = picker.chosen()
    assert len(chosen) == 1

    def audio() -> list[object]:
        t = panel.view.transcript
        return [] if t is None else [c for c in t.codings if c.audio]

    qtbot.waitUntil(lambda: len(audio()) == 1, timeout=20_000)
    (made,) = [c for c in panel.view.transcript.codings if c.audio]  # type: ignore[union-attr]
    assert (made.start_ms, made.end_ms, made.code) == (2_000, 5_000, chosen[0].guid)
    assert stretches.start_ms is None
    qtbot.waitUntil(lambda: stretches.list.count() == 1 and stretches.list.isVisible())
    item = stretches.list.item(0)
    assert item.text().startswith("▶ 0:02–0:05") and chosen[0].name in item.text()
    player.seek(9_000)
    rect = stretches.list.visualItemRect(item)
    qtbot.mouseClick(stretches.list.viewport(), Qt.MouseButton.LeftButton,
                     pos=rect.center())
    assert player.position_ms == 2_000
    # The code's passages list it with its time range; opening it plays it.
    page.codebook.select_code(chosen[0].guid)
    page.tabs.setCurrentWidget(page.passages)
    model = page.passages.model
    qtbot.waitUntil(lambda: any(model.passage_at(r).coding.audio
                                for r in range(model.rowCount())), timeout=20_000)
    row = next(r for r in range(model.rowCount()) if model.passage_at(r).coding.audio)
    assert model.index(row, model.PASSAGE).data() == "▶ Recording 0:02–0:05"
    player.seek(9_000)
    page.passages.table.setCurrentIndex(model.index(row, 0))
    page.passages.jump_button.click()
    assert page.tabs.currentWidget() is page.transcript
    qtbot.waitUntil(lambda: player.position_ms == 2_000)
