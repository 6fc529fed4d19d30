"""The Coding page's codebook panel: the code tree (colour, name, codings, interviews) and
what can be done to a code: create (at the top or under the chosen code), rename, move
(to another code or the top level), merge into another code (after saying how many
codings move), retire, write its memo. Every action is in the tree's context menu
(Shift+F10) and has a key: Insert new, F2 rename, Delete retire."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from PySide6.QtCore import QItemSelection, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QMenu,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.admin.coding_values import Code
from ui.admin.models.codebook import CODE_ROLE, CodebookModel
from ui.admin.pages.coding_exchange import ExchangeButton
from ui.admin.pages.coding_picker import CodePicker
from ui.admin.pages.coding_session import CodingSession
from ui.dialogs import confirm


class CodebookPanel(QWidget):
    #: The chosen code changed (its `Code`, or None).
    code_selected = Signal(object)
    #: A short note of what was done.
    said = Signal(str)

    def __init__(self, session: CodingSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codebookPanel")
        self.session = session
        self._select_after: uuid.UUID | None = None
        self.picker: CodePicker | None = None

        self.tree = QTreeView(self)
        self.tree.setObjectName("codebookTree")
        self.tree.setAccessibleName(self.tr("Codebook"))
        self.tree.setModel(session.tree)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setUniformRowHeights(True)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        # Drag a code onto another to put it under it (Move to… does the same by keys).
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.tree.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.tree.setDropIndicatorShown(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(CodebookModel.NAME, QHeaderView.ResizeMode.Stretch)
        counts = 0
        for column in (CodebookModel.CODINGS, CodebookModel.INTERVIEWS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
            counts += header.fontMetrics().horizontalAdvance(
                str(session.tree.headerData(column, Qt.Orientation.Horizontal))) + 16
        # Room for a name of some 14 characters beside the counts, whatever the text size.
        char = self.tree.fontMetrics().averageCharWidth()
        self.tree.setMinimumWidth(char * 14 + self.tree.indentation() * 2
                                  + self.tree.fontMetrics().height() + counts + 16)

        self.actions_by_name: dict[str, QAction] = {}
        buttons = QGridLayout()
        specs: list[tuple[str, str, str | None, Callable[[], None]]] = [
            ("new", self.tr("&New code…"), "Insert", self.ask_new_code),
            ("rename", self.tr("Rena&me…"), "F2", self.ask_rename),
            ("move", self.tr("Mo&ve to…"), None, self.ask_move),
            ("merge", self.tr("Mer&ge into…"), None, self.ask_merge),
            ("retire", self.tr("&Retire"), "Delete", self.ask_retire),
            ("memo", self.tr("Code m&emo…"), None, self.ask_code_memo),
        ]
        for i, (key, text, keys, slot) in enumerate(specs):
            action = QAction(text.replace("&", ""), self)
            if keys:
                action.setShortcut(QKeySequence(keys))
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
            self.actions_by_name[key] = action
            button = QPushButton(text, self)
            button.setObjectName(f"codebook_{key}")
            if keys:
                button.setToolTip(keys)
            button.clicked.connect(slot)
            # Two to a row: the panel stays narrow when the text is large.
            buttons.addWidget(button, i // 2, i % 2)
        top = QAction(self.tr("Move to the top level"), self)
        top.triggered.connect(lambda: self.move_current(None))
        self.actions_by_name["top"] = top

        self.exchange = ExchangeButton(session, self)
        self.exchange.said.connect(self.said)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.exchange)

        self.tree.selectionModel().selectionChanged.connect(self._on_tree_selection_changed)
        self.tree.customContextMenuRequested.connect(self._on_tree_context_menu)
        session.codebook_loaded.connect(self._on_codebook_loaded)
        session.tree.move_requested.connect(self._on_tree_move_requested)

    # -- selection ------------------------------------------------------------------------
    def current_code(self) -> Code | None:
        code = self.tree.currentIndex().data(CODE_ROLE)
        return code if isinstance(code, Code) else None

    def select_code(self, guid: uuid.UUID) -> bool:
        index = self.session.tree.index_of(guid)
        if not index.isValid():
            return False
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index)
        return True

    def _on_tree_selection_changed(self, _new: QItemSelection, _old: QItemSelection) -> None:
        self.code_selected.emit(self.current_code())

    def _on_codebook_loaded(self) -> None:
        shown = self.current_code()
        current = self._select_after or (shown.guid if shown is not None else None)
        self._select_after = None
        self.tree.expandAll()
        if (current is None or not self.select_code(current)) \
                and self.session.tree.rowCount() > 0:
            self.tree.setCurrentIndex(self.session.tree.index(0, 0))
        self.code_selected.emit(self.current_code())

    # -- changes (each callable with its answers, so keys, menus and tests share them) --
    def create_code(self, name: str, parent: uuid.UUID | None = None) -> None:
        coding = self.session.coding
        if coding is None:
            return

        def made(code: object) -> None:
            if isinstance(code, Code):
                self._select_after = code.guid
                self.said.emit(self.tr("Code “{0}” made.").format(code.name))

        self.session.call(coding.create_code, name, parent=parent, done=made, owner=self,
                          changes=True)

    def rename(self, guid: uuid.UUID, name: str) -> None:
        coding = self.session.coding
        if coding is not None:
            self._select_after = guid
            self.session.call(coding.rename_code, guid, name, changes=True, owner=self,
                              done=lambda c: self.said.emit(
                                  self.tr("Renamed “{0}”.").format(getattr(c, "name", ""))))

    def move_code(self, guid: uuid.UUID, parent: uuid.UUID | None) -> None:
        coding = self.session.coding
        if coding is not None:
            self._select_after = guid
            self.session.call(coding.move_code, guid, parent, changes=True, owner=self,
                              done=lambda _c: self.said.emit(self.tr("Code moved.")))

    def _on_tree_move_requested(self, guid: object, parent: object) -> None:
        if isinstance(guid, uuid.UUID) and (parent is None or isinstance(parent, uuid.UUID)):
            self.move_code(guid, parent)

    def move_current(self, parent: uuid.UUID | None) -> None:
        code = self.current_code()
        if code is not None:
            self.move_code(code.guid, parent)

    def merge_text(self, source: uuid.UUID, target: uuid.UUID) -> str:
        node = self.session.tree.node(source)
        count = node.codings if node is not None else 0
        return self.tr("Merge “{0}” into “{1}”? Its {2} codings move to “{1}”, its sub-codes "
                       "go under it, and “{0}” is retired. This cannot be undone here."
                       ).format(self.session.name(source), self.session.name(target), count)

    def merge(self, source: uuid.UUID, target: uuid.UUID) -> bool:
        """Merge after the admin confirms (the question says how many codings move)."""
        coding = self.session.coding
        if coding is None or source == target:
            return False
        if not confirm.ask(self, self.tr("Merge codes"), self.merge_text(source, target)):
            return False
        self._select_after = target
        name = self.session.name(source)
        self.session.call(coding.merge_codes, source, target, changes=True, owner=self,
                          done=lambda c: self.said.emit(self.tr("“{0}” merged into “{1}”.")
                                                        .format(name, getattr(c, "name", ""))))
        return True

    def retire(self, guid: uuid.UUID) -> bool:
        coding = self.session.coding
        if coding is None:
            return False
        name = self.session.name(guid)
        if not confirm.ask(self, self.tr("Retire code"), self.tr(
                "Retire “{0}”? It keeps its codings but is offered no more.").format(name)):
            return False
        self.session.call(coding.retire_code, guid, changes=True, owner=self,
                          done=lambda _c: self.said.emit(self.tr("“{0}” retired.").format(name)))
        return True

    def set_code_memo(self, guid: uuid.UUID, text: str) -> None:
        coding = self.session.coding
        if coding is not None:
            self.session.call(coding.set_memo, text, code=guid, owner=self,
                              done=lambda _m: self.said.emit(self.tr("Memo saved.")))

    # -- asking ---------------------------------------------------------------------------
    def _text(self, title: str, label: str, value: str = "") -> str | None:
        text, ok = QInputDialog.getText(self, title, label, QLineEdit.EchoMode.Normal, value)
        return text if ok and text.strip() else None

    def ask_new_code(self) -> None:
        parent = self.current_code()
        label = (self.tr("Name of the new code under “{0}” (leave a code unselected for the "
                         "top level):").format(parent.name) if parent is not None
                 else self.tr("Name of the new code:"))
        name = self._text(self.tr("New code"), label)
        if name is not None:
            self.create_code(name, parent.guid if parent is not None else None)

    def ask_rename(self) -> None:
        code = self.current_code()
        if code is None:
            return
        name = self._text(self.tr("Rename code"), self.tr("New name:"), code.name)
        if name is not None:
            self.rename(code.guid, name)

    def _pick(self, title: str, prompt: str, exclude: uuid.UUID,
              then: Callable[[uuid.UUID], object]) -> None:
        rows = [(c, p) for c, p in self.session.live_codes() if c.guid != exclude]
        picker = CodePicker(title, prompt, rows, multi=False, parent=self)
        def chosen() -> None:
            for code in picker.chosen()[:1]:
                then(code.guid)

        picker.accepted.connect(chosen)
        picker.finished.connect(lambda _r: picker.deleteLater())
        self.picker = picker
        picker.open()

    def ask_move(self) -> None:
        code = self.current_code()
        if code is not None:
            self._pick(self.tr("Move code"), self.tr("Put “{0}” under:").format(code.name),
                       code.guid, lambda target: self.move_code(code.guid, target))

    def ask_merge(self) -> None:
        code = self.current_code()
        if code is not None:
            self._pick(self.tr("Merge code"),
                       self.tr("Merge “{0}” into:").format(code.name), code.guid,
                       lambda target: self.merge(code.guid, target))

    def ask_retire(self) -> None:
        code = self.current_code()
        if code is not None:
            self.retire(code.guid)

    def ask_code_memo(self) -> None:
        code, coding = self.current_code(), self.session.coding
        if code is None or coding is None:
            return

        def ask(memos: object) -> None:
            found = next((m.text for m in memos if m.code == code.guid), "") \
                if isinstance(memos, tuple) else ""
            text, ok = QInputDialog.getMultiLineText(
                self, self.tr("Code memo"),
                self.tr("Memo on “{0}” (empty: no memo)").format(code.name), found)
            if ok:
                self.set_code_memo(code.guid, text)

        self.session.call(coding.memos, done=ask, owner=self)

    def _on_tree_context_menu(self, point: QPoint) -> None:
        menu = QMenu(self)
        for key in ("new", "rename", "move", "top", "merge", "retire", "memo"):
            menu.addAction(self.actions_by_name[key])
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.tree.viewport().mapToGlobal(point))
