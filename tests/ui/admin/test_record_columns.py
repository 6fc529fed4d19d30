"""The records table's column chooser: the admin leaves out columns they do not read,
the record's name gets their room, the choice is remembered, and a wanted column the
table has no room for says so in the menu."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from tests.ui.admin.records_fixtures import World, build_world, open_records_page
from ui.admin.models.records import AdminRecordsModel
from ui.admin.pages.record_columns import OPTIONAL
from ui.admin.pages.records import RecordsPage
from ui.admin.settings import left_out_record_columns
from ui.tasks import TaskRunner

M = AdminRecordsModel


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = build_world(tmp_path_factory.mktemp("columns-world"))
    yield made
    made.desk.close()


def _page(qtbot: QtBot, world: World, runner: TaskRunner) -> RecordsPage:
    return open_records_page(qtbot, world, runner)


def _action(page: RecordsPage, column: int):  # type: ignore[no-untyped-def]
    name = str(page.model.headerData(column, Qt.Orientation.Horizontal))
    return next(a for a in page.columns.menu.actions() if a.text().startswith(name))


def _shown(page: RecordsPage) -> set[int]:
    return {c for c in range(M._COLUMNS) if not page.table.isColumnHidden(c)}


def test_every_column_shows_until_the_admin_leaves_one_out(
        qtbot: QtBot, world: World, runner: TaskRunner) -> None:
    page = _page(qtbot, world, runner)
    assert _shown(page) == set(range(M._COLUMNS))
    menu = page.columns.menu
    assert [a.isChecked() for a in menu.actions()] == [True] * len(OPTIONAL)
    names = [a.text() for a in menu.actions()]
    assert names == [str(page.model.headerData(c, Qt.Orientation.Horizontal))
                     for c in OPTIONAL.values()]


def test_columns_left_out_give_the_name_their_room_and_are_remembered(
        qtbot: QtBot, world: World, runner: TaskRunner) -> None:
    page = _page(qtbot, world, runner)
    before = page.table.columnWidth(M.NAME)
    _action(page, M.SHORT_ID).setChecked(False)
    _action(page, M.UPDATED).setChecked(False)
    qtbot.waitUntil(lambda: page.table.columnWidth(M.NAME) > before)
    assert _shown(page) == set(range(M._COLUMNS)) - {M.SHORT_ID, M.UPDATED}
    assert left_out_record_columns() == {"id", "updated"}
    # A table opened later (the next run) starts with the same choice.
    again = _page(qtbot, world, runner)
    assert _shown(again) == _shown(page)
    assert not _action(again, M.SHORT_ID).isChecked()
    assert _action(again, M.DEVICE).isChecked()
    # And a column shown again comes back.
    _action(again, M.SHORT_ID).setChecked(True)
    qtbot.waitUntil(lambda: not again.table.isColumnHidden(M.SHORT_ID))
    assert left_out_record_columns() == {"updated"}


def test_a_column_left_out_makes_room_for_the_next_and_no_room_is_said(
        qtbot: QtBot, world: World, runner: TaskRunner) -> None:
    page = _page(qtbot, world, runner)
    widths = page._widths
    least = page.table.fontMetrics().averageCharWidth() * 14
    fixed = sum(widths[c] for c in (M.STATUS, M.SUBMITTED))
    # Room for the name and the fixed columns, the id, but not the last change (the
    # first of the spare columns): the id waits for it.
    assert widths[M.SHORT_ID] < widths[M.UPDATED]
    room = fixed + least + (widths[M.SHORT_ID] + widths[M.UPDATED]) // 2
    for _ in range(5):  # the splitter hands the table its width: a few rounds settle it
        table = page.splitter.sizes()[0]
        page.splitter.setSizes([table + room - page.table.viewport().width(),
                                page.splitter.sizes()[1]])
        QApplication.processEvents()
    # (The scroll bars coming and going move it by a few pixels: it need only be between.)
    assert fixed + least + widths[M.SHORT_ID] <= page.table.viewport().width() \
        < fixed + least + widths[M.UPDATED]
    assert _shown(page) == {M.NAME, M.STATUS, M.SUBMITTED}
    assert _action(page, M.SHORT_ID).text().endswith("(no room at this width)")
    _action(page, M.UPDATED).setChecked(False)
    qtbot.waitUntil(lambda: not page.table.isColumnHidden(M.SHORT_ID))
    assert _shown(page) == {M.NAME, M.STATUS, M.SUBMITTED, M.SHORT_ID}
    assert page.table.columnWidth(M.NAME) >= least
    assert not _action(page, M.SHORT_ID).text().endswith("(no room at this width)")
    assert _action(page, M.DEVICE).text().endswith("(no room at this width)")


# A popup menu asks the window manager to raise it and give it the keyboard: the
# offscreen platform the tests run on has none, and says so.
@pytest.mark.qt_log_ignore("^This plugin does not support (raise\\(\\)|grabbing the keyboard)$")
def test_the_chooser_is_reached_by_keyboard_and_on_the_header(
        qtbot: QtBot, world: World, runner: TaskRunner) -> None:
    page = _page(qtbot, world, runner)
    button = page.columns.button
    assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
    assert button.accessibleName()
    button.setFocus()
    qtbot.waitUntil(button.hasFocus)
    # The button opens its menu in a loop of its own: look, then close it from there.
    seen: list[bool] = []
    menu = page.columns.menu
    QTimer.singleShot(100, lambda: (seen.append(menu.isVisible()), menu.close()))
    qtbot.keyClick(button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: seen == [True])
    header = page.table.horizontalHeader()
    header.customContextMenuRequested.emit(QPoint(5, 5))
    qtbot.waitUntil(page.columns.menu.isVisible)
    assert isinstance(page.columns.menu, QMenu)
    page.columns.menu.hide()
