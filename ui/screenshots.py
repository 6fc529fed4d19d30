"""Render each main screen to a PNG (offscreen) for review: ``make screenshots``.

Drives the real window with a throw-away profile in a temporary folder: first run,
unlock (with a wrong passphrase), home, the form filler on several question types, a
repeat, the finalise review and list, a finalised record read-only, interview mode, importing a
study pack (made with the admin CLI) and a sync (its result, and a missing folder); then
the admin console (`ui.admin.screenshots`) and the results report
(`ui.admin.report_shots`); the Coding page (`ui.admin.coding_shots`); the recording
player (`ui.admin.player_shots`).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication, QWidget

from qi_capture.resources import resource_path
from qi_capture.services import CoreContext, ProfileService
from qi_capture.services.admin.keys import (
    DEFAULT_IDLE_LOCK_MINUTES,
    DEFAULT_RETENTION_DAYS,
    PackForm,
    StudyPolicy,
    create_admin,
    write_study_pack,
)
from qi_capture.services.profiles import kdf_params
from ui.app import create_application, keep_settings_in
from ui.main_window import MainWindow
from ui.pages.form_filler import FormFiller
from ui.pages.interview import InterviewFiller

PASSPHRASE = "violet tractor mango 42"
PACK_FORM = textwrap.dedent("""
    | survey   |           |          |              |
    |          | type      | name     | label        |
    |          | text      | org      | Organisation |
    |          | integer   | staff    | QI staff     |
    | settings |           |          |              |
    |          | form_id   | version  | form_title   | instance_name |
    |          | pilot_check | 2025-01 | Pilot site check | concat(${org}) |
""")


def make_pack(folder: Path) -> Path:
    """A signed study pack, as the study's admin would make it (through the admin keys'
    door, as ``admin init`` and ``study pack`` do)."""
    pack = folder / "london-qi-pilot.qipack"
    central = folder / "central"
    create_admin(central, PASSPHRASE, study_id="london-qi-pilot",
                 study_title="London QI pilot", admin_name="Dr Amara Okafor",
                 kdf=kdf_params("floor"))
    forms = [PackForm("pilot_check.md", PACK_FORM.encode("utf-8"))]
    forms += [PackForm(Path(f).name, Path(f).read_bytes()) for f in builtin_forms()]
    write_study_pack(central, PASSPHRASE, forms,
                     StudyPolicy(DEFAULT_IDLE_LOCK_MINUTES, DEFAULT_RETENTION_DAYS,
                                 str(folder / "sync")), pack)
    return pack


def builtin_forms() -> list[str]:
    """The built-in study's forms: the pilot pack carries them too, so importing it
    moves the records made before it came into the pack's study."""
    folder = resource_path("studies", "london-qi-baseline")
    return [str(p) for p in sorted(folder.glob("*.xlsx"))]


def finalise_declined(ctx: CoreContext) -> None:
    """A questionnaire whose respondent declined, finalised before any pack came."""
    with ctx.records.create(ctx.studies.resolve("qi_baseline").id) as record:
        record.set("consent", "no")
        record.finalise()


def finalise_pilot_records(ctx: CoreContext) -> None:
    form = ctx.studies.resolve("london-qi-pilot/pilot_check")
    for org, staff in (("Riverside NHS FT", "12"), ("Hilltop Trust", "4")):
        with ctx.records.create(form.id) as record:
            record.set("org", org)
            record.set("staff", staff)
            record.finalise()


def pump(app: QApplication, until: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()
        time.sleep(0.01)
    for _ in range(5):
        app.processEvents()


def scale_text(app: QApplication, percent: int) -> None:
    """Text at ``percent`` of the system size, as a person with a larger text setting
    sees it (the style sheet holds no point sizes, so everything follows)."""
    font = app.font()
    font.setPointSizeF(font.pointSizeF() * percent / 100)
    app.setFont(font)


def main(argv: list[str]) -> int:
    # --text=150: every screen at 150% text, saved as NAME-150.png: the interviewer's and
    # the console's pages (admin-*-150.png), not the report's own pictures, which no text
    # setting changes (--text=100: the interviewer's screens alone, at 100%).
    percent = 100
    interviewer_only = False
    for arg in list(argv[1:]):
        if arg.startswith("--text="):
            percent = int(arg.split("=", 1)[1])
            interviewer_only = percent == 100
            argv = [a for a in argv if a != arg]
    suffix = "" if percent == 100 else f"-{percent}"
    out = Path(argv[1] if len(argv) > 1 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = create_application(argv[:1])
    scale_text(app, percent)
    data = Path(tempfile.mkdtemp(prefix="qi-shots-"))
    # The pictures neither read nor change the settings of whoever takes them (the last
    # central store, the records table's columns): the run keeps its own.
    keep_settings_in(data / "settings")
    window = MainWindow(ProfileService(data))
    window.resize(1366, 768)
    window.show()

    def shot(name: str, widget: QWidget | None = None) -> None:
        for _ in range(5):
            app.processEvents()
        (widget or window).grab().save(str(out / f"{name}{suffix}.png"))
        print(f"{out / name}{suffix}.png")

    window.start()
    pump(app, lambda: window.stack.currentWidget() is window.first_run)
    page = window.first_run
    page.name.setText("Alex Interviewer")
    page.passphrase.setText(PASSPHRASE)
    page.confirm.setText(PASSPHRASE)
    shot("01-first-run")
    page.create_button.click()
    pump(app, lambda: window.ctx is not None and window.home.forms_model.rowCount() > 0,
         timeout=60)

    # Fill some of a questionnaire, leave it as a draft; start an interview.
    window.home._on_start_clicked()
    pump(app, lambda: isinstance(window.filler, FormFiller)
         and window.filler._shown_key is not None)
    filler = window.filler
    assert filler is not None
    ctl = filler.controller
    for path, value in (("consent", "yes"), ("respondent/org_name", "Riverside NHS FT"),
                        ("respondent/org_type", "acute")):
        ctl.set_answer(path, value)
    ctl.go_to("respondent")
    pump(app, lambda: filler._shown_key == "respondent" and not ctl.busy)
    shot("04-filler-text-and-choices")
    ctl.set_answer("qi_methods/methods", "lean none")
    ctl.go_to("qi_methods")
    pump(app, lambda: filler._shown_key == "qi_methods" and not ctl.busy)
    shot("05-filler-checkboxes-constraint-error")
    ctl.set_answer("leadership/lead_board", "agree")
    ctl.go_to("leadership")
    pump(app, lambda: filler._shown_key == "leadership" and not ctl.busy)
    shot("06-filler-likert")
    ctl.set_answer("projects/has_projects", "yes")
    ctl.go_to("projects/qi_project/*")
    pump(app, lambda: filler._shown_key == "projects/qi_project/*" and not ctl.busy)
    shot("07-filler-repeat")
    filler.finalise_action.trigger()
    pump(app, lambda: filler.review_dialog is not None and filler.review_dialog.isVisible())
    review = filler.review_dialog
    assert review is not None
    shot("08-finalise-review", review)
    first = review.review.required[0] if review.review.required else review.review.errors[0]
    review.jump_requested.emit(first.path)  # as choosing its line does
    review.reject()
    pump(app, lambda: filler.issues_panel.isVisible() and not ctl.busy)
    shot("08b-finalise-errors")
    window.close_record()
    pump(app, lambda: window.stack.currentWidget() is window.home
         and window.home.records_model.rowCount() == 1)

    window.home.forms_view.setCurrentIndex(
        window.home.forms_model.index(1, 0, window.home.forms_model.index(0, 0)))
    window.home._on_start_clicked()
    pump(app, lambda: isinstance(window.filler, InterviewFiller)
         and window.filler._shown_key is not None)
    interview = window.filler
    assert isinstance(interview, InterviewFiller)
    ctl = interview.controller
    for path, value in (("consent", "yes"), ("consent_quotes", "yes"),
                        ("participant/org_name", "Hilltop Trust"),
                        ("approach/approach_overview",
                         "One organisation-wide method (Model for Improvement), led by a "
                         "small central QI team; in place for four years. #enabler "),
                        ("approach/key_quote_approach", "We test small, and we test often.")):
        ctl.set_answer(path, value)
    ctl.go_to("approach/approach_overview")
    pump(app, lambda: interview._shown_key == "approach/approach_overview" and not ctl.busy)
    shot("09-interview")
    # Recording, from a generated tone (no microphone here), once consent is given.
    bar = interview.recording_bar
    assert bar is not None
    ctl.set_answer("consent_recording", "yes")
    pump(app, lambda: bar.record_button.isEnabled() and not ctl.busy)
    window.ctx.recording.use_generated_tone() if window.ctx is not None else None
    bar.record_button.click()
    pump(app, lambda: bar.active is not None and bar.active.status().elapsed_seconds >= 1.2)
    # While recording: a new paragraph and two quick tags, each stamped with its moment.
    notes = interview.notes
    assert notes is not None
    notes.moveCursor(QTextCursor.MoveOperation.End)
    notes.insertPlainText("\nProjects are chosen by the wards; the board asks for "
                          "monthly run charts.")
    interview.insert_tag("example")
    pump(app, lambda: bar.active is not None and bar.active.status().elapsed_seconds >= 2.4)
    interview.insert_tag("barrier")
    pump(app, lambda: bar.active is not None and bar.active.status().elapsed_seconds >= 3.2
         and bar.meter.value() > 0 and not ctl.busy)
    shot("interview-recording")
    bar.stop()
    window.close_record()
    pump(app, lambda: window.stack.currentWidget() is window.home
         and window.home.records_model.rowCount() == 2)
    ctx = window.ctx
    assert ctx is not None
    done: list[object] = []
    task = window.runner.write(finalise_declined, ctx)
    task.finished.connect(done.append)
    pump(app, lambda: bool(done))
    window.refresh_home()
    pump(app, lambda: window.home.records_model.rowCount() == 3)
    window.home.form_filter.setCurrentIndex(0)  # every form's records
    shot("03-home")
    laptop = window.open_laptop_dialog()
    assert laptop is not None
    pump(app, lambda: bool(laptop.device_id.text()))
    shot("03b-about-this-laptop", laptop)
    laptop.reject()
    (data / "sync").mkdir()
    first_sync = window.open_sync()
    assert first_sync is not None
    pump(app, lambda: bool(first_sync.pending.text()))
    shot("03c-sync-before-the-pack", first_sync)
    first_sync.close_button.click()

    # A study pack from the admin, then a sync to the pack's folder and to a missing one.
    pack = make_pack(data)
    dialog = window.open_pack_import()
    assert dialog is not None
    dialog.path.setText(str(pack))
    dialog.inspect(pack)
    pump(app, lambda: dialog.details.isVisible())
    shot("10-study-pack", dialog)
    dialog.install_button.click()
    pump(app, lambda: dialog.outcome is not None)
    shot("10b-study-pack-installed", dialog)
    dialog.close_button.click()
    done.clear()
    task = window.runner.write(finalise_pilot_records, ctx)
    task.finished.connect(done.append)
    pump(app, lambda: bool(done))
    window.refresh_home()
    pump(app, lambda: window.home.records_model.rowCount() == 5)
    shot("10c-home-after-the-pack")
    # Withdraw and erase the first record: the dialog, then the home screen.
    window.home.table.selectRow(0)
    window.home.erase.click()
    erase = window.erase_dialog
    assert erase is not None
    erase.reason_edit.setText("Consent withdrawn")
    erase.confirm.setChecked(True)
    shot("10d-withdraw-and-erase", erase)
    erase.erase_button.click()
    pump(app, lambda: not window.runner.pending_writes and any(
        window.home.records_model.row_at(r).erased
        for r in range(window.home.records_model.rowCount())))
    window.home.table.selectRow(0)
    shot("10e-home-record-erased")
    sync = window.open_sync()
    assert sync is not None
    pump(app, lambda: bool(sync.folder.text()) and "ready" in sync.pending.text())
    shot("11a-sync-ready", sync)
    sync.sync_button.click()
    pump(app, lambda: sync.summary.isVisible())
    shot("11-sync-result", sync)
    sync.folder.setText(str(data / "usb-stick-not-plugged-in"))
    sync.sync_button.click()
    pump(app, lambda: sync.error.isVisible())
    shot("12-sync-missing-folder", sync)
    sync.close_button.click()
    pump(app, lambda: not window.runner.pending_writes)

    window.lock("Locked. Type your passphrase to carry on.")
    pump(app, lambda: window.stack.currentWidget() is window.unlock_page
         and window.unlock_page.profile.count() > 0)
    window.unlock_page.passphrase.setText("not the passphrase")
    window.unlock_page.unlock.click()
    pump(app, lambda: window.unlock_page.message.isVisible(), timeout=60)
    shot("02-unlock-wrong-passphrase")

    if suffix:
        # The console's pages at this text size: drawn into a folder of their own, then
        # kept as admin-*-150.png beside the interviewer's.
        admin_out = Path(tempfile.mkdtemp(prefix="qi-shots-admin-"))
        _admin_shots(app, window, admin_out, data, pack)
        for picture in sorted(admin_out.glob("admin-*.png")):
            target = out / f"{picture.stem}{suffix}.png"
            picture.replace(target)
            print(target)
        shutil.rmtree(admin_out, ignore_errors=True)  # the report's pictures, not kept
    elif not interviewer_only:
        _admin_shots(app, window, out, data, pack)
    window.close()
    return 0


def _admin_shots(app: QApplication, window: MainWindow, out: Path, data: Path,
                 pack: Path) -> None:
    """The console's pages, the results report, the Coding page and the player."""
    # The admin console on the pack's central store (ui/admin/screenshots.py).
    from ui.admin.screenshots import main_admin

    main_admin(app, window, out, data, pack, lambda until: pump(app, until, timeout=60))
    # The results report (web page, PDF, slides) and the Results page, on a central store
    # of their own with a few hundred generated responses (ui/admin/report_shots.py).
    from ui.admin.report_shots import main_report

    main_report(app, window, out, lambda until: pump(app, until, timeout=180))
    # The Coding page (transcript, passages, coders compared, matrix), on a central store
    # of its own with coded interviews (ui/admin/coding_shots.py).
    from ui.admin.coding_shots import main_coding

    main_coding(app, window, out, lambda until: pump(app, until, timeout=120))
    # The recording player on a recorded interview (ui/admin/player_shots.py).
    from ui.admin.player_shots import main_player

    main_player(app, window, out, lambda until: pump(app, until, timeout=120))


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    # Skip interpreter teardown: PySide6 6.12 can crash collecting Qt wrappers at exit,
    # after every file is written.
    os._exit(code)
