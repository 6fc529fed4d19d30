"""The heading every console page starts with: one size, one style (``pageTitle`` in
app.qss), so the pages read as one app."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from ui.widgets.fonts import scale_font


def page_title(text: str, parent: QWidget) -> QLabel:
    title = QLabel(text, parent)
    title.setObjectName("pageTitle")
    scale_font(title, 1.3, bold=True)
    return title
