"""No record is stranded, as the interviewer sees it: records of the built-in study (which
has no study pack) are marked as staying on the laptop on home and in the sync dialog;
the pack dialog offers to move them into the pack's study, after which home lists the
forms once and the sync dialog says they are ready to send; Help > About this laptop
shows the device id and fingerprint the admin checks."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from qi_capture.crypto.kdf import floor_params
from qi_capture.resources import resource_path
from qi_capture.services import CoreContext
from qi_capture.services.dto import grouped_fingerprint
from qi_capture.sync.admin import AdminProfile, init_admin
from qi_capture.sync.pack import PackForm, StudyPolicy, build_pack
from tests.ui.conftest import PASSPHRASE
from tests.ui.test_sync_and_packs import import_pack, in_background, run_sync
from tests.ui.test_sync_and_packs import window as window  # the fixture, re-exported
from ui.dialogs.laptop import LaptopDialog
from ui.main_window import MainWindow
from ui.models.records import RecordsTableModel

STUDY_ID = "london-qi-2027"


@pytest.fixture
def builtin_pack(tmp_path: Path) -> Path:
    """The built-in study's own forms in a pack signed by a study admin."""
    central = tmp_path / "central"
    init_admin(central, PASSPHRASE, study_id=STUDY_ID, study_title="London QI 2027",
               kdf=floor_params())
    folder = resource_path("studies", "london-qi-baseline")
    forms = [PackForm(p.name, p.read_bytes()) for p in sorted(folder.glob("*.xlsx"))]
    with AdminProfile.open(central, PASSPHRASE) as admin:
        data = build_pack(admin.keys(), forms, StudyPolicy(10, 30, str(tmp_path / "sync")))
    path = tmp_path / "london.qipack"
    path.write_bytes(data)
    return path


def declined(ctx: CoreContext) -> uuid.UUID:
    form = ctx.studies.resolve("qi_baseline")
    with ctx.records.create(form.id) as record:
        record.set("consent", "no")
        record.finalise()
        return record.record_id


def study_titles(window: MainWindow) -> list[str]:
    model = window.home.forms_model
    return [str(model.index(r, 0).data()) for r in range(model.rowCount())]


def status_texts(window: MainWindow) -> list[str]:
    proxy = window.home.proxy
    return [str(proxy.index(r, RecordsTableModel.STATUS).data())
            for r in range(proxy.rowCount())]


def test_records_without_a_pack_are_marked_then_moved_by_the_pack(
    qtbot: QtBot, window: MainWindow, builtin_pack: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx = window.ctx
    assert ctx is not None
    record_id = in_background(qtbot, window, declined, ctx)
    window.view_record(record_id)  # the record view says so too
    qtbot.waitUntil(lambda: "stays on this laptop" in window.status.text(), timeout=10_000)
    window.close_record()
    window.refresh_home()
    qtbot.waitUntil(lambda: status_texts(window) == ["Stays on this laptop"], timeout=10_000)
    assert study_titles(window) == [
        "London QI baseline (no study pack yet)"]
    assert window.home.local_note.isVisible()  # the chosen form is the built-in study's

    folder = tmp_path / "sync"
    folder.mkdir()
    window.sync_action.trigger()
    dialog = window.sync_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: "stay on this laptop" in dialog.pending.text(), timeout=10_000)
    assert "Nothing new to send" in dialog.pending.text()
    dialog.reject()

    packs = import_pack(qtbot, window, builtin_pack, monkeypatch)
    assert packs.move_records.isVisible() and packs.move_records.isChecked()
    assert "1 record(s)" in packs.move_note.text()
    assert "London QI baseline" in packs.move_note.text()
    with qtbot.waitSignal(packs.installed, timeout=20_000):
        qtbot.mouseClick(packs.install_button, Qt.MouseButton.LeftButton)
    assert "1 record(s) moved" in packs.message.text()
    packs.reject()

    # Home lists the forms once, under the pack's study, and the record waits to go.
    qtbot.waitUntil(lambda: study_titles(window) == ["London QI 2027"], timeout=10_000)
    qtbot.waitUntil(lambda: status_texts(window) == ["Finalised"], timeout=10_000)
    assert not window.home.local_note.isVisible()

    window.sync_action.trigger()
    dialog = window.sync_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: "1</b> record(s) ready to send" in dialog.pending.text(),
                    timeout=10_000)
    qtbot.waitUntil(lambda: dialog.folder.text() == str(folder))
    run_sync(qtbot, dialog)
    assert "Records now sent: <b>1</b>" in dialog.summary.text()
    # Every line of the result is shown: the label has the height its text needs.
    summary = dialog.summary
    qtbot.waitUntil(lambda: summary.height() >= summary.heightForWidth(summary.width()))
    assert summary.geometry().bottom() < dialog.height()
    qtbot.waitUntil(lambda: status_texts(window) == ["Sent"], timeout=10_000)


def test_about_this_laptop_shows_what_the_admin_checks(
    qtbot: QtBot, window: MainWindow
) -> None:
    ctx = window.ctx
    assert ctx is not None
    assert window.laptop_action.isEnabled()
    window.laptop_action.trigger()
    dialog = window.findChild(LaptopDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.device_id.text() == str(ctx.device.id), timeout=10_000)
    shown = " ".join(dialog.fingerprint.text().split())
    assert shown == grouped_fingerprint(ctx.device.fingerprint)
    assert dialog.fingerprint.toolTip() == ctx.device.fingerprint  # as `devices list`
    assert "no study pack yet" in dialog.studies.text()
    dialog.reject()
