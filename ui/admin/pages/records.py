"""Records and review: a form's records in a table (fetched a page at a time, however
many there are), filtered by review status, device, an answer (the footprint, or any
single-choice question) and a text search over names and answers; the chosen record
opens beside the table (`RecordView`) with its review actions.

Every read goes through the `TaskRunner` off the UI thread; reviews go on its serial
write queue. Filters are the service query's, so the table never holds more rows than
were scrolled to.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QItemSelection, QModelIndex, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.dto import DeviceSummary, FormOutline, FormSummary, ReviewInfo
from ui.admin.models.records import REVIEW_LABELS, AdminRecordsModel, RecordQuery
from ui.admin.pages.record_columns import ColumnChooser
from ui.admin.pages.record_view import RecordView
from ui.admin.pages.records_delegate import RecordsDelegate
from ui.admin.pages.title import page_title
from ui.errors import message_for
from ui.tasks import TaskRunner, guarded

#: Typing in the search box waits this long (ms) before asking the store.
SEARCH_DELAY = 300


@dataclass(frozen=True)
class Choices:
    """What the filter bar offers (read off the UI thread)."""

    forms: tuple[FormSummary, ...]
    devices: tuple[DeviceSummary, ...]


def read_choices(desk: AdminDesk) -> Choices:
    return Choices(desk.forms(), desk.devices())


def read_outline(desk: AdminDesk, form_id: str) -> FormOutline | None:
    """The form's outline, or None when the store has its records but no version of it."""
    if not any(f.form_id == form_id and f.title is not None for f in desk.forms()):
        return None
    return desk.form_outline(form_id)


def prepare_table(table: QTableView) -> None:
    """The records table's view settings (bench/admin.py measures a view set up so)."""
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    # No word wrap: each cell is one line, laid out without a line breaker.
    table.setWordWrap(False)
    table.verticalHeader().hide()
    # Fixed row heights: the view never measures 100,000 rows to scroll.
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.setItemDelegate(RecordsDelegate(table))


class RecordsPage(QWidget):
    def __init__(self, desk: AdminDesk, runner: TaskRunner,
                 parent: QWidget | None = None, *, page_size: int | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adminRecordsPage")
        self._desk = desk
        self._runner = runner
        self._outline: FormOutline | None = None

        title = page_title(self.tr("Records"), self)
        self.form = QComboBox(self)
        self.form.setAccessibleName(self.tr("Form"))
        self.form.setMinimumContentsLength(40)
        self.form.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.status = QComboBox(self)
        self.status.setAccessibleName(self.tr("Review state"))
        self.status.addItem(self.tr("Any state"), None)
        for status, label in REVIEW_LABELS.items():
            self.status.addItem(self.tr(label), status)
        self.device = QComboBox(self)
        self.device.setAccessibleName(self.tr("Device"))
        self.device.addItem(self.tr("Any device"), None)
        self.question = QComboBox(self)
        self.question.setAccessibleName(self.tr("Filter by the answer to"))
        self.question.setMinimumContentsLength(14)
        self.question.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.answer = QComboBox(self)
        self.answer.setAccessibleName(self.tr("Answer"))
        self.answer.setMinimumContentsLength(14)
        self.answer.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Search names and answers…"))
        self.search.setAccessibleName(self.tr("Search"))
        self.search.setClearButtonEnabled(True)
        self.count = QLabel(self)
        self.count.setObjectName("recordCount")
        self.error = QLabel(self)
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        self.error.hide()

        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        form_label = QLabel(self.tr("&Form"), self)
        form_label.setBuddy(self.form)
        top.addWidget(form_label)
        top.addWidget(self.form)
        filters = QHBoxLayout()
        filters.addWidget(self.status)
        filters.addWidget(self.device)
        filters.addWidget(self.question)
        filters.addWidget(self.answer)
        filters.addWidget(self.search, 1)

        self.model = AdminRecordsModel(desk, runner, self,
                                       **({} if page_size is None else {"page_size": page_size}))
        self.table = QTableView(self)
        self.table.setObjectName("adminRecordsTable")
        self.table.setModel(self.model)
        prepare_table(self.table)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # The record's name takes the room the other columns leave; they are as wide as
        # what they show (measured on the font, so they follow its size and the scale).
        header.setStretchLastSection(False)
        header.setSectionResizeMode(AdminRecordsModel.NAME, QHeaderView.ResizeMode.Stretch)
        header.setSortIndicator(AdminRecordsModel.SUBMITTED, Qt.SortOrder.AscendingOrder)
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.sortIndicatorChanged.connect(self._on_header_sort)
        self._table_width = self._size_columns()
        self.columns = ColumnChooser(self.table, self)
        self.columns.changed.connect(self._fit_columns)
        self.view = RecordView(desk, runner, self)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        below = QHBoxLayout()
        below.addWidget(self.count, 1)
        below.addWidget(self.columns.button)
        left_layout.addLayout(below)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.view)
        # The table first gets the room its columns need (the record's name at 18
        # characters), the record the rest: all the columns show at 1366 pixels wide.
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([self._table_width, self.fontMetrics().averageCharWidth() * 50])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.error)
        layout.addWidget(self.splitter, 1)
        self.table.viewport().installEventFilter(self)
        self._fit_columns()

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY)
        self._search_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.form.currentIndexChanged.connect(self._on_form_changed)
        for combo in (self.status, self.device, self.answer):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.question.currentIndexChanged.connect(self._on_question_changed)
        self.model.page_loaded.connect(self._on_page_loaded)
        self.model.fetch_failed.connect(self._show_error)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.view.review_saved.connect(self._on_review_saved)
        self.view.record_erased.connect(lambda _t: self.refresh())

    def _size_columns(self) -> int:
        """Give each column but the name the width of its header or of what it usually
        shows (a device's or interviewer's name at 12 to 16 characters); returns the
        width the table needs to show every column."""
        cells = self.table.fontMetrics()
        heads = self.table.horizontalHeader().fontMetrics()
        char = cells.averageCharWidth()
        pad = char * 2 + 8
        stamp = cells.horizontalAdvance("2026-12-31 23:59")
        values = {AdminRecordsModel.STATUS: max(cells.horizontalAdvance(self.tr(label))
                                                for label in (*REVIEW_LABELS.values(),
                                                              "In conflict", "Deleted")),
                  AdminRecordsModel.DEVICE: char * 16,
                  AdminRecordsModel.INTERVIEWER: char * 12,
                  AdminRecordsModel.SUBMITTED: stamp,
                  AdminRecordsModel.UPDATED: stamp,
                  AdminRecordsModel.SHORT_ID: cells.horizontalAdvance("0123abcd")}
        total = 0
        self._widths: dict[int, int] = {}
        for column, value in values.items():
            head = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            # The sort arrow sits in the submission time's header.
            arrow = cells.height() if column == AdminRecordsModel.SUBMITTED else 0
            width = max(heads.horizontalAdvance(head) + arrow, value) + pad
            self.table.setColumnWidth(column, width)
            self._widths[column] = width
            total += width
        name = char * 18 + pad
        frame = self.table.frameWidth() * 2 + self.table.verticalScrollBar().sizeHint().width()
        return total + name + frame

    #: Columns left out, in this order, when the table is too narrow for every column
    #: and a readable name (large text on a small screen): the record beside shows them
    #: all. The name, the review state and the submission time (the sorted column) stay.
    _SPARE = (AdminRecordsModel.UPDATED, AdminRecordsModel.SHORT_ID,
              AdminRecordsModel.INTERVIEWER, AdminRecordsModel.DEVICE)

    def _fit_columns(self) -> None:
        """Show the spare columns the admin wants (`ColumnChooser`) while the name keeps
        at least 14 characters; the rest are left out."""
        left_out = self.columns.left_out
        room = self.table.viewport().width()
        if room <= 0:  # not laid out yet: only the admin's choice is known
            for column in left_out:
                self.table.setColumnHidden(column, True)
            return
        least = self.table.fontMetrics().averageCharWidth() * 14
        shown = [c for c in range(AdminRecordsModel._COLUMNS)
                 if c != AdminRecordsModel.NAME and c not in self._SPARE]
        without_room: set[int] = set()
        for column in self._SPARE:
            if column in left_out:
                self.table.setColumnHidden(column, True)
                continue
            # The widths as set (a hidden column's is 0 in the header). Once one does
            # not fit, the ones after it wait for it (the order is the order they go in).
            if not without_room \
                    and sum(self._widths[c] for c in (*shown, column)) + least <= room:
                shown.append(column)
            else:
                without_room.add(column)
            self.table.setColumnHidden(column, column in without_room)
        self.columns.mark_without_room(without_room)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The table's viewport resized (the window, the splitter, the layout settling):
        # its new width is known here, not yet in the table's own resize event.
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return False

    # -- the console's contract ----------------------------------------------------------
    def refresh(self) -> None:
        """Read the forms and devices again and reload the table (the page was shown)."""
        task = self._runner.run(read_choices, self._desk)
        task.finished.connect(self._on_choices)
        task.failed.connect(self._show_error)

    def show_record(self, record_id: uuid.UUID | str) -> None:
        """Open a record beside the table (the conflicts page asks for it)."""
        self.view.show_record(record_id)

    def current_query(self) -> RecordQuery | None:
        form_id = self.form.currentData()
        if not isinstance(form_id, str):
            return None
        question = self.question.currentData()
        value = self.answer.currentData()
        answer = (question, value) if isinstance(question, str) and isinstance(value, str) \
            else None
        old = self.model.query
        return RecordQuery(form_id=form_id, status=self.status.currentData(),
                           device=self.device.currentData(), answer=answer,
                           search=self.search.text().strip(),
                           newest_first=old.newest_first if old is not None else False)

    def apply_filters(self) -> None:
        query = self.current_query()
        if query != self.model.query:
            self.error.hide()
            self.count.setText(self.tr("Loading…"))
            self.model.set_query(query)

    # -- filter choices ----------------------------------------------------------------
    def _on_choices(self, choices: object) -> None:
        if not isinstance(choices, Choices):
            return
        current = self.form.currentData()
        self.form.blockSignals(True)
        self.form.clear()
        for f in choices.forms:
            self.form.addItem(self.tr("{0} · {1} records").format(f.display, f.records),
                              f.form_id)
        index = self.form.findData(current) if current is not None else -1
        self.form.setCurrentIndex(index if index >= 0 else 0 if choices.forms else -1)
        self.form.blockSignals(False)
        device = self.device.currentData()
        self.device.blockSignals(True)
        self.device.clear()
        self.device.addItem(self.tr("Any device"), None)
        for d in choices.devices:
            self.device.addItem(d.device.name or d.short_id, d.short_id)
        self.device.setCurrentIndex(max(0, self.device.findData(device)))
        self.device.blockSignals(False)
        if self.form.currentData() != current or self._outline is None:
            self._on_form_changed()
        else:
            self.model.reload()

    def _on_form_changed(self, _index: int = 0) -> None:
        form_id = self.form.currentData()
        self.view.clear()
        self._outline = None
        self._fill_questions()
        if not isinstance(form_id, str):
            self.model.set_query(None)
            return
        task = self._runner.run(read_outline, self._desk, form_id)
        task.finished.connect(guarded(self, lambda outline: self._on_outline(form_id, outline)))
        task.failed.connect(self._show_error)

    def _on_outline(self, form_id: str, outline: object) -> None:
        if form_id != self.form.currentData():
            return
        self._outline = outline if isinstance(outline, FormOutline) else None
        self._fill_questions()
        self.apply_filters()

    def _fill_questions(self) -> None:
        self.question.blockSignals(True)
        self.question.clear()
        self.question.addItem(self.tr("Any answer"), None)
        if self._outline is not None:
            for q in self._outline.filters:
                self.question.addItem(q.label, q.path)
            # The study's footprint first, when the form asks it: the filter people use.
            footprint = next((i for i in range(1, self.question.count())
                              if str(self.question.itemData(i)).endswith("footprint")), 0)
            self.question.setCurrentIndex(footprint)
        self.question.blockSignals(False)
        self._fill_answers()

    def _fill_answers(self) -> None:
        self.answer.blockSignals(True)
        self.answer.clear()
        path = self.question.currentData()
        question = None if self._outline is None else next(
            (q for q in self._outline.filters if q.path == path), None)
        self.answer.addItem(self.tr("Any") if question is None
                            else self.tr("Any {0}").format(question.label.lower()), None)
        if question is not None:
            for name, label in question.choices:
                self.answer.addItem(label, name)
        self.answer.setEnabled(question is not None)
        self.answer.blockSignals(False)

    def _on_question_changed(self, _index: int) -> None:
        self._fill_answers()
        self.apply_filters()

    def _on_header_sort(self, column: int, order: Qt.SortOrder) -> None:
        if column != AdminRecordsModel.SUBMITTED:
            # Only the submission time sorts (the service's index order): keep it shown.
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(AdminRecordsModel.SUBMITTED,
                                    Qt.SortOrder.DescendingOrder
                                    if self.model.query is not None
                                    and self.model.query.newest_first
                                    else Qt.SortOrder.AscendingOrder)
            header.blockSignals(False)
            return
        self.model.sort(column, order)

    # -- table and record --------------------------------------------------------------
    def _on_page_loaded(self, loaded: int, total: int) -> None:
        self.count.setText(self.tr("{0} records match · {1} shown").format(total, loaded)
                           if loaded < total else self.tr("{0} records").format(total))

    def _on_selection_changed(self, selected: QItemSelection, _old: QItemSelection) -> None:
        indexes = selected.indexes()
        if not indexes:
            return
        index: QModelIndex = indexes[0]
        self.view.show_record(self.model.row_at(index.row()).record_id)

    def _on_review_saved(self, review: object) -> None:
        if not isinstance(review, ReviewInfo):
            return
        self.model.set_status(review.record_id, review.status)

    def _show_error(self, error: object) -> None:
        self.error.setText(message_for(error) if isinstance(error, BaseException)
                           else str(error))
        self.error.show()
