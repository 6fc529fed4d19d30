"""results.json against a hand computation on a fixture study (conftest.ROWS): select
percentages, select_multiple percentages of respondents, numbers' quartiles, missing
answers, suppression at the threshold (and secondary suppression), small footprints
merged, the invited list, themes and quotes from approved interviews only; and the
errors a bad input gives, which write nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from qi_capture.cli import main
from tests.core.report.conftest import PASSPHRASE


def run(central: Path, out: Path, *extra: str, monkeypatch: pytest.MonkeyPatch,
        data: Path) -> int:
    monkeypatch.setenv("QI_CAPTURE_PASSPHRASE", PASSPHRASE)
    return main(["--data-dir", str(data), "report", "--central", str(central), "--out",
                 str(out), "--format", "json", "--status", "approved", *extra])


def chart(results: dict[str, Any], chart_id: str) -> dict[str, Any]:
    for section in [results["who"], *results["sections"]]:
        for c in section["charts"]:
            if c["id"] == chart_id:
                return c
    raise AssertionError(f"no chart {chart_id}")


def cells(c: dict[str, Any], series: int = 0) -> dict[str, tuple[Any, Any]]:
    return {cell["code"]: (cell["count"], cell["percent"])
            for cell in c["series"][series]["cells"]}


@pytest.fixture
def invited(tmp_path: Path) -> Path:
    path = tmp_path / "invited.csv"
    path.write_text("Name,Footprint,Type\n"
                    "Trust number 0,North West London,acute\n"
                    "trust  NUMBER 1,north_west,acute\n"
                    "Not Yet Trust,North Central London,acute\n"
                    "<script>alert(1)</script> Trust,South West London,acute\n",
                    encoding="utf-8")
    return path


@pytest.fixture
def results5(fixture_study: Path, tmp_path: Path, invited: Path,
             monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    out = tmp_path / "out5"
    assert run(fixture_study, out, "--invited", str(invited), monkeypatch=monkeypatch,
               data=tmp_path / "data") == 0
    result: dict[str, Any] = json.loads((out / "results.json").read_text("utf-8"))
    return result


@pytest.fixture
def results1(fixture_study: Path, tmp_path: Path, invited: Path,
             monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    out = tmp_path / "out1"
    assert run(fixture_study, out, "--invited", str(invited), "--min-cell", "1",
               monkeypatch=monkeypatch, data=tmp_path / "data") == 0
    result: dict[str, Any] = json.loads((out / "results.json").read_text("utf-8"))
    return result


def test_counts_and_suppression_at_five(results5: dict[str, Any]) -> None:
    fp = chart(results5, "qi_baseline.who.footprint")
    assert fp["n"] == 17
    # 6 and 5 shown (5 is at the threshold); 3 and 3 suppressed; zero shown.
    assert cells(fp) == {"north_west": (6, 35.3), "north_central": (5, 29.4),
                         "north_east": (0, 0.0), "south_east": (None, None),
                         "south_west": (None, None)}
    # 13 acute, 4 mental health: the 4 is suppressed, and so the 13, which would give it
    # away as 17 - 13.
    org = cells(chart(results5, "qi_baseline.who.organisation-type"))
    assert org["acute"] == (None, None) and org["mental_health"] == (None, None)
    assert org["community"] == (0, 0.0)

    methods = chart(results5, "qi_baseline.qi-methods-methods")
    assert methods["kind"] == "multi" and methods["n"] == 17
    got = cells(methods)
    # Percent of the 17 respondents; several answers each (no secondary suppression).
    assert got["mfi_pdsa"] == (13, 76.5) and got["lean"] == (6, 35.3)
    assert got["spc"] == got["none"] == got["clinical_audit"] == got["other"] == (None, None)
    assert got["six_sigma"] == (0, 0.0)
    assert "more than one answer" in methods["note"]
    assert methods["other_texts"] == ["Kaizen <b>events</b>"]

    # Likert: 2 left blank is under 5: the missing note is suppressed too.
    likert = chart(results5, "qi_baseline.leadership-lead-board.likert")
    assert likert["kind"] == "likert"
    assert likert["series"][0]["missing"] == {"total": None, "not_asked": None,
                                              "left_blank": None, "suppressed": True}

    # The breakdown: North West (6), North Central (5), and the two footprints of 3
    # merged into one group of 6.
    grouped = chart(results5, "qi_baseline.projects-has-projects.by-respondent-footprint")
    assert [(s["name"], s["n"]) for s in grouped["series"]] == [
        ("North West London", 6), ("North Central London", 5),
        ("Other (small groups)", 6)]
    methods_note = " ".join(results5["methods"]["suppression"])
    assert "merged" in methods_note and "(2 groups)" in methods_note
    # No number from 1 to 4 anywhere in any chart's cells.
    for section in [results5["who"], *results5["sections"]]:
        for c in section["charts"]:
            for s in c["series"]:
                assert s["n"] is None or not 0 < s["n"] < 5, c["id"]
                for cell in s["cells"]:
                    assert cell["count"] is None or not 0 < cell["count"] < 5, c["id"]


def test_exact_numbers_without_suppression(results1: dict[str, Any]) -> None:
    projects = chart(results1, "qi_baseline.projects-has-projects")
    assert cells(projects) == {"yes": (13, 76.5), "no": (4, 23.5)}
    grouped = chart(results1, "qi_baseline.projects-has-projects.by-respondent-footprint")
    by = {s["name"]: (s["n"], cells(grouped, i)["yes"]) for i, s in
          enumerate(grouped["series"])}
    assert by == {"North West London": (6, (5, 83.3)), "North Central London": (5, (4, 80.0)),
                  "South East London": (3, (2, 66.7)), "South West London": (3, (2, 66.7))}

    likert = chart(results1, "qi_baseline.leadership-lead-board.likert")
    board = likert["series"][0]
    assert board["n"] == 15
    assert {c["code"]: (c["count"], c["percent"]) for c in board["cells"]} == {
        "strongly_disagree": (0, 0.0), "disagree": (2, 13.3), "neutral": (2, 13.3),
        "agree": (9, 60.0), "strongly_agree": (2, 13.3)}
    assert board["missing"] == {"total": 2, "not_asked": 0, "left_blank": 2,
                                "suppressed": False}

    trained = chart(results1, "qi_baseline.training-trained-awareness")
    assert trained["kind"] == "histogram" and trained["n"] == 17
    assert trained["summary"] == {"median": 90.0, "q1": 50.0, "q3": 130.0, "mean": 90.0}
    assert sum(c["count"] for c in trained["series"][0]["cells"]) == 17

    rate = {r["footprint"]: (r["invited"], r["responded"], r["rate"])
            for r in results1["invited"]["by_footprint"]}
    assert rate == {"North West London": (2, 2, 100.0),
                    "North Central London": (1, 0, 0.0), "South West London": (1, 0, 0.0)}


def test_invited_heard_and_methods(results5: dict[str, Any]) -> None:
    invited = results5["invited"]
    assert (invited["organisations"], invited["responded"]) == (4, 2)
    assert invited["not_yet"] == ["<script>alert(1)</script> Trust", "Not Yet Trust"]
    # Two of two in North West: under 5, so neither count nor rate is shown.
    north_west = invited["by_footprint"][0]
    assert (north_west["responded"], north_west["rate"]) == (None, None)

    heard = results5["heard"]
    assert heard["interviews"] == 6
    themes = {t["code"]: t for t in heard["themes"]}
    assert set(themes) == {"barrier", "enabler"}  # the unapproved #idea never counts
    assert themes["barrier"]["interviews"] == 6
    assert themes["enabler"]["interviews"] is None  # 2: suppressed
    quotes = [q["text"] for q in themes["barrier"]["quotes"]]
    # Interview 5 did not agree to quotes; the unapproved one is not there either.
    assert quotes == [f"Quote number {i}" for i in range(5)]
    assert {q["group"] for q in themes["barrier"]["quotes"]} == {
        "Improvement lead (QI, transformation or clinical effectiveness)"}
    spread = {c["code"]: c["count"] for c in themes["barrier"]["by_group"]["cells"]}
    assert spread["improvement_lead"] is None and spread["commissioner"] is None

    (questionnaire, interviews) = results5["methods"]["forms"]
    assert questionnaire["statuses"] == {"approved": 17, "received": 1, "rejected": 1}
    assert questionnaire["included"] == 17
    assert sum(questionnaire["excluded"].values()) == 3  # received, rejected, deleted
    assert (questionnaire["first"], questionnaire["last"]) == ("2026-01-12", "2026-01-28")
    assert interviews["included"] == 6
    command = results5["methods"]["command"]
    assert command.startswith("qi-capture ") and "--min-cell" not in command


@pytest.mark.parametrize(("args", "message"), [
    (["--study", "nope"], "no study 'nope'"),
    (["--by", "colour"], "no questionnaire of the study has a question 'colour'"),
    (["--by", "comments"], "the question 'comments' is a text question: results can be "
                           "broken down only by a single- or multiple-choice question"),
    (["--by", "trained_awareness"], "'trained_awareness' is a number question"),
    (["--by", "project_method"], "'project_method' is asked once per entry of a repeat"),
    (["--by", "lead_board"], "'lead_board' is a statement on an agreement scale"),
    (["--by", "barriers_main"], "'barriers_main' is a question of the interview guide"),
    (["--language", "Klingon"], "no language 'Klingon'"),
])
def test_bad_input_is_refused_and_writes_nothing(
        fixture_study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    out = tmp_path / "out"
    assert run(fixture_study, out, *args, monkeypatch=monkeypatch,
               data=tmp_path / "data") != 0
    assert message.lower() in capsys.readouterr().err.lower()
    assert not out.exists()


@pytest.mark.parametrize(("content", "message"), [
    (b"name,footprint\nA,north_west\n", "line 1: the first row must name the columns"),
    (b"name,footprint,type\nA,north_west,acute\nB,Atlantis,acute\n",
     "line 3: unknown footprint 'Atlantis'"),
    (b"name,footprint,type\nA,north_west\n", "line 2: expected 3 columns"),
    (b"name,footprint,type\n,north_west,acute\n", "line 2: the organisation's name is empty"),
    (b"\xff\xfe\x00\x00", "not a text file"),
    (b"name,footprint,type\n" + b"x" * (3 * 1024 * 1024), "larger than 2 MB"),
])
def test_malformed_invited_list(fixture_study: Path, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str], content: bytes,
                                message: str) -> None:
    path = tmp_path / "invited.csv"
    path.write_bytes(content)
    out = tmp_path / "out"
    # Invalid input (exit 1, as the README says), refused before any record is read.
    assert run(fixture_study, out, "--invited", str(path), monkeypatch=monkeypatch,
               data=tmp_path / "data") == 1
    assert message.lower() in capsys.readouterr().err.lower()
    assert not out.exists()


def test_windows_1252_invited_list(fixture_study: Path, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "invited.csv"
    path.write_bytes("name,footprint,type\nSt Thomas\u2019 Trust,south_east,acute\n"
                     .encode("cp1252"))
    out = tmp_path / "out"
    assert run(fixture_study, out, "--invited", str(path), monkeypatch=monkeypatch,
               data=tmp_path / "data") == 0
    results = json.loads((out / "results.json").read_text("utf-8"))
    assert results["invited"]["not_yet"] == ["St Thomas\u2019 Trust"]
