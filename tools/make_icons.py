"""Draws the application icon (resources/icons/app.png and app.ico) with Qt.

The icon is generated rather than hand-drawn so it can be regenerated at any size and
reviewed as code: a rounded NHS-blue square with a white check mark and "QI".
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python tools/make_icons.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter, QPainterPath, QPen

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
NHS_BLUE = QColor("#005EB8")


def draw(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    margin = size * 0.06
    rect = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(NHS_BLUE)
    painter.drawRoundedRect(rect, size * 0.18, size * 0.18)
    pen = QPen(QColor("white"), size * 0.09)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    tick = QPainterPath(QPointF(size * 0.22, size * 0.52))
    tick.lineTo(QPointF(size * 0.40, size * 0.70))
    tick.lineTo(QPointF(size * 0.78, size * 0.28))
    painter.drawPath(tick)
    font = QFont("DejaVu Sans")
    font.setBold(True)
    font.setPixelSize(max(6, int(size * 0.20)))
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(QRectF(size * 0.52, size * 0.60, size * 0.36, size * 0.28),
                     Qt.AlignmentFlag.AlignCenter, "QI")
    painter.end()
    return image


def main() -> int:
    QGuiApplication.instance() or QGuiApplication(sys.argv)
    ICONS.mkdir(parents=True, exist_ok=True)
    if not draw(256).save(str(ICONS / "app.png")):
        raise SystemExit("could not write app.png")
    if not draw(256).save(str(ICONS / "app.ico")):
        raise SystemExit("could not write app.ico (Qt's ico image plugin is missing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
