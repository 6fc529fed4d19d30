"""Benchmark: importing a 2,000-question XLSForm vs opening its stored compiled form.

Generates a realistic workbook with openpyxl in a temporary folder (40% selects, 25% with
``relevant``, 10% constraints, 5% calculations, one repeat), then times, in the same run:

- import: ``load_form`` (pyxform reading and conversion, our checks and compile);
- open:   ``Form.from_json_text(text)`` of the stored compiled form (JSON decode included).

Goal: opening under 50 ms and at least 20x faster than importing. Prints both medians and
the ratio; exits 1 if the goal is missed. Run: ``.venv/bin/python bench/form_load.py``.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

from qi_capture.forms import Form, load_form

QUESTIONS = 2000
IMPORT_RUNS = 5
OPEN_RUNS = 30


def build_workbook(path: Path, questions: int = QUESTIONS) -> None:
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label::English (en)", "label::Français (fr)", "hint",
                   "relevant", "constraint", "constraint_message", "calculation", "required"])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label::English (en)", "label::Français (fr)"])
    for list_index in range(20):
        for option in range(5):
            choices.append([f"list{list_index}", f"o{option}", f"Option {option}",
                            f"Option {option} (fr)"])
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "instance_name"])
    settings.append(["Bench survey", "bench", "2024030101", "concat('r-', ${q0})"])

    repeat_at = questions // 2
    for i in range(questions):
        if i == repeat_at:
            survey.append(["begin repeat", "members", "Household member", "Membre"])
        if i == repeat_at + 50:
            survey.append(["end repeat"])
        name = f"q{i}"
        kind = i % 20
        row: list[object] = [None] * 10
        if kind < 8:  # 40% selects
            row[0] = f"{'select_one' if kind % 2 else 'select_multiple'} list{i % 20}"
        elif kind == 8:  # 5% calculations
            row[0] = "calculate"
        elif kind < 12:
            row[0] = "integer"
        elif kind < 14:
            row[0] = "date"
        else:
            row[0] = "text"
        row[1] = name
        if row[0] != "calculate":
            row[2] = f"Question {i} about ${{q0}}" if i % 50 == 1 else f"Question {i}"
            row[3] = f"Question {i} (fr)"
            row[4] = f"Hint {i}"
        previous = f"q{i - 1}" if i and (i - 1) % 20 != 8 else "q0"
        if i % 4 == 1:  # 25% with relevant
            row[5] = f"${{{previous}}} != '' and ${{q0}} = 'o1'"
        if kind in (9, 10):  # 10% constraints (integers)
            row[6] = ". >= 0 and . <= 120"
            row[7] = "Between 0 and 120"
        if row[0] == "calculate":
            row[8] = f"if(${{{previous}}} = '', 0, 1) + 1"
        if i % 10 == 3:
            row[9] = "yes"
        survey.append(row)
    book.save(path)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench_2000.xlsx"
        build_workbook(path)
        imports: list[float] = []
        form = None
        for _ in range(IMPORT_RUNS):
            started = time.perf_counter()
            form = load_form(path)
            imports.append(time.perf_counter() - started)
        assert form is not None
        stored = json.dumps(form.to_json())
        opens: list[float] = []
        for _ in range(OPEN_RUNS):
            started = time.perf_counter()
            reopened = Form.from_json_text(stored)
            opens.append(time.perf_counter() - started)
        assert reopened == form

    fields = sum(1 for _ in form.fields())
    import_ms, open_ms = median_ms(imports), median_ms(opens)
    ratio = import_ms / open_ms
    print(f"form: {fields} fields, compiled JSON {len(stored) / 1024:.0f} KiB")
    print(f"import (pyxform + compile), median of {IMPORT_RUNS}: {import_ms:8.1f} ms")
    print(f"open stored compiled form, median of {OPEN_RUNS}: {open_ms:8.1f} ms")
    print(f"ratio import/open: {ratio:.1f}x (goal: open < 50 ms and >= 20x)")
    return 0 if open_ms < 50 and ratio >= 20 else 1


if __name__ == "__main__":
    sys.exit(main())
