"""Interview mode, the finalise error list (click to jump), the finalised record shown
read-only and edited as a new revision."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from qi_capture.services import CoreContext
from qi_capture.services.filling import RecordFill
from tests.ui.conftest import form_id
from tests.ui.helpers import (
    click_choice,
    next_screen,
    review_item,
    review_paths,
    settle,
    type_into,
    view,
)
from ui.controller import RecordController, ViewController
from ui.main_window import load_view
from ui.pages.form_filler import FormFiller
from ui.pages.interview import InterviewFiller
from ui.tasks import TaskRunner


def open_interview(qtbot: QtBot, core: CoreContext, runner: TaskRunner) -> InterviewFiller:
    record = core.records.create(form_id(core, "qi_stakeholder_interview"))
    filler = InterviewFiller(RecordController(RecordFill(record), runner), "Interview",
                             spent={"intro": 30.0})
    qtbot.addWidget(filler)
    filler.resize(1366, 700)
    filler.show()
    filler.start()
    settle(qtbot, filler)
    return filler


def test_interview_mode(qtbot: QtBot, core: CoreContext, runner: TaskRunner) -> None:
    filler = open_interview(qtbot, core, runner)
    record = filler.controller.record  # type: ignore[attr-defined]
    next_screen(qtbot, filler)
    click_choice(qtbot, filler, "consent", "Yes")
    next_screen(qtbot, filler)
    click_choice(qtbot, filler, "consent_quotes", "Yes")
    next_screen(qtbot, filler)
    assert filler._shown_key == "consent_recording"  # optional: left unanswered
    next_screen(qtbot, filler)
    assert filler._shown_key == "participant"
    click_choice(qtbot, filler, "participant/participant_role", "Medical director")
    type_into(qtbot, filler, "participant/org_name", "Riverside")
    click_choice(qtbot, filler, "participant/org_type", "Acute trust")
    click_choice(qtbot, filler, "participant/footprint", "South East London")
    next_screen(qtbot, filler)

    # An open question: probes, large notes, the section's key quote, tags, clocks.
    assert filler._shown_key == "approach/approach_overview"
    question = view(filler, "approach/approach_overview")
    assert question.hint.text().startswith("Probes:")
    assert filler.notes is not None and filler.notes.height() > 150
    assert filler.key_quote_path == "approach/key_quote_approach"
    type_into(qtbot, filler, "approach/approach_overview", "One method, PDSA, led by the QI team.")
    qtbot.mouseClick(filler.findChild(type(filler.next_button), "tag_barrier"),
                     Qt.MouseButton.LeftButton)
    type_into(qtbot, filler, "approach/key_quote_approach", "We test small and often.")
    settle(qtbot, filler)
    assert record.session.raw("approach/approach_overview").endswith("#barrier ")
    assert record.session.raw("approach/key_quote_approach") == "We test small and often."
    assert filler.saved.state == "saved"
    sections = [filler.sections_model.entry(r).title
                for r in range(filler.sections_model.rowCount())]
    assert "" in sections and len(sections) >= 8
    current = [filler.sections_model.entry(r) for r in range(filler.sections_model.rowCount())
               if filler.sections_model.entry(r).current]
    assert current and current[0].key == "approach"
    qtbot.wait(1100)
    assert filler.interview_seconds() >= 31 and filler.question_seconds() >= 1
    assert "Interview 00:3" in filler.clock_label.text()

    # Jump to a section from the list.
    row = next(r for r in range(filler.sections_model.rowCount())
               if filler.sections_model.entry(r).key == "barriers")
    filler.sections_view.clicked.emit(filler.sections_model.index(row))
    settle(qtbot, filler)
    assert filler._shown_key == "barriers/barriers_main"
    assert filler.key_quote_path == "barriers/key_quote_barriers"


def test_finalise_lists_errors_jump_then_read_only_and_edit(
        qtbot: QtBot, core: CoreContext, runner: TaskRunner) -> None:
    record = core.records.create(form_id(core, "qi_baseline"))
    filler = FormFiller(RecordController(RecordFill(record), runner), "QI baseline")
    qtbot.addWidget(filler)
    filler.show()
    filler.start()
    settle(qtbot, filler)
    record.set("consent", "yes")  # as if answered earlier
    filler.controller.go_to("respondent")
    settle(qtbot, filler)
    type_into(qtbot, filler, "respondent/org_name", "Hilltop")
    settle(qtbot, filler)

    qtbot.keyClick(filler, Qt.Key.Key_F,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: filler.review_dialog is not None)
    dialog = filler.review_dialog
    assert dialog is not None
    paths = review_paths(dialog)
    assert "respondent/org_type" in paths and "training/trained_awareness" in paths
    assert "respondent/org_name" not in paths
    assert not dialog.finalise_button.isEnabled()

    # Choose one: the dialog closes and the filler jumps to it, its problem shown.
    item = review_item(dialog, "training/trained_awareness")
    dialog.tree.itemActivated.emit(item, 0)
    settle(qtbot, filler)
    assert filler.review_dialog is None
    assert filler._shown_key == "training"
    problem = view(filler, "training/trained_awareness").problem
    assert problem.isVisible()

    # Answer everything required straight through the record, then finalise.
    answers = {
        "respondent/org_type": "acute", "respondent/footprint": "north_west",
        "respondent/role": "clinician", "qi_methods/methods": "lean",
        "training/trained_awareness": "1", "training/trained_practitioner": "0",
        "training/trained_advanced": "0", "training/trained_coach": "0",
        "training/trained_source": "records", "projects/has_projects": "no",
        "barriers_support/barriers": "none", "barriers_support/support": "none",
    }
    for path, value in answers.items():
        filler.controller.set_answer(path, value)
    settle(qtbot, filler)
    filler.finalise_action.trigger()
    qtbot.waitUntil(lambda: filler.review_dialog is not None)
    dialog = filler.review_dialog
    assert dialog is not None and dialog.finalise_button.isEnabled()
    with qtbot.waitSignal(filler.finalised, timeout=5000):
        dialog.finalise_button.click()

    # Read-only view of the finalised record, then "edit" makes a new revision.
    fill, title, has_pack, _spent = load_view(core, record.record_id)
    assert not has_pack  # the built-in study: no pack installed here
    viewer = FormFiller(ViewController(fill, runner), title)
    qtbot.addWidget(viewer)
    viewer.show()
    viewer.start()
    qtbot.waitUntil(lambda: viewer._shown_key is not None)
    assert viewer.read_only and viewer.edit_button.isVisible()
    assert not viewer.finalise_button.isVisible()
    viewer.controller.go_to("respondent")
    qtbot.waitUntil(lambda: viewer._shown_key == "respondent")
    assert view(viewer, "respondent/org_name").editor.is_read_only()
    edit = core.records.edit(record.record_id)
    assert edit.session.deprecated_id is not None
    edit.close()
