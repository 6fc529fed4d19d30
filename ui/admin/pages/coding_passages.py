"""The Coding page's "Code's passages": every passage coded with the chosen code, with its
interview, section, stakeholder group, coder and origin. Enter (or a double click) on
one jumps back to it in the transcript; a coding from the field is confirmed or undone
here too."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.admin.coding_values import Code, CodedPassage
from ui.admin.models.coding import PassagesModel
from ui.admin.pages.coding_session import CodingSession
from ui.admin.pages.column_fit import ColumnFit, fixed_rows


class PassagesPanel(QWidget):
    #: Show this passage in the transcript (its `CodedPassage`).
    jump_requested = Signal(object)
    #: A short note of what was done.
    said = Signal(str)

    def __init__(self, session: CodingSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codePassages")
        self.session = session
        self.code: Code | None = None
        self._asked = 0
        self.heading = QLabel(self.tr("Choose a code in the codebook."), self)
        self.heading.setWordWrap(True)
        self.model = PassagesModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("codePassagesTable")
        self.table.setAccessibleName(self.tr("The code's passages"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        # Where a passage is (interview, section, group) wraps onto two lines rather
        # than being cut: the passage's own words keep the most room.
        self.table.setWordWrap(True)
        # Interview, section, group, passage, coder, origin.
        self.fit = ColumnFit(self.table, (18, 16, 14, 30, 9, 13))
        fixed_rows(self.table, 2)
        self.jump_button = QPushButton(self.tr("&Show in the transcript"), self)
        self.confirm_button = QPushButton(self.tr("Confirm fie&ld coding"), self)
        self.undo_button = QPushButton(self.tr("&Undo field coding"), self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.jump_button)
        buttons.addStretch(1)
        buttons.addWidget(self.confirm_button)
        buttons.addWidget(self.undo_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.table.activated.connect(self._on_table_activated)
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._enable())
        self.jump_button.clicked.connect(lambda: self._on_table_activated(
            self.table.currentIndex()))
        self.confirm_button.clicked.connect(lambda: self.settle_current(True))
        self.undo_button.clicked.connect(lambda: self.settle_current(False))
        session.codings_changed.connect(self.reload)
        self._enable()

    def show_code(self, code: Code | None) -> None:
        # The same code again (the codebook re-read, nothing changed in it): what is
        # listed stands; changed codings reload through codings_changed.
        if code is not None and code == self.code:
            return
        self.code = code
        self.reload()

    def reload(self) -> None:
        coding, code = self.session.coding, self.code
        if coding is None or code is None:
            self.model.set_passages(())
            self.heading.setText(self.tr("Choose a code in the codebook."))
            self._enable()
            return
        self._asked += 1
        asked = self._asked
        self.session.call(coding.passages, code.guid, owner=self,
                          done=lambda rows: self._on_passages(asked, rows))

    def _on_passages(self, asked: int, rows: object) -> None:
        if asked != self._asked or not isinstance(rows, tuple) or self.code is None:
            return
        current = self.current()
        self.model.set_passages(rows)
        interviews = len({r.coding.record_id for r in rows})
        field = sum(1 for r in rows if r.coding.origin == "field" and not r.coding.confirmed)
        text = self.tr("“{0}”: {1} passages in {2} interviews").format(
            self.code.name, len(rows), interviews)
        if field:
            text += self.tr(" · {0} from the field to confirm").format(field)
        self.heading.setText(text)
        if current is not None:
            for row in range(self.model.rowCount()):
                if self.model.passage_at(row).coding.guid == current.coding.guid:
                    self.table.selectRow(row)
        self._enable()

    def current(self) -> CodedPassage | None:
        index = self.table.currentIndex()
        return self.model.passage_at(index.row()) if index.isValid() else None

    def _enable(self) -> None:
        current = self.current()
        self.jump_button.setEnabled(current is not None)
        field = current is not None and current.coding.origin == "field"
        self.confirm_button.setEnabled(field and current is not None
                                       and not current.coding.confirmed)
        self.undo_button.setEnabled(field)

    def _on_table_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.jump_requested.emit(self.model.passage_at(index.row()))

    def settle_current(self, keep: bool) -> None:
        """Confirm (``keep``) or undo the chosen coding from the field."""
        current, coding = self.current(), self.session.coding
        if current is None or coding is None or current.coding.origin != "field":
            return
        fn = coding.confirm_coding if keep else coding.undo_coding
        self.session.call(fn, current.coding.guid, changes=True, owner=self,
                          done=lambda _r: self.said.emit(
                              self.tr("Coding from the field confirmed.") if keep
                              else self.tr("Coding from the field undone.")))



