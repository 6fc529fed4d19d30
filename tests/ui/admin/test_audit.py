"""The audit log page: every admin action with time and who, filtered by action, actor
and text, exported to a CSV file that reads back; its models pass Qt's model tester."""

from __future__ import annotations

import csv
from pathlib import Path

from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from tests.ui.admin.conftest import World
from tests.ui.admin.steps import enrol_on_page, inbox_of, merge, scanned
from ui.admin.console import AdminConsole
from ui.admin.pages.audit import AuditPage


def test_audit_shows_filters_and_exports(qtbot: QtBot, console: AdminConsole, world: World,
                                         tmp_path: Path, qtmodeltester: ModelTester) -> None:
    world.write_bundles(count=2)
    inbox = inbox_of(console)
    inbox.add_folder(str(world.sync))
    scanned(qtbot, inbox, 2)
    merge(qtbot, inbox)
    enrol_on_page(qtbot, console, "Laptop A")

    console.show_page("audit")
    page = console.page("audit")
    assert isinstance(page, AuditPage)
    # Two quarantined, one enrolment, two merged from the quarantine.
    qtbot.waitUntil(lambda: page.model.rowCount() == 5, timeout=10_000)
    qtmodeltester.check(page.model)
    qtmodeltester.check(page.proxy)
    shown = {page.proxy.index(r, 2).data() for r in range(page.proxy.rowCount())}
    assert shown == {"Bundle quarantined", "Device enrolled", "Bundle merged"}
    assert {page.proxy.index(r, 1).data() for r in range(page.proxy.rowCount())} == {"admin"}
    # Newest first.
    assert page.proxy.index(0, 2).data() == "Bundle merged"

    page.action.setCurrentIndex(page.action.findData("enrol_device"))
    assert page.proxy.rowCount() == 1
    assert page.count.text() == "1 of 5 entries"
    page.action.setCurrentIndex(0)
    page.actor.setCurrentIndex(page.actor.findData("admin"))
    assert page.proxy.rowCount() == 5
    device_id = str(world.device_id())
    page.search.setText(device_id[:8].upper())
    assert page.proxy.rowCount() == 5  # every entry names the device
    page.search.setText("no such text")
    assert page.proxy.rowCount() == 0 and not page.export_button.isEnabled()
    page.search.setText("quarantine")
    assert page.proxy.rowCount() == 2

    out = tmp_path / "audit.csv"
    with qtbot.waitSignal(page.exported, timeout=10_000):
        page.export_csv(out)
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["action"] for r in rows] == ["quarantine_bundle"] * 2
    assert all(r["actor"] == "admin" and device_id in r["details"] for r in rows)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("audit")] == ["audit.csv"]
    assert "2 entries written to" in page.message.text()
