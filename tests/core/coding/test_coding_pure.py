"""The pure parts of thematic coding, against hand computations: Cohen's kappa and
percentage agreement, re-anchoring a passage, reading quick tags."""

from __future__ import annotations

import uuid

import pytest

from qi_capture.coding import agreement
from qi_capture.coding.anchor import reanchor
from qi_capture.coding.tags import tag_code, tag_code_guid, tags_in


def _units(n: int) -> list[tuple[object, str]]:
    return [(i, "f") for i in range(n)]


def test_kappa_textbook_table() -> None:
    # 50 units: both 20, only A 5, only B 10, neither 15.
    # p_o = 35/50 = 0.7; A yes 25, B yes 30: p_e = (25*30 + 25*20)/2500 = 0.5;
    # kappa = (0.7 - 0.5) / 0.5 = 0.4.
    units = _units(50)
    a = set(units[:25])
    b = set(units[:20]) | set(units[25:35])
    t = agreement.counts(units, a, b)
    assert (t.both, t.only_a, t.only_b, t.neither) == (20, 5, 10, 15)
    assert t.observed == pytest.approx(0.7)
    assert t.expected == pytest.approx(0.5)
    assert t.kappa == pytest.approx(0.4)
    assert t.percent == 70.0


def test_kappa_perfect_and_undefined() -> None:
    units = _units(10)
    same = set(units[:4])
    assert agreement.counts(units, same, same).kappa == pytest.approx(1.0)
    # Neither coder used the code anywhere: total agreement, kappa undefined.
    none = agreement.counts(units, set(), set())
    assert none.percent == 100.0
    assert none.kappa is None


def test_kappa_worse_than_chance_is_negative() -> None:
    units = _units(4)
    t = agreement.counts(units, {units[0], units[1]}, {units[2], units[3]})
    # p_o = 0; p_e = (2*2 + 2*2)/16 = 0.5; kappa = -1.
    assert t.kappa == pytest.approx(-1.0)


def test_per_code_ignores_units_outside() -> None:
    units = _units(3)
    tables = agreement.per_code(units, {"x": {(0, "f"), (9, "f")}}, {"y": {(1, "f")}})
    assert set(tables) == {"x", "y"}
    assert tables["x"].only_a == 1 and tables["x"].units == 3
    assert tables["y"].only_b == 1


def test_reanchor_kept_moved_changed() -> None:
    text = "Staff have no protected time at all"
    assert reanchor("protected time", 14, 28, text).status == "kept"
    moved = reanchor("protected time", 14, 28, "Sadly, " + text)
    assert (moved.start, moved.end, moved.status) == (21, 35, "moved")
    changed = reanchor("protected time", 14, 28, "Staff have no time")
    assert changed.status == "changed"
    assert 0 <= changed.start <= changed.end <= len("Staff have no time")
    cleared = reanchor("protected time", 14, 28, "")
    assert (cleared.start, cleared.end, cleared.status) == (0, 0, "changed")


def test_reanchor_picks_the_nearest_occurrence() -> None:
    text = "time, then more time, then time"
    # The passage covered the second "time" (at 16); text was inserted before it.
    result = reanchor("time", 16, 20, "xx" + text)
    assert (result.start, result.status) == (18, "moved")


def test_tags_and_stable_code_guids() -> None:
    assert tags_in("No time #Barrier and #follow-up, not a#tag nor ##x #barrier") == \
        ["barrier", "follow-up"]
    assert tag_code_guid("s", "barrier") == tag_code_guid("s", "BARRIER")
    assert tag_code_guid("s", "barrier") != tag_code_guid("t", "barrier")
    quick = tag_code("s", "barrier")
    assert quick.name == "Barrier" and quick.colour.startswith("#")
    other = tag_code("s", "staff_time", 1)
    assert other.name == "Staff time"
    assert isinstance(other.guid, uuid.UUID)


def test_matrix_hides_small_cells_and_their_quotes() -> None:
    from qi_capture.coding.matrix import build
    from qi_capture.coding.model import Code
    from qi_capture.report.suppress import Disclosure

    a, b = Code(uuid.uuid4(), "Barrier"), Code(uuid.uuid4(), "Idea")
    r = [uuid.uuid4() for _ in range(6)]
    mentions = {a.guid: {"Leads": {r[0], r[1], r[2]}, "Directors": {r[3]}},
                b.guid: {"Directors": {r[3], r[4]}}}
    quotes = {(a.guid, "Leads"): ("No time.",), (a.guid, "Directors"): ("Secret.",)}
    m = build(by="group", codes=[b, a], groups=["Leads", "Directors"], mentions=mentions,
              quotes=quotes, interviews=6, min_cell=3, hidden=Disclosure(3).hidden)
    assert [row.code.name for row in m.rows] == ["Barrier", "Idea"]  # 4 before hidden
    barrier, idea = m.rows
    assert barrier.total == 4
    assert [(c.count, c.suppressed, c.quotes) for c in barrier.cells] == \
        [(3, False, ("No time.",)), (None, True, ())]
    assert idea.total is None  # 2 interviews: under the minimum
    assert [(c.count, c.suppressed) for c in idea.cells] == [(0, False), (None, True)]
    assert m.suppressed == 2


def test_structured_tags_are_read_beside_the_tags_in_the_text() -> None:
    from qi_capture.coding.tags import tagged_fields

    a, b = uuid.uuid4(), uuid.uuid4()
    fields = [(a, "notes", "No time #barrier"), (a, "quote", "We need time."),
              (b, "notes", "Plain text, tagged beside it")]
    structured = {(a, "notes"): ["Idea", "barrier"], (b, "notes"): ["enabler"],
                  (b, "absent", ): ["example"]}
    found = {(f.record_id, f.field): f.tags for f in tagged_fields(fields, structured)}
    assert found == {(a, "notes"): ("barrier", "idea"), (b, "notes"): ("enabler",)}
    assert [f.tags for f in tagged_fields(fields)] == [("barrier",)]  # old records: text
