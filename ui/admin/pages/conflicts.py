"""Conflicts: the records two laptops changed from the same version, listed while open;
the chosen one's versions side by side, the differing answers marked; resolved by
keeping one version, or answer by answer (tick, for each differing answer, the version
whose value to keep), always with a reason (`AdminDesk.resolve`, on the serial write
queue). A resolved conflict leaves the list and stays resolved: re-merging the old
versions changes nothing.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from qi_capture.errors import QICaptureError
from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.dto import ConflictInfo, ConflictView
from ui.admin.models.conflicts import ConflictItem, ConflictLinesModel, ConflictListModel
from ui.admin.pages.title import page_title
from ui.errors import message_for
from ui.tasks import TaskRunner, guarded
from ui.widgets.fonts import scale_font


def read_open_conflicts(desk: AdminDesk) -> list[ConflictItem]:
    """The open conflicts with their records' listing rows (run off the UI thread)."""
    items = []
    for conflict in desk.conflicts("open"):
        try:
            row = desk.record_row(conflict.record_id)
        except QICaptureError:
            row = None
        items.append(ConflictItem(conflict, row))
    return items


class ConflictsPage(QWidget):
    #: The admin asked to open the conflict's record (its uuid.UUID) on the records page.
    open_record = Signal(object)
    #: A conflict was resolved (its `ConflictInfo`).
    conflict_resolved = Signal(object)

    def __init__(self, desk: AdminDesk, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adminConflictsPage")
        self._desk = desk
        self._runner = runner
        self._asked = 0

        title = page_title(self.tr("Conflicts"), self)
        intro = QLabel(self.tr(
            "Two laptops changed the same record from the same version. Compare the "
            "versions (differing answers are marked in bold on amber), then keep one, or "
            "tick for each differing answer the version to keep and merge them."), self)
        intro.setWordWrap(True)
        self.list_model = ConflictListModel(self)
        self.list = QTableView(self)
        self.list.setObjectName("conflictList")
        self.list.setModel(self.list_model)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.verticalHeader().hide()
        self.list.setWordWrap(False)
        # The record's name takes the room left; the form, the number of versions and
        # the time opened are as wide as they are (they follow the font's size).
        list_header = self.list.horizontalHeader()
        list_header.setStretchLastSection(False)
        list_header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        list_header.setSectionResizeMode(ConflictListModel.RECORD,
                                         QHeaderView.ResizeMode.Stretch)
        # How many versions the heading beside says: the record's name gets the room.
        self.list.setColumnHidden(ConflictListModel.VERSIONS, True)
        self.empty = QLabel(self.tr("No open conflicts."), self)
        self.empty.hide()

        self.heading = QLabel(self)
        self.heading.setWordWrap(True)
        scale_font(self.heading, 1.1, bold=True)
        self.lines_model = ConflictLinesModel(self)
        self.lines = QTableView(self)
        self.lines.setObjectName("conflictLines")
        self.lines.setModel(self.lines_model)
        self.lines.verticalHeader().hide()
        self.lines.setWordWrap(True)
        self.lines.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.lines.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.only_differing = QPushButton(self.tr("Show &differing answers only"), self)
        self.only_differing.setCheckable(True)
        self.only_differing.toggled.connect(self._on_only_differing)
        self.open_button = QPushButton(self.tr("Open the &record"), self)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText(self.tr("Reason (required, kept in the audit log)"))
        self.reason.setAccessibleName(self.tr("Reason"))
        self.keep_row = QHBoxLayout()
        self.keep_buttons: list[QPushButton] = []
        self.merge_button = QPushButton(self.tr("&Merge the ticked answers"), self)
        self.merge_button.setObjectName("mergeAnswers")
        self.merge_button.clicked.connect(self.merge_picked)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setObjectName("errorText")
        self.message.hide()

        tools = QHBoxLayout()
        tools.addWidget(self.heading, 1)
        tools.addWidget(self.only_differing)
        tools.addWidget(self.open_button)
        actions = QHBoxLayout()
        actions.addLayout(self.keep_row)
        actions.addStretch(1)
        actions.addWidget(self.merge_button)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(tools)
        right_layout.addWidget(self.lines, 1)
        reason_label = QLabel(self.tr("&Reason"), self)
        reason_label.setBuddy(self.reason)
        right_layout.addWidget(reason_label)
        right_layout.addWidget(self.reason)
        right_layout.addLayout(actions)
        right_layout.addWidget(self.message)
        self.detail = right
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.list, 1)
        left_layout.addWidget(self.empty)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        # The list gets room for a record's name (about 20 characters) beside its form
        # and time; the versions side by side the rest (the splitter keeps the ratio
        # when the text is larger than the window allows).
        char = self.fontMetrics().averageCharWidth()
        splitter.setSizes([char * 50, char * 80])
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(splitter, 1)
        self.list.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self._set_detail_enabled(False)

    # -- the console's contract ----------------------------------------------------------
    def refresh(self) -> None:
        task = self._runner.run(read_open_conflicts, self._desk)
        task.finished.connect(self._on_conflicts)
        task.failed.connect(self._show_error)

    def _on_conflicts(self, items: object) -> None:
        if not isinstance(items, list):
            return
        current = self.current_conflict()
        self.list_model.set_items(items)
        self.empty.setVisible(not items)
        ids = [i.conflict.id for i in items]
        if current is not None and current.id in ids:
            self.list.selectRow(ids.index(current.id))
        elif items:
            self.list.selectRow(0)
        else:
            self.show_conflict(None)

    def current_conflict(self) -> ConflictInfo | None:
        view = self.lines_model.view
        return None if view is None else view.conflict

    # -- one conflict ----------------------------------------------------------------------
    def _on_selection_changed(self, selected: QItemSelection, _old: QItemSelection) -> None:
        indexes = selected.indexes()
        if indexes:
            self.load_conflict(self.list_model.item_at(indexes[0].row()).conflict.id)

    def load_conflict(self, conflict_id: str) -> None:
        self._asked += 1
        asked = self._asked
        task = self._runner.run(self._desk.conflict, conflict_id)
        task.finished.connect(guarded(self, lambda view: self.show_conflict(view)
                                      if asked == self._asked else None))
        task.failed.connect(self._show_error)

    def show_conflict(self, view: object) -> None:
        conflict = view if isinstance(view, ConflictView) else None
        self.lines_model.set_view(conflict)
        for button in self.keep_buttons:
            self.keep_row.removeWidget(button)
            button.deleteLater()
        self.keep_buttons = []
        self.message.hide()
        if conflict is None:
            self.heading.setText(self.tr("Choose a conflict in the list."))
            self._set_detail_enabled(False)
            return
        name = conflict.record.title if conflict.record is not None \
            else conflict.conflict.record_id.hex[:8]
        differing = sum(1 for line in conflict.lines if line.differs)
        differ = self.tr("1 answer differs") if differing == 1 \
            else self.tr("{0} answers differ").format(differing)
        self.heading.setText(self.tr("{0}: {1} versions, {2}").format(
            name, len(conflict.detail.heads), differ))
        for head in range(len(conflict.detail.heads)):
            letter = chr(ord("A") + head) if head < 26 else str(head + 1)
            button = QPushButton(self.tr("Keep version {0}").format(letter), self)
            button.setObjectName(f"keepVersion{head}")
            button.setToolTip(self.lines_model.version_title(head))
            button.clicked.connect(lambda _checked=False, h=head: self.keep(h))
            self.keep_row.addWidget(button)
            self.keep_buttons.append(button)
        self.lines.resizeRowsToContents()
        self._on_only_differing(self.only_differing.isChecked())
        self._set_detail_enabled(True)

    def _set_detail_enabled(self, on: bool) -> None:
        for widget in (self.reason, self.merge_button, self.open_button, self.only_differing,
                       *self.keep_buttons):
            widget.setEnabled(on)

    def _on_only_differing(self, only: bool) -> None:
        view = self.lines_model.view
        if view is None:
            return
        for row, line in enumerate(view.lines):
            self.lines.setRowHidden(row, only and not line.differs)

    def _on_open_clicked(self) -> None:
        conflict = self.current_conflict()
        if conflict is not None:
            self.open_record.emit(conflict.record_id)

    # -- resolving ---------------------------------------------------------------------
    def _reason(self) -> str | None:
        reason = self.reason.text().strip()
        if not reason:
            self._say(self.tr("Give a reason first: it is kept with the resolution in the "
                              "audit log."))
            self.reason.setFocus()
            return None
        return reason

    def keep(self, head: int) -> None:
        """Resolve by keeping version ``head`` (its answers, as they are)."""
        view = self.lines_model.view
        reason = self._reason()
        if view is None or reason is None:
            return
        self._resolve(view.conflict.id, reason, keep=view.detail.heads[head].id)

    def merge_picked(self) -> None:
        """Resolve answer by answer: each differing answer from the version ticked."""
        view = self.lines_model.view
        reason = self._reason()
        if view is None or reason is None:
            return
        self._resolve(view.conflict.id, reason, picks=self.lines_model.picks())

    def _resolve(self, conflict_id: str, reason: str, *, keep: str | None = None,
                 picks: dict[str, str] | None = None) -> None:
        self._set_detail_enabled(False)
        task = self._runner.write(self._desk.resolve, conflict_id, reason=reason, keep=keep,
                                  picks=picks)
        task.finished.connect(self._on_resolved)
        task.failed.connect(self._on_resolve_failed)

    def _on_resolved(self, info: object) -> None:
        self.reason.clear()
        self.lines_model.set_view(None)
        self.conflict_resolved.emit(info)
        self.refresh()

    def _on_resolve_failed(self, error: object) -> None:
        self._set_detail_enabled(True)
        self._show_error(error)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _show_error(self, error: object) -> None:
        self._say(message_for(error) if isinstance(error, BaseException) else str(error))
