"""Drive the filler as a person would: wait for the autosave queue, find questions."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QTreeWidgetItem,
)
from pytestqt.qtbot import QtBot

from ui.dialogs.finalise import PathRole as ReviewPathRole
from ui.pages.form_filler import FinaliseDialog, FormFiller
from ui.widgets.question_view import QuestionView


def settle(qtbot: QtBot, filler: FormFiller, timeout: int = 5000) -> None:
    """Wait until every write is done and the screen redrawn."""
    controller = filler.controller
    qtbot.waitUntil(lambda: not controller.busy, timeout=timeout)
    qtbot.wait(20)
    qtbot.waitUntil(lambda: not controller.busy, timeout=timeout)


def view(filler: FormFiller, path: str) -> QuestionView:
    found = filler.view_for(path)
    assert found is not None, f"{path} is not on screen ({filler._shown_key})"
    return found


def type_into(qtbot: QtBot, filler: FormFiller, path: str, text: str,
              clear: bool = False) -> None:
    editor = view(filler, path).editor
    target = editor.focus_widget()
    assert isinstance(target, QLineEdit | QPlainTextEdit), type(target)
    if clear:
        if isinstance(target, QLineEdit):
            target.selectAll()
        else:
            target.selectAll()
        qtbot.keyClick(target, Qt.Key.Key_Delete)
    qtbot.keyClicks(target, text)


def click_choice(qtbot: QtBot, filler: FormFiller, path: str, label: str) -> None:
    editor = view(filler, path).editor
    buttons = [b for b in editor.findChildren(QAbstractButton)
               if isinstance(b, QRadioButton | QCheckBox) and b.text() == label]
    assert buttons, f"no choice {label!r} at {path}: " + ", ".join(
        b.text() for b in editor.findChildren(QAbstractButton))
    click(qtbot, buttons[0])


def next_screen(qtbot: QtBot, filler: FormFiller) -> None:
    settle(qtbot, filler)
    qtbot.mouseClick(filler.next_button, Qt.MouseButton.LeftButton)
    settle(qtbot, filler)


def click(qtbot: QtBot, button: QAbstractButton) -> None:
    """Click where a person would: on the mark and the start of the text."""
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton,
                     pos=QPoint(min(12, button.width() // 2), button.height() // 2))


def review_items(dialog: FinaliseDialog) -> list[QTreeWidgetItem]:
    """Every line of the finalise review that jumps to a question."""
    tree = dialog.tree
    return [tree.topLevelItem(g).child(c) for g in range(tree.topLevelItemCount())
            for c in range(tree.topLevelItem(g).childCount())]


def review_paths(dialog: FinaliseDialog) -> list[str]:
    return [str(item.data(0, ReviewPathRole)) for item in review_items(dialog)]


def review_item(dialog: FinaliseDialog, path: str) -> QTreeWidgetItem:
    found = [i for i in review_items(dialog) if i.data(0, ReviewPathRole) == path]
    assert found, f"{path} is not in the review: {review_paths(dialog)}"
    return found[0]
