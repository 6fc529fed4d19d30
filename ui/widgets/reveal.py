"""Bringing a widget into view inside whatever scroll area holds it (the admin console
puts every page in one, so that large text scrolls instead of squeezing the page)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QScrollArea, QWidget


def scroll_area_of(widget: QWidget) -> QScrollArea | None:
    """The nearest scroll area holding ``widget``, if any."""
    area = widget.parentWidget()
    while area is not None and not isinstance(area, QScrollArea):
        area = area.parentWidget()
    return area


def reveal(widget: QWidget) -> None:
    """Scroll the nearest scroll area holding ``widget`` until all of it shows, or its top
    when it is taller than the area. A widget just shown has no place yet: its page grows
    on a later turn of the event loop, and the scroll area's range with it, so the scroll
    is made on that change of range (once), and on the next turn in case the range does
    not change. (Not `QScrollArea.ensureWidgetVisible`: for a text box it shows only the
    line its cursor is on.)"""
    area = scroll_area_of(widget)
    if area is None:
        return
    holder = area

    def scroll(*_range: int) -> None:
        content = holder.widget()
        if content is None or not content.isAncestorOf(widget):
            return
        bar = holder.verticalScrollBar()
        top = widget.mapTo(content, QPoint(0, 0)).y()
        bottom = top + widget.height()
        room = holder.viewport().height()
        if bottom > bar.value() + room:
            bar.setValue(min(top, bottom - room))
        elif top < bar.value():
            bar.setValue(top)

    holder.verticalScrollBar().rangeChanged.connect(
        scroll, Qt.ConnectionType.SingleShotConnection)
    QTimer.singleShot(0, widget, scroll)
