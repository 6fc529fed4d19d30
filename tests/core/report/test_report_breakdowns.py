"""Numbers and dates broken down by group, against a hand computation: a number's median
and quartiles per footprint (the fixture study, conftest.ROWS), and counts over time per
group (made-up dates), each under disclosure control; and both drawn, tabled and
described."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pandas as pd
import pytest

from qi_capture.export.model import Column
from qi_capture.report.aggregate import Aggregator
from qi_capture.report.charts import figure, table_rows
from qi_capture.report.groups import Grouping
from qi_capture.report.suppress import Disclosure
from tests.core.report.test_report_numbers import chart, run

SPREAD = "qi_baseline.training-trained-awareness.by-respondent-footprint"


@pytest.fixture
def results5(fixture_study: Path, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    out = tmp_path / "out"
    assert run(fixture_study, out, monkeypatch=monkeypatch, data=tmp_path / "data") == 0
    result: dict[str, Any] = json.loads((out / "results.json").read_text("utf-8"))
    return result


def test_number_by_footprint(results5: dict[str, Any]) -> None:
    spread = chart(results5, SPREAD)
    assert spread["kind"] == "spread" and spread["by"] == "London footprint"
    got = {s["name"]: (s["n"], s["summary"]) for s in spread["series"]}
    # North West 10..60, North Central 70..110, and the two footprints of 3 merged:
    # 120, 130, 140, 150, 160, 170. Quartiles by linear interpolation between answers
    # (numpy's default): for 6 answers the lower quartile sits a quarter of the way
    # from the 2nd to the 3rd.
    assert got == {
        "North West London": (6, {"median": 35.0, "q1": 22.5, "q3": 47.5, "mean": 35.0}),
        "North Central London": (5, {"median": 90.0, "q1": 80.0, "q3": 100.0,
                                     "mean": 90.0}),
        "Other (small groups)": (6, {"median": 145.0, "q1": 132.5, "q3": 157.5,
                                     "mean": 145.0}),
    }
    assert spread["n"] == 17
    assert spread["summary"] == {"median": 90.0, "q1": 50.0, "q3": 130.0, "mean": 90.0}
    assert "North West London 35" in spread["alt"]
    # Nobody answered the practitioner count: nothing to break down.
    empty = chart(results5, "qi_baseline.training-trained-practitioner.by-respondent-footprint")
    assert empty["suppressed"] and all(s["summary"] is None for s in empty["series"])


def _grouping(groups: list[str | None]) -> Grouping:
    labels = {"a": "Group A", "b": "Group B", "c": "Group C"}
    # The breakdown only reads the groups, their labels and order; the column is the
    # grouping question's, which these made-up rows have none of.
    return Grouping.exclusive(cast(Column, None), "Group", pd.Series(groups, dtype="object"),
                              labels, ("a", "b", "c"))


def test_number_group_with_few_answers_is_withheld() -> None:
    d = Disclosure(5)
    values = pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, None, None, None, 40, 50])
    groups = ["a"] * 5 + ["b"] * 5 + ["c"] * 5  # group c: 5 respondents, 2 answers
    got = Aggregator(d, None).spread_chart("x.by-g", "Staff", "staff", "respondents",
                                           values, _grouping(groups))
    a, b, c = got.series
    assert (a.n, a.summary and a.summary.median, b.summary and b.summary.q3) == (5, 3.0, 9.0)
    assert (c.n, c.summary, c.suppressed) == (None, None, True)
    assert got.n == 10  # the groups shown only: 40 and 50 stay hidden
    assert d.charts_withheld == 1
    assert table_rows(got)[3] == ["Group C", "suppressed", "", "", "", ""]
    assert figure(got, 5) is not None


def test_dates_by_group() -> None:
    d = Disclosure(5)
    stamps = pd.Series(["2026-01-01"] * 5 + ["2026-01-03"] + ["2026-01-02"] * 6
                       + ["2026-01-01", "2026-01-02", None])
    groups = ["a"] * 6 + ["b"] * 6 + ["c"] * 3
    got = Aggregator(d, None).timelines_chart("x.by-g", "Visit", "visit", "respondents",
                                              stamps, _grouping(groups))
    assert got.kind == "timelines" and got.title == "Visit \u2013 by Group"
    a, b, c = got.series
    cells = {s.name: [(x.code, x.count) for x in s.cells] for s in (a, b)}
    # Group A: 5 on the 1st, 1 on the 3rd: the 1 is hidden, and so the 5 (6 - 5 = 1).
    assert cells["Group A"] == [("2026-01-01", None), ("2026-01-02", 0),
                                ("2026-01-03", None)]
    # Group B: 6 on the 2nd, but everyone's count that day is 7 (the timeline without
    # the breakdown shows it): 7 - 6 - 0 would give away withheld group C's 1 there, so
    # the 6 is hidden too (complementary suppression down the column).
    assert cells["Group B"] == [("2026-01-01", 0), ("2026-01-02", None), ("2026-01-03", 0)]
    assert (a.n, b.n) == (6, 6)
    assert (c.n, c.cells, c.suppressed) == (None, (), True)  # 2 dates: withheld
    assert got.n == 12
    assert d.secondary == 2 and d.charts_withheld == 1
    rows = table_rows(got)
    assert rows[0] == ["Period", "Group A (n = 6)", "Group B (n = 6)", "Group C (suppressed)"]
    assert rows[2] == ["02 Jan 2026", "0", "suppressed", "suppressed"]
    # Every count left is hidden or zero: nothing to draw, and the reader is told why.
    assert figure(got, 5) is None and "would reveal one" in got.withheld_reason(5)
