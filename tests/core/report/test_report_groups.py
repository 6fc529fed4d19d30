"""Agreement scales broken down by group, breakdowns by a multiple-choice question, the
missing-answers note of every grouped chart, and complementary suppression, against a
hand computation on the fixture study (conftest.ROWS) and on made-up grids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from qi_capture.report.charts import figure, table_rows
from qi_capture.report.model import Cell, Chart, Series
from qi_capture.report.suppress import Disclosure
from tests.core.report.test_report_numbers import chart, run

LIKERT_BY = "qi_baseline.leadership-lead-board.likert.by-respondent-footprint"


def _results(central: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             *extra: str) -> dict[str, Any]:
    out = tmp_path / "out"
    assert run(central, out, *extra, monkeypatch=monkeypatch, data=tmp_path / "data") == 0
    result: dict[str, Any] = json.loads((out / "results.json").read_text("utf-8"))
    return result


def _cells(series: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(c["code"], c["count"]) for c in series["cells"]]


def test_likert_by_footprint_at_two(fixture_study: Path, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    results = _results(fixture_study, tmp_path, monkeypatch, "--min-cell", "2")
    got = chart(results, LIKERT_BY)
    assert got["kind"] == "likert_by" and got["by"] == "London footprint"
    board = [s for s in got["series"]
             if s["statement"] == "The board regularly discusses quality improvement and "
                                  "its results."]
    # Footprints of 6, 5, 3 and 3 respondents: none under 2, none merged. Board answers
    # (strongly disagree, disagree, neutral, agree, strongly agree), blanks left out:
    # NW 0 1 1 2 1 (n 5); NC 0 1 0 3 0 (n 4); SE 0 0 0 2 1 (n 3); SW 0 0 1 2 0 (n 3).
    assert [(s["name"], s["n"]) for s in board] == [
        ("North West London", 5), ("North Central London", 4), ("South East London", 3),
        ("South West London", 3)]
    nw, nc, se, sw = (_cells(s) for s in board)
    # NW: the three 1s hidden; the 2 stays (three hidden: none can be worked out).
    assert nw == [("strongly_disagree", 0), ("disagree", None), ("neutral", None),
                  ("agree", 2), ("strongly_agree", None)]
    # NC, SE, SW: one 1 each, so the row's other non-zero count goes too (secondary).
    assert nc == [("strongly_disagree", 0), ("disagree", None), ("neutral", 0),
                  ("agree", None), ("strongly_agree", 0)]
    assert se == [("strongly_disagree", 0), ("disagree", 0), ("neutral", 0),
                  ("agree", None), ("strongly_agree", None)]
    assert sw == [("strongly_disagree", 0), ("disagree", 0), ("neutral", None),
                  ("agree", None), ("strongly_agree", 0)]
    assert board[0]["cells"][3]["percent"] == 40.0
    # Down the columns every answer has two or more hidden cells (the groups add up to
    # everyone's 0 2 2 9 2, with nobody left over): nothing more to hide.
    # Missing: the 2 who left the statement blank (statement with the most missing is
    # one nobody answered: 17 blank).
    assert got["missing"]["total"] == 17
    assert "One panel per statement" in got["note"]
    # Nobody answered the other six statements: their bars are empty, not hidden.
    rest = [s for s in got["series"] if s not in board]
    assert len(rest) == 6 * 4 and all(s["n"] == 0 and not s["suppressed"] for s in rest)


def test_likert_by_footprint_at_five(fixture_study: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    results = _results(fixture_study, tmp_path, monkeypatch)
    got = chart(results, LIKERT_BY)
    board = got["series"][:3]
    # South East and South West (3 each) merged into one group of 6, as for every
    # breakdown; North Central's 4 answers are under 5: withheld whole.
    assert [(s["name"], s["n"], s["suppressed"]) for s in board] == [
        ("North West London", 5, False), ("North Central London", None, True),
        ("Other (small groups)", 6, False)]
    # NW's 1, 1, 2, 1 are all under 5; the merged group's 4 agree and two 1s too.
    assert _cells(board[0]) == [("strongly_disagree", 0), ("disagree", None),
                                ("neutral", None), ("agree", None),
                                ("strongly_agree", None)]
    assert _cells(board[2]) == [("strongly_disagree", 0), ("disagree", 0),
                                ("neutral", None), ("agree", None),
                                ("strongly_agree", None)]
    # Answered a statement, in a group shown: North West's 5 and the merged 6 (North
    # Central's 4 withheld stay out of n, or n would give them away).
    assert got["n"] == 11
    assert got["missing"] == {"total": 17, "not_asked": 0, "left_blank": 17,
                              "suppressed": False}


def test_by_a_multiple_choice_question(fixture_study: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    results = _results(fixture_study, tmp_path, monkeypatch, "--by", "methods")
    got = chart(results, "qi_baseline.projects-has-projects.by-qi-methods-methods")
    # Methods chosen: PDSA 13, Lean 6, SPC 2, Other 1, none 1, clinical audit 1. The
    # four small ones merge into everyone who chose any of them: rows 0, 2, 8, 12, 16.
    assert [(s["name"], s["n"]) for s in got["series"]] == [
        ("Model for Improvement / PDSA cycles", 13), ("Lean", 6),
        ("Other (small groups)", 5)]
    # PDSA: 10 yes, 3 no; Lean: 5 yes, 1 no: each row has one small count, so both go.
    # The merged five all said yes: 5 is at the threshold, shown.
    assert [_cells(s) for s in got["series"]] == [
        [("yes", None), ("no", None)], [("yes", None), ("no", None)],
        [("yes", 5), ("no", 0)]]
    # Groups overlap (13 + 6 + 5 = 24): n counts each of the 17 respondents once.
    assert got["n"] == 17
    assert "Groups overlap" in got["note"] and "do not add up to the total" in got["note"]
    assert got["missing"]["total"] == 0
    likert = chart(results, "qi_baseline.leadership-lead-board.likert.by-qi-methods-methods")
    assert "Groups overlap" in likert["note"]
    note = " ".join(results["methods"]["suppression"])
    assert "belongs to every group they chose" in note and "(4 groups)" in note
    assert results["methods"]["by"] == "methods"


def test_by_a_question_nobody_answered(fixture_study: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # Nobody said where their training figures come from: no group, nothing broken
    # down, and no failure.
    results = _results(fixture_study, tmp_path, monkeypatch, "--by", "trained_source")
    got = chart(results, "qi_baseline.projects-has-projects.by-training-trained-source")
    assert (got["series"], got["n"]) == ([], 0)
    assert got["missing"] == {"total": 0, "not_asked": 0, "left_blank": 0,
                              "suppressed": False}


def test_every_grouped_chart_has_its_missing_note(fixture_study: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    results = _results(fixture_study, tmp_path, monkeypatch, "--min-cell", "1")
    grouped = [c for s in results["sections"] for c in s["charts"] if c["by"]]
    assert {c["kind"] for c in grouped} >= {"grouped", "likert_by", "spread"}
    assert all(c["missing"] is not None for c in grouped)
    # Nobody gave a practitioner count: all 17 in the breakdown are missing.
    spread = chart(results, "qi_baseline.training-trained-practitioner.by-respondent-footprint")
    assert spread["missing"]["total"] == 17


def test_complementary_suppression_down_the_columns() -> None:
    d = Disclosure(5)
    x, y, z = ("x", "X"), ("y", "Y"), ("z", "Z")

    def row(*counts: int) -> list[tuple[str, str, int]]:
        return [(c, lbl, n) for (c, lbl), n in zip((x, y, z), counts, strict=False)]

    # B's 3 is hidden, and so B's 8 (B's row adds up to its 20). Then each column with
    # one hidden cell loses its smallest other: x (25 - 10 - 7 = B's 8) C's 7, y (16 -
    # 6 - 7 = B's 3) A's 6. Then the rows again: A's 5 (at the threshold, but A now has
    # one hidden), C's y (the first of two 7s); then column z (A's 5 alone): C's 7.
    got = d.table([row(10, 6, 5), row(8, 3, 9), row(7, 7, 7)], [21, 20, 21],
                  exclusive=True, totals=[25, 16, 21])
    assert [[c.count for c in r] for r in got if r is not None] == [
        [10, None, None], [None, None, 9], [None, None, None]]
    assert (d.cells_suppressed, d.secondary) == (1, 6)
    # A cell exactly at the threshold, alone in neither its row nor its column: shown.
    d = Disclosure(5)
    got = d.table([row(5, 6), row(7, 8)], [11, 15], exclusive=True, totals=[12, 14])
    assert [[c.count for c in r] for r in got if r is not None] == [[5, 6], [7, 8]]
    assert (d.cells_suppressed, d.secondary) == (0, 0)

    # Respondents left out of the breakdown (a small group, no group): everyone's 9 less
    # the group's 6 would give away their 3, so the 6 is hidden, and then its row's 6.
    d = Disclosure(5)
    got = d.table([row(6, 6)], [12], exclusive=True, totals=[9, 6])
    assert [c.count for c in got[0] or ()] == [None, None]
    assert d.secondary == 2

    # A withheld group (3 respondents): its counts are unknown, so the column's other
    # cell would give them away by subtraction.
    d = Disclosure(5)
    got = d.table([row(3, 0), row(5, 7)], [3, 12], exclusive=True, totals=[8, 7])
    assert got[0] is None and [c.count for c in got[1] or ()] == [None, None]
    assert (d.charts_withheld, d.secondary) == (1, 2)

    # Overlapping groups add up to no total: only each row is checked.
    d = Disclosure(5)
    got = d.table([row(10, 6), row(8, 7)], [16, 15], exclusive=True, totals=None)
    assert [[c.count for c in r] for r in got if r is not None] == [[10, 6], [8, 7]]


def test_likert_by_drawn_and_tabled() -> None:
    def cells(*counts: int | None) -> tuple[Cell, ...]:
        return tuple(Cell(f"c{i}", f"Level {i}", n, None if n is None else 20.0,
                          n is None) for i, n in enumerate(counts))

    series = tuple(Series(g, 10, cells(2, 2, None, 2, 2), statement=st)
                   for st in ("First statement", "Second statement")
                   for g in ("Group A", "Group B"))
    got = Chart("f.likert.by-g", "likert_by", "Scale \u2013 by G", "q", "respondents", 20,
                None, series)
    assert figure(got, 5) is not None and figure(got, 5, wide=True) is not None
    rows = table_rows(got)
    assert rows[0] == ["Statement", "Group", "n", "Level 0", "Level 1", "Level 2",
                       "Level 3", "Level 4"]
    assert rows[3] == ["Second statement", "Group A", "10", "20% (2)", "20% (2)",
                       "suppressed", "20% (2)", "20% (2)"]


@pytest.mark.parametrize("dtype", ["object", "str", "string"])
def test_blank_answers_are_in_no_group_whatever_the_column_type(dtype: str) -> None:
    # pandas 3 reads text as its ``str`` type, whose blanks are NaN, not None; the
    # nullable ``string`` type's are pd.NA. Either way a blank is in no group and is not
    # counted as a group of its own ("nan").
    from collections import Counter

    from qi_capture.export.model import Column
    from qi_capture.forms.model import Choice
    from qi_capture.report.frames import FormFrames
    from qi_capture.report.groups import make_grouping

    values = ["nw"] * 5 + [None] * 3 + ["se"] * 2 + ["nc"] * 4
    main = pd.DataFrame({"fp": pd.Series(values, dtype=dtype)})
    column = Column(key="fp", name="fp", label="Footprint", element=None, kind="value",
                    vtype="select_one",
                    choices=tuple(Choice(name, None) for name in ("nw", "nc", "se")))
    ff = FormFrames(forms=[], layout=None, language=None,  # type: ignore[arg-type]
                    frames={(): main}, not_asked={}, statuses=Counter(), included=14,
                    excluded=Counter())
    d = Disclosure(min_cell=3)
    grouping = make_grouping(d, None, ff, column, "Footprint")
    # NW 5 and NC 4 reported; SE's 2 is under 3 and alone, so left out; nobody in "nan".
    assert grouping.order == ("nw", "nc")
    assert grouping.rows("nw").tolist() == [True] * 5 + [False] * 9
    assert int(grouping.rows("nc").sum()) == 4
    assert not grouping.anyone()[5:8].any()
    assert d.dropped == {"Footprint": ["se"]}
