"""The form filler never reads the live form session on the UI thread: every read happens
on the write queue, and the widgets draw from the frozen `FormView` handed back."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from qi_capture.forms.session import FormSession
from qi_capture.services import CoreContext
from qi_capture.services.filling import RecordFill
from qi_capture.services.screen import FormView
from tests.ui.conftest import form_id
from tests.ui.helpers import click_choice, next_screen, settle, type_into, view
from ui.controller import RecordController
from ui.pages.form_filler import FormFiller
from ui.tasks import TaskRunner

#: The session's reading methods the filler used to call on the UI thread.
READS = ("screens", "label", "hint", "raw", "issue", "choices", "progress", "errors",
         "is_relevant", "is_required", "is_read_only")


def test_the_ui_thread_never_reads_the_form_session(
    qtbot: QtBot, core: CoreContext, runner: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = core.records.create(form_id(core, "qi_baseline"))
    readers: set[int] = set()
    for name in READS:
        original = getattr(FormSession, name)

        def spy(self: FormSession, *args: Any, _original: Any = original,
                **kwargs: Any) -> Any:
            readers.add(threading.get_ident())
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(FormSession, name, spy)

    filler = FormFiller(RecordController(RecordFill(record), runner), "QI baseline")
    qtbot.addWidget(filler)
    filler.resize(1366, 700)
    filler.show()
    filler.start()
    settle(qtbot, filler)
    next_screen(qtbot, filler)
    click_choice(qtbot, filler, "consent", "Yes")
    next_screen(qtbot, filler)
    next_screen(qtbot, filler)  # refused: the required marks come from the view
    assert view(filler, "respondent/org_name").problem.isVisible()
    type_into(qtbot, filler, "respondent/org_name", "Hilltop")
    settle(qtbot, filler)
    filler.finalise_action.trigger()
    qtbot.waitUntil(lambda: filler.review_dialog is not None, timeout=5000)
    review = filler.review_dialog
    assert review is not None
    review.jump_requested.emit("respondent/org_type")  # as choosing its line does
    review.reject()
    qtbot.waitUntil(filler.issues_panel.isVisible, timeout=5000)
    settle(qtbot, filler)
    shown = filler.issues_model.rowCount()
    click_choice(qtbot, filler, "respondent/org_type", "Acute trust")
    settle(qtbot, filler)  # with the list open, each view carries every problem

    assert readers, "the session was never read"
    assert threading.get_ident() not in readers
    drawn = filler.controller.view
    assert isinstance(drawn, FormView) and drawn.screen is not None
    assert drawn.screen.key == filler._shown_key == "respondent"
    name = drawn.screen.question("respondent/org_name")
    assert name is not None and name.value == "Hilltop"
    assert drawn.problems is not None
    assert filler.issues_model.rowCount() == len(drawn.problems) == shown - 1
