"""The console on a PostgreSQL central store, opened through the real dialog: the
connection (URL and the admin folder that holds the keys) typed once, the admin
passphrase, then a merge that quarantines an unknown laptop's bundle and its enrolment,
with the records arriving in the database. Uses the central-store tests' own PostgreSQL
server (skips without one, required in CI)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from qi_capture.services import ProfileService
from qi_capture.services.admin import AdminDesk
from tests.core.central.conftest import PostgresServer, pg_template, postgres
from tests.ui.admin.conftest import FORM_ID, PASSPHRASE, World
from ui.admin.settings import load_connection
from ui.main_window import MainWindow
from ui.tasks import TaskRunner

# The real PostgreSQL server of the central-store tests.
__all__ = ["pg_template", "postgres"]


def test_open_a_postgresql_central_store_merge_and_enrol(
    qtbot: QtBot, profile_dir: Path, world: World, runner: TaskRunner,
    postgres: PostgresServer, pg_template: str,
) -> None:
    url = postgres.url(postgres.create_database(pg_template))
    world.write_bundles(count=2)
    window = MainWindow(ProfileService(profile_dir), runner=runner)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.unlock_page)
    qtbot.mouseClick(window.unlock_page.open_central, Qt.MouseButton.LeftButton)
    dialog = window.open_central_dialog
    assert dialog is not None
    dialog.use_postgres.setChecked(True)
    dialog.url.setText(url)
    dialog.admin_folder.setText(str(world.central))
    qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.console is not None, timeout=15_000)
    console = window.console
    assert console is not None and console.desk.backend == "postgresql"
    remembered = load_connection()
    assert remembered is not None and remembered.kind == "postgres"
    assert (remembered.url, remembered.admin_folder) == (url, str(world.central))

    from ui.admin.pages.devices import DevicesPage
    from ui.admin.pages.inbox import InboxPage

    inbox = console.page("inbox")
    assert isinstance(inbox, InboxPage)
    console.show_page("inbox")
    inbox.add_folder(str(world.sync))
    qtbot.waitUntil(lambda: inbox.merge_button.isEnabled(), timeout=15_000)
    inbox.merge()
    qtbot.waitUntil(lambda: inbox.last_result is not None, timeout=30_000)
    assert inbox.last_result is not None
    assert [r.outcome for r in inbox.last_result.reports] == ["quarantined", "quarantined"]

    devices = console.page("devices")
    assert isinstance(devices, DevicesPage)
    console.show_page("devices")
    qtbot.waitUntil(lambda: devices.model.rowCount() >= 1, timeout=15_000)
    device_id = world.device_id()
    enrolled: list[object] = []
    task = runner.write(console.desk.enrol, device_id, name="Laptop A")
    task.finished.connect(enrolled.append)
    qtbot.waitUntil(lambda: bool(enrolled), timeout=30_000)
    window.close_central()
    runner.wait()
    with AdminDesk.open(url, PASSPHRASE, admin_dir=world.central) as desk:
        assert desk.records(FORM_ID).total == 2
        assert desk.device(device_id).device.status == "enrolled"
