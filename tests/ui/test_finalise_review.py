"""The finalise review dialog: a complete record finalised through it (with a comment for
the reviewer, and a plain message after), an incomplete one listing its errors, an
interview's blank sections, and the read-only view keeping the interview's duration."""

from __future__ import annotations

import re
import time
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from qi_capture.crypto.kdf import floor_params
from qi_capture.services import CoreContext, ProfileService
from qi_capture.services.filling import RecordFill
from tests.ui.conftest import form_id
from tests.ui.helpers import review_item, review_paths, settle
from tests.ui.test_main_window import create_profile, start_record
from ui.controller import RecordController, ViewController
from ui.dialogs.finalise import FinaliseDialog
from ui.main_window import MainWindow, load_view
from ui.pages.form_filler import FormFiller
from ui.pages.interview import InterviewFiller
from ui.tasks import TaskRunner

COMMENT = "Respondent declined at the door; spoke to the QI lead instead."


def open_review(qtbot: QtBot, filler: FormFiller) -> FinaliseDialog:
    settle(qtbot, filler)
    filler.window().activateWindow()  # back from a closed dialog (offscreen does not)
    qtbot.waitUntil(filler.window().isActiveWindow)
    qtbot.keyClick(filler, Qt.Key.Key_F,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: filler.review_dialog is not None
                    and filler.review_dialog.isVisible())
    dialog = filler.review_dialog
    assert dialog is not None
    return dialog


def test_complete_record_finalised_with_comment_and_plain_message(
        qtbot: QtBot, tmp_path: Path) -> None:
    window = MainWindow(ProfileService(tmp_path), create_options={"kdf": floor_params()})
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    create_profile(qtbot, window)
    filler = start_record(qtbot, window, "London QI baseline questionnaire")
    filler.controller.set_answer("consent", "no")  # declined: nothing else is asked

    dialog = open_review(qtbot, filler)
    assert dialog.counts()["errors"] == 0 and dialog.counts()["required"] == 0
    assert dialog.finalise_button.isEnabled() and dialog.finalise_button.isDefault()
    assert dialog.status.property("state") == "ok"  # neutral, not the error style
    assert dialog.focusWidget() is dialog.finalise_button
    dialog.comment.setFocus()
    qtbot.keyClicks(dialog.comment, COMMENT)
    with qtbot.waitSignal(filler.finalised, timeout=10_000):
        qtbot.keyClick(dialog.finalise_button, Qt.Key.Key_Return)

    ctx = window.ctx
    assert ctx is not None
    record_id = filler.controller.record_id  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: window.status.text().startswith("Finalised"), timeout=5000)
    message = window.status.text()
    assert message == "Finalised; it will be sent at the next sync."
    assert not re.search(r"[0-9a-f]{8,}", message)  # no revision id
    events = [e.event for e in ctx.records.paradata(record_id) if e.event.kind == "finalise"]
    assert len(events) == 1
    payload = events[0].payload
    assert isinstance(payload, dict) and payload["comment"] == COMMENT
    window.close()


def test_incomplete_record_lists_problems_and_enter_jumps(
        qtbot: QtBot, core: CoreContext, runner: TaskRunner) -> None:
    record = core.records.create(form_id(core, "qi_baseline"))
    filler = FormFiller(RecordController(RecordFill(record), runner), "QI baseline")
    qtbot.addWidget(filler)
    filler.resize(1366, 768)
    filler.show()
    filler.start()
    settle(qtbot, filler)
    filler.controller.set_answer("consent", "yes")
    filler.controller.set_answer("respondent/org_name", "Hilltop")
    filler.controller.set_answer("qi_methods/methods", "lean none")  # breaks a constraint

    dialog = open_review(qtbot, filler)
    counts = dialog.counts()
    assert counts["errors"] >= 1 and counts["required"] >= 1
    assert "qi_methods/methods" in [line.path for line in dialog.review.errors]
    assert "respondent/org_type" in [line.path for line in dialog.review.required]
    assert "respondent/org_name" not in review_paths(dialog)
    assert not dialog.finalise_button.isEnabled()
    assert dialog.status.property("state") == "blocked"

    # Enter on a line jumps to it and closes the review; the record is not finalised.
    item = review_item(dialog, "respondent/org_type")
    dialog.tree.setCurrentItem(item)
    dialog.tree.setFocus()
    qtbot.keyClick(dialog.tree, Qt.Key.Key_Return)
    settle(qtbot, filler)
    assert filler.review_dialog is None  # closed (and deleted)
    assert filler._shown_key == "respondent"
    assert filler.view_for("respondent/org_type") is not None
    assert filler.issues_panel.isVisible()  # the list stays while correcting
    assert record.session.raw("respondent/org_name") == "Hilltop"
    assert core.records.get(record.record_id).summary.status == "draft"

    # Escape closes a reopened review and changes nothing.
    dialog = open_review(qtbot, filler)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: filler.review_dialog is None)
    assert core.records.get(record.record_id).summary.status == "draft"
    filler.controller.close()
    settle(qtbot, filler)


def test_interview_lists_blank_sections(
        qtbot: QtBot, core: CoreContext, runner: TaskRunner) -> None:
    record = core.records.create(form_id(core, "qi_stakeholder_interview"))
    filler = InterviewFiller(RecordController(RecordFill(record), runner), "Interview")
    qtbot.addWidget(filler)
    filler.resize(1366, 768)
    filler.show()
    filler.start()
    settle(qtbot, filler)
    for path, value in (("consent", "yes"), ("consent_quotes", "yes"),
                        ("approach/approach_overview", "PDSA, led by the QI team.")):
        filler.controller.set_answer(path, value)

    dialog = open_review(qtbot, filler)
    blank = [line.text for line in dialog.review.blank_sections]
    assert blank and dialog.counts()["blank_sections"] == len(blank)
    titles = [dialog.tree.topLevelItem(i).text(0)
              for i in range(dialog.tree.topLevelItemCount())]
    assert any(t.startswith("Sections left blank") for t in titles)
    view = filler.controller.view
    assert view is not None
    approach = next(s for s in view.sections if s.key == "approach")
    assert approach.title not in blank
    # A blank section jumps to its first screen.
    first = dialog.review.blank_sections[0]
    dialog.tree.itemActivated.emit(review_item(dialog, first.path), 0)
    settle(qtbot, filler)
    assert filler._shown_key == first.path
    filler.controller.close()
    settle(qtbot, filler)


def test_read_only_interview_keeps_its_duration(
        qtbot: QtBot, core: CoreContext, runner: TaskRunner) -> None:
    with core.records.create(form_id(core, "qi_stakeholder_interview")) as record:
        record.set("consent", "no")
        record.go_to("consent")
        time.sleep(1.2)  # time on the consent screen, written when finalising leaves it
        record.finalise()

    fill, title, _has_pack, spent = load_view(core, record.record_id)
    assert sum(spent.values()) >= 1.0
    viewer = InterviewFiller(ViewController(fill, runner), title, spent=spent)
    qtbot.addWidget(viewer)
    viewer.show()
    viewer.start()
    qtbot.waitUntil(lambda: viewer._shown_key is not None)
    assert viewer.read_only
    assert viewer.interview_seconds() >= 1.0
    assert "Interview 00:00" not in viewer.clock_label.text()
    assert "Interview 00:01" in viewer.clock_label.text()
