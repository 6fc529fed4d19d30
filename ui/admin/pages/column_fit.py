"""Table columns that share the table's width by weight, so that every column stays on
screen however narrow the window or large the text (a stretched last column alone
pushes the others off to the right, behind a scroll bar)."""

from __future__ import annotations

from collections.abc import Sequence

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHeaderView, QTableView


class ColumnFit(QObject):
    """Keep ``table``'s columns at ``weights`` shares of its viewport's width, each at
    least ``floor`` characters wide."""

    def __init__(self, table: QTableView, weights: Sequence[int], *, floor: int = 5) -> None:
        super().__init__(table)
        self._table = table
        self._weights = tuple(weights)
        self._floor = floor
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.installEventFilter(self)
        # New rows may bring a vertical scroll bar: share out again once laid out.
        self._later = QTimer(self)
        self._later.setSingleShot(True)
        self._later.timeout.connect(self.fit)
        model = table.model()
        if model is not None:
            model.modelReset.connect(self._later.start)
            model.rowsInserted.connect(self._later.start)
        self.fit()

    def fit(self, outer: int | None = None) -> None:
        """Share out the viewport's width (or what it will be inside ``outer``, the
        table's new width: the filter sees the resize before the viewport follows)."""
        table = self._table
        width = table.viewport().width()
        if outer is not None:
            bar = table.verticalScrollBar()
            width = outer - table.frameWidth() * 2 - (
                bar.sizeHint().width() if bar.isVisible() else 0)
        total = sum(self._weights) or 1
        least = self._table.fontMetrics().averageCharWidth() * self._floor
        used = 0
        for column, weight in enumerate(self._weights):
            if column == len(self._weights) - 1:
                share = max(least, width - used)
            else:
                share = max(least, width * weight // total)
            self._table.setColumnWidth(column, share)
            used += share

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The table's own resizes (its viewport follows); never while it is being torn
        # down.
        if event.type() == QEvent.Type.Resize and shiboken6.isValid(self._table) \
                and watched is self._table and isinstance(event, QResizeEvent):
            self.fit(event.size().width())
        return False


def fixed_rows(table: QTableView, lines: int = 2) -> None:
    """Every row ``lines`` lines tall (wrapped text within, the cell's tooltip holds the
    rest). Fixed, not measured: measuring thousands of wrapped rows costs seconds."""
    header = table.verticalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    header.setDefaultSectionSize(table.fontMetrics().height() * lines + 8)
