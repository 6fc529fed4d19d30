"""The Coding page's codebook: the code tree (name with its colour, codings, interviews)
from the service's frozen `CodeNode` values, and the flat list of live codes the code
picker filters as the analyst types."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QByteArray,
    QCoreApplication,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from qi_capture.services.admin.coding_values import Code, CodeNode

_Index = QModelIndex | QPersistentModelIndex

#: The `Code` of a row.
CODE_ROLE = Qt.ItemDataRole.UserRole
#: Its guid (for finding a row again after a reload).
GUID_ROLE = Qt.ItemDataRole.UserRole + 1


def _tr(text: str) -> str:
    return QCoreApplication.translate("CodebookModel", text)


def swatch(colour: str) -> QColor:
    """The code's colour (a grey when the stored one does not parse)."""
    found = QColor(colour)
    return found if found.isValid() else QColor("#808080")


class _Node:
    """One row of the tree: the frozen node and where it sits (Qt wants parents)."""

    __slots__ = ("children", "node", "parent", "row")

    def __init__(self, node: CodeNode | None, parent: _Node | None, row: int) -> None:
        self.node = node
        self.parent = parent
        self.row = row
        self.children: list[_Node] = []


# Flags and alignment made once: combining Qt's enums in Python on every cell Qt asks
# about costs more than the rest of the cell.
_CODE_FLAGS = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
               | Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemIsDropEnabled)
_PICK_FLAGS = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
               | Qt.ItemFlag.ItemIsUserCheckable)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

#: What a dragged code carries: its guid.
CODE_MIME = "application/x-qi-capture-code"


class CodebookModel(QAbstractItemModel):
    """The tree. A code dragged onto another asks to move under it (onto the empty
    space: to the top level) through ``move_requested``; the tree changes only when the
    service has moved it and the codebook is read again."""

    NAME, CODINGS, INTERVIEWS = range(3)
    #: (code guid, new parent guid or None) dropped by drag and drop.
    move_requested = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root = _Node(None, None, 0)
        self._by_guid: dict[uuid.UUID, _Node] = {}
        self._headers = (_tr("Code"), _tr("Codings"), _tr("Interviews"))

    def set_tree(self, tree: Sequence[CodeNode]) -> None:
        self.beginResetModel()
        self._root = _Node(None, None, 0)
        self._by_guid = {}

        def add(parent: _Node, nodes: Sequence[CodeNode]) -> None:
            for row, node in enumerate(nodes):
                item = _Node(node, parent, row)
                parent.children.append(item)
                self._by_guid[node.code.guid] = item
                add(item, node.children)

        add(self._root, tree)
        self.endResetModel()

    def codes(self) -> list[Code]:
        """Every code in the tree, depth first (the order the tree reads)."""
        out: list[Code] = []

        def walk(item: _Node) -> None:
            for child in item.children:
                assert child.node is not None
                out.append(child.node.code)
                walk(child)

        walk(self._root)
        return out

    def node(self, guid: uuid.UUID) -> CodeNode | None:
        item = self._by_guid.get(guid)
        return None if item is None else item.node

    def index_of(self, guid: uuid.UUID, column: int = 0) -> QModelIndex:
        item = self._by_guid.get(guid)
        if item is None:
            return QModelIndex()
        return self.createIndex(item.row, column, item)

    def path(self, guid: uuid.UUID) -> str:
        """``Parent / Child`` names, for pickers and messages."""
        names: list[str] = []
        item = self._by_guid.get(guid)
        while item is not None and item.node is not None:
            names.append(item.node.code.name)
            item = item.parent
        return " / ".join(reversed(names))

    # -- the tree Qt reads ----------------------------------------------------------------
    def _item(self, index: _Index) -> _Node:
        if index.isValid():
            item = index.internalPointer()
            if isinstance(item, _Node):
                return item
        return self._root

    def index(self, row: int, column: int,
              parent: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return QModelIndex()
        item = self._item(parent)
        if not (0 <= row < len(item.children) and 0 <= column < len(self._headers)):
            return QModelIndex()
        return self.createIndex(row, column, item.children[row])

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        item = self._item(index).parent
        if item is None or item is self._root:
            return QModelIndex()
        return self.createIndex(item.row, 0, item)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._item(parent).children)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self._headers)):
            return self._headers[section]
        return None

    # -- drag and drop (moving a code) ---------------------------------------------------
    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return _CODE_FLAGS

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [CODE_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        data = QMimeData()
        node = next((self._item(i).node for i in indexes if i.isValid()), None)
        if node is not None:
            data.setData(CODE_MIME, QByteArray(str(node.code.guid).encode()))
        return data

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: _Index) -> bool:
        if action != Qt.DropAction.MoveAction or not data.hasFormat(CODE_MIME):
            return False
        try:
            guid = uuid.UUID(bytes(data.data(CODE_MIME).data()).decode())
        except ValueError:
            return False
        target = self._item(parent).node
        if target is not None and target.code.guid == guid:
            return False
        self.move_requested.emit(guid, None if target is None else target.code.guid)
        # Nothing moves here: the tree is read again once the service has moved it.
        return False

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self._item(index).node
        if node is None:
            return None
        code, column = node.code, index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.NAME:
                return code.name + (_tr(" (retired)") if code.retired else "")
            return str(node.codings if column == self.CODINGS else node.interviews)
        if role == Qt.ItemDataRole.DecorationRole and column == self.NAME:
            return swatch(code.colour)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [code.name]
            if code.description:
                lines.append(code.description)
            if code.tag:
                lines.append(_tr("Seeded from the field tag #{0}").format(code.tag))
            lines.append(_tr("{0} codings in {1} interviews").format(node.codings,
                                                                      node.interviews))
            return "\n".join(lines)
        if role == Qt.ItemDataRole.TextAlignmentRole and column != self.NAME:
            return _RIGHT
        if role == Qt.ItemDataRole.AccessibleTextRole and column == self.NAME:
            return _tr("{0}, {1} codings").format(code.name, node.codings)
        if role == CODE_ROLE:
            return code
        if role == GUID_ROLE:
            return str(code.guid)
        return None


class CodeListModel(QAbstractListModel):
    """Codes by their path in the tree (``Parent / Child``), checkable, for the picker:
    several may be ticked and applied at once."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[Code, str]] = []
        self._checked: set[uuid.UUID] = set()

    def set_codes(self, rows: Sequence[tuple[Code, str]]) -> None:
        self.beginResetModel()
        self._rows = [(c, p) for c, p in rows if not c.retired]
        self._checked = set()
        self.endResetModel()

    def code_at(self, row: int) -> Code:
        return self._rows[row][0]

    def checked(self) -> list[Code]:
        return [c for c, _p in self._rows if c.guid in self._checked]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _PICK_FLAGS

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        code, path = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return path
        if role == Qt.ItemDataRole.DecorationRole:
            return swatch(code.colour)
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if code.guid in self._checked \
                else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            return code.description or None
        if role == CODE_ROLE:
            return code
        return None

    def setData(self, index: _Index, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid() \
                or not 0 <= index.row() < len(self._rows):
            return False
        guid = self._rows[index.row()][0].guid
        if value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2, True):
            self._checked.add(guid)
        else:
            self._checked.discard(guid)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True

    def toggle(self, row: int) -> None:
        index = self.index(row, 0)
        checked = self._rows[row][0].guid in self._checked
        self.setData(index, Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked,
                     Qt.ItemDataRole.CheckStateRole)
