"""The records table's delegate paints what the model says: every cell's text is its
display role, a record in conflict has its review cell in bold (the font role), and the
cells keep the view's own features (alternating rows); a model of another kind is painted
as Qt's delegate paints it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QStyleOptionViewItem, QTableView
from pytestqt.qtbot import QtBot

from tests.ui.admin.records_fixtures import FORM_ID, World, world  # noqa: F401  (fixture)
from ui.admin.models.records import AdminRecordsModel, RecordQuery
from ui.admin.pages.records import prepare_table
from ui.admin.pages.records_delegate import RecordsDelegate
from ui.tasks import TaskRunner

_FEATURE = QStyleOptionViewItem.ViewItemFeature


def _option(table: QTableView, row: int, column: int) -> QStyleOptionViewItem:
    """The style option the delegate paints cell (row, column) with, started as the view
    starts it (its font, and the alternate feature on odd rows)."""
    option = QStyleOptionViewItem()
    option.initFrom(table)
    option.font = table.font()
    if row % 2:
        option.features = _FEATURE.Alternate
    delegate = table.itemDelegate()
    assert isinstance(delegate, RecordsDelegate)
    delegate.initStyleOption(option, table.model().index(row, column))
    return option


def test_the_delegate_shows_what_the_model_says(qtbot: QtBot, world: World,  # noqa: F811
                                                runner: TaskRunner) -> None:
    model = AdminRecordsModel(world.desk, runner)
    table = QTableView()
    qtbot.addWidget(table)
    prepare_table(table)
    table.setModel(model)
    table.resize(1366, 500)
    table.show()
    model.set_query(RecordQuery(FORM_ID))
    qtbot.waitUntil(lambda: model.rowCount() == 5 and not model.loading)

    bold_rows = set()
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            option = _option(table, row, column)
            assert option.text == index.data(), (row, column)
            assert option.features & _FEATURE.HasDisplay
            assert bool(option.features & _FEATURE.Alternate) == bool(row % 2)
            font = index.data(Qt.ItemDataRole.FontRole)
            assert option.font.bold() == (isinstance(font, QFont) and font.bold())
            if option.font.bold():
                assert column == AdminRecordsModel.STATUS
                assert option.text == "In conflict"
                bold_rows.add(row)
    # The two records the laptops edited apart are the ones in bold.
    conflicted = {str(record) for record in world.conflicted}
    assert {model.index(r, 0).data(Qt.ItemDataRole.ToolTipRole) for r in bold_rows} \
        == conflicted


def test_another_model_is_painted_as_qt_paints_it(qtbot: QtBot) -> None:
    other = QStandardItemModel(1, 1)
    item = QStandardItem("plain")
    bold = QFont()
    bold.setBold(True)
    item.setFont(bold)
    other.setItem(0, 0, item)
    table = QTableView()
    qtbot.addWidget(table)
    prepare_table(table)
    table.setModel(other)
    option = _option(table, 0, 0)
    assert option.text == "plain" and option.font.bold()
