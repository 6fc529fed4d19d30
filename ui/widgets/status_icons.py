"""Small round status marks drawn in code (no image files to ship): answered (green,
tick-like), unanswered (hollow grey), invalid (red), and the colours the app uses."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

#: NHS identity colours, used sparingly.
NHS_BLUE = "#005EB8"
NHS_GREEN = "#007F3B"
NHS_RED = "#D5281B"
NHS_GREY = "#768692"


@cache
def status_icon(state: str, size: int = 14) -> QIcon:
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    rect = QRectF(3, 3, size * 2 - 6, size * 2 - 6)
    if state == "answered":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(NHS_GREEN))
        painter.drawEllipse(rect)
        pen = QPen(QColor("white"), size / 5)
        painter.setPen(pen)
        s = size * 2
        painter.drawPolyline([QPointF(s * 0.28, s * 0.52), QPointF(s * 0.44, s * 0.68),
                              QPointF(s * 0.72, s * 0.34)])  # a tick
    elif state == "invalid":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(NHS_RED))
        painter.drawEllipse(rect)
        painter.setPen(QPen(QColor("white"), size / 5))
        s = size * 2
        painter.drawLine(int(s * 0.5), int(s * 0.26), int(s * 0.5), int(s * 0.58))
        painter.drawPoint(int(s * 0.5), int(s * 0.73))
    else:
        painter.setPen(QPen(QColor(NHS_GREY), size / 6))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(rect)
    painter.end()
    return QIcon(pixmap)
