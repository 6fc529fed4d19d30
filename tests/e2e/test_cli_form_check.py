"""``qi-capture form check`` end to end, as a user runs it (``python -m qi_capture``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests import needs

CORPUS = needs.CORPUS_DIR

GOOD = """
| survey |
|        | type          | name | label::English (en) | label::Français (fr) | relevant |
|        | select_one yn | ok   | OK?                 | OK ?                 |          |
|        | text          | why  | Why?                | Pourquoi ?           | ${ok} = 'no' |
|        | barcode       | code | Code                | Code                 |          |
| choices |
|         | list_name | name | label::English (en) | label::Français (fr) |
|         | yn        | yes  | Yes                 | Oui                  |
|         | yn        | no   | No                  | Non                  |
| settings |
|          | form_title | form_id | version |
|          | Check me   | check   | 7       |
"""

BAD = """
| survey |
|        | type      | name | label | relevant  | calculation |
|        | text      | a    | A     | ${ghost}  |             |
|        | calculate | b    |       |           | ${a} +      |
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qi_capture", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_good_form_prints_a_summary(tmp_path: Path) -> None:
    path = tmp_path / "good.md"
    path.write_text(GOOD, encoding="utf-8")
    out = run("form", "check", str(path))
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "title: Check me" in text and "form_id: check" in text and "version: 7" in text
    assert "questions: 3 (barcode 1, select_one 1, text 1)" in text
    assert "languages: English (en), Français (fr)" in text
    assert "warnings: 1" in text and "survey/4/type: Type 'barcode'" in text


def test_good_form_as_json(tmp_path: Path) -> None:
    path = tmp_path / "good.md"
    path.write_text(GOOD, encoding="utf-8")
    out = run("form", "check", str(path), "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["form_id"] == "check"
    assert summary["questions_by_type"] == {"barcode": 1, "select_one": 1, "text": 1}
    assert summary["languages"] == ["English (en)", "Français (fr)"]
    assert [w["code"] for w in summary["warnings"]] == ["limited_type"]


def test_bad_form_lists_every_error_one_per_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text(BAD, encoding="utf-8")
    out = run("form", "check", str(path))
    assert out.returncode == 1
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("survey/2/relevant: ") and "'ghost'" in lines[0]
    assert lines[1].startswith("survey/3/calculation: ") and "position" in lines[1]


def test_bad_form_as_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text(BAD, encoding="utf-8")
    out = run("form", "check", str(path), "--json")
    assert out.returncode == 1
    errors = json.loads(out.stdout)
    assert [(e["code"], e["sheet"], e["row"], e["column"]) for e in errors] == [
        ("unknown_reference", "survey", 2, "relevant"),
        ("expression_syntax", "survey", 3, "calculation"),
    ]


@pytest.mark.needs_shared
def test_corpus_rejection_keeps_pyxform_wording() -> None:
    out = run("form", "check", str(CORPUS / "msf-epidict__mortality_survey.xlsx"))
    assert out.returncode == 1
    assert out.stdout.startswith("survey/175/relevant: [row : 175]")


def test_missing_file_exits_2(tmp_path: Path) -> None:
    out = run("form", "check", str(tmp_path / "nope.xlsx"))
    assert out.returncode == 2
    assert "No such file" in out.stderr


def test_not_a_form_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "junk.xlsx"
    path.write_bytes(b"this is not a workbook")
    out = run("form", "check", str(path))
    assert out.returncode == 1
    assert "not a spreadsheet" in out.stdout


def test_usage_errors_exit_2() -> None:
    assert run("form").returncode == 2
    assert run("--data-dir", "/tmp", "form", "check").returncode == 2


@pytest.mark.needs_shared
def test_console_script_entry_point_is_the_same_main() -> None:
    from qi_capture.cli import main

    assert main(["form", "check", str(CORPUS / "kpi__sample_accent.xlsx"), "--json"]) == 0
