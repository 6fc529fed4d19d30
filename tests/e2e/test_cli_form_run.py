"""``qi-capture form run``: fill a form from a JSON answer file, end to end."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

FORM = """
| survey |              |        |        |              |                   |
|        | type         | name   | label  | constraint   | calculation       |
|        | integer      | a      | A      | . < 100      |                   |
|        | integer      | b      | B      |              |                   |
|        | calculate    | total  |        |              | ${a} + ${b}       |
|        | begin repeat | kid    | Kid    |              |                   |
|        | text         | kname  | Name   |              |                   |
|        | end repeat   |        |        |              |                   |
|        | calculate    | kids   |        |              | count(${kid})     |
"""


def run(tmp_path: Path, answers: object, *extra: str) -> subprocess.CompletedProcess[str]:
    form = tmp_path / "form.md"
    form.write_text(textwrap.dedent(FORM), encoding="utf-8")
    answer_file = tmp_path / "answers.json"
    answer_file.write_text(answers if isinstance(answers, str) else json.dumps(answers),
                           encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "qi_capture", "form", "run", str(form), "--answers",
         str(answer_file), *extra],
        capture_output=True, text=True, timeout=120,
    )


def test_complete_record_exits_0_with_calculations(tmp_path: Path) -> None:
    out = run(tmp_path, {"a": 2, "b": "3", "kid[1]/kname": "Ann", "kid[3]/kname": "Cy"},
              "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    values = {f["path"]: f["value"] for f in result["fields"]}
    assert values["total"] == "5"
    assert values["kids"] == "3"
    assert values["kid[3]/kname"] == "Cy"
    assert result["errors"] == []
    assert result["submission"]["data"]["kid"][0] == {"kname": "Ann"}


def test_invalid_record_exits_1_listing_errors(tmp_path: Path) -> None:
    out = run(tmp_path, {"a": 200, "b": 1})
    assert out.returncode == 1
    assert "a: This answer is not valid." in out.stdout
    assert "total = 201  (calculated)" in out.stdout


def test_bad_answer_file_exits_2_naming_the_problem(tmp_path: Path) -> None:
    out = run(tmp_path, {"a": "lots"})
    assert out.returncode == 2
    assert "'lots' is not a valid answer for 'a'" in out.stderr
    out = run(tmp_path, "{not json")
    assert out.returncode == 2
    assert "not valid JSON" in out.stderr
    out = run(tmp_path, ["a", 1])
    assert out.returncode == 2
    assert "JSON object" in out.stderr


def test_bad_form_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("| survey | | |\n| | type | name |\n| | integer | |\n", encoding="utf-8")
    answers = tmp_path / "a.json"
    answers.write_text("{}", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "qi_capture", "form", "run", str(bad),
                          "--answers", str(answers)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip()
