"""The console's record view: "Withdraw and erase" asks for a reason and a confirmation,
erases the record at the centre (the table reloads without it), leaves a tombstone, and
the audit log has the erasure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.ui.admin.records_fixtures import World, build_world, open_records_page
from ui.admin.models.records import AdminRecordsModel
from ui.tasks import TaskRunner


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = build_world(tmp_path)
    yield made
    made.desk.close()


def test_erase_from_the_record_view(qtbot: QtBot, world: World, runner: TaskRunner,
                                    tmp_path: Path) -> None:
    page = open_records_page(qtbot, world, runner)
    model = page.model
    qtbot.waitUntil(lambda: model.rowCount() == 5 and not model.loading)
    page.table.selectRow(0)
    view = page.view
    qtbot.waitUntil(lambda: view.detail is not None and view.erase_button.isEnabled())
    name = model.index(0, AdminRecordsModel.NAME).data()
    erased_id = view.detail.row.record_id if view.detail is not None else None

    view.erase_button.click()
    dialog = view.erase_dialog
    assert dialog is not None and dialog.isVisible()
    assert name in dialog.findChildren(type(view.title))[0].text()
    dialog.reason_edit.setText("Consent withdrawn by e-mail")
    assert not dialog.erase_button.isEnabled()
    dialog.confirm.setChecked(True)
    page.grab().save(str(tmp_path / "console-erase.png"))
    dialog.erase_button.click()

    qtbot.waitUntil(lambda: len(world.desk.tombstones()) == 1, timeout=10_000)
    qtbot.waitUntil(lambda: model.rowCount() == 4 and not model.loading, timeout=10_000)
    [stone] = world.desk.tombstones()
    assert stone.record_id == erased_id and stone.reason == "Consent withdrawn by e-mail"
    assert name not in [model.index(r, AdminRecordsModel.NAME).data()
                        for r in range(model.rowCount())]
    assert [e.params for e in world.desk.audit(action="erase_record")][-1]["record_id"] == str(
        erased_id)
