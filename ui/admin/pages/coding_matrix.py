"""The Coding page's matrix: codes by stakeholder group or by footprint, counting the
interviews that mention each code, under the report's disclosure control (a cell under
the minimum reads "< 5" on grey, and its quotes are not shown); the key quotes behind
the chosen cell listed below."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QRect, QStringListModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QListView,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.admin.coding_values import Matrix
from ui.admin.models.coding import MatrixModel
from ui.admin.pages.coding_session import CodingSession, buddy_label


class MatrixPanel(QWidget):
    def __init__(self, session: CodingSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codingMatrix")
        self.session = session
        self._asked = 0
        self.by = QComboBox(self)
        self.by.setAccessibleName(self.tr("Break codes down by"))
        self.by.addItem(self.tr("Stakeholder group"), "group")
        self.by.addItem(self.tr("Footprint"), "footprint")
        self.approved = QCheckBox(self.tr("&Approved interviews only"), self)
        self.approved.setChecked(True)
        self.min_cell = QSpinBox(self)
        self.min_cell.setRange(1, 50)
        self.min_cell.setValue(5)
        self.min_cell.setAccessibleName(self.tr("Smallest count shown"))
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.model = MatrixModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("matrixTable")
        self.table.setAccessibleName(self.tr("Codes by group"))
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # Group names are long ("Improvement lead (QI, …)"): headers wrap, not widen.
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter | Qt.AlignmentFlag.AlignVCenter
                                   | Qt.TextFlag.TextWordWrap)
        self.quotes_label = QLabel(self.tr("Choose a cell to read the quotes behind it."),
                                   self)
        self.quotes_label.setWordWrap(True)
        self.quotes = QStringListModel(self)
        self.quote_list = QListView(self)
        self.quote_list.setObjectName("matrixQuotes")
        self.quote_list.setAccessibleName(self.tr("Quotes behind the cell"))
        self.quote_list.setModel(self.quotes)
        self.quote_list.setWordWrap(True)
        self.quote_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.quote_list.setAlternatingRowColors(True)

        # Two short rows rather than one long one: nothing is cut at large text sizes.
        bar = QGridLayout()
        bar.addWidget(buddy_label(self.tr("Codes &by"), self, self.by), 0, 0)
        bar.addWidget(self.by, 0, 1)
        bar.addWidget(self.approved, 1, 2)
        bar.addWidget(buddy_label(self.tr("&Smallest count shown"), self, self.min_cell), 1, 0)
        bar.addWidget(self.min_cell, 1, 1, Qt.AlignmentFlag.AlignLeft)
        bar.setColumnStretch(3, 1)
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.quotes_label)
        lower_layout.addWidget(self.quote_list, 1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        line = self.fontMetrics().height()
        split.setSizes([line * 20, line * 5])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)

        self.by.currentIndexChanged.connect(lambda _i: self.reload())
        self.approved.toggled.connect(lambda _on: self.reload())
        self.min_cell.valueChanged.connect(lambda _v: self.reload())
        self.table.selectionModel().selectionChanged.connect(self._on_cell_chosen)

    def reload(self) -> None:
        coding = self.session.coding
        if coding is None:
            return
        self._asked += 1
        asked = self._asked
        self.session.call(coding.matrix, str(self.by.currentData()),
                          min_cell=self.min_cell.value(),
                          statuses=("approved",) if self.approved.isChecked() else None,
                          owner=self, done=lambda m: self._on_matrix(asked, m))

    def _on_matrix(self, asked: int, matrix: object) -> None:
        if asked != self._asked or not isinstance(matrix, Matrix):
            return
        self.model.set_matrix(matrix)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self._fit_headers(matrix)
        self.summary.setText(self.tr(
            "Interviews mentioning each code, of {0} interviews. {1} cells under {2} are "
            "not shown (marked “< {2}”), as in the report.").format(
                matrix.interviews, matrix.suppressed, matrix.min_cell))
        self.quotes.setStringList([])
        self.quotes_label.setText(self.tr("Choose a cell to read the quotes behind it."))

    def _fit_headers(self, matrix: Matrix) -> None:
        """Group columns about a dozen characters wide (wider for a longer word), the
        header as tall as the longest group name wrapped within them."""
        header = self.table.horizontalHeader()
        metrics = header.fontMetrics()
        char = metrics.averageCharWidth()
        tallest = metrics.height()
        for column, name in enumerate((*matrix.groups, self.tr("All interviews")), start=1):
            longest = max((metrics.horizontalAdvance(w) for w in name.split()), default=0)
            width = max(char * 13, longest + char * 2)
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            self.table.setColumnWidth(column, width)
            box = metrics.boundingRect(QRect(0, 0, width - char, 10_000),
                                       int(Qt.TextFlag.TextWordWrap), name)
            tallest = max(tallest, box.height())
        header.setFixedHeight(tallest + metrics.height() // 2 + 4)

    def _on_cell_chosen(self, _new: QItemSelection, _old: QItemSelection) -> None:
        index = self.table.currentIndex()
        cell = self.model.cell(index.row(), index.column()) if index.isValid() else None
        if cell is None:
            self.quotes.setStringList([])
            self.quotes_label.setText(self.tr("Choose a cell to read the quotes behind it."))
            return
        code = self.model.row_at(index.row()).code.name
        if cell.suppressed:
            self.quotes.setStringList([])
            self.quotes_label.setText(self.tr(
                "“{0}” · {1}: fewer than {2} interviews, so neither the count nor the "
                "quotes are shown.").format(code, cell.group, self.min_cell.value()))
            return
        self.quotes.setStringList([f"“{q}”" for q in cell.quotes])
        self.quotes_label.setText(self.tr("“{0}” · {1}: {2} interviews, {3} key quotes "
                                          "(where the participant agreed to quotes)")
                                  .format(code, cell.group, cell.count, len(cell.quotes)))
