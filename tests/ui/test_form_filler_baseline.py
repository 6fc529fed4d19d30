"""The QI baseline questionnaire, filled end to end through the widgets."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from qi_capture.services import CoreContext
from qi_capture.services.filling import RecordFill
from tests.ui.conftest import form_id
from tests.ui.helpers import click_choice, next_screen, settle, type_into, view
from ui.controller import RecordController
from ui.pages.form_filler import FormFiller
from ui.tasks import TaskRunner


def open_filler(qtbot: QtBot, core: CoreContext, runner: TaskRunner) -> FormFiller:
    record = core.records.create(form_id(core, "qi_baseline"))
    controller = RecordController(RecordFill(record), runner)
    filler = FormFiller(controller, "QI baseline")
    qtbot.addWidget(filler)
    filler.resize(1366, 700)
    filler.show()
    filler.start()
    settle(qtbot, filler)
    return filler


def test_consent_declined_skips_every_section(qtbot: QtBot, core: CoreContext,
                                              runner: TaskRunner) -> None:
    filler = open_filler(qtbot, core, runner)
    assert filler._shown_key == "intro"
    next_screen(qtbot, filler)
    assert filler._shown_key == "consent"
    click_choice(qtbot, filler, "consent", "No")
    next_screen(qtbot, filler)
    assert filler._shown_key == "consent_declined"
    # The last screen: Finalise… is the way on (and the default), no "Finish" beside it.
    assert not filler.next_button.isVisible()
    assert filler.finalise_button.isVisible() and filler.finalise_button.isDefault()
    record = filler.controller.record  # type: ignore[attr-defined]
    assert record.session.raw("consent") == "no"


def test_baseline_end_to_end_through_the_widgets(qtbot: QtBot, core: CoreContext,
                                                  runner: TaskRunner) -> None:
    filler = open_filler(qtbot, core, runner)
    record = filler.controller.record  # type: ignore[attr-defined]
    next_screen(qtbot, filler)
    click_choice(qtbot, filler, "consent", "Yes")
    next_screen(qtbot, filler)
    assert filler._shown_key == "respondent"  # consent_declined is skipped

    # Next with nothing answered is refused, and the required marks say why.
    next_screen(qtbot, filler)
    assert filler._shown_key == "respondent"
    problem = view(filler, "respondent/org_name").problem
    assert problem.isVisible() and problem.text()
    type_into(qtbot, filler, "respondent/org_name", "Example Hospitals NHS FT")
    click_choice(qtbot, filler, "respondent/org_type", "Other")
    settle(qtbot, filler)
    assert view(filler, "respondent/org_type_other").isVisible()  # relevance, live
    type_into(qtbot, filler, "respondent/org_type_other", "Hospice")
    click_choice(qtbot, filler, "respondent/footprint", "North Central London")
    click_choice(qtbot, filler, "respondent/role", "Medical director")
    settle(qtbot, filler)
    assert not view(filler, "respondent/role_other").isVisible()
    assert not view(filler, "respondent/org_name").problem.isVisible()
    next_screen(qtbot, filler)

    # A constraint error shown inline as the value changes, then corrected.
    assert filler._shown_key == "qi_methods"
    click_choice(qtbot, filler, "qi_methods/methods", "Lean")
    click_choice(qtbot, filler, "qi_methods/methods", "No structured QI method in use")
    settle(qtbot, filler)
    problem = view(filler, "qi_methods/methods").problem
    assert problem.isVisible() and problem.text()
    next_screen(qtbot, filler)
    assert filler._shown_key == "qi_methods"  # refused while invalid
    click_choice(qtbot, filler, "qi_methods/methods", "No structured QI method in use")
    settle(qtbot, filler)
    assert not view(filler, "qi_methods/methods").problem.isVisible()
    next_screen(qtbot, filler)

    assert filler._shown_key == "training"
    type_into(qtbot, filler, "training/trained_awareness", "60000")
    settle(qtbot, filler)
    assert view(filler, "training/trained_awareness").problem.isVisible()
    type_into(qtbot, filler, "training/trained_awareness", "120", clear=True)
    for name, number in (("practitioner", "30"), ("advanced", "5"), ("coach", "1")):
        type_into(qtbot, filler, f"training/trained_{name}", number)
    click_choice(qtbot, filler, "training/trained_source", "Best estimate")
    settle(qtbot, filler)
    assert not view(filler, "training/trained_awareness").problem.isVisible()
    assert "156" in view(filler, "training/trained_total_note").label.text()
    next_screen(qtbot, filler)

    # A repeat with two projects.
    assert filler._shown_key == "projects/has_projects"
    click_choice(qtbot, filler, "projects/has_projects", "Yes")
    next_screen(qtbot, filler)
    assert filler._shown_key == "projects/qi_project[1]"
    assert "1 of 1" in filler.instance_label.text()
    type_into(qtbot, filler, "projects/qi_project[1]/project_title", "Sepsis bundle")
    click_choice(qtbot, filler, "projects/qi_project[1]/project_method", "Lean")
    click_choice(qtbot, filler, "projects/qi_project[1]/project_stage", "Testing changes")
    next_screen(qtbot, filler)
    assert filler._shown_key == "projects/qi_project/*"
    qtbot.mouseClick(filler.add_button, Qt.MouseButton.LeftButton)
    settle(qtbot, filler)
    assert filler._shown_key == "projects/qi_project[2]"
    assert "2 of 2" in filler.instance_label.text()
    type_into(qtbot, filler, "projects/qi_project[2]/project_title", "Falls")
    click_choice(qtbot, filler, "projects/qi_project[2]/project_method",
                 "Model for Improvement / PDSA cycles")
    click_choice(qtbot, filler, "projects/qi_project[2]/project_stage", "Planning")
    type_into(qtbot, filler, "projects/qi_project[2]/project_patients", "300")
    next_screen(qtbot, filler)
    assert filler._shown_key == "projects/qi_project/*"
    assert "2 entered" in filler.repeat_summary.text()
    next_screen(qtbot, filler)

    assert filler._shown_key == "leadership"  # Likert rows
    click_choice(qtbot, filler, "leadership/lead_board", "Agree")
    next_screen(qtbot, filler)
    assert filler._shown_key == "barriers_support"
    click_choice(qtbot, filler, "barriers_support/barriers", "Lack of funding")
    click_choice(qtbot, filler, "barriers_support/support", "Shared tools and templates")
    next_screen(qtbot, filler)
    assert filler._shown_key == "closing/comments"
    type_into(qtbot, filler, "closing/comments", "Thank you.")
    next_screen(qtbot, filler)
    assert filler._shown_key == "closing/thanks"
    assert 20 <= filler.progress.value() < filler.progress.maximum()  # optional ones left

    # Finalise… opens the finalise review; nothing blocks it, so Finalise is the default.
    qtbot.mouseClick(filler.finalise_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: filler.review_dialog is not None
                    and filler.review_dialog.isVisible(), timeout=5000)
    dialog = filler.review_dialog
    assert dialog is not None and dialog.finalise_button.isEnabled()
    with qtbot.waitSignal(filler.finalised, timeout=5000) as finalised:
        qtbot.mouseClick(dialog.finalise_button, Qt.MouseButton.LeftButton)
    assert finalised.args[0].answers["projects/qi_project[2]/project_title"] == "Falls"
    summary = core.records.summary(record.record_id)
    assert summary.status == "finalised"
    assert summary.instance_name == "Example Hospitals NHS FT - Other"
