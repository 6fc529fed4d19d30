""""Withdraw and erase" on the home screen: the dialog asks for a reason and a deliberate
confirmation (Enter never erases), the record becomes "Erased", and an erased record can
be neither edited nor erased again."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.ui.helpers import click_choice, next_screen, settle
from tests.ui.test_main_window import create_profile, start_record, window  # noqa: F401
from ui.dialogs.erase import EraseDialog
from ui.main_window import MainWindow
from ui.models.records import RecordsTableModel


def test_withdraw_and_erase_a_record(qtbot: QtBot, window: MainWindow,  # noqa: F811
                                     tmp_path: Path) -> None:
    create_profile(qtbot, window)
    filler = start_record(qtbot, window, "London QI baseline questionnaire")
    next_screen(qtbot, filler)
    click_choice(qtbot, filler, "consent", "No")
    settle(qtbot, filler)
    qtbot.keyClick(filler, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    home = window.home
    qtbot.waitUntil(lambda: home.records_model.rowCount() == 1, timeout=5000)
    home.table.selectRow(0)
    assert home.erase.isEnabled() and not home.edit.isEnabled()  # a draft

    qtbot.mouseClick(home.erase, Qt.MouseButton.LeftButton)
    dialog = window.erase_dialog
    assert isinstance(dialog, EraseDialog) and dialog.isVisible()
    assert not dialog.erase_button.isEnabled()
    qtbot.keyClicks(dialog.reason_edit, "Consent withdrawn")
    assert not dialog.erase_button.isEnabled()  # not confirmed yet
    qtbot.keyClick(dialog.reason_edit, Qt.Key.Key_Return)
    assert window.ctx is not None and window.ctx.records.erased_ids() == set()
    assert not dialog.isVisible()  # Enter is Cancel: nothing erased
    qtbot.mouseClick(home.erase, Qt.MouseButton.LeftButton)
    dialog = window.erase_dialog
    assert dialog is not None and dialog.reason() == ""
    qtbot.keyClicks(dialog.reason_edit, "Consent withdrawn")
    dialog.confirm.setChecked(True)
    assert dialog.erase_button.isEnabled()
    dialog.grab().save(str(tmp_path / "erase_dialog.png"))
    qtbot.mouseClick(dialog.erase_button, Qt.MouseButton.LeftButton)

    ctx = window.ctx
    qtbot.waitUntil(lambda: len(ctx.records.erased_ids()) == 1, timeout=10_000)
    qtbot.waitUntil(lambda: home.records_model.index(0, RecordsTableModel.STATUS).data()
                    == "Erased", timeout=5000)
    home.table.selectRow(0)
    assert not home.erase.isEnabled() and not home.edit.isEnabled()
    [record_id] = ctx.records.erased_ids()
    assert ctx.records.get(record_id).answers == {}
    window.close()
