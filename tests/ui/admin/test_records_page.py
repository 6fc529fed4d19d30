"""The records page on a real central store: the form's records by instance name,
filtered by footprint, status and a search; a record opened as the questionnaire reads
it, reviewed and approved (in the audit log); the table fetched page by page over a few
hundred records; both models through qtmodeltester."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from tests.ui.admin.records_fixtures import (
    PAGING_FORM,
    World,
    build_world,
    open_records_page,
)
from ui.admin.models import records as records_model
from ui.admin.models.records import READ_AHEAD, AdminRecordsModel, RecordQuery
from ui.admin.pages.records import RecordsPage
from ui.tasks import TaskRunner

PAGING = 230


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = build_world(tmp_path_factory.mktemp("records-world"), paging=PAGING)
    yield made
    made.desk.close()


def _page(qtbot: QtBot, world: World, runner: TaskRunner, **kwargs: int) -> RecordsPage:
    page = open_records_page(qtbot, world, runner, **kwargs)
    assert page.form.count() == 2
    qtbot.waitUntil(lambda: page.model.rowCount() == 5)
    return page


def _names(model: AdminRecordsModel) -> list[str]:
    return [model.index(r, AdminRecordsModel.NAME).data() for r in range(model.rowCount())]


def test_filters_and_review(qtbot: QtBot, world: World, runner: TaskRunner,
                            qtmodeltester: object) -> None:
    page = _page(qtbot, world, runner)
    model = page.model
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert _names(model) == ["Royal Free - nurse", "Whittington - doctor",
                             "Homerton - nurse", "Barts - doctor", "Guy's - doctor"]
    assert model.index(0, AdminRecordsModel.DEVICE).data() == "Laptop A"

    # The footprint question is the answer filter offered first.
    assert page.question.currentData() == "about/footprint"
    assert [page.answer.itemText(i) for i in range(page.answer.count())][1:] == [
        "North West", "North East"]
    page.answer.setCurrentIndex(page.answer.findData("ne"))
    qtbot.waitUntil(lambda: model.rowCount() == 3 and not model.loading)
    assert _names(model) == ["Whittington - doctor", "Homerton - nurse", "Guy's - doctor"]
    page.question.setCurrentIndex(page.question.findData("about/role"))
    qtbot.waitUntil(lambda: model.rowCount() == 5 and not model.loading)
    page.answer.setCurrentIndex(page.answer.findData("nurse"))
    qtbot.waitUntil(lambda: model.rowCount() == 2 and not model.loading)
    page.question.setCurrentIndex(0)
    page.search.setText("whitt")
    qtbot.waitUntil(lambda: model.rowCount() == 1 and not model.loading)
    page.search.clear()
    qtbot.waitUntil(lambda: model.rowCount() == 5 and not model.loading)

    # Open a record: its answers as the questionnaire reads them, its history.
    page.table.selectRow(1)
    view = page.view
    qtbot.waitUntil(lambda: view.detail is not None)
    assert view.detail is not None and view.title.text() == "Whittington - doctor"
    answers = view.answers.toPlainText()
    for text in ("About the site", "Ask the lead", "London footprint", "North East",
                 "Project 1", "Flow at Whittington", "We test small"):
        assert text in answers
    assert "Laptop A" in view.history.toPlainText()
    assert view.tabs.tabText(1) == "History (1)"
    view.language.setCurrentText("Français (fr)")
    qtbot.waitUntil(lambda: view.detail is not None and view.detail.language == "Français (fr)")
    assert "Secteur de Londres" in view.answers.toPlainText()

    # Review: has issues, then approved with a comment; kept in the audit log.
    view.comment.setText("staff count looks low")
    view.buttons["has_issues"].click()
    qtbot.waitUntil(lambda: "has issues" in view.review_state.text())
    view.comment.setText("checked with the lead")
    view.buttons["approved"].click()
    qtbot.waitUntil(lambda: "approved" in view.review_state.text())
    assert "checked with the lead" in view.review_history.text()
    assert model.index(1, AdminRecordsModel.STATUS).data() == "Approved"
    record_id = str(world.ids[1])
    assert [e.params for e in world.desk.audit(action="review")][-2:] == [
        {"record_id": record_id, "status": "has_issues"},
        {"record_id": record_id, "status": "approved"}]
    page.status.setCurrentIndex(page.status.findData("approved"))
    qtbot.waitUntil(lambda: model.rowCount() == 1 and not model.loading)
    assert _names(model) == ["Whittington - doctor"]

    # Sorting by submission time, newest first, asks the service again.
    page.status.setCurrentIndex(0)
    qtbot.waitUntil(lambda: model.rowCount() == 5 and not model.loading)
    page.table.horizontalHeader().setSortIndicator(AdminRecordsModel.SUBMITTED,
                                                   Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: model.query is not None and model.query.newest_first
                    and model.rowCount() == 5 and not model.loading)
    assert _names(model)[0] == "Guy's - doctor"


def test_pages_are_fetched_as_the_table_scrolls(qtbot: QtBot, world: World,
                                                runner: TaskRunner,
                                                qtmodeltester: object) -> None:
    model = AdminRecordsModel(world.desk, runner, page_size=10)
    loaded: list[tuple[int, int]] = []
    model.page_loaded.connect(lambda rows, total: loaded.append((rows, total)))
    model.set_query(RecordQuery(PAGING_FORM))
    qtbot.waitUntil(lambda: model.rowCount() == 10 and not model.loading)
    # The count is asked once the first page is painted.
    qtbot.waitUntil(lambda: model.total == PAGING)
    assert model.canFetchMore()
    # The next pages are read ahead once the first is in, and shown the moment they
    # are asked for, all at once, without a trip to the store.
    ahead = READ_AHEAD * 10
    assert 10 + 2 * ahead < PAGING  # room for two full runs of reading ahead
    qtbot.waitUntil(lambda: model.rows_ahead == ahead)
    model.fetchMore()
    assert model.rowCount() == 10 + ahead and model.rows_ahead == 0 and not model.loading
    qtbot.waitUntil(lambda: model.rows_ahead == ahead)  # and read on behind it
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    while model.canFetchMore() or model.loading:
        model.fetchMore()
        qtbot.waitUntil(lambda: not model.loading)
    assert model.rowCount() == PAGING and not model.canFetchMore()
    assert loaded[:3] == [(10, PAGING), (10 + ahead, PAGING), (10 + 2 * ahead, PAGING)]
    assert len({r.record_id for r in model.rows()}) == PAGING
    submitted = [r.submitted for r in model.rows()]
    assert submitted == sorted(submitted)
    qtmodeltester.check(model)  # type: ignore[attr-defined]

    # The view asks for the next page itself when scrolled to the end.
    page = _page(qtbot, world, runner, page_size=10)
    page.form.setCurrentIndex(page.form.findData(PAGING_FORM))
    # (A view not yet filled asks for more itself: the first page may not stand alone.)
    qtbot.waitUntil(lambda: 10 <= page.model.rowCount() < PAGING and not page.model.loading)
    shown = page.model.rowCount()
    page.table.scrollToBottom()
    qtbot.waitUntil(lambda: page.model.rowCount() > shown)
    # The count is asked once the first page is painted: it may come after the scroll.
    qtbot.waitUntil(lambda: page.count.text().startswith(f"{PAGING} records match"))


class _PaintNotingView(QTableView):
    """A table that notes, in ``events``, when it has first painted rows."""

    def __init__(self, events: list[object]) -> None:
        super().__init__()
        self._events = events

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() > 0 and "painted" not in self._events:
            self._events.append("painted")


def _noting_view(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch,
                 events: list[object]) -> _PaintNotingView:
    """A shown table noting its first paint in ``events``, where each run of reads (with
    how many pages it reads) and each count are noted too."""
    real_read, real_count = records_model.read_pages, records_model.count_page

    def read_pages(*args: Any) -> int:
        events.append(("read", args[4]))  # how many pages the run reads
        return real_read(*args)

    def count_page(*args: Any) -> int:
        events.append("count")
        return real_count(*args)
    monkeypatch.setattr(records_model, "read_pages", read_pages)
    monkeypatch.setattr(records_model, "count_page", count_page)
    view = _PaintNotingView(events)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    return view


def test_nothing_is_read_beside_the_first_paint(qtbot: QtBot, world: World,
                                                runner: TaskRunner,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # Reading on the worker while the first rows paint slows the paint down (both need
    # the interpreter): the first page is read alone, and the reading ahead and the count
    # start only once it is painted, even though the first run ends before the paint.
    events: list[object] = []
    view = _noting_view(qtbot, monkeypatch, events)
    model = AdminRecordsModel(world.desk, runner, page_size=10)
    view.setModel(model)
    qtbot.waitExposed(view)
    model.set_query(RecordQuery(PAGING_FORM))
    qtbot.waitUntil(lambda: model.rows_ahead == READ_AHEAD * 10 and model.total == PAGING)
    painted = events.index("painted")
    assert events[:painted] == [("read", 1)]
    # (How many pages each later run reads depends on whether the view, not yet full,
    # asked for more meanwhile.)
    after = events[painted + 1:]
    assert "count" in after and any(isinstance(e, tuple) and e[0] == "read" for e in after)


def test_a_view_asking_for_more_before_the_first_paint_is_read_for_after_it(
        qtbot: QtBot, world: World, runner: TaskRunner,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A view asks for more on a timer of its own, which on a busy machine can fire
    # between the first run's end and the first paint: the read it wants waits too.
    events: list[object] = []
    view = _noting_view(qtbot, monkeypatch, events)
    model = AdminRecordsModel(world.desk, runner, page_size=10)
    real_finished = model._on_run_finished

    def finished_then_asked(*args: Any) -> None:
        real_finished(*args)
        if "asked" not in events:
            events.append("asked")
            model.fetchMore(QModelIndex())
    monkeypatch.setattr(model, "_on_run_finished", finished_then_asked)
    view.setModel(model)
    qtbot.waitExposed(view)
    model.set_query(RecordQuery(PAGING_FORM))
    # The first run ends before its page is taken in: its end is then handled right
    # behind the page, before the paint Qt posts (at low priority) on taking it in.
    assert runner.wait_for_readers()
    qtbot.waitUntil(lambda: model.rows_ahead >= (READ_AHEAD - 1) * 10
                    and model.rowCount() > 10)
    painted = events.index("painted")
    assert events[:painted] == [("read", 1), "asked"]
    # The page it asked for comes first (it is shown), then the ten read ahead.
    assert ("read", READ_AHEAD + 1) in events[painted + 1:]
