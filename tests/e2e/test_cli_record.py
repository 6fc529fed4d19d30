"""``qi-capture study add`` and ``record fill|list|show`` end to end, in subprocesses:
a record filled through a real form session and autosave, finalised into a revision,
and every error a user can cause (bad answers, unfinishable records, missing files,
unknown forms and records) with its message and exit code."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest

PASSPHRASE = "copper kettle harbour 42"

FORM = textwrap.dedent("""
    | survey |              |        |            |          |            |            |
    |        | type         | name   | label      | required | constraint | appearance |
    |        | text         | name   | Name       | yes      |            |            |
    |        | text         | notes  | Notes      |          |            | multiline  |
    |        | integer      | age    | Age        | yes      | . < 120    |            |
    |        | begin repeat | child  | Child      |          |            |            |
    |        | text         | cname  | Child name |          |            |            |
    |        | end repeat   |        |            |          |            |            |
    |        | file         | doc    | Document   |          |            |            |
    | settings |            |        |            |          |            |            |
    |        | form_id      | version |           |          |            |            |
    |        | cli_test     | 3       |           |          |            |            |
""")

def _start(data: Path, args: Sequence[str]) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QI_CAPTURE_")}
    env["QI_CAPTURE_PASSPHRASE"] = PASSPHRASE
    return subprocess.Popen(
        [sys.executable, "-m", "qi_capture", "--data-dir", str(data), *args], env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def run_all(
    calls: Sequence[tuple[Path, Sequence[str]]],
) -> list[subprocess.CompletedProcess[str]]:
    """Run CLI invocations concurrently. A profile is open in one process at a time, so
    calls that unlock go to copies of the data folder (`clones`)."""
    procs = [(_start(data, args), args) for data, args in calls]
    done = []
    for proc, args in procs:
        out, err = proc.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(list(args), proc.returncode, out, err))
    return done


def run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_all([(data, args)])[0]


def clones(data: Path, where: Path, count: int) -> list[Path]:
    copies = []
    for n in range(count):
        target = where / f"clone{n}"
        shutil.copytree(data, target)
        copies.append(target)
    return copies


def write_answers(folder: Path, name: str, answers: object) -> Path:
    path = folder / name
    path.write_text(answers if isinstance(answers, str) else json.dumps(answers),
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A profile made by the CLI, with the test form added by ``study add``."""
    root = tmp_path_factory.mktemp("cli-record")
    data = root / "data"
    created = run(data, "profile", "create", "--name", "Cal Field", "--kdf", "floor")
    assert created.returncode == 0, created.stderr
    form = root / "cli_test.md"
    form.write_text(FORM, encoding="utf-8")
    added = run(data, "study", "add", str(form))
    assert added.returncode == 0, added.stderr
    assert "added: local/cli_test version 3" in added.stdout
    return data


def test_study_add_reports_each_file(data: Path, tmp_path: Path) -> None:
    form = tmp_path / "cli_test.md"
    form.write_text(FORM, encoding="utf-8")
    bad = tmp_path / "bad.md"
    bad.write_text("| survey | | | |\n| | type | name | label |\n| | integer | q | Q |\n"
                   "| | text | q | again |\n", encoding="utf-8")
    one, two, three = clones(data, tmp_path, 3)
    again, invalid, missing = run_all([
        (one, ["study", "add", str(form)]),
        (two, ["study", "add", str(bad), str(form)]),
        (three, ["study", "add", str(tmp_path / "none.xlsx")]),
    ])
    assert again.returncode == 0 and "already stored" in again.stdout
    assert invalid.returncode == 1 and "already stored" in invalid.stdout
    assert "bad.md" in invalid.stdout and "survey/" in invalid.stderr
    assert missing.returncode == 2 and "none.xlsx" in missing.stderr


def test_fill_finalise_list_and_show(data: Path, tmp_path: Path) -> None:
    (tmp_path / "letter.txt").write_bytes(b"a scanned letter")
    answers = write_answers(tmp_path, "a.json", {
        "name": "Dana", "notes": "line one\nline two", "age": 40,
        "child[2]/cname": "Second", "doc": "letter.txt",
    })
    filled = run(data, "record", "fill", "cli_test", "--answers", str(answers), "--finalise",
                 "--json")
    assert filled.returncode == 0, filled.stderr
    result = json.loads(filled.stdout)
    assert result["status"] == "finalised" and result["revision_id"]
    one, two, three = clones(data, tmp_path, 3)
    shown, listed, text = run_all([
        (one, ["record", "show", result["record_id"][:8], "--json"]),
        (two, ["record", "list", "--json"]),
        (three, ["record", "show", result["record_id"]]),
    ])
    assert shown.returncode == 0, shown.stderr
    view = json.loads(shown.stdout)
    assert view["answers"]["name"] == "Dana"
    assert view["answers"]["child[2]/cname"] == "Second"
    assert view["answers"]["doc"] == "letter.txt"
    assert view["attachments"][0]["size"] == len(b"a scanned letter")
    assert [r["id"] for r in view["revisions"]] == [result["revision_id"]]
    assert view["paradata_events"] >= 6
    assert result["record_id"] in {r["id"] for r in json.loads(listed.stdout)}
    assert text.returncode == 0 and "status: finalised" in text.stdout


def test_fill_without_finalise_keeps_a_draft(data: Path, tmp_path: Path) -> None:
    answers = write_answers(tmp_path, "a.json", {"name": "Eli"})
    out = run(data, "record", "fill", "local/cli_test", "--answers", str(answers))
    assert out.returncode == 0, out.stderr
    assert " draft" in out.stdout and "1 question(s) still to answer" in out.stdout


@pytest.mark.slow
def test_fill_errors(data: Path, tmp_path: Path) -> None:
    bad_value = write_answers(tmp_path, "bad.json", {"name": "Fi", "age": "lots"})
    incomplete = write_answers(tmp_path, "inc.json", {"name": "Gil", "age": 500})
    not_json = write_answers(tmp_path, "nj.json", "{name: ")
    not_object = write_answers(tmp_path, "list.json", "[1, 2]")
    missing_doc = write_answers(tmp_path, "doc.json", {"doc": "nowhere.pdf"})
    no_field = write_answers(tmp_path, "nf.json", {"nosuch": "x"})
    ok = write_answers(tmp_path, "ok.json", {"name": "Hu"})
    calls = {
        "bad_value": ("record", "fill", "cli_test", "--answers", str(bad_value)),
        "incomplete": ("record", "fill", "cli_test", "--answers", str(incomplete),
                       "--finalise"),
        "not_json": ("record", "fill", "cli_test", "--answers", str(not_json)),
        "not_object": ("record", "fill", "cli_test", "--answers", str(not_object)),
        "missing_answers": ("record", "fill", "cli_test", "--answers",
                            str(tmp_path / "none.json")),
        "missing_doc": ("record", "fill", "cli_test", "--answers", str(missing_doc)),
        "no_field": ("record", "fill", "cli_test", "--answers", str(no_field)),
        "unknown_form": ("record", "fill", "no_such_form", "--answers", str(ok)),
        "unknown_record": ("record", "show", "00000000-0000-4000-8000-000000000000"),
    }
    copies = clones(data, tmp_path, len(calls))
    results = dict(zip(calls, run_all(list(zip(copies, calls.values(), strict=True))),
                       strict=True))
    codes = {name: r.returncode for name, r in results.items()}
    assert codes == {
        "bad_value": 1, "incomplete": 1, "not_json": 1, "not_object": 1,
        "missing_answers": 2, "missing_doc": 2, "no_field": 1, "unknown_form": 2,
        "unknown_record": 2,
    }, {n: r.stderr for n, r in results.items()}
    err = {name: r.stderr for name, r in results.items()}
    assert "'lots' is not a valid answer for 'age'" in err["bad_value"]
    assert "no record was kept" in err["bad_value"]
    assert "cannot be finalised" in err["incomplete"]
    assert "age: " in err["incomplete"] and "(constraint)" in err["incomplete"]
    assert "line 1, column 2" in err["not_json"]
    assert "JSON object" in err["not_object"]
    assert "cannot read the answer file" in err["missing_answers"]
    assert "nowhere.pdf" in err["missing_doc"]
    assert "no field 'nosuch'" in err["no_field"]
    assert "'no_such_form' is not in this profile" in err["unknown_form"]
    assert "No record" in err["unknown_record"]
