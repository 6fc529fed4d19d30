"""The audit log page: every admin action with time and who, filtered by action, actor
and text, exported to a CSV file that reads back; a log of thousands of entries read a
page at a time as the table scrolls; its model passes Qt's model tester."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from qi_capture.central import sql
from qi_capture.central.models import CentralAuditRow
from qi_capture.central.store import CentralStore
from qi_capture.crypto.kdf import floor_params
from qi_capture.services.admin import AdminDesk
from qi_capture.storage.profile import Profile
from tests.ui.admin.conftest import PASSPHRASE, World
from tests.ui.admin.steps import enrol_on_page, inbox_of, merge, scanned
from ui.admin.console import AdminConsole
from ui.admin.pages.audit import AuditPage
from ui.tasks import TaskRunner

ACTIONS = ("merge_bundle", "review", "export")


def _long_log(folder: Path, entries: int) -> None:
    """A central store whose audit log holds ``entries`` entries, a minute apart,
    cycling through three actions and two admins (inserted in one transaction)."""
    Profile.create(folder, "audit", PASSPHRASE, kdf=floor_params())
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    rows = [{"at": start + timedelta(minutes=i), "actor": ("admin", "sam")[i % 2],
             "action": ACTIONS[i % 3], "params_json": f'{{"n": "entry-{i:05d}"}}'}
            for i in range(entries)]
    with CentralStore.open(folder, PASSPHRASE) as central, central.engine.begin() as conn:
        conn.execute(sql.table(CentralAuditRow).insert(), rows)


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
    model = page.model
    # Two quarantined, one enrolment, two merged from the quarantine.
    qtbot.waitUntil(lambda: model.rowCount() == 5 and not model.loading, timeout=10_000)
    qtmodeltester.check(model)
    shown = {model.index(r, 2).data() for r in range(model.rowCount())}
    assert shown == {"Bundle quarantined", "Device enrolled", "Bundle merged"}
    assert {model.index(r, 1).data() for r in range(model.rowCount())} == {"admin"}
    # Newest first.
    assert model.index(0, 2).data() == "Bundle merged"

    def shows(rows: int) -> None:
        qtbot.waitUntil(lambda: model.query == page.current_query() and not model.loading
                        and model.rowCount() == rows, timeout=10_000)

    page.action.setCurrentIndex(page.action.findData("enrol_device"))
    shows(1)
    assert page.count.text() == "1 entries"
    page.action.setCurrentIndex(0)
    page.actor.setCurrentIndex(page.actor.findData("admin"))
    shows(5)
    device_id = str(world.device_id())
    page.search.setText(device_id[:8].upper())
    shows(5)  # every entry names the device
    page.search.setText("no such text")
    shows(0)
    assert not page.export_button.isEnabled()
    page.search.setText("quarantine")
    shows(2)
    page.search.setText("device enrolled")  # the words on screen, not the action code
    shows(1)
    page.search.setText("quarantine")
    shows(2)

    out = tmp_path / "audit.csv"
    with qtbot.waitSignal(page.exported, timeout=10_000):
        page.export_csv(out)
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["action"] for r in rows] == ["quarantine_bundle"] * 2
    assert all(r["actor"] == "admin" and device_id in r["details"] for r in rows)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("audit")] == ["audit.csv"]
    assert "2 entries written to" in page.message.text()


@pytest.mark.slow
def test_a_long_log_is_read_a_page_at_a_time(qtbot: QtBot, tmp_path: Path,
                                             runner: TaskRunner,
                                             qtmodeltester: ModelTester) -> None:
    entries = 3_000
    _long_log(tmp_path / "central", entries)
    with AdminDesk.open(tmp_path / "central", PASSPHRASE) as desk:
        page = AuditPage(desk, runner, page_size=100)
        qtbot.addWidget(page)
        page.resize(1366, 768)
        page.show()
        page.refresh()
        model = page.model
        qtbot.waitUntil(lambda: model.rowCount() == 100 and not model.loading,
                        timeout=10_000)
        # Only the newest page is read, and the count says how many there are in all.
        assert page.count.text() == "3000 entries · 100 shown"
        assert model.entry(0).params == {"n": f"entry-{entries - 1:05d}"}
        assert model.canFetchMore()
        qtmodeltester.check(model)

        # The view asks for the next (older) page when scrolled to the end.
        page.table.scrollToBottom()
        qtbot.waitUntil(lambda: model.rowCount() == 200 and not model.loading)
        while model.canFetchMore() or model.loading:
            model.fetchMore()
            qtbot.waitUntil(lambda: not model.loading)
        ids = [e.id for e in model.entries()]
        assert len(ids) == entries == len(set(ids)) and ids == sorted(ids, reverse=True)
        assert page.count.text() == "3000 entries"

        # Filters are the query's: an action and an admin, then a text in the details.
        page.action.setCurrentIndex(page.action.findData("export"))
        page.actor.setCurrentIndex(page.actor.findData("sam"))
        qtbot.waitUntil(lambda: model.query == page.current_query() and not model.loading
                        and model.rowCount() == 100)
        assert model.total == 500  # every sixth entry is an export by sam
        assert {model.index(r, 2).data() for r in range(100)} == {"Records exported"}
        assert {model.index(r, 1).data() for r in range(100)} == {"sam"}

        # The export holds every matching entry, not only the page read, oldest first.
        out = tmp_path / "audit.csv"
        with qtbot.waitSignal(page.exported, timeout=20_000):
            page.export_csv(out)
        with out.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == 500 and {r["action"] for r in rows} == {"export"}
        assert [int(r["id"]) for r in rows] == sorted(int(r["id"]) for r in rows)

        page.action.setCurrentIndex(0)
        page.actor.setCurrentIndex(0)
        page.search.setText("ENTRY-01234")
        qtbot.waitUntil(lambda: model.query == page.current_query() and not model.loading
                        and model.rowCount() == 1, timeout=10_000)
        assert model.entry(0).params == {"n": "entry-01234"}
        runner.wait()
