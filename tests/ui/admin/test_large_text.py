"""The console at 150% text on a 1366x768 screen: no page squeezes its controls below the
height their text needs (a page taller than the window scrolls instead), the records
table keeps a readable name without scrolling sideways, and the export report comes into
view when an export ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from qi_capture.services.admin import AdminDesk
from tests.ui.admin.conftest import PASSPHRASE, World
from ui.admin.console import AdminConsole, register_pages
from ui.admin.models.records import AdminRecordsModel
from ui.admin.pages.exports import ExportsPage
from ui.admin.pages.records import RecordsPage
from ui.tasks import TaskRunner
from ui.widgets.reveal import scroll_area_of


@pytest.fixture
def large_text() -> Iterator[None]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.font()
    font = app.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    app.setFont(font)
    yield
    app.setFont(before)


def _squeezed(page: QWidget) -> list[str]:
    """The visible controls of ``page`` shorter than their text needs."""
    out = []
    for widget in page.findChildren(QWidget):
        if not isinstance(widget, QAbstractButton | QComboBox | QLineEdit) \
                or not widget.isVisibleTo(page) \
                or isinstance(widget.parentWidget(), QAbstractSpinBox | QComboBox):
            continue  # (a spin box's or combo box's own line edit is drawn inside its frame)
        if widget.height() < widget.minimumSizeHint().height():
            name = widget.text() if isinstance(widget, QAbstractButton | QLineEdit) else ""
            out.append(f"{type(widget).__name__} {name!r}: {widget.height()} px, needs "
                       f"{widget.minimumSizeHint().height()}")
    return out


def test_no_page_squeezes_its_controls_at_150_percent(
        qtbot: QtBot, world: World, runner: TaskRunner, large_text: None,
        tmp_path: Path) -> None:
    desk = AdminDesk.open(world.central, PASSPHRASE)
    console = AdminConsole(desk, runner, target=str(world.central))
    register_pages(console)
    qtbot.addWidget(console)
    console.resize(1366, 690)  # what the window leaves it at 1366x768 (menu, status bar)
    console.show()
    try:
        for key in console.page_keys():
            console.show_page(key)
            qtbot.wait(50)
            page = console.page(key)
            assert _squeezed(page) == [], key
        # The records table leaves out what the record beside it shows (the times, the
        # device, the interviewer) before it cuts a record's name below 14 characters,
        # and never needs to scroll sideways; the name, review and submission stay.
        records = console.page("records")
        assert isinstance(records, RecordsPage)
        console.show_page("records")
        qtbot.wait(50)
        table = records.table
        shown = [c for c in range(AdminRecordsModel._COLUMNS) if not table.isColumnHidden(c)]
        assert {AdminRecordsModel.NAME, AdminRecordsModel.STATUS,
                AdminRecordsModel.SUBMITTED} <= set(shown)
        assert len(shown) < AdminRecordsModel._COLUMNS  # at 150% some had to go
        assert table.columnWidth(AdminRecordsModel.NAME) \
            >= table.fontMetrics().averageCharWidth() * 14
        assert sum(table.columnWidth(c) for c in shown) <= table.viewport().width()
        exports = console.page("exports")
        assert isinstance(exports, ExportsPage)
        console.show_page("exports")
        qtbot.waitUntil(lambda: exports.form.count() > 0)
        exports.folder.setText(str(tmp_path / "out"))
        exports.export_button.click()
        qtbot.waitUntil(lambda: exports.report.isVisible() or exports.error.isVisible(),
                        timeout=30_000)
        assert exports.report.isVisible(), exports.error.text()
        qtbot.wait(50)
        # The report, its title and its warning shown: still nothing squeezed.
        assert _squeezed(exports) == []
        area = scroll_area_of(exports)
        assert area is not None
        # The page is taller than the window now, and the report is scrolled into view.
        qtbot.waitUntil(lambda: area.verticalScrollBar().maximum() > 0)
        top = exports.report.mapTo(exports, exports.report.rect().topLeft()).y()
        qtbot.waitUntil(lambda: area.verticalScrollBar().value() <= top
                        < area.verticalScrollBar().value() + area.viewport().height()
                        - exports.report.fontMetrics().lineSpacing() * 3)
    finally:
        console.close_desk()
        runner.wait()
