"""Inbox and merge: the sync folders and drop-in folders (a USB stick) the admin watches,
what waits in each, and merging them with progress, a Stop between bundles and the
outcome of every bundle in plain words.

The folders are remembered per central store (`ui.admin.settings`). Listing them is a
read (`AdminDesk.inbox`, nothing written); the merge runs on the serial write queue.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qi_capture.progress import SimpleCancelToken
from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.dto import MergeResult, short_id
from qi_capture.services.admin.inbox import InboxBundle, InboxFolder
from ui.admin import settings as remembered
from ui.admin.pages.copies import keep_copies_current
from ui.admin.pages.title import page_title
from ui.admin.text import file_size, merge_lines
from ui.dialogs import files
from ui.errors import message_for
from ui.tasks import Task, TaskRunner

log = logging.getLogger(__name__)

_PATH_ROLE = Qt.ItemDataRole.UserRole


class InboxPage(QWidget):
    status_changed = Signal(str)
    #: A merge finished (its MergeResult).
    merged = Signal(object)
    #: The folders were listed afresh (after a refresh, a change of folders, a merge).
    listed = Signal()

    def __init__(self, desk: AdminDesk, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inboxPage")
        self._desk = desk
        self._runner = runner
        self._target: str | None = None
        self._folders: list[str] = []
        self._scanned: tuple[InboxFolder, ...] = ()
        self._token: SimpleCancelToken | None = None
        #: Stop was pressed: the merge ends after the bundle it is on.
        self._stopping = False
        self._items: dict[str, QTreeWidgetItem] = {}
        self.last_result: MergeResult | None = None
        #: The merge running, if any (its progress, finished and failed signals).
        self.merge_task: Task | None = None
        #: Bringing the export-ready copies up to date after the last merge, if it did.
        self.copies_task: Task | None = None

        title = page_title(self.tr("Inbox and merge"), self)
        intro = QLabel(self.tr(
            "The folders bundles arrive in: your study's sync folder, or a USB stick an "
            "interviewer handed you. Merging imports every new bundle once; merging the "
            "same folder again imports nothing twice."), self)
        intro.setWordWrap(True)

        self.tree = QTreeWidget(self)
        self.tree.setObjectName("inboxTree")
        self.tree.setAccessibleName(self.tr("Folders and waiting bundles"))
        self.tree.setHeaderLabels([self.tr("Folder / bundle"), self.tr("Size"),
                                   self.tr("Device"), self.tr("Sequence"),
                                   self.tr("What it is")])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(True)
        em = self.fontMetrics().horizontalAdvance("M")
        for column, width in ((0, 16), (1, 5), (2, 12), (3, 6)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.tree.setColumnWidth(column, em * width)

        self.add_button = QPushButton(self.tr("&Add folder…"), self)
        self.remove_button = QPushButton(self.tr("Re&move folder"), self)
        self.refresh_button = QPushButton(self.tr("Re&fresh"), self)
        self.refresh_button.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.merge_button = QPushButton(self.tr("&Merge now"), self)
        self.merge_button.setObjectName("primaryAction")
        self.cancel_button = QPushButton(self.tr("&Stop"), self)
        self.cancel_button.setToolTip(self.tr("Stop after the bundle being merged; the rest "
                                              "stay for the next merge"))
        self.cancel_button.hide()
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.refresh_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.merge_button)

        self.overall = QProgressBar(self)
        self.overall.setAccessibleName(self.tr("Bundles merged"))
        self.overall.setFormat(self.tr("%v of %m bundles"))
        self.current = QProgressBar(self)
        self.current.setAccessibleName(self.tr("Bundle being merged"))
        self.current.setTextVisible(False)
        self.current.setMaximumHeight(self.fontMetrics().height() // 2 + 2)
        self.progress_text = QLabel(self)
        self.progress_text.setTextFormat(Qt.TextFormat.PlainText)
        self.progress_box = QWidget(self)
        progress_layout = QVBoxLayout(self.progress_box)
        progress_layout.setContentsMargins(0, 0, 0, 0)
        progress_layout.addWidget(self.progress_text)
        progress_layout.addWidget(self.current)
        progress_layout.addWidget(self.overall)
        self.progress_box.hide()

        self.error = QLabel(self)
        self.error.setObjectName("errorMessage")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()

        results_box = QWidget(self)
        results_layout = QVBoxLayout(results_box)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_title = QLabel(self.tr("Last merge"), results_box)
        results_title.setObjectName("sideTitle")
        self.results = QListWidget(results_box)
        self.results.setObjectName("mergeResults")
        self.results.setAccessibleName(self.tr("What the last merge did"))
        self.results.setWordWrap(True)
        self.results.setAlternatingRowColors(True)
        results_layout.addWidget(results_title)
        results_layout.addWidget(self.results, 1)

        tree_box = QWidget(self)
        tree_layout = QVBoxLayout(tree_box)
        tree_layout.setContentsMargins(0, 0, 0, 0)
        tree_layout.addWidget(self.tree, 1)
        tree_layout.addLayout(buttons)
        tree_layout.addWidget(self.progress_box)
        tree_layout.addWidget(self.error)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(tree_box)
        split.addWidget(results_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(split, 1)

        self.add_button.clicked.connect(self._on_add_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.refresh_button.clicked.connect(self.refresh)
        self.merge_button.clicked.connect(self._on_merge_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.tree.currentItemChanged.connect(self._on_tree_current_changed)
        self._update_buttons()

    # --- folders ------------------------------------------------------------------------
    @property
    def folders(self) -> list[str]:
        return list(self._folders)

    def add_folder(self, folder: str) -> None:
        """Watch ``folder`` (remembered for this central store) and list it."""
        folder = str(Path(folder))
        if folder not in self._folders:
            self._folders.append(folder)
            self._save_folders()
        self._scan()

    def remove_folder(self, folder: str) -> None:
        if folder in self._folders:
            self._folders.remove(folder)
            self._save_folders()
        self._scan()

    def _save_folders(self) -> None:
        if self._target is not None:
            remembered.save_inbox_folders(self._target, self._folders)

    def _on_add_clicked(self) -> None:
        chosen = files.choose_folder(self, self.tr("Choose a sync folder or a USB stick"),
                                     self._folders[-1] if self._folders else "")
        if chosen:
            self.add_folder(chosen)

    def _on_remove_clicked(self) -> None:
        folder = self._selected_folder()
        if folder is not None:
            self.remove_folder(folder)

    def _selected_folder(self) -> str | None:
        item = self.tree.currentItem()
        while item is not None and item.parent() is not None:
            item = item.parent()
        return None if item is None else str(item.data(0, _PATH_ROLE))

    def _on_tree_current_changed(self, *_items: object) -> None:
        self._update_buttons()

    # --- listing ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the store's remembered folders (once) and list what waits in them."""
        if self._token is not None:
            return  # merging: the listing follows the merge
        if self._target is None:
            task = self._runner.run(lambda desk=self._desk: desk.target)
            task.finished.connect(self._on_target_read)
            task.failed.connect(self._on_task_failed)
            return
        self._scan()

    def _on_target_read(self, target: str) -> None:
        self._target = target
        added = [f for f in self._folders]  # any added before the target was known
        saved = remembered.inbox_folders(target)
        self._folders = saved + [f for f in added if f not in saved]
        if self._folders != saved:
            self._save_folders()
        self._scan()

    def _scan(self) -> None:
        task = self._runner.run(self._desk.inbox, list(self._folders))
        task.finished.connect(self._on_scanned)
        task.failed.connect(self._on_task_failed)

    def _on_scanned(self, folders: tuple[InboxFolder, ...]) -> None:
        if tuple(str(f.path) for f in folders) != tuple(self._folders):
            return  # the list changed meanwhile; a newer scan is on its way
        self._scanned = folders
        selected = self._selected_folder()
        self.tree.clear()
        self._items.clear()
        for folder in folders:
            # A folder's row spans the columns: its path is what the admin recognises.
            if folder.error is not None:
                summary = (self.tr("not found: plug in the USB stick, or remove it")
                           if folder.error == "not_found" else
                           self.tr("cannot be read: {0}").format(folder.error))
            elif folder.bundles:
                summary = self.tr("{0} bundle(s), {1}, {2} waiting to merge").format(
                    len(folder.bundles), file_size(folder.total_bytes), len(folder.waiting))
            else:
                summary = self.tr("no bundles")
            top = QTreeWidgetItem(self.tree, [f"{folder.path}  ({summary})"])
            top.setFirstColumnSpanned(True)
            top.setData(0, _PATH_ROLE, str(folder.path))
            top.setToolTip(0, str(folder.path))
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            for bundle in folder.bundles:
                child = QTreeWidgetItem(top, self._bundle_texts(bundle))
                child.setData(0, _PATH_ROLE, str(bundle.path))
                child.setToolTip(0, str(bundle.path))
                child.setToolTip(4, bundle.message or "")
                self._items[bundle.name] = child
            top.setExpanded(True)
            if str(folder.path) == selected:
                self.tree.setCurrentItem(top)
        self._update_buttons()
        waiting = sum(len(f.waiting) for f in folders)
        self.listed.emit()
        if self.last_result is None:  # after a merge, its summary stays on the status line
            self.status_changed.emit(
                self.tr("{0} bundle(s) waiting to merge.").format(waiting) if waiting else
                self.tr("Nothing new waiting in the inbox folders."))

    def _bundle_texts(self, bundle: InboxBundle) -> list[str]:
        device = bundle.device_name or (short_id(bundle.device_id) if bundle.device_id
                                        else "")
        sequence = "" if bundle.sequence is None else (
            str(bundle.sequence[0]) if bundle.sequence[0] == bundle.sequence[1]
            else f"{bundle.sequence[0]}–{bundle.sequence[1]}")
        # Bundle files have random names; the start is enough to tell them apart.
        name = bundle.name if len(bundle.name) <= 20 else bundle.name[:12] + "…"
        return [name, file_size(bundle.size), device, sequence, self._state_text(bundle)]

    def _state_text(self, bundle: InboxBundle) -> str:
        state = bundle.state
        if state == "new":
            return self.tr("New: {0} revision(s), {1} attachment(s)").format(
                bundle.revisions, bundle.attachments)
        if state == "already_imported":
            return self.tr("Already imported")
        if state == "quarantined":
            return self.tr("In quarantine: waiting for its device's enrolment")
        if state == "unknown_device":
            return self.tr("From a device not enrolled yet: will wait in quarantine")
        if state == "revoked":
            return self.tr("From a revoked device: will be refused")
        if state == "refused":
            return self.tr("Will be refused: {0}").format(bundle.message or bundle.reason)
        if state == "unread":
            return self.tr("Not read: the admin keys are not open")
        return self.tr("Cannot be read: {0}").format(bundle.message or "")

    # --- merging ------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        merging = self._token is not None
        self.add_button.setEnabled(not merging)
        self.remove_button.setEnabled(not merging and self._selected_folder() is not None)
        self.refresh_button.setEnabled(not merging)
        present = [f for f in self._scanned if f.error is None]
        self.merge_button.setEnabled(not merging and bool(present))
        self.cancel_button.setVisible(merging)

    def _on_merge_clicked(self) -> None:
        self.merge()

    def merge(self, token: SimpleCancelToken | None = None) -> None:
        """Merge every listed folder that is there (a missing one, such as a USB stick
        not plugged in, is left out). ``token``: the Stop button's token (a test may
        hand its own)."""
        if self._token is not None:
            return
        paths = [str(f.path) for f in self._scanned if f.error is None]
        if not paths:
            return
        self._token = token or SimpleCancelToken()
        self.error.hide()
        self.results.clear()
        self.progress_box.show()
        self.overall.setRange(0, 1)
        self.overall.setValue(0)
        self.current.setRange(0, 0)
        self.progress_text.setText(self.tr("Looking for bundles…"))
        self._update_buttons()
        task = self._runner.write(self._desk.merge, paths, with_progress=True,
                                  cancel=self._token)
        self.merge_task = task
        task.progress.connect(self._on_merge_progress)
        task.finished.connect(self._on_merge_finished)
        task.failed.connect(self._on_merge_failed)

    def _on_cancel_clicked(self) -> None:
        if self._token is not None:
            self._token.cancel()
            self._stopping = True
            self.progress_text.setText(self.tr(
                "Stopping after the bundle being merged…"))
            self.cancel_button.setEnabled(False)

    def _on_merge_progress(self, done: int, total: int, name: str) -> None:
        self.overall.setRange(0, max(total, 1))
        self.overall.setValue(done)
        for item in self._items.values():
            if item.text(4) == self.tr("Merging…"):
                item.setText(4, self.tr("Merged"))
        if name:
            self.current.setRange(0, 0)  # a bundle reports no steps of its own: busy
            if not self._stopping:
                self.progress_text.setText(self.tr("Merging {0} ({1} of {2})…").format(
                    name, done + 1, total))
            current = self._items.get(name)
            if current is not None:
                current.setText(4, self.tr("Merging…"))
                self.tree.scrollToItem(current)
        else:
            self.current.setRange(0, 1)
            self.current.setValue(1)
            self.progress_text.setText(self.tr("Writing acknowledgements…"))

    def _end_merge(self) -> None:
        self._token = None
        self._stopping = False
        self.merge_task = None
        self.cancel_button.setEnabled(True)
        self.current.setRange(0, 1)
        self.current.setValue(1)
        self._update_buttons()

    def _on_merge_finished(self, result: MergeResult) -> None:
        self._end_merge()
        self.last_result = result
        self.overall.setRange(0, max(len(result.reports), 1))
        self.overall.setValue(len(result.reports))
        names = {str(b.path): b.device_name for f in self._scanned for b in f.bundles
                 if b.device_name}
        lines = merge_lines(result, names)
        self.results.addItems(lines)
        self.progress_box.hide()  # the summary heads the list below
        self.status_changed.emit(lines[0] if lines else "")
        self.merged.emit(result)
        if result.count("imported") and not result.cancelled:
            self.copies_task = keep_copies_current(self._runner, self._desk)
        self._scan()

    def _on_merge_failed(self, error: object) -> None:
        self._end_merge()
        self.progress_box.hide()
        if isinstance(error, BaseException):
            self.error.setText(message_for(error))
            self.error.show()
        self._scan()

    def _on_task_failed(self, error: object) -> None:
        if isinstance(error, BaseException):
            self.error.setText(message_for(error))
            self.error.show()

    @property
    def merging(self) -> bool:
        return self._token is not None
