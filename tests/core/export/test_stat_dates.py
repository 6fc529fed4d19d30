"""SPSS and Stata keep a date or a time question a date or a time even when no record
answers it (pyreadstat, handed a column of nothing but None, writes a text variable), in
batches decoded from records, from the export-ready copies' Arrow tables, and with no
batch at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyreadstat
import pytest

from qi_capture.export import ExportOptions, writers
from qi_capture.export.model import build_layout
from qi_capture.export.run import stat_names
from qi_capture.export.tables import Stats, typed_frame
from qi_capture.forms import load_form_bytes

FORM = b"""
| survey   |       |        |            |
|          | type  | name   | label      |
|          | date  | visit  | Visit date |
|          | time  | seen   | Time seen  |
|          | text  | note   | Note       |
| settings |       |        |            |
|          | form_id | version |         |
|          | dates | 1      |            |
"""


def _write(out: Path, fmt: str, batches: str, answered: bool) -> Any:
    form = load_form_bytes(FORM, "dates.md")
    table = build_layout([form], None).tables[()]
    stata = fmt == "dta"
    variables = writers.stat_variables(
        table, None, stata=stata, names=stat_names(table, ExportOptions(), stata=stata))
    sink = writers.StatSink(out, table, variables, stata=stata, counts=writers.Counts())
    rows: list[dict[str, Any]] = [{c.key: None for c in table.columns} for _ in range(3)]
    for row in rows:
        row["note"] = "seen"
        if answered:
            row["visit"], row["seen"] = "2026-03-04", "09:30:00.000+01:00"
    frame, masks = typed_frame(table, rows, Stats())
    if batches == "frames":
        sink.write(frame.iloc[:2], masks)
        sink.write(frame.iloc[2:], masks)
    elif batches == "arrow":
        sink.write_arrow(pa.Table.from_pandas(frame, preserve_index=False), masks)
    elif batches == "both":
        sink.write(frame.iloc[:2], masks)
        sink.write_arrow(pa.Table.from_pandas(frame.iloc[2:], preserve_index=False), masks)
    sink.close()
    read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    return read(str(out))


@pytest.mark.parametrize("fmt", ["sav", "dta"])
@pytest.mark.parametrize("batches", ["frames", "arrow", "both", "none"])
def test_a_date_or_time_without_a_value_stays_a_date_or_time(
        tmp_path: Path, fmt: str, batches: str) -> None:
    data, meta = _write(tmp_path / f"empty.{fmt}", fmt, batches, answered=False)
    _, answered = _write(tmp_path / f"answered.{fmt}", fmt, "frames", answered=True)
    assert meta.readstat_variable_types["visit"] == "double"
    assert meta.readstat_variable_types["seen"] == "double"
    for name in ("visit", "seen") if batches == "none" else ("visit", "seen", "note"):
        assert meta.original_variable_types[name] == answered.original_variable_types[name]
    assert data["visit"].isna().all() and data["seen"].isna().all()
    assert len(data) == (0 if batches == "none" else 3)


@pytest.mark.parametrize("fmt", ["sav", "dta"])
@pytest.mark.parametrize("answered", [True, False])
def test_arrow_batches_write_what_frames_write(tmp_path: Path, fmt: str,
                                               answered: bool) -> None:
    # (For SPSS with Polars: Arrow alone goes through Polars; frames and Arrow in one
    # file turn the Arrow batches into frames.)
    reference = _write(tmp_path / f"frames.{fmt}", fmt, "frames", answered)
    for batches in ("arrow", "both"):
        data, meta = _write(tmp_path / f"{batches}.{fmt}", fmt, batches, answered)
        pd.testing.assert_frame_equal(data, reference[0])
        for attribute in ("column_names", "column_labels", "original_variable_types",
                          "readstat_variable_types", "variable_storage_width",
                          "variable_measure"):
            assert getattr(meta, attribute) == getattr(reference[1], attribute), attribute
    if answered:
        assert [str(v) for v in reference[0]["visit"]] == ["2026-03-04"] * 3
