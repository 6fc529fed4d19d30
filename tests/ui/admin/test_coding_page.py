"""The console's Coding page on a real central store (SQLCipher) holding the built-in
study and hand-written interviews (the stakeholder interview guide, notes and key quotes
with the field's quick tags), reached through the page's own service calls.

Each test gets its own copy of the store, made once per module."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from qi_capture.central.store import CentralStore
from qi_capture.crypto.kdf import floor_params
from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.coding_values import Code, Coding, Transcript
from qi_capture.services.admin.demo import (
    INTERVIEW,
    STUDY_ID,
    DemoRecord,
    insert_records,
    register_builtin,
)
from qi_capture.storage.profile import Profile
from tests.ui.admin.conftest import World, on_runner
from ui.admin.console import AdminConsole, register_pages
from ui.admin.models.coding import PassagesModel
from ui.admin.pages.coding import CodingPage
from ui.dialogs import confirm
from ui.tasks import TaskRunner

PASSPHRASE = "copper kettle harbour 42"
#: (name, role, footprint, {field: text}): every count below is worked out from these.
INTERVIEWS = [
    ("Riverside medical director", "medical_director", "north_west", {
        "approach/approach_overview": "Staff have no protected time for improvement #barrier",
        "approach/key_quote_approach": "We need time, not another method. #barrier",
        "what_works/works_example": "The sepsis work had a board sponsor #enabler",
    }),
    ("Hilltop medical director", "medical_director", "north_west", {
        "approach/approach_overview": "Board sponsorship helped a great deal #enabler",
        "approach/key_quote_approach": "When the board asks, people notice. #enabler",
        "barriers/barriers_main": "Funding is year to year #barrier",
    }),
    ("Eastbank commissioner", "commissioner", "south_east", {
        "approach/approach_overview": "Data analysts are hard to find #barrier",
        "future_support/future_london": "A London faculty of coaches #idea",
    }),
]
OVERVIEW = "approach/approach_overview"


def answers(role: str, footprint: str, texts: dict[str, str]) -> dict[str, object]:
    return {"consent": "yes", "consent_quotes": "yes", "participant/participant_role": role,
            "participant/footprint": footprint, **texts}


@pytest.fixture(scope="module")
def interviews_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("coding") / "central"
    Profile.create(folder, "Central admin", PASSPHRASE, kdf=floor_params())
    with CentralStore.open(folder, PASSPHRASE) as central:
        versions = register_builtin(central)
        insert_records(central, STUDY_ID, INTERVIEW, versions[INTERVIEW], [
            DemoRecord(answers(role, fp, texts), "approved",  # type: ignore[arg-type]
                       f"2026-02-0{i + 1}T10:00:00.000000Z", name=name)
            for i, (name, role, fp, texts) in enumerate(INTERVIEWS)])
    return folder


@pytest.fixture
def console(qtbot: QtBot, interviews_store: Path, tmp_path: Path,
            runner: TaskRunner) -> Iterator[AdminConsole]:
    folder = tmp_path / "central"
    shutil.copytree(interviews_store, folder)
    desk = AdminDesk.open(folder, PASSPHRASE)
    widget = AdminConsole(desk, runner, target=str(folder))
    register_pages(widget)
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    widget.show()
    yield widget
    if widget.close_desk() is not None:
        runner.wait()


def open_page(qtbot: QtBot, console: AdminConsole) -> CodingPage:
    console.show_page("coding")
    page = console.page("coding")
    assert isinstance(page, CodingPage)
    qtbot.waitUntil(lambda: page.transcript.view.transcript is not None
                    and page.session.tree.rowCount() > 0, timeout=30_000)
    return page


def code_named(page: CodingPage, name: str) -> Code:
    return next(c for c in page.session.codes.values() if c.name == name and not c.retired)


def test_page_is_registered_with_the_next_key(qtbot: QtBot, console: AdminConsole) -> None:
    assert console.page_keys()[-1] == "coding"
    action = console.go_actions()[len(console.page_keys()) - 1]
    assert action.text() == "Coding"
    assert action.shortcut().toString() == f"Ctrl+{len(console.page_keys())}"


def test_code_a_passage_by_keyboard_and_jump_back(qtbot: QtBot,
                                                  console: AdminConsole,
                                                  qtmodeltester: object) -> None:
    page = open_page(qtbot, console)
    panel, view = page.transcript, page.transcript.view
    assert panel.interviews.rowCount() == 3
    assert page.coder.text() == page.session.coder != ""
    # The field's tags came as codes, their passages already coded.
    assert {c.name for c in page.session.codes.values()} == {"Barrier", "Enabler", "Idea"}
    first = view.transcript
    assert first is not None
    assert all(c.origin == "field" for c in first.codings)

    # Caret to the start of the first answer, then Shift+Right over "Staff have".
    answer = view.answer(OVERVIEW)
    assert answer is not None
    view.setFocus()
    cursor = view.textCursor()
    cursor.setPosition(answer.start)
    view.setTextCursor(cursor)
    for _ in range(len("Staff have")):
        qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    passage = view.passage()
    assert passage is not None and passage.text == "Staff have"
    assert (passage.field, passage.start, passage.end) == (OVERVIEW, 0, 10)

    # Ctrl+K, type to find the code, Enter.
    qtbot.keyClick(view, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: panel.picker is not None and panel.picker.isVisible())
    picker = panel.picker
    assert picker is not None
    qtmodeltester.check(picker.model)  # type: ignore[attr-defined]
    qtbot.keyClicks(picker.filter, "enab")
    assert picker.proxy.rowCount() == 1
    qtbot.keyClick(picker.filter, Qt.Key.Key_Return)
    enabler = code_named(page, "Enabler")

    def mine() -> list[Coding]:
        t = view.transcript
        return [] if t is None else [c for c in t.codings if c.coder == page.session.coder]

    qtbot.waitUntil(lambda: len(mine()) == 1, timeout=20_000)
    made = mine()[0]
    assert made.code == enabler.guid and made.text == "Staff have"
    assert (made.start, made.end, made.origin) == (0, 10, "analyst")
    # In the margin: a mark for it, labelled with the code's name.
    labels = [page.transcript.margin.label(m.coding) for m in page.transcript.margin.marks()]
    assert "Enabler" in labels
    assert "Barrier · field?" in labels
    # The selection survived the reload.
    assert view.passage() is not None and view.passage().text == "Staff have"  # type: ignore[union-attr]

    # On the code's passages list, with its interview, section and group.
    page.codebook.select_code(enabler.guid)
    page.tabs.setCurrentWidget(page.passages)
    model = page.passages.model
    qtbot.waitUntil(lambda: any(model.passage_at(r).coding.coder == page.session.coder
                                for r in range(model.rowCount())), timeout=20_000)
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    row = next(r for r in range(model.rowCount())
               if model.passage_at(r).coding.coder == page.session.coder)
    listed = model.passage_at(row)
    assert listed.interview == "Riverside medical director"
    assert listed.section == "1. Current QI approach"
    assert model.index(row, PassagesModel.GROUP).data() == "Medical director"
    assert model.index(row, PassagesModel.ORIGIN).data() == "Analyst"

    # Jump back: another interview is on show, activating the row brings the passage.
    page.tabs.setCurrentWidget(page.transcript)
    page.transcript.list.selectRow(2)
    qtbot.waitUntil(lambda: view.transcript is not None
                    and view.transcript.name == "Eastbank commissioner", timeout=20_000)
    page.tabs.setCurrentWidget(page.passages)
    page.passages.table.setCurrentIndex(model.index(row, 0))
    page.passages.table.setFocus()
    qtbot.keyClick(page.passages.table, Qt.Key.Key_Return)
    assert page.tabs.currentWidget() is page.transcript
    qtbot.waitUntil(lambda: view.transcript is not None
                    and view.transcript.name == "Riverside medical director"
                    and view.passage() is not None, timeout=20_000)
    assert view.passage().text == "Staff have"  # type: ignore[union-attr]


def test_no_selection_says_what_to_do(qtbot: QtBot, console: AdminConsole) -> None:
    page = open_page(qtbot, console)
    said: list[str] = []
    page.status_changed.connect(said.append)
    assert page.transcript.apply_codes([code_named(page, "Idea").guid]) is False
    assert said and "Select a passage" in said[-1]


def test_merge_two_codes_after_confirming(qtbot: QtBot, console: AdminConsole,
                                          monkeypatch: pytest.MonkeyPatch,
                                          qtmodeltester: object) -> None:
    page = open_page(qtbot, console)
    qtmodeltester.check(page.session.tree)  # type: ignore[attr-defined]
    idea, enabler = code_named(page, "Idea"), code_named(page, "Enabler")
    tree = page.session.tree
    assert tree.node(idea.guid) is not None and tree.node(idea.guid).codings == 1  # type: ignore[union-attr]
    assert tree.node(enabler.guid).codings == 3  # type: ignore[union-attr]
    asked: list[str] = []
    monkeypatch.setattr(confirm, "ask", lambda _p, _t, text: asked.append(text) or True)
    assert page.codebook.merge(idea.guid, enabler.guid)
    assert asked == ["Merge “Idea” into “Enabler”? Its 1 codings move to “Enabler”, its "
                     "sub-codes go under it, and “Idea” is retired. This cannot be undone "
                     "here."]
    qtbot.waitUntil(lambda: tree.node(idea.guid) is None, timeout=20_000)
    assert tree.node(enabler.guid).codings == 4  # type: ignore[union-attr]
    assert page.codebook.current_code() == page.session.codes[enabler.guid]
    qtmodeltester.check(tree)  # type: ignore[attr-defined]


def test_merge_refused_changes_nothing(qtbot: QtBot, console: AdminConsole,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    page = open_page(qtbot, console)
    monkeypatch.setattr(confirm, "ask", lambda *_a: False)
    idea, enabler = code_named(page, "Idea"), code_named(page, "Enabler")
    assert not page.codebook.merge(idea.guid, enabler.guid)
    page.session.reload_codebook()
    qtbot.waitUntil(lambda: page.session.tree.node(idea.guid) is not None)
    console.runner.wait()
    assert page.session.tree.node(idea.guid) is not None


def test_create_move_and_rename_codes(qtbot: QtBot, console: AdminConsole) -> None:
    page = open_page(qtbot, console)
    tree = page.session.tree
    page.codebook.create_code("Time")
    qtbot.waitUntil(lambda: any(c.name == "Time" for c in tree.codes()), timeout=20_000)
    time = code_named(page, "Time")
    barrier = code_named(page, "Barrier")
    assert page.codebook.current_code() == time
    page.codebook.move_code(time.guid, barrier.guid)
    qtbot.waitUntil(lambda: tree.path(time.guid) == "Barrier / Time", timeout=20_000)
    page.codebook.rename(time.guid, "Protected time")
    qtbot.waitUntil(lambda: tree.path(time.guid) == "Barrier / Protected time",
                    timeout=20_000)
    # A name already used beside it is refused, in words, and changes nothing.
    page.codebook.create_code("protected time", barrier.guid)
    qtbot.waitUntil(lambda: page.error.isVisible(), timeout=20_000)
    assert "Protected time" in page.error.text() or "protected time" in page.error.text()
    assert [c.name for c in tree.codes()].count("Protected time") == 1


def test_confirm_and_undo_codings_from_the_field(qtbot: QtBot, console: AdminConsole) -> None:
    page = open_page(qtbot, console)
    barrier = code_named(page, "Barrier")
    page.codebook.select_code(barrier.guid)
    page.tabs.setCurrentWidget(page.passages)
    panel = page.passages
    qtbot.waitUntil(lambda: panel.model.rowCount() == 4, timeout=20_000)
    assert "4 from the field to confirm" in panel.heading.text()
    assert panel.model.index(0, PassagesModel.ORIGIN).data() == "From the field, to confirm"
    panel.table.selectRow(0)
    assert panel.confirm_button.isEnabled()
    panel.confirm_button.click()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 4 and panel.model.index(
        0, PassagesModel.ORIGIN).data() == "From the field, confirmed", timeout=20_000)
    assert "3 from the field to confirm" in panel.heading.text()
    panel.table.selectRow(1)
    panel.undo_button.click()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=20_000)
    qtbot.waitUntil(lambda: page.session.tree.node(barrier.guid) is not None
                    and page.session.tree.node(barrier.guid).codings == 3,  # type: ignore[union-attr]
                    timeout=20_000)


def _record(console: AdminConsole, qtbot: QtBot, name: str) -> Transcript:
    coding = on_runner(qtbot, console, console.desk.coding)
    ref = next(i for i in on_runner(qtbot, console, coding.interviews) if i.name == name)
    return on_runner(qtbot, console, coding.transcript, ref.record_id)


def test_compare_two_coders_and_settle(qtbot: QtBot, console: AdminConsole,
                                       qtmodeltester: object) -> None:
    page = open_page(qtbot, console)
    barrier, enabler = code_named(page, "Barrier"), code_named(page, "Enabler")
    riverside = _record(console, qtbot, "Riverside medical director")
    hilltop = _record(console, qtbot, "Hilltop medical director")

    # Two analysts code the two medical directors' interviews, each under their name.
    def code_as(coder: str, plan: list[tuple[Transcript, str, uuid.UUID]]) -> None:
        coding = console.desk.coding(coder=coder)
        for transcript, field, code in plan:
            text = next(i.text for s in transcript.sections for i in s.items
                        if i.field == field)
            coding.apply_codes(transcript.record_id, field, 0, len(text), [code])

    on_runner(qtbot, console, code_as, "alice", [
        (riverside, OVERVIEW, barrier.guid), (hilltop, OVERVIEW, enabler.guid),
        (hilltop, "barriers/barriers_main", barrier.guid)])
    on_runner(qtbot, console, code_as, "bob", [
        (riverside, OVERVIEW, barrier.guid), (hilltop, OVERVIEW, enabler.guid),
        (riverside, "what_works/works_example", enabler.guid)])

    page.tabs.setCurrentWidget(page.compare)
    panel = page.compare
    qtbot.waitUntil(lambda: panel.coder_a.findText("bob") >= 0, timeout=20_000)
    panel.coder_a.setCurrentIndex(panel.coder_a.findText("alice"))
    panel.coder_b.setCurrentIndex(panel.coder_b.findText("bob"))
    panel.compare_button.click()
    qtbot.waitUntil(lambda: panel.comparison is not None, timeout=20_000)
    qtmodeltester.check(panel.codes)  # type: ignore[attr-defined]
    qtmodeltester.check(panel.differences)  # type: ignore[attr-defined]
    # Units: the six answers of the two interviews both coded. Barrier: both on one,
    # alice alone on one, neither on four: 5/6 agree; kappa (5/6 - p_e) / (1 - p_e)
    # with p_e = (2/6)(1/6) + (4/6)(5/6) = 22/36, so kappa = (30-22)/(36-22) = 4/7.
    rows = {panel.codes.code_at(r).name: r for r in range(panel.codes.rowCount())}
    b = rows["Barrier"]
    assert [panel.codes.index(b, c).data() for c in range(7)] == [
        "Barrier", "6", "1", "1", "0", "83%", "0.57"]
    assert panel.codes.headerData(3, Qt.Orientation.Horizontal) == "Only A"
    assert "alice" in str(panel.codes.headerData(3, Qt.Orientation.Horizontal,
                                                 Qt.ItemDataRole.ToolTipRole))
    assert panel.differences.rowCount() == 2
    # Only Barrier's differences once the code is chosen; then take bob's side there.
    panel.codes_table.selectRow(b)
    assert panel.differences.rowCount() == 1
    difference = panel.differences.difference_at(0)
    assert difference.field == "barriers/barriers_main"
    assert panel.differences.index(0, 1).data() == \
        "Hilltop medical director · What gets in the way of improvement in your " \
        "organisation?"[:len(panel.differences.index(0, 1).data())]
    assert panel.differences.index(0, 3).data() == "(not coded)"
    panel.diff_table.selectRow(0)
    panel.take_b.click()
    qtbot.waitUntil(lambda: panel.comparison is not None
                    and len(panel.comparison.agreement.differences) == 1, timeout=20_000)
    left = panel.comparison.agreement.differences[0]
    assert left.code == enabler.guid


def test_matrix_with_a_suppressed_cell(qtbot: QtBot, console: AdminConsole,
                                       qtmodeltester: object) -> None:
    page = open_page(qtbot, console)
    page.tabs.setCurrentWidget(page.matrix)
    panel = page.matrix
    qtbot.waitUntil(lambda: panel.model.matrix is not None, timeout=20_000)
    # At the report's minimum of 5, three interviews show nothing.
    assert panel.model.matrix is not None and panel.model.matrix.interviews == 3
    assert all(c.suppressed or c.count == 0 for r in panel.model.matrix.rows for c in r.cells)
    panel.min_cell.setValue(2)
    qtbot.waitUntil(lambda: panel.model.matrix is not None
                    and panel.model.matrix.min_cell == 2, timeout=20_000)
    qtmodeltester.check(panel.model)  # type: ignore[attr-defined]
    matrix = panel.model.matrix
    groups = list(matrix.groups)
    assert "Medical director" in groups and "Commissioner" in groups
    row = next(i for i, r in enumerate(matrix.rows) if r.code.name == "Barrier")
    director = groups.index("Medical director") + 1
    commissioner = groups.index("Commissioner") + 1
    # Barrier: both medical directors (2, shown), one commissioner (1: hidden).
    assert panel.model.index(row, director).data() == "2"
    assert panel.model.index(row, commissioner).data() == "< 2"
    assert panel.model.index(row, commissioner).data(Qt.ItemDataRole.BackgroundRole) \
        is not None
    panel.table.setCurrentIndex(panel.model.index(row, director))
    assert panel.quotes.stringList() == ["“We need time, not another method.”"]
    panel.table.setCurrentIndex(panel.model.index(row, commissioner))
    assert panel.quotes.stringList() == []
    assert "neither the count nor the quotes" in panel.quotes_label.text()
    # By footprint: the columns are the footprints.
    panel.by.setCurrentIndex(panel.by.findData("footprint"))
    qtbot.waitUntil(lambda: panel.model.matrix is not None
                    and panel.model.matrix.by == "footprint", timeout=20_000)
    assert "North West London" in panel.model.matrix.groups


def test_interviews_model(qtbot: QtBot, console: AdminConsole, qtmodeltester: object) -> None:
    page = open_page(qtbot, console)
    qtmodeltester.check(page.transcript.interviews)  # type: ignore[attr-defined]
    model = page.transcript.interviews
    assert [model.index(r, 0).data() for r in range(3)] == [n for n, *_ in INTERVIEWS]
    assert model.index(2, 1).data() == "Commissioner"
    assert model.index(2, 2).data() == "South East London"


def test_export_and_import_the_coding(qtbot: QtBot, console: AdminConsole,
                                      tmp_path: Path) -> None:
    import zipfile

    page = open_page(qtbot, console)
    said: list[str] = []
    page.status_changed.connect(said.append)
    button = page.codebook.exchange
    project = tmp_path / "study.qdpx"
    button.export_to("qdpx", project)
    qtbot.waitUntil(lambda: any(s.startswith("Wrote") for s in said), timeout=30_000)
    # Barrier 4, Enabler 3, Idea 1: the field tags of the three interviews.
    assert "3 codes, 8 codings" in said[-1] and "not encrypted" in said[-1]
    with zipfile.ZipFile(project) as archive:
        assert "project.qde" in archive.namelist()
    codebook = tmp_path / "codes.csv"
    button.export_to("codebook-csv", codebook)
    qtbot.waitUntil(lambda: codebook.exists(), timeout=30_000)
    assert "Barrier" in codebook.read_text(encoding="utf-8-sig")

    # The project read back into the store it came from brings nothing new.
    button.import_from(project)
    qtbot.waitUntil(lambda: said[-1].startswith("Imported"), timeout=30_000)
    assert said[-1].startswith("Imported: 0 new codes, 0 new codings")

    # A file that is not a project is refused, in words, and changes nothing.
    broken = tmp_path / "broken.qdpx"
    broken.write_bytes(b"not a zip at all")
    button.import_from(broken)
    qtbot.waitUntil(lambda: page.error.isVisible(), timeout=30_000)
    assert page.error.text()
    assert page.session.tree.node(code_named(page, "Barrier").guid).codings == 4  # type: ignore[union-attr]


def test_a_study_without_interviews_says_so(qtbot: QtBot, world: World,
                                            runner: TaskRunner) -> None:
    """The console's own test store: a questionnaire, no interview guide."""
    desk = AdminDesk.open(world.central, PASSPHRASE)
    console = AdminConsole(desk, runner, target=str(world.central))
    register_pages(console)
    qtbot.addWidget(console)
    console.show()
    try:
        console.show_page("coding")
        page = console.page("coding")
        assert isinstance(page, CodingPage)
        qtbot.waitUntil(lambda: page.error.isVisible(), timeout=20_000)
        assert "no interview form" in page.error.text()
        assert page.session.coding is None and page.session.tree.rowCount() == 0
    finally:
        if console.close_desk() is not None:
            runner.wait()


def test_context_menu_confirms_a_field_coding_at_the_caret(qtbot: QtBot,
                                                           console: AdminConsole) -> None:
    page = open_page(qtbot, console)
    view, panel = page.transcript.view, page.transcript
    answer = view.answer(OVERVIEW)
    assert answer is not None
    cursor = view.textCursor()
    cursor.setPosition(answer.start + 3)
    view.setTextCursor(cursor)
    here = view.codings_here()
    assert [(c.origin, c.confirmed) for c in here] == [("field", False)]
    menu = panel.context_menu()
    # Nothing selected: coding is offered but not possible; the coding under the caret
    # can be confirmed or undone.
    assert not menu.actions()[0].isEnabled()
    sub = next(a.menu() for a in menu.actions() if a.menu() is not None)
    assert sub.title() == "Barrier · field?"
    confirm_action = next(a for a in sub.actions() if a.text() == "Confirm")
    confirm_action.trigger()
    qtbot.waitUntil(lambda: view.transcript is not None and any(
        c.confirmed for c in view.transcript.codings if c.field == OVERVIEW), timeout=20_000)
    assert "Barrier · field ✓" in [page.transcript.margin.label(m.coding)
                                   for m in page.transcript.margin.marks()]


def test_drag_a_code_onto_another_moves_it(qtbot: QtBot, console: AdminConsole,
                                           qtmodeltester: object) -> None:
    page = open_page(qtbot, console)
    tree = page.session.tree
    idea, barrier = code_named(page, "Idea"), code_named(page, "Barrier")
    dragged = tree.mimeData([tree.index_of(idea.guid)])
    # Dropped on Barrier: the service moves it; the tree follows once read again.
    assert tree.dropMimeData(dragged, Qt.DropAction.MoveAction, -1, 0,
                             tree.index_of(barrier.guid)) is False
    qtbot.waitUntil(lambda: tree.path(idea.guid) == "Barrier / Idea", timeout=20_000)
    qtmodeltester.check(tree)  # type: ignore[attr-defined]
    # Dropped on the empty space: back to the top level.
    tree.dropMimeData(tree.mimeData([tree.index_of(idea.guid)]), Qt.DropAction.MoveAction,
                      -1, 0, QModelIndex())
    qtbot.waitUntil(lambda: tree.path(idea.guid) == "Idea", timeout=20_000)
    # Onto itself: nothing asked.
    moved: list[object] = []
    tree.move_requested.connect(lambda *a: moved.append(a))
    tree.dropMimeData(tree.mimeData([tree.index_of(idea.guid)]), Qt.DropAction.MoveAction,
                      -1, 0, tree.index_of(idea.guid))
    assert moved == []


def test_two_codes_at_once_and_memos(qtbot: QtBot, console: AdminConsole) -> None:
    page = open_page(qtbot, console)
    view, panel = page.transcript.view, page.transcript
    assert view.select(OVERVIEW, 6, 10)  # "have"
    view.setFocus()
    panel.pick_codes()
    picker = panel.picker
    assert picker is not None
    # Space ticks the highlighted code; arrows from the find box move in the list.
    picker.list.setFocus()
    qtbot.keyClick(picker.list, Qt.Key.Key_Space)
    qtbot.keyClick(picker.filter, Qt.Key.Key_Down)
    qtbot.keyClick(picker.list, Qt.Key.Key_Space)
    chosen = {c.name for c in picker.chosen()}
    assert len(chosen) == 2
    picker.accept()

    def mine() -> list[Coding]:
        t = view.transcript
        return [] if t is None else [c for c in t.codings if c.coder == page.session.coder]

    qtbot.waitUntil(lambda: len(mine()) == 2, timeout=20_000)
    assert {page.session.name(c.code) for c in mine()} == chosen
    assert len({c.passage for c in mine()}) == 1  # one passage, two codes

    # A memo on the passage shows in the margin; a memo on a code is kept with it.
    panel.set_passage_memo(mine()[0], "Said with some feeling")
    qtbot.waitUntil(lambda: bool(mine()) and mine()[0].memo == "Said with some feeling",
                    timeout=20_000)
    assert any(panel.margin.label(m.coding).endswith("✎") for m in panel.margin.marks())
    barrier = code_named(page, "Barrier")
    page.codebook.set_code_memo(barrier.guid, "Anything that slows improvement down")
    coding = page.session.coding
    assert coding is not None
    qtbot.waitUntil(lambda: console.runner.is_idle(), timeout=20_000)
    memos = on_runner(qtbot, console, coding.memos)
    assert [(m.code, m.text) for m in memos if m.code is not None] == [
        (barrier.guid, "Anything that slows improvement down")]
