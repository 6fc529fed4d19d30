"""Builds the QApplication and the first window.

For now the first window only says the app is starting; the unlock screen and the main
window arrive with the interviewer-app issue.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QVBoxLayout, QWidget

from qi_capture import __version__

APP_TITLE = "QI Capture"


class StartingWindow(QMainWindow):
    """A calm placeholder shown while the real screens are built."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(self.tr("QI Capture"))
        body = QWidget(self)
        layout = QVBoxLayout(body)
        title = QLabel(self.tr("QI Capture is starting…"), body)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        title.setFont(font)
        version = QLabel(self.tr("Version {0}").format(__version__), body)
        version.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(version)
        layout.addStretch(1)
        self.setCentralWidget(body)
        self.resize(640, 400)


def create_application(argv: Sequence[str]) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(list(argv))
    app.setApplicationName(APP_TITLE)
    app.setApplicationVersion(__version__)
    return app


def run(argv: Sequence[str] | None = None) -> int:
    app = create_application(sys.argv if argv is None else argv)
    window = StartingWindow()
    window.show()
    return app.exec()
