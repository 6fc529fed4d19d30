"""How the records table paints a cell: the model's text for it, straight from the model.

Qt's own delegate asks the model for seven roles per cell (font, alignment, colours,
check state, icon, text, background), each a call into Python: a screen of the table is
about 160 cells, and those calls were a third of its paint (bench/admin.py). The records
model answers none of them but the text and, on a conflict's review cell, a bold font, so
this delegate sets just those on the style option and lets Qt's delegate draw the rest
(selection, alternating rows, eliding) as it always does.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from ui.admin.models.records import AdminRecordsModel

_HAS_DISPLAY = QStyleOptionViewItem.ViewItemFeature.HasDisplay


class RecordsDelegate(QStyledItemDelegate):
    """Paints `AdminRecordsModel` cells from `AdminRecordsModel.cell_text`; any other
    model's cells as Qt's delegate does."""

    def initStyleOption(self, option: QStyleOptionViewItem,
                        index: QModelIndex | QPersistentModelIndex) -> None:
        model = index.model()
        if not isinstance(model, AdminRecordsModel):
            super().initStyleOption(option, index)
            return
        row, column = index.row(), index.column()
        if isinstance(index, QModelIndex):  # as Qt's delegate does (some styles read it)
            option.index = index
        option.text = model.cell_text(row, column)
        option.features |= _HAS_DISPLAY
        if column == AdminRecordsModel.STATUS and model.in_conflict_at(row):
            bold = QFont(option.font)
            bold.setBold(True)
            option.font = bold
            option.fontMetrics = QFontMetrics(bold)
