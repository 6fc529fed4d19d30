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
