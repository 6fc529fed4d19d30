"""The small "saved" indicator: it says Saved only once the autosave write has completed."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QLabel, QWidget


class SavedIndicator(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("savedIndicator")
        self.state = "idle"
        self.set_state("idle")

    def set_state(self, state: str) -> None:
        self.state = state
        if state == "saving":
            text = self.tr("Saving…")
        elif state == "saved":
            text = self.tr("All changes saved {0}").format(dt.datetime.now().strftime("%H:%M:%S"))
        elif state == "failed":
            text = self.tr("Not saved — see the message")
        elif state == "read_only":
            text = self.tr("Finalised (read-only)")
        else:
            text = ""
        self.setText(text)
        self.setProperty("state", state)
        self.style().unpolish(self)
        self.style().polish(self)
