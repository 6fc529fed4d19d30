"""Sync and study packs as a person uses them: import a pack from the File menu (what it
holds, who signed it), sync to the study's folder (progress, counts), the admin merges
the bundle centrally with ``qi-capture merge`` and the acknowledgement it writes back is
read on the next sync; a missing or unwritable folder says so in plain words and marks
nothing sent; the strength meter follows the core's passphrase rules."""

from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from qi_capture.cli import main as cli_main
from qi_capture.crypto.kdf import floor_params
from qi_capture.services import CoreContext
from qi_capture.services.dto import grouped_fingerprint, short_fingerprint
from qi_capture.sync.admin import AdminProfile, init_admin
from qi_capture.sync.pack import PackForm, StudyPolicy, build_pack
from tests.ui.conftest import PASSPHRASE
from tests.ui.test_main_window import create_profile
from tests.ui.test_responsiveness import LIMIT, Watchdog
from ui.dialogs import files
from ui.dialogs.study_pack import StudyPackDialog
from ui.dialogs.sync import SyncDialog
from ui.main_window import MainWindow

STUDY_ID = "qi-ui"
FORM = textwrap.dedent("""
    | survey   |           |          |              |
    |          | type      | name     | label        |
    |          | text      | org      | Organisation |
    |          | integer   | staff    | Staff        |
    | settings |           |          |              |
    |          | form_id   | version  | form_title   |
    |          | ui_sync   | 2        | UI sync form |
""")


@pytest.fixture
def central(tmp_path: Path) -> Path:
    folder = tmp_path / "central"
    init_admin(folder, PASSPHRASE, study_id=STUDY_ID, study_title="QI UI study",
               kdf=floor_params())
    return folder


@pytest.fixture
def pack(central: Path, tmp_path: Path) -> Path:
    with AdminProfile.open(central, PASSPHRASE) as admin:
        data = build_pack(admin.keys(), [PackForm("ui_sync.md", FORM.encode())],
                          StudyPolicy(idle_lock_minutes=7, retention_days=30,
                                      sync_folder=str(tmp_path / "sync")))
    path = tmp_path / "study.qipack"
    path.write_bytes(data)
    return path


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    from qi_capture.deployment import Deployment
    from qi_capture.services import ProfileService

    win = MainWindow(ProfileService(tmp_path / "data", deployment=Deployment()),
                     create_options={"kdf": floor_params()})
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    create_profile(qtbot, win)
    return win


def in_background(qtbot: QtBot, window: MainWindow, fn, *args):  # type: ignore[no-untyped-def]
    """Run core work the way the window does (the write queue) and wait for it."""
    task = window.runner.write(fn, *args)
    with qtbot.waitSignal(task.finished, timeout=10_000) as done:
        pass
    return done.args[0]


def finalise_records(ctx: CoreContext, orgs: list[str]) -> list[uuid.UUID]:
    form = ctx.studies.resolve(f"{STUDY_ID}/ui_sync")
    ids = []
    for org in orgs:
        with ctx.records.create(form.id) as record:
            record.set("org", org)
            record.set("staff", "40")
            record.finalise()
            ids.append(record.record_id)
    return ids


def statuses(ctx: CoreContext) -> set[str]:
    return {r.status for r in ctx.records.list_records()}


def import_pack(qtbot: QtBot, window: MainWindow, pack: Path,
                monkeypatch: pytest.MonkeyPatch) -> StudyPackDialog:
    monkeypatch.setattr(files, "choose_file", lambda *a: str(pack))
    window.import_pack_action.trigger()
    dialog = window.pack_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.mouseClick(dialog.browse, _left())
    qtbot.waitUntil(lambda: dialog.details.isVisible(), timeout=10_000)
    return dialog


def _left() -> Qt.MouseButton:
    return Qt.MouseButton.LeftButton


def run_sync(qtbot: QtBot, dialog: SyncDialog) -> None:
    with qtbot.waitSignal(dialog.synced, timeout=20_000):
        qtbot.mouseClick(dialog.sync_button, _left())


def merge(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> tuple[int, str]:
    code = cli_main(["--data-dir", str(tmp_path / "admin-data"), *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_pack_import_shows_signer_and_contents(
    qtbot: QtBot, qtmodeltester: ModelTester, window: MainWindow, pack: Path,
    central: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog = import_pack(qtbot, window, pack, monkeypatch)
    with AdminProfile.open(central, PASSPHRASE) as admin:
        fingerprint = admin.keys().signing_fingerprint
    assert "QI UI study" in dialog.study.text() and STUDY_ID in dialog.study.text()
    # The label shows the short check code the admin reads out; the tooltip the whole key.
    assert dialog.signer.toolTip() == grouped_fingerprint(fingerprint)
    assert short_fingerprint(fingerprint) in dialog.signer.text()
    assert "new on this laptop" in dialog.trust.text()
    assert "7 minute(s)" in dialog.policy.text()
    assert dialog.forms.topLevelItemCount() == 1
    item = dialog.forms.topLevelItem(0)
    assert (item.text(0), item.text(1), item.text(2)) == ("UI sync form", "2", "ui_sync.md")
    qtmodeltester.check(dialog.forms.model())
    assert dialog.install_button.isEnabled()
    with qtbot.waitSignal(dialog.installed, timeout=10_000):
        qtbot.mouseClick(dialog.install_button, _left())
    assert "installed" in dialog.message.text()
    # The pack's idle-lock policy now drives the idle lock; home lists the new study.
    qtbot.waitUntil(lambda: window.idle._timer.interval() == 7 * 60_000)
    model = window.home.forms_model
    qtbot.waitUntil(lambda: any(model.index(r, 0).data() == "QI UI study"
                                for r in range(model.rowCount())))

    # The same pack again (typed, Enter): signed by the key now installed. (The same
    # dialog: destroying a model qtmodeltester watches crashes Qt's tester.)
    dialog.path.setText(str(pack))
    qtbot.keyClick(dialog.path, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "same admin key" in dialog.trust.text(), timeout=10_000)
    assert dialog.install_button.isEnabled()


def test_sync_merges_centrally_and_reads_the_acknowledgement(
    qtbot: QtBot, window: MainWindow, pack: Path, central: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    ctx = window.ctx
    assert ctx is not None
    in_background(qtbot, window, ctx.packs.install, pack)
    in_background(qtbot, window, finalise_records, ctx, ["Riverside", "Hilltop"])
    folder = tmp_path / "sync"
    folder.mkdir()

    window.sync_action.trigger()
    dialog = window.sync_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.folder.text() == str(folder))  # the pack's suggestion
    assert str(folder) in dialog.suggestion.text()
    watchdog = Watchdog()
    watchdog.start()
    run_sync(qtbot, dialog)
    watchdog.stop()
    assert watchdog.blocked < LIMIT, watchdog.says()
    summary = dialog.summary.text()
    assert "Bundles written: <b>1</b>" in summary
    assert "Records now sent: <b>2</b>" in summary
    assert "Acknowledgements read: <b>0</b>" in summary
    assert dialog.progress.value() == dialog.progress.maximum()
    assert in_background(qtbot, window, statuses, ctx) == {"sent"}

    # The admin merges the folder: an unknown laptop is quarantined until enrolled, then
    # merged, and the acknowledgement is written to the folder's inbox.
    monkeypatch.setenv("QI_CAPTURE_PASSPHRASE", PASSPHRASE)
    code, out = merge(capsys, tmp_path, "merge", "--central", str(central), str(folder),
                      "--json")
    assert code == 3, out  # quarantined: waits for enrolment
    assert [b["outcome"] for b in json.loads(out)["bundles"]] == ["quarantined"]
    code, out = merge(capsys, tmp_path, "devices", "enrol", "--central", str(central),
                      str(ctx.device.id), "--name", "UI laptop")
    assert code == 0 and "imported: 2 new revisions" in out, out
    code, out = merge(capsys, tmp_path, "merge", "--central", str(central), str(folder))
    assert code == 0 and "acknowledgement for device" in out, out

    run_sync(qtbot, dialog)
    summary = dialog.summary.text()
    assert "Acknowledgements read: <b>2</b>" in summary
    assert "Bundles written: <b>0</b>" in summary and "nothing new" in summary
    assert in_background(qtbot, window, statuses, ctx) == {"acknowledged"}
    dialog.close_button.click()
    assert not dialog.isVisible()


def test_unusable_folder_says_so_and_marks_nothing_sent(
    qtbot: QtBot, window: MainWindow, pack: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx = window.ctx
    assert ctx is not None
    in_background(qtbot, window, ctx.packs.install, pack)
    in_background(qtbot, window, finalise_records, ctx, ["Riverside"])
    dialog = window.open_sync()
    assert dialog is not None
    missing = tmp_path / "usb-stick-not-plugged-in"
    monkeypatch.setattr(files, "choose_folder", lambda *a: str(missing))
    qtbot.mouseClick(dialog.browse, _left())
    assert dialog.folder.text() == str(missing)
    qtbot.mouseClick(dialog.sync_button, _left())
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10_000)
    text = dialog.error.text()
    assert "cannot be used" in text and "does not exist" in text
    assert "Nothing was marked as sent" in text
    assert "Traceback" not in text and "Error" not in text
    assert dialog.sync_button.isEnabled() and dialog.folder.isEnabled()
    assert in_background(qtbot, window, statuses, ctx) == {"finalised"}

    # A folder that exists but cannot be written (its outbox is a file).
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "outbox").write_text("in the way")
    dialog.folder.setText(str(blocked))
    dialog.error.hide()
    qtbot.mouseClick(dialog.sync_button, _left())
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10_000)
    assert "Nothing was marked as sent" in dialog.error.text()
    assert in_background(qtbot, window, statuses, ctx) == {"finalised"}


def test_sync_without_a_pack_explains_what_to_do(qtbot: QtBot, window: MainWindow,
                                                 tmp_path: Path) -> None:
    dialog = window.open_sync()
    assert dialog is not None
    qtbot.waitUntil(lambda: "has not set a sync folder" in dialog.suggestion.text())
    dialog.folder.setText(str(tmp_path))
    qtbot.mouseClick(dialog.sync_button, _left())
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10_000)
    assert "Import the study pack" in dialog.error.text()


def test_locking_closes_the_dialogs(qtbot: QtBot, window: MainWindow) -> None:
    dialog = window.open_sync()
    assert dialog is not None and dialog.isVisible()
    with qtbot.waitSignal(window.locked):
        window.lock_action.trigger()
    assert window.sync_dialog is None and not dialog.isVisible()
    assert not window.sync_action.isEnabled() and not window.import_pack_action.isEnabled()


def test_strength_meter_follows_the_core_rules(qtbot: QtBot, tmp_path: Path) -> None:
    from ui.pages.first_run import FirstRunPage

    page = FirstRunPage()
    qtbot.addWidget(page)
    qtbot.keyClicks(page.name, "Jo")
    qtbot.keyClicks(page.passphrase, "password2024")
    qtbot.keyClicks(page.confirm, "password2024")
    assert page.meter.refusal == "common" and page.meter.level == "weak"
    assert "commonly used" in page.meter.label.text()
    assert not page.create_button.isEnabled()
    page.passphrase.clear()
    page.confirm.clear()
    qtbot.keyClicks(page.passphrase, PASSPHRASE)
    qtbot.keyClicks(page.confirm, PASSPHRASE)
    assert page.meter.refusal == "" and page.create_button.isEnabled()
    assert page.meter.level == "strong" and not page.meter.feedback.isVisible()


def test_strength_meter_shows_the_estimators_feedback(qtbot: QtBot) -> None:
    from ui.pages.first_run import FirstRunPage

    page = FirstRunPage()
    qtbot.addWidget(page)
    page.show()
    qtbot.keyClicks(page.name, "Jo")
    # Passes the plain rules; too easy to guess for zxcvbn (a common name and a year).
    qtbot.keyClicks(page.passphrase, "Jonathan1987!")
    qtbot.keyClicks(page.confirm, "Jonathan1987!")
    meter = page.meter
    assert meter.refusal == "guessable" and meter.level == "weak"
    assert "too easy to guess" in meter.label.text()
    assert meter.feedback.isVisible()
    assert "Common names and surnames are easy to guess." in meter.feedback.text()
    assert "Add another word or two" in meter.feedback.text()
    assert not page.create_button.isEnabled()
    qtbot.keyClick(page.passphrase, Qt.Key.Key_Return)  # pressing Enter says why
    assert page.message.isVisible() and "too easy to guess" in page.message.text()
