"""The conflicts page on a real central store: two copies of one laptop edited the same
records; one conflict resolved by keeping a version, the other answer by answer; both
need a reason, leave the list, and stay resolved after a refresh."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from tests.ui.admin.records_fixtures import World, world  # noqa: F401  (module fixture)
from ui.admin.pages.conflicts import ConflictsPage
from ui.tasks import TaskRunner


def test_keep_one_then_merge_answer_by_answer(qtbot: QtBot, world: World,  # noqa: F811
                                              runner: TaskRunner,
                                              qtmodeltester: object) -> None:
    page = ConflictsPage(world.desk, runner)
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.list_model.rowCount() == 2
                    and page.lines_model.view is not None)
    qtmodeltester.check(page.list_model)  # type: ignore[attr-defined]
    qtmodeltester.check(page.lines_model)  # type: ignore[attr-defined]
    names = {page.list_model.index(r, 0).data() for r in range(2)}
    assert {n.split(" - ")[0] for n in names} == {"Whittington", "Homerton"}
    view = page.lines_model.view
    assert view is not None and view.conflict.record_id in world.conflicted
    first = view.conflict.record_id
    (second,) = set(world.conflicted) - {first}
    differing = {line.label for line in view.lines if line.differs}
    assert differing == {"Role", "QI staff"}
    assert page.lines_model.columnCount() == 3 and len(page.keep_buttons) == 2

    # No reason: nothing happens, and the page says why.
    page.keep_buttons[0].click()
    assert page.message.isVisible() and "reason" in page.message.text()
    opened: list[object] = []
    page.open_record.connect(opened.append)
    page.open_button.click()
    assert opened == [first]

    # Keep version B (whichever device's it is) with a reason.
    kept = view.detail.heads[1]
    page.reason.setText("the ward list says so")
    page.keep_buttons[1].click()
    qtbot.waitUntil(lambda: page.list_model.rowCount() == 1
                    and page.lines_model.view is not None
                    and page.lines_model.view.conflict.record_id == second)
    detail = world.desk.record(first)
    assert detail.conflict_id is None and detail.revisions[-1].kind == "resolution"
    answers = {i.path: i.value for s in detail.sections for i in s.items}
    assert answers["about/role"] == kept.answers["about/role"]

    # Answer by answer: the role from one version, the staff count from the other.
    view = page.lines_model.view
    assert view is not None
    rows = {line.path: i for i, line in enumerate(view.lines)}
    role_from = 0 if view.detail.heads[0].answers["about/role"] == "doctor" else 1
    staff_from = 1 - role_from
    model = page.lines_model
    from PySide6.QtCore import Qt

    assert model.setData(model.index(rows["about/role"], 1 + role_from),
                         Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert model.setData(model.index(rows["about/staff"], 1 + staff_from),
                         Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert model.index(rows["about/role"], 1 + staff_from).data(
        Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    page.reason.setText("role from the lead, staff count from HR")
    page.merge_button.click()
    qtbot.waitUntil(lambda: page.list_model.rowCount() == 0 and page.empty.isVisible())
    detail = world.desk.record(second)
    answers = {i.path: i.value for s in detail.sections for i in s.items}
    assert answers["about/role"] == "doctor"
    assert answers["about/staff"] == view.detail.heads[staff_from].answers["about/staff"]
    assert [e.params["merged"] for e in world.desk.audit(action="resolve_conflict")] == [
        False, True]

    # Resolved conflicts stay resolved.
    page.refresh()
    qtbot.wait(200)
    qtbot.waitUntil(lambda: runner.is_idle())
    assert page.list_model.rowCount() == 0 and world.desk.conflicts() == ()
    assert {c.status for c in world.desk.conflicts(None)} == {"resolved"}
