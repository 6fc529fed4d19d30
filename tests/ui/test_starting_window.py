from __future__ import annotations

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from qi_capture import __version__
from ui.app import StartingWindow


def test_starting_window_shows_title_and_version(qtbot: QtBot) -> None:
    window = StartingWindow()
    qtbot.addWidget(window)
    window.show()
    assert window.windowTitle() == "QI Capture"
    texts = [label.text() for label in window.findChildren(QLabel)]
    assert any("starting" in t for t in texts)
    assert any(__version__ in t for t in texts)
