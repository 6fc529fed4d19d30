"""The central store hands exports its records column by column (`ExportSource.batches`);
the engine reads them without an object per record. That path must write exactly the
files the record-by-record path writes: same rows, cells, report and codebook, with
deleted records, a status filter, an unknown answer path, a null answer and an answer
routed to the main table by another path among them."""

from __future__ import annotations

import filecmp
import json
import uuid
from pathlib import Path

import pyreadstat
import pytest

from qi_capture.central.store import CentralStore
from qi_capture.export import FORMATS, export_form
from tests.core.central.helpers import FakeDevice
from tests.core.export.forms import FORM_ID, add_forms, fill


def odd_records(central: CentralStore) -> None:
    """Records whose answers are not all main-table questions with text values."""
    b = FakeDevice("Laptop B")
    central.enrol(b.id, name=b.name, fingerprint=b.fingerprint, public_key=b.public_key)
    revs = [
        b.revision(uuid.uuid4(), {"org": "Trust Four", "staff": None, "method": "lean",
                                  "nowhere": "x"}, version="2", form_id=FORM_ID),
        b.revision(uuid.uuid4(), {"org": "Trust Five", "/staff": "7", "barriers": "time"},
                   version="1", form_id=FORM_ID),
    ]
    central.merge(b.bundle(revs))


def _cells(path: Path) -> list[list[list[object]]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    book = load_workbook(path, read_only=True)
    try:
        return [[list(row) for row in sheet.iter_rows(values_only=True)]
                for sheet in book.worksheets]
    finally:
        book.close()


def _stat(path: Path) -> tuple[object, ...]:
    read = pyreadstat.read_sav if path.suffix == ".sav" else pyreadstat.read_dta
    frame, meta = read(str(path), user_missing=True)
    cells = frame.astype(object).where(frame.notna(), None).to_dict("list")
    return (cells, meta.column_names, meta.column_labels,
            meta.variable_value_labels, meta.missing_ranges, meta.missing_user_values)


def _without_created(path: Path) -> object:
    report = json.loads(path.read_text(encoding="utf-8"))
    report.pop("created")
    return report


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("statuses", [None, ["received"]])
def test_batches_write_what_records_write(central: CentralStore, tmp_path: Path, fmt: str,
                                          statuses: list[str] | None) -> None:
    ids = fill(central)
    odd_records(central)
    central.set_review(ids["r2"], "approved")
    forms = add_forms(central)
    source = central.export_records(FORM_ID)
    assert callable(getattr(source, "batches", None))
    results = {}
    for name, records in (("batches", source), ("records", list(source))):
        results[name] = export_form(forms=forms, records=records, out_dir=tmp_path / name,
                                    fmt=fmt, statuses=statuses)
    assert results["batches"].report["included"] == (5 if statuses is None else 4)
    for name in (p.name for p in results["records"].files):
        if name == "export_report.json":
            assert _without_created(tmp_path / "batches" / name) == _without_created(
                tmp_path / "records" / name)
        elif name == "export_report.txt":
            continue  # its first lines hold the time of the export; the json, the rest
        elif name.endswith(".xlsx"):  # the file holds its creation time: the cells
            assert _cells(tmp_path / "batches" / name) == _cells(tmp_path / "records" / name)
        elif name.endswith((".sav", ".dta")):  # likewise: data, labels, missing codes
            assert _stat(tmp_path / "batches" / name) == _stat(tmp_path / "records" / name)
        else:
            assert filecmp.cmp(tmp_path / "batches" / name, tmp_path / "records" / name,
                               shallow=False), name
