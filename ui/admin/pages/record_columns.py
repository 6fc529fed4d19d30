"""The records table's column chooser: which of its optional columns the admin wants,
remembered between runs.

An admin who scans records by name can leave out the columns they never read (the
record beside the table shows them all), so the name gets their room. The chooser is a
"Columns" button (reachable by keyboard) and the same menu on the table's header.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QTableView, QToolButton, QWidget

from ui.admin.models.records import AdminRecordsModel
from ui.admin.settings import left_out_record_columns, save_left_out_record_columns

#: The columns an admin may leave out, by the key they are remembered under (keys, not
#: positions, so a column added later does not shift the choice). The name, the review
#: state and the submission time (the table's first sort) always show.
OPTIONAL: dict[str, int] = {"device": AdminRecordsModel.DEVICE,
                            "interviewer": AdminRecordsModel.INTERVIEWER,
                            "updated": AdminRecordsModel.UPDATED,
                            "id": AdminRecordsModel.SHORT_ID}


class ColumnChooser(QObject):
    """The optional columns' menu; `changed` when the admin shows or leaves one out."""

    changed = Signal()

    def __init__(self, table: QTableView, parent: QWidget) -> None:
        super().__init__(parent)
        model = table.model()
        remembered = left_out_record_columns()
        self._left_out = {column for key, column in OPTIONAL.items() if key in remembered}
        self._names: dict[int, str] = {}
        self._actions: dict[int, QAction] = {}
        self.menu = QMenu(parent)
        self.menu.setObjectName("recordColumnsMenu")
        for key, column in OPTIONAL.items():
            name = str(model.headerData(column, Qt.Orientation.Horizontal))
            action = self.menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(column not in self._left_out)
            action.toggled.connect(lambda on, key=key, column=column:
                                   self._on_toggled(key, column, on))
            self._names[column] = name
            self._actions[column] = action
        self.button = QToolButton(parent)
        self.button.setObjectName("recordColumnsButton")
        self.button.setText(self.tr("Columns"))
        self.button.setToolTip(self.tr("Choose the columns the table shows"))
        self.button.setAccessibleName(self.tr("Choose the columns the table shows"))
        self.button.setMenu(self.menu)
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        header = table.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(
            lambda pos: self.menu.popup(header.mapToGlobal(pos)))

    @property
    def left_out(self) -> frozenset[int]:
        """The columns the admin left out."""
        return frozenset(self._left_out)

    def mark_without_room(self, columns: set[int]) -> None:
        """Say in the menu which wanted columns the table has no room for now (a
        column ticked and not shown would otherwise look like a fault)."""
        for column, action in self._actions.items():
            name = self._names[column]
            action.setText(self.tr("{0} (no room at this width)").format(name)
                           if column in columns else name)

    def _on_toggled(self, key: str, column: int, shown: bool) -> None:
        if shown:
            self._left_out.discard(column)
        else:
            self._left_out.add(column)
        save_left_out_record_columns(frozenset(k for k, c in OPTIONAL.items()
                                               if c in self._left_out))
        self.changed.emit()
