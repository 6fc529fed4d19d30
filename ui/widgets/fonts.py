"""Fonts relative to the system font, so text scales with the system setting."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def scale_font(widget: QWidget, factor: float, *, bold: bool = False) -> None:
    font = widget.font()
    font.setPointSizeF(font.pointSizeF() * factor)
    font.setBold(bold)
    widget.setFont(font)
