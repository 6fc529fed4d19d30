"""Inbox and merge, and Devices, on real bundles from real laptop profiles: the first
merge quarantines the unknown device, enrolling it (after the fingerprint check)
imports its bundles, merging again shows nothing new; a merge stopped after the first
bundle loses nothing; rename and revoke."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from qi_capture.progress import SimpleCancelToken
from qi_capture.services.dto import grouped_fingerprint
from tests.core.export.builds import count_builds
from tests.ui.admin.conftest import FORM_ID, World, desk_records, on_runner
from tests.ui.admin.steps import enrol_on_page, inbox_of, merge, scanned, states
from ui.admin.console import AdminConsole
from ui.admin.pages import devices as devices_page
from ui.admin.text import fingerprint_lines
from ui.dialogs import confirm


def test_quarantine_then_enrol_then_nothing_new(
    qtbot: QtBot, console: AdminConsole, world: World, qtmodeltester: ModelTester
) -> None:
    world.write_bundles(count=2)
    inbox = inbox_of(console)
    assert console.current_key() == "inbox"
    inbox.add_folder(str(world.sync))
    scanned(qtbot, inbox, 2)
    assert all("not enrolled yet" in s for s in states(inbox))

    lines = merge(qtbot, inbox)
    assert lines[0].startswith("Merged 2 bundle(s): 0 imported, 0 already imported, 2 "
                               "quarantined")
    assert sum("quarantined, waiting for enrolment" in line for line in lines) == 2
    qtbot.waitUntil(lambda: all(s.startswith("In quarantine") for s in states(inbox)))

    page = enrol_on_page(qtbot, console, "Laptop A")
    # The fingerprint reads as the laptop's About box shows it: same groups of eight.
    device = page.model.device(0)
    with_laptop = grouped_fingerprint(device.device.fingerprint or "")
    assert device.fingerprint_grouped == with_laptop
    assert page.last_enrolment is not None
    assert [m.report.outcome for m in page.last_enrolment.merged] == ["imported"] * 2
    assert "Laptop A is enrolled: 2 quarantined bundle(s) imported, 0 refused." in \
        page.outcome.text()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1
                    and page.model.device(0).device.status == "enrolled")
    assert page.model.device(0).device.name == "Laptop A"
    assert page.model.device(0).interviewers == ("Jo Bloggs",)
    assert desk_records(qtbot, console) == 2
    qtmodeltester.check(page.model)
    qtmodeltester.check(page.proxy)

    console.show_page("inbox")
    qtbot.waitUntil(lambda: states(inbox) == ["Already imported"] * 2, timeout=10_000)
    lines = merge(qtbot, inbox)
    assert lines[0] == "Nothing new: all 2 bundle(s) were already imported."
    assert desk_records(qtbot, console) == 2


def test_a_merge_brings_the_export_copies_up_to_date_after_it(
    qtbot: QtBot, console: AdminConsole, world: World, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    built = count_builds(monkeypatch)

    def export_builds_nothing(out: str, included: int) -> None:
        built.clear()
        result = on_runner(qtbot, console, console.desk.export, FORM_ID, "csv", tmp_path / out)
        assert result.included == included
        assert built == []  # every copy read as it was kept

    world.write_bundles(count=1, records=2)
    inbox = inbox_of(console)
    inbox.add_folder(str(world.sync))
    scanned(qtbot, inbox, 1)
    merge(qtbot, inbox)
    assert inbox.copies_task is None  # nothing imported: nothing to bring up to date
    page = enrol_on_page(qtbot, console, "Laptop A")  # imports the quarantined bundle
    enrolled = page.copies_task
    assert enrolled is not None
    qtbot.waitUntil(lambda: enrolled.done, timeout=20_000)
    assert built  # the copies were built then, on the write queue
    export_builds_nothing("first", 2)

    world.write_bundles(count=1, records=3)
    console.show_page("inbox")  # shown again: the folder is read again
    scanned(qtbot, inbox, 2)
    merge(qtbot, inbox)
    merged = inbox.copies_task
    assert merged is not None
    qtbot.waitUntil(lambda: merged.done, timeout=20_000)
    export_builds_nothing("second", 5)


class CancelAfterFirstReport(SimpleCancelToken):
    """The Stop button's token, made deterministic: before the second bundle the merge
    waits until the page has had the first progress report and Stop was pressed (a
    real merge of small bundles could otherwise finish before the click lands)."""

    def __init__(self) -> None:
        super().__init__()
        self.clicked = threading.Event()
        self.checks = 0

    def cancel(self) -> None:
        super().cancel()
        self.clicked.set()

    def is_cancelled(self) -> bool:
        if threading.current_thread() is threading.main_thread():
            return super().is_cancelled()
        self.checks += 1  # the merge's own checks, one before each bundle
        if self.checks == 2:
            self.clicked.wait(10)
        return super().is_cancelled()


def test_stop_a_merge_midway_and_merge_again_with_nothing_lost(
    qtbot: QtBot, console: AdminConsole, world: World
) -> None:
    world.write_bundles(count=1)
    inbox = inbox_of(console)
    inbox.add_folder(str(world.sync))
    scanned(qtbot, inbox, 1)
    merge(qtbot, inbox)
    enrol_on_page(qtbot, console, "Laptop A")
    assert desk_records(qtbot, console) == 1

    world.write_bundles(count=4)
    console.show_page("inbox")
    scanned(qtbot, inbox, 5)
    assert sum(s.startswith("New: 1 revision(s)") for s in states(inbox)) == 4

    token = CancelAfterFirstReport()
    reports: list[tuple[int, int, str]] = []

    def on_progress(done: int, total: int, name: str) -> None:
        reports.append((done, total, name))
        if len(reports) == 1:
            assert inbox.cancel_button.isVisible()
            inbox.cancel_button.click()

    inbox.last_result = None
    inbox.merge(token)
    assert inbox.merge_task is not None
    assert not inbox.merge_button.isEnabled() and not inbox.add_button.isEnabled()
    inbox.merge_task.progress.connect(on_progress)
    qtbot.waitUntil(lambda: inbox.last_result is not None, timeout=20_000)
    result = inbox.last_result
    assert result is not None and result.cancelled
    # Stop came while the first file was being merged: that one is done, no other.
    assert len(result.reports) == 1
    lines = [inbox.results.item(i).text() for i in range(inbox.results.count())]
    assert lines[0].startswith("Stopped after 1 bundle(s); the rest are left for the next "
                               "merge.")
    assert desk_records(qtbot, console) == 1 + result.count("imported")

    scanned(qtbot, inbox, 5)
    lines = merge(qtbot, inbox)
    assert desk_records(qtbot, console) == 5
    again = inbox.last_result
    assert again is not None and not again.cancelled
    assert again.count("imported") == 4 - result.count("imported")
    assert again.count("already_imported") == 1 + result.count("imported")
    lines = merge(qtbot, inbox)
    assert lines[0] == "Nothing new: all 5 bundle(s) were already imported."


def test_rename_and_revoke(qtbot: QtBot, console: AdminConsole, world: World,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    world.write_bundles(count=1)
    inbox = inbox_of(console)
    inbox.add_folder(str(world.sync))
    scanned(qtbot, inbox, 1)
    merge(qtbot, inbox)
    page = enrol_on_page(qtbot, console, "Laptop A")
    qtbot.waitUntil(lambda: page.rename_button.isEnabled()
                    and page.model.device(0).device.status == "enrolled")

    monkeypatch.setattr(devices_page, "ask_name", lambda *_a: "Laptop 7 (Jo)")
    page.rename_button.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1
                    and page.model.device(0).device.name == "Laptop 7 (Jo)", timeout=10_000)
    assert "Renamed to Laptop 7 (Jo)." in page.outcome.text()

    asked: list[str] = []

    def answer(_parent: object, _title: str, text: str) -> bool:
        asked.append(text)
        return True

    monkeypatch.setattr(confirm, "ask", answer)
    qtbot.waitUntil(lambda: page.revoke_button.isEnabled())
    page.revoke_button.click()
    assert asked and "Revoke Laptop 7 (Jo)?" in asked[0]
    qtbot.waitUntil(lambda: page.model.device(0).device.status == "revoked", timeout=10_000)
    assert not page.revoke_button.isEnabled() and not page.enrol_button.isEnabled()

    # Its next bundle is refused, and the merge says why.
    world.write_bundles(count=1)
    console.show_page("inbox")
    qtbot.waitUntil(lambda: "From a revoked device: will be refused" in states(inbox),
                    timeout=10_000)
    lines = merge(qtbot, inbox)
    assert any(": refused: " in line and "revoked" in line for line in lines)


def test_fingerprint_reads_like_the_laptop() -> None:
    grouped = grouped_fingerprint("ed25519:" + "0123456789abcdef" * 4)
    assert fingerprint_lines(grouped) == (
        "ed25519:\n01234567 89abcdef 01234567 89abcdef\n"
        "01234567 89abcdef 01234567 89abcdef")
