"""Every format on every form we load: the built-in study and each form of the
acceptance corpus (../shared/acceptance/xlsforms, read in place), records filled through
real form sessions, merged into a real central store, exported and read back with
pandas and pyreadstat: row counts and the answers equal what went in."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from qi_capture.export import FORMATS, ExportOptions, export_form
from qi_capture.export.model import build_layout
from qi_capture.export.run import _file_stem, output_names
from qi_capture.export.writers import CSV_TRIGGERS
from qi_capture.forms import load_form
from qi_capture.forms.model import Form
from qi_capture.resources import resource_path
from tests import needs
from tests.core.export.filled import fill_central, open_central, read_table
from tests.core.forms.test_forms_corpus import EXPECTED

BUILTIN = resource_path("studies", "london-qi-baseline", "qi_baseline_questionnaire.xlsx")
CORPUS = needs.CORPUS_DIR
#: The corpus forms the loader accepts (the forms tests hold the whole corpus to that
#: table, so a form that stops loading fails there, not silently here).
CORPUS_FORMS = sorted(name for name, outcome in EXPECTED.items() if outcome.loads)


def _instances(answers: dict[str, dict[str, object]], repeat: str) -> int:
    """Distinct instances of the repeat (by its name) holding an answer, over records."""
    pattern = re.compile(rf"(?:^|/){re.escape(repeat)}\[(\d+)\]")
    found: set[tuple[str, str]] = set()
    for rid, record in answers.items():
        for path in record:
            match = None
            for m in pattern.finditer(path):
                match = m
            if match is not None:
                found.add((rid, path[: match.end()]))
    return len(found)


def export_and_check(form: Form, answers: dict[str, dict[str, object]], central: object,
                     out: Path, fmt: str) -> dict[str, object]:
    result = export_form(forms=[form], records=central.export_records(form.form_id),  # type: ignore[attr-defined]
                         out_dir=out, fmt=fmt, language=form.default_language)
    assert not [p for p in out.iterdir() if ".partial" in p.name or p.name.startswith(".")]
    report = result.report
    assert report["included"] == len(answers)
    layout = build_layout([form], form.default_language)
    for key, table in layout.tables.items():
        expected = len(answers) if not key else _instances(answers, key[-1])
        assert report["rows"][table.name] == expected, table.name
    if fmt == "xlsx":
        sheets = pd.read_excel(out / f"{_file_stem(form.form_id)}.xlsx", sheet_name=None)
        assert len(sheets) == len(layout.tables) + 2  # + audit + codebook
        return report
    main = read_table(out / f"{_file_stem(form.form_id)}.{fmt}")
    assert len(main) == len(answers)
    if fmt in ("csv", "parquet"):
        # Every main-table text answer, as entered (CSV: a leading ' on cells a spreadsheet
        # would run).
        rows = main.set_index("record_id")
        headers = output_names(layout.tables[()], ExportOptions())
        for column in layout.tables[()].columns:
            if column.kind != "value" or column.vtype != "text":
                continue
            for rid, record in answers.items():
                value = record.get(column.key)
                if not isinstance(value, str):
                    continue
                got = rows.loc[rid, headers[column.key]]
                if fmt == "csv" and CSV_TRIGGERS.match(value):
                    value = "'" + value
                assert got == value, (column.key, fmt)
    return report


@pytest.mark.parametrize("fmt", FORMATS)
def test_builtin_study_every_format(admin_template: Path, tmp_path: Path, fmt: str) -> None:
    form = load_form(BUILTIN)
    central = open_central(admin_template, tmp_path / "admin")
    answers = fill_central(central, form, 12)
    # The "other, specify" texts were entered...
    others = [a["qi_methods/methods_other"] for a in answers.values()
              if "qi_methods/methods_other" in a]
    assert others
    export_and_check(form, answers, central, tmp_path / "out", fmt)
    out = tmp_path / "out"
    if fmt in ("csv", "parquet"):
        main = read_table(out / f"qi_baseline.{fmt}")
        # ... and reached the file beside the 0/1 column of the choice "other".
        assert "methods/other" in main.columns
        assert sum(str(v) in {"1", "1.0"} for v in main["methods/other"]) == len(others)
        assert len(main.columns) == len(set(main.columns))
    if fmt in ("sav", "dta"):
        main = read_table(out / f"qi_baseline.{fmt}")
        written = {o.replace("\x00", "[U+0000]") for o in others}
        assert set(main["methods_other"]) - {""} == written
        assert set(main["methods_other_2"].dropna()) <= {0.0, 1.0}
        assert main["trained_total"].dtype.kind == "f"
        assert str(main["start"].dtype).startswith("datetime64")
        codebook = pd.read_csv(out / "codebook.csv", encoding="utf-8-sig", dtype=str,
                               keep_default_na=False)
        name = "spss_name" if fmt == "sav" else "stata_name"
        row = codebook[(codebook[name] == "methods_other_2") & (codebook.code == "")]
        assert list(row.column) == ["methods/other"]
    central.close()


@pytest.mark.needs_shared  # skips without ../shared, fails then where it is required
@pytest.mark.parametrize("name", CORPUS_FORMS)
def test_corpus_form_every_format(admin_template: Path, tmp_path: Path, name: str) -> None:
    form = load_form(CORPUS / name)
    central = open_central(admin_template, tmp_path / "admin")
    # One record: filling a large form's session costs seconds (sofala: ~10 s); the
    # built-in study's tests above fill twelve, blank answers and repeats included.
    answers = fill_central(central, form, 1)
    for fmt in FORMATS:
        export_and_check(form, answers, central, tmp_path / fmt, fmt)
    central.close()


def test_builtin_study_group_prefixes_and_labels(admin_template: Path, tmp_path: Path) -> None:
    form = load_form(BUILTIN)
    central = open_central(admin_template, tmp_path / "admin")
    answers = fill_central(central, form, 4)
    export_form(forms=[form], records=central.export_records(form.form_id),
                out_dir=tmp_path / "prefix", fmt="parquet",
                options=ExportOptions(group_prefix=True, values="labels"))
    main = pd.read_parquet(tmp_path / "prefix" / "qi_baseline.parquet")
    assert {"qi_methods/methods_other", "qi_methods/methods/other",
            "respondent/org_name"} <= set(main.columns)
    assert str(main["start"].dtype).startswith("datetime64")
    assert main["training/trained_total"].dtype.kind == "f"
    consent = {a.get("consent") for a in answers.values()}
    assert set(main["consent"]) <= {"Yes", "No"} and consent <= {"yes", "no"}
    export_form(forms=[form], records=central.export_records(form.form_id),
                out_dir=tmp_path / "labels", fmt="parquet",
                options=ExportOptions(headers="labels"))
    labelled = pd.read_parquet(tmp_path / "labels" / "qi_baseline.parquet")
    assert len(set(labelled.columns)) == len(labelled.columns)
    assert "Record id" in labelled.columns
    central.close()
