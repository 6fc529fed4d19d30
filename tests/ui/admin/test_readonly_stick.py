"""Merging from a write-protected USB stick in the admin console, as an admin does it:
the stick is added to the inbox, its bundle quarantined, the laptop enrolled; merging
the stick again cannot leave an acknowledgement on it, and the page says so in words
(the bundles are merged, the acknowledgement is not, what to do) instead of failing
without a reason. The message is drawn whole at 1366x768 and with text at 150%."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.readonly import read_only_folder
from tests.ui.admin.conftest import World, desk_records
from tests.ui.admin.steps import enrol_on_page, inbox_of, merge, scanned, states
from ui.admin.console import AdminConsole


def test_a_write_protected_stick_is_merged_and_the_missing_acknowledgement_said(
    qtbot: QtBot, console: AdminConsole, world: World, tmp_path: Path
) -> None:
    world.write_bundles(count=1, records=2)
    with read_only_folder(tmp_path / "stick", copy_from=world.sync) as stick:
        inbox = inbox_of(console)
        inbox.add_folder(str(stick))
        scanned(qtbot, inbox, 1)
        lines = merge(qtbot, inbox)
        assert "1 quarantined" in lines[0]
        enrol_on_page(qtbot, console, "Laptop A")
        assert desk_records(qtbot, console) == 2

        console.show_page("inbox")
        qtbot.waitUntil(lambda: states(inbox) == ["Already imported"], timeout=10_000)
        inbox.merge(None)
        qtbot.waitUntil(lambda: inbox.error.isVisible() and inbox.merge_button.isEnabled(),
                        timeout=20_000)
        text = inbox.error.text()
        assert "merged" in text and "no acknowledgement could be written" in text
        assert str(stick) in text and "merge it again" in text
        assert not (stick / "inbox").exists()
        assert desk_records(qtbot, console) == 2  # nothing lost, nothing twice

        app = QApplication.instance()
        assert isinstance(app, QApplication)
        font = app.font()
        try:
            for scale, name in ((1.0, "inbox-readonly.png"), (1.5, "inbox-readonly-150.png")):
                bigger = app.font()
                bigger.setPointSizeF(font.pointSizeF() * scale)
                app.setFont(bigger)
                console.setFont(bigger)
                console.resize(1366, 768)
                qtbot.wait(200)  # the font change reaches every child, the layout settles
                label = inbox.error
                # Every line of the message has the room it needs: wrapped, never cut.
                qtbot.waitUntil(lambda label=label: label.height()  # type: ignore[misc]
                                >= label.heightForWidth(label.width()), timeout=5_000)
                assert label.visibleRegion().boundingRect().height() >= \
                    label.heightForWidth(label.width())
                console.grab().save(str(tmp_path / name))
        finally:
            app.setFont(font)
            console.setFont(font)
