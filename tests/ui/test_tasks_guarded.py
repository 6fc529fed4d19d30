"""A task's lambda must not reach a widget deleted before the task finished (the admin
closed the central store while a page was still loading)."""

from __future__ import annotations

import shiboken6
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from ui.tasks import TaskRunner, guarded


def test_a_guarded_lambda_skips_a_deleted_widget(qtbot: QtBot) -> None:
    runner = TaskRunner()
    seen: list[str] = []
    alive, doomed = QLabel(), QLabel()
    for label, name in ((alive, "alive"), (doomed, "doomed")):
        task = runner.run(lambda n=name: n)
        task.finished.connect(guarded(label, lambda text, lb=label: (seen.append(text),
                                                                     lb.setText(text))))
    shiboken6.delete(doomed)  # before any result can arrive: they come through the loop
    qtbot.waitUntil(lambda: runner.wait(100) and seen == ["alive"], timeout=5_000)
    qtbot.wait(50)
    assert seen == ["alive"] and alive.text() == "alive"
