"""Reading workbooks: content sniffing, blank-row runs, Excel cell types."""

from __future__ import annotations

import time
from pathlib import Path

import openpyxl
import pytest

from qi_capture.forms import errors as codes
from qi_capture.forms import load_form, load_form_bytes
from tests import needs

CORPUS = needs.CORPUS_DIR


def write_xlsx(path: Path, survey: list[list[object]],
               settings: list[list[object]] | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    if settings:
        extra = book.create_sheet("settings")
        for row in settings:
            extra.append(row)
    book.save(path)
    return path


def test_xlsx_with_excel_cell_types(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "typed.xlsx", [
        ["type", "name", "label", "default"],
        ["integer", "a", "A", 5],
        ["text", "b", True, None],
        ["date", "c", "C", None],
    ], settings=[["form_id", "version"], ["typed", 2022030801.0]])
    form = load_form(path)
    assert form.version == "2022030801"
    assert form.element("a").default == "5"
    assert form.element("b").label is not None and form.element("b").label.get(None) == "TRUE"
    assert form.form_id == "typed"


def test_rows_after_twenty_blank_rows_are_ignored_with_a_warning(tmp_path: Path) -> None:
    survey: list[list[object]] = [["type", "name", "label"], ["text", "a", "A"]]
    survey += [[None, None, None]] * 25
    survey += [["text", "late", "Late"]]
    form = load_form(write_xlsx(tmp_path / "gap.xlsx", survey))
    assert form.find("late") is None
    (note,) = [w for w in form.warnings if w.code == codes.DATA_AFTER_BLANK_RUN]
    assert (note.sheet, note.row) == ("survey", 28)


def test_up_to_twenty_blank_rows_are_part_of_the_form(tmp_path: Path) -> None:
    survey: list[list[object]] = [["type", "name", "label"], ["text", "a", "A"]]
    survey += [[None, None, None]] * 20
    survey += [["text", "b", "B"]]
    form = load_form(write_xlsx(tmp_path / "gap20.xlsx", survey))
    assert form.element("b").row == 23


def test_columns_after_twenty_blank_columns_are_ignored(tmp_path: Path) -> None:
    header: list[object] = ["type", "name", "label", *([None] * 21), "relevant"]
    row: list[object] = ["text", "a", "A", *([None] * 21), "${nowhere} = 1"]
    form = load_form(write_xlsx(tmp_path / "wide.xlsx", [header, row]))
    assert form.element("a").relevant is None


@pytest.mark.needs_shared
def test_huge_declared_dimensions_load_quickly() -> None:
    # The UCL Biomass form declares A1:AMJ1048576 on its survey sheet.
    started = time.perf_counter()
    form = load_form(CORPUS / "pyxform__UCL_Biomass_Plot_Form.xlsx")
    assert time.perf_counter() - started < 10
    assert len(list(form.fields())) > 50


@pytest.mark.needs_shared
def test_xlsx_name_with_legacy_xls_content_loads_with_a_warning() -> None:
    data = (CORPUS / "pyxform__widgets.xls").read_bytes()
    form = load_form_bytes(data, "widgets.xlsx")
    (warning,) = [w for w in form.warnings if w.code == codes.FILE_TYPE_MISMATCH]
    assert "legacy Excel 97-2003" in warning.message
    assert form.form_id == "widgets"


def test_xls_name_with_xlsx_content_loads(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", [["type", "name", "label"], ["text", "a", "A"]])
    form = load_form_bytes(path.read_bytes(), "renamed.xls")
    assert form.find("a") is not None
    assert [w.code for w in form.warnings] == [codes.FILE_TYPE_MISMATCH]


def test_markdown_and_csv_are_sniffed_without_suffix() -> None:
    markdown = b"| survey |\n| | type | name | label |\n| | text | a | A |\n"
    assert load_form_bytes(markdown, "noext").find("a") is not None
    csv = b"survey,,,\n,type,name,label\n,text,a,A\n"
    assert load_form_bytes(csv, "form.csv").find("a") is not None


@pytest.mark.needs_shared
def test_third_party_warnings_do_not_leak(recwarn: pytest.WarningsRecorder) -> None:
    # openpyxl warns about data-validation extensions in this workbook.
    load_form(CORPUS / "kpi__sample_accent.xlsx")
    assert not recwarn.list


def test_form_id_falls_back_to_the_file_name(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "clinic_visit.xlsx",
                      [["type", "name", "label"], ["text", "a", "A"]])
    form = load_form(path)
    assert (form.form_id, form.title) == ("clinic_visit", "clinic_visit")
    assert form.source_sha256 and len(form.source_sha256) == 64
