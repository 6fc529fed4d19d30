"""Walks over a window as it stands: its mnemonics, its accessibility tree, and where
its buttons are. Each returns what it found wrong, so a test can name it."""

from __future__ import annotations

import re
from collections import defaultdict

from PySide6.QtCore import QRect
from PySide6.QtGui import QAccessible, QAccessibleInterface
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QGroupBox,
    QLabel,
    QMainWindow,
    QWidget,
)

#: Roles a person operates: each must have a name a screen reader can say.
INTERACTIVE = {
    QAccessible.Role.PushButton, QAccessible.Role.CheckBox, QAccessible.Role.RadioButton,
    QAccessible.Role.ComboBox, QAccessible.Role.EditableText, QAccessible.Role.Slider,
    QAccessible.Role.SpinBox, QAccessible.Role.List, QAccessible.Role.Table,
    QAccessible.Role.Tree, QAccessible.Role.ButtonMenu, QAccessible.Role.PageTab,
}
#: Containers whose rows are named by their own text (not walked further).
ITEM_VIEWS = {QAccessible.Role.List, QAccessible.Role.Table, QAccessible.Role.Tree}

_MNEMONIC = re.compile(r"(?<!&)&([^&\s])")


def _mnemonic(text: str) -> str | None:
    found = _MNEMONIC.search(text.replace("&&", ""))
    return found.group(1).lower() if found else None


def mnemonic_clashes(window: QWidget) -> dict[str, list[str]]:
    """Alt+letter keys claimed more than once among what is showing in ``window``
    (its menu bar titles, buttons, labels with a buddy, group boxes)."""
    claims: dict[str, list[str]] = defaultdict(list)
    if isinstance(window, QMainWindow):
        for action in window.menuBar().actions():
            if action.isVisible():
                key = _mnemonic(action.text())
                if key:
                    claims[key].append(f"menu {action.text()!r}")
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or widget.window() is not window:
            continue
        text = ""
        if isinstance(widget, QAbstractButton) or (isinstance(widget, QLabel) and widget.buddy() is not None):
            text = widget.text()
        elif isinstance(widget, QGroupBox):
            text = widget.title()
        key = _mnemonic(text)
        if key:
            claims[key].append(f"{type(widget).__name__} {text!r}")
    return {k: v for k, v in claims.items() if len(v) > 1}


def unnamed_controls(window: QWidget) -> list[str]:
    """Interactive accessibility nodes under ``window`` with no name, walked through
    ``QAccessible`` as a screen reader sees them."""
    root = QAccessible.queryAccessibleInterface(window)
    assert root is not None, "no accessibility interface"
    found: list[str] = []

    def walk(node: QAccessibleInterface, depth: int) -> None:
        if depth > 60 or node.state().invisible:
            return
        role = node.role()
        if role in INTERACTIVE and not node.text(QAccessible.Text.Name).strip():
            obj = node.object()
            found.append(f"{role.name} {type(obj).__name__} {obj.objectName()!r}"
                         f" (parent {type(obj.parent()).__name__ if obj else None})")
        if role in ITEM_VIEWS:
            return
        for i in range(node.childCount()):
            child = node.child(i)
            if child is not None and child.isValid():
                walk(child, depth + 1)

    walk(root, 0)
    return found


def choice_group_name(button: QWidget) -> str:
    """The name of the group a choice sits in, as the accessibility tree gives it."""
    iface = QAccessible.queryAccessibleInterface(button)
    parent = iface.parent() if iface is not None else None
    while parent is not None and parent.isValid():
        if parent.role() == QAccessible.Role.Grouping:
            return parent.text(QAccessible.Text.Name)
        parent = parent.parent()
    return ""


def _in_scroll_area(widget: QWidget, top: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def buttons_off_screen(window: QWidget, screen: QRect) -> list[str]:
    """Buttons showing in ``window`` that are not wholly inside ``screen`` (the window's
    own coordinates). A button in a scroll area counts if its scroll area is inside
    (the interviewer scrolls to it)."""
    out: list[str] = []
    if window.width() > screen.width() or window.height() > screen.height():
        out.append(f"the window is {window.width()}x{window.height()}")
    for button in window.findChildren(QAbstractButton):
        if not button.isVisible() or button.window() is not window:
            continue
        target: QWidget = button
        if _in_scroll_area(button, window):
            parent = button.parentWidget()
            while parent is not None and not isinstance(parent, QAbstractScrollArea):
                parent = parent.parentWidget()
            assert parent is not None
            target = parent
        top_left = target.mapTo(window, target.rect().topLeft())
        rect = QRect(top_left, target.size())
        if not screen.contains(rect):
            out.append(f"{type(button).__name__} {button.text()!r} at {rect.getRect()}")
    return out
