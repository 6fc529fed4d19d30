"""Home: the studies and their forms, and the records table (sort, filter, search) with
open / resume / view / edit / delete-draft."""

from __future__ import annotations

import datetime as dt
import uuid

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.dto import FormVersionInfo
from qi_capture.services.studies import StudyOverview
from ui.models.records import (
    STATUSES,
    ErasedRole,
    RecordFilterProxy,
    RecordIdRole,
    RecordRow,
    RecordsTableModel,
    StatusRole,
)
from ui.widgets.fonts import scale_font

FormVersionRole = Qt.ItemDataRole.UserRole + 1
#: On study and form items: whether the study has a study pack (its records can be sent).
HasPackRole = Qt.ItemDataRole.UserRole + 2


class HomePage(QWidget):
    new_record_requested = Signal(int)  # form version id
    open_record_requested = Signal(object)  # record id (resume a draft / view a record)
    edit_record_requested = Signal(object)  # record id (new revision of a finalised one)
    delete_draft_requested = Signal(object)  # record id
    erase_record_requested = Signal(object, str)  # record id, its name as listed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("homePage")
        self._drawing_forms = False
        # Filled by set_forms; empty until the first list of forms arrives.
        self._local_forms: set[int] = set()
        self._titles: dict[int, str] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        self.greeting = QLabel(self)
        self.greeting.setObjectName("pageTitle")
        scale_font(self.greeting, 1.5, bold=True)
        outer.addWidget(self.greeting)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        outer.addWidget(splitter, 1)

        left = QWidget(splitter)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        forms_title = QLabel(self.tr("Stud&ies and forms"), left)
        forms_title.setObjectName("sideTitle")
        self.forms_model = QStandardItemModel(self)
        self.forms_view = QTreeView(left)
        self.forms_view.setObjectName("formsTree")
        self.forms_view.setModel(self.forms_model)
        self.forms_view.setHeaderHidden(True)
        self.forms_view.setWordWrap(True)
        self.forms_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.forms_view.activated.connect(self._on_forms_view_activated)
        self.forms_view.selectionModel().currentChanged.connect(self._update_local_note)
        forms_title.setBuddy(self.forms_view)
        #: Shown while the chosen form's study has no study pack.
        self.local_note = QLabel(self.tr(
            "This study has no study pack yet: its records stay on this laptop. When your "
            "study's admin sends the pack, import it (File > Import study pack); the "
            "records then move into the pack's study and go with the next sync."), left)
        self.local_note.setObjectName("warningNote")
        self.local_note.setWordWrap(True)
        self.local_note.hide()
        self.start = QPushButton(self.tr("&Start a new record"), left)
        self.start.setToolTip(self.tr("Start a new record of the chosen form (Ctrl+N)"))
        self.start.clicked.connect(self._on_start_clicked)
        left_layout.addWidget(forms_title)
        left_layout.addWidget(self.forms_view, 1)
        left_layout.addWidget(self.local_note)
        left_layout.addWidget(self.start)

        right = QWidget(splitter)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        filters = QHBoxLayout()
        self.search = QLineEdit(right)
        self.search.setPlaceholderText(self.tr("Search records (Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(self.tr("Search records"))
        self.status = QComboBox(right)
        self.status.setAccessibleName(self.tr("Status"))
        self.status.addItem(self.tr("Any status"), "")
        names = {"draft": self.tr("Drafts"), "finalised": self.tr("Finalised"),
                 "sent": self.tr("Sent"), "acknowledged": self.tr("Acknowledged")}
        for status in STATUSES:
            self.status.addItem(names[status], status)
        self.form_filter = QComboBox(right)
        self.form_filter.setAccessibleName(self.tr("Form"))
        self.form_filter.addItem(self.tr("Any form"), 0)
        self.date_filter = QComboBox(right)
        self.date_filter.setAccessibleName(self.tr("Changed"))
        for label, days in ((self.tr("Any time"), 0), (self.tr("Today"), 1),
                            (self.tr("Last 7 days"), 7), (self.tr("Last 30 days"), 30)):
            self.date_filter.addItem(label, days)
        filters.addWidget(self.search, 2)
        filters.addWidget(self.status)
        filters.addWidget(self.form_filter, 1)
        filters.addWidget(self.date_filter)
        right_layout.addLayout(filters)

        self.records_model = RecordsTableModel(self)
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.records_model)
        self.table = QTableView(right)
        self.table.setObjectName("recordsTable")
        self.table.setAccessibleName(self.tr("Records"))
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(RecordsTableModel.UPDATED, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(RecordsTableModel.NAME, QHeaderView.ResizeMode.Stretch)
        for column in (RecordsTableModel.FORM, RecordsTableModel.STATUS,
                       RecordsTableModel.UPDATED, RecordsTableModel.CREATED):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.activated.connect(self._on_table_activated)
        self.empty = QLabel(self.tr("No records yet. Choose a form on the left and start a "
                                    "new record."), right)
        self.empty.setWordWrap(True)
        right_layout.addWidget(self.table, 1)
        right_layout.addWidget(self.empty)
        buttons = QHBoxLayout()
        self.open = QPushButton(self.tr("&Open"), right)
        self.open.setToolTip(self.tr("Resume a draft or view a finalised record (Enter)"))
        self.edit = QPushButton(self.tr("Edi&t (new revision)"), right)
        self.delete = QPushButton(self.tr("&Delete draft…"), right)
        self.delete.setToolTip(self.tr("Delete the chosen draft (Del)"))
        self.open.clicked.connect(self._on_open_clicked)
        self.edit.clicked.connect(self._on_edit_clicked)
        self.delete.clicked.connect(self._on_delete_clicked)
        self.erase = QPushButton(self.tr("&Withdraw and erase…"), right)
        self.erase.setObjectName("erase_record")
        self.erase.setToolTip(self.tr("Erase the chosen record and everything in it "
                                      "(consent withdrawn, entered twice...)"))
        self.erase.clicked.connect(self._on_erase_clicked)
        buttons.addWidget(self.erase)
        buttons.addStretch(1)
        buttons.addWidget(self.open)
        buttons.addWidget(self.edit)
        buttons.addWidget(self.delete)
        right_layout.addLayout(buttons)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([320, 900])

        self.search.textChanged.connect(self._on_search_text_changed)
        self.search.returnPressed.connect(self._on_search_return_pressed)
        self.forms_view.selectionModel().currentChanged.connect(
            self._on_forms_view_current_changed)
        self.status.currentIndexChanged.connect(self._on_status_current_index_changed)
        self.form_filter.currentIndexChanged.connect(self._on_form_current_index_changed)
        self.date_filter.currentIndexChanged.connect(self._on_date_current_index_changed)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.proxy.modelReset.connect(self._update_buttons)
        self.proxy.layoutChanged.connect(self._update_buttons)
        self._build_actions()
        self._update_buttons()

    def _build_actions(self) -> None:
        self.new_action = QAction(self.tr("&New record"), self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_action.triggered.connect(self._on_start_clicked)
        self.search_action = QAction(self.tr("&Search records"), self)
        self.search_action.setShortcut(QKeySequence.StandardKey.Find)
        self.search_action.triggered.connect(self._on_search_action_triggered)
        self.delete_action = QAction(self.tr("&Delete draft…"), self)
        self.delete_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.delete_action.triggered.connect(self._on_delete_clicked)
        self.table.addAction(self.delete_action)
        self.erase_action = QAction(self.tr("&Withdraw and erase…"), self)
        self.erase_action.triggered.connect(self._on_erase_clicked)
        self.table.addAction(self.erase_action)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    def actions_for_menu(self) -> list[QAction]:
        return [self.new_action, self.search_action, self.delete_action, self.erase_action]

    # --- data ---------------------------------------------------------------------------
    def set_greeting(self, name: str) -> None:
        self.greeting.setText(self.tr("Records of {0}").format(name))

    def set_forms(self, studies: list[StudyOverview]) -> None:
        # The chosen form stays chosen when the list is drawn again (after a record
        # closes), rather than jumping back to the first.
        kept = self._current_form()
        self.forms_model.clear()
        forms: list[FormVersionInfo] = []
        self._local_forms = set()
        first: QModelIndex | None = None
        for study in studies:
            title = study.title if study.has_pack else self.tr(
                "{0} (no study pack yet)").format(study.title)
            study_item = QStandardItem(title)
            if not study.has_pack:
                study_item.setToolTip(self.tr(
                    "Records of this study stay on this laptop until its study pack is "
                    "imported."))
            study_item.setSelectable(False)
            study_item.setData(study.has_pack, HasPackRole)
            font = study_item.font()
            font.setBold(True)
            study_item.setFont(font)
            latest: dict[str, FormVersionInfo] = {}
            for info in study.forms:
                latest[info.form_id] = info  # oldest first: the last wins
                forms.append(info)
                if not study.has_pack:
                    self._local_forms.add(info.id)
            for info in latest.values():
                item = QStandardItem(info.title)
                item.setData(info.id, FormVersionRole)
                item.setData(study.has_pack, HasPackRole)
                item.setToolTip(self.tr("Version {0}").format(info.version))
                study_item.appendRow(item)
            self.forms_model.appendRow(study_item)
        self.forms_view.expandAll()
        root = self.forms_model.index(0, 0)
        if root.isValid() and self.forms_model.rowCount(root):
            first = self.forms_model.index(0, 0, root)
            if kept is not None:
                found = self.forms_model.match(root, FormVersionRole, kept, 1,
                                               Qt.MatchFlag.MatchRecursive)
                if found:
                    first = found[0]
            self._drawing_forms = True  # not the interviewer's choice: no filtering
            try:
                self.forms_view.setCurrentIndex(first)
            finally:
                self._drawing_forms = False
        filtered = self.form_filter.currentData()
        self.form_filter.blockSignals(True)
        self.form_filter.clear()
        self.form_filter.addItem(self.tr("Any form"), 0)
        for info in forms:
            self.form_filter.addItem(info.title, info.id)
        self.form_filter.setCurrentIndex(max(self.form_filter.findData(filtered), 0))
        self.form_filter.blockSignals(False)
        self.proxy.set_form(self.form_filter.currentData() or None)
        self._titles = {info.id: info.title for info in forms}
        self._update_local_note()

    def _update_local_note(self, *_args: object) -> None:
        form = self._current_form()
        self.local_note.setVisible(form is not None and form in self._local_forms)

    def form_title(self, form_version_id: int) -> str:
        return self._titles.get(form_version_id, str(form_version_id))

    def set_records(self, rows: list[RecordRow]) -> None:
        self.records_model.set_rows(rows)
        self.empty.setVisible(not rows)
        self._update_buttons()

    def clear(self) -> None:
        self.records_model.clear()
        self.forms_model.clear()
        self.search.clear()
        self.greeting.clear()

    # --- selection ----------------------------------------------------------------------
    def selected(self) -> tuple[uuid.UUID, str] | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().hasSelection():
            return None
        record_id = index.siblingAtColumn(0).data(RecordIdRole)
        status = index.siblingAtColumn(0).data(StatusRole)
        return uuid.UUID(record_id), str(status)

    def select_record(self, record_id: uuid.UUID) -> None:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(RecordIdRole) == str(record_id):
                self.table.selectRow(row)
                self.table.setCurrentIndex(index)
                return

    def _update_buttons(self, *_args: object) -> None:
        chosen = self.selected()
        self.open.setEnabled(chosen is not None)
        erased = self._selected_erased()
        self.edit.setEnabled(chosen is not None and chosen[1] != "draft" and not erased)
        self.erase.setEnabled(chosen is not None and not erased)
        self.erase_action.setEnabled(self.erase.isEnabled())
        self.delete.setEnabled(chosen is not None and chosen[1] == "draft")
        self.delete_action.setEnabled(self.delete.isEnabled())
        self.start.setEnabled(self._current_form() is not None)

    def _current_form(self) -> int | None:
        data = self.forms_view.currentIndex().data(FormVersionRole)
        return data if isinstance(data, int) else None

    # --- intents ------------------------------------------------------------------------
    def _on_forms_view_activated(self, index: QModelIndex) -> None:
        data = index.data(FormVersionRole)
        if isinstance(data, int):
            self.new_record_requested.emit(data)

    def _on_start_clicked(self) -> None:
        form = self._current_form()
        if form is not None:
            self.new_record_requested.emit(form)

    def _on_table_activated(self, _index: QModelIndex) -> None:
        self._on_open_clicked()

    def _on_open_clicked(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.open_record_requested.emit(chosen[0])

    def _on_edit_clicked(self) -> None:
        chosen = self.selected()
        if chosen is not None and chosen[1] != "draft":
            self.edit_record_requested.emit(chosen[0])

    def _on_delete_clicked(self) -> None:
        chosen = self.selected()
        if chosen is not None and chosen[1] == "draft":
            self.delete_draft_requested.emit(chosen[0])

    def _on_search_text_changed(self, text: str) -> None:
        self.proxy.set_search(text)
        self._select_single_row()

    def _select_single_row(self) -> None:
        """A filter that leaves one record selects it, so Enter opens it at once."""
        if self.proxy.rowCount() == 1 and self.selected() is None:
            self.table.selectRow(0)
            self.table.setCurrentIndex(self.proxy.index(0, 0))

    def _on_search_return_pressed(self) -> None:
        if self.selected() is not None:
            self._on_open_clicked()

    def _on_forms_view_current_changed(self, current: QModelIndex,
                                       _previous: QModelIndex) -> None:
        """Choosing a form in the tree shows its records (the form filter follows)."""
        data = current.data(FormVersionRole)
        if not isinstance(data, int) or self._drawing_forms:
            return
        index = self.form_filter.findData(data)
        if index >= 0 and self.form_filter.currentIndex() != index:
            self.form_filter.setCurrentIndex(index)

    def _selected_erased(self) -> bool:
        index = self.table.currentIndex()
        return index.isValid() and index.siblingAtColumn(0).data(ErasedRole) is True

    def _on_erase_clicked(self) -> None:
        chosen = self.selected()
        if chosen is not None and not self._selected_erased():
            name = self.table.currentIndex().siblingAtColumn(0).data() or ""
            self.erase_record_requested.emit(chosen[0], str(name))

    def _on_search_action_triggered(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _on_status_current_index_changed(self, _index: int) -> None:
        self.proxy.set_status(self.status.currentData() or None)

    def _on_form_current_index_changed(self, _index: int) -> None:
        self.proxy.set_form(self.form_filter.currentData() or None)

    def _on_date_current_index_changed(self, _index: int) -> None:
        days = self.date_filter.currentData()
        if not days:
            self.proxy.set_since(None)
            return
        today = dt.datetime.now().astimezone().replace(hour=0, minute=0, second=0,
                                                        microsecond=0)
        self.proxy.set_since(today - dt.timedelta(days=days - 1))
