"""Every Qt item model of the UI through qtmodeltester, filled from a real session."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from pytestqt.modeltest import ModelTester

from qi_capture.services import CoreContext
from qi_capture.services.screen_reader import index_entries, problems, section_entries
from tests.ui.conftest import form_id
from ui.models.issues import IssueListModel
from ui.models.question_index import (
    ANSWERED,
    INVALID,
    SECTION,
    UNANSWERED,
    QuestionIndexModel,
)
from ui.models.records import RecordFilterProxy, RecordRow, RecordsTableModel
from ui.models.sections import SectionListModel

# Models draw status icons (pixmaps): a QApplication must exist.
pytestmark = pytest.mark.usefixtures("qapp")


def baseline_session(core: CoreContext):  # type: ignore[no-untyped-def]
    form = core.studies.load_form(form_id(core, "qi_baseline"))
    session = form.new_session()
    session.set("consent", "yes")
    session.set("respondent/org_name", "Hilltop")
    session.set("training/trained_awareness", 60000)  # breaks its constraint
    session.set("projects/has_projects", "yes")
    session.add_repeat("projects/qi_project")
    return session


def test_question_index_model(qtmodeltester: ModelTester, core: CoreContext) -> None:
    session = baseline_session(core)
    entries = list(index_entries(session, session.screens(), "respondent"))
    states = {e.path: e.state for e in entries}
    assert states["respondent"] == SECTION
    assert states["respondent/org_name"] == ANSWERED
    assert states["respondent/org_type"] == UNANSWERED
    assert states["training/trained_awareness"] == INVALID
    assert "projects/qi_project[2]/project_title" in states
    assert "respondent/org_type_other" not in states  # not relevant
    model = QuestionIndexModel()
    model.set_entries(entries)
    qtmodeltester.check(model, force_py=True)
    model.set_entries(entries[:3])
    qtmodeltester.check(model, force_py=True)


def test_issue_list_model(qtmodeltester: ModelTester, core: CoreContext) -> None:
    session = baseline_session(core)
    model = IssueListModel()
    model.set_entries(list(problems(session, session.errors())))
    assert model.rowCount() > 5
    qtmodeltester.check(model, force_py=True)


def test_section_list_model(qtmodeltester: ModelTester, core: CoreContext) -> None:
    form = core.studies.load_form(form_id(core, "qi_stakeholder_interview"))
    session = form.new_session()
    session.set("consent", "yes")
    model = SectionListModel()
    model.set_entries(list(section_entries(session, session.screens(),
                                          "approach/approach_overview")))
    assert [model.entry(r).key for r in range(model.rowCount())][:3] == [
        "", "participant", "approach"]
    qtmodeltester.check(model, force_py=True)


def _rows() -> list[RecordRow]:
    now = dt.datetime.now(dt.UTC)
    return [
        RecordRow(uuid.uuid4(), "Hilltop - Acute trust", 1, "Questionnaire", "finalised",
                  False, now - dt.timedelta(days=40), now - dt.timedelta(days=40)),
        RecordRow(uuid.uuid4(), "", 1, "Questionnaire", "draft", False, now, now),
        RecordRow(uuid.uuid4(), "Riverside - medical director", 2, "Interview guide",
                  "sent", False, now - dt.timedelta(days=3), now - dt.timedelta(days=2)),
    ]


def test_records_table_and_proxy(qtmodeltester: ModelTester) -> None:
    model = RecordsTableModel()
    model.set_rows(_rows())
    qtmodeltester.check(model, force_py=True)
    proxy = RecordFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(RecordsTableModel.UPDATED)
    qtmodeltester.check(proxy, force_py=True)
    assert proxy.rowCount() == 3
    proxy.set_status("draft")
    assert proxy.rowCount() == 1
    proxy.set_status(None)
    proxy.set_form(2)
    assert proxy.rowCount() == 1
    proxy.set_form(None)
    proxy.set_since(dt.datetime.now(dt.UTC) - dt.timedelta(days=7))
    assert proxy.rowCount() == 2
    proxy.set_since(None)
    proxy.set_search("HILLTOP")
    assert proxy.rowCount() == 1
    proxy.set_search("")
    qtmodeltester.check(proxy, force_py=True)
