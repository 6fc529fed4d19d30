"""The packaged app leaves pyarrow out (qi_capture/export/arrow.py): every other format
must give the same files through pandas' paths, and Parquet must be refused before
anything is written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from qi_capture.central.store import CentralStore
from qi_capture.export import ParquetUnavailable, export_form
from tests.core.export.forms import FORM_ID, add_forms, fill


def _export(central: CentralStore, out: Path, fmt: str) -> None:
    export_form(forms=add_forms(central), records=central.export_records(FORM_ID),
                out_dir=out, fmt=fmt, paradata=central.export_paradata)


def _without_pyarrow(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("arrow.pa", "arrow.pc", "arrow.pq", "tables.pa", "tables.pc", "writers.pa",
                 "writers.pq"):
        monkeypatch.setattr(f"qi_capture.export.{name}", None)


def test_same_files_without_pyarrow(central: CentralStore, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    fill(central)
    for fmt in ("csv", "sav"):
        _export(central, tmp_path / f"with-{fmt}", fmt)
    with monkeypatch.context() as patch:
        _without_pyarrow(patch)
        for fmt in ("csv", "sav"):
            _export(central, tmp_path / f"without-{fmt}", fmt)
    for table in ("exp.csv", "exp-team.csv", "codebook.csv"):
        assert (tmp_path / "with-csv" / table).read_bytes() == (
            tmp_path / "without-csv" / table).read_bytes(), table
    with_sav, with_meta = pyreadstat.read_sav(tmp_path / "with-sav" / "exp.sav",
                                              user_missing=True)
    without_sav, without_meta = pyreadstat.read_sav(tmp_path / "without-sav" / "exp.sav",
                                                    user_missing=True)
    pd.testing.assert_frame_equal(with_sav, without_sav)
    assert with_meta.variable_value_labels == without_meta.variable_value_labels
    assert with_meta.missing_ranges == without_meta.missing_ranges


def test_parquet_is_refused_before_writing_without_pyarrow(
        central: CentralStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fill(central)
    _without_pyarrow(monkeypatch)
    out = tmp_path / "out"
    with pytest.raises(ParquetUnavailable, match="pyarrow") as caught:
        _export(central, out, "parquet")
    assert caught.value.code == "export_parquet_unavailable"
    assert not out.exists() or not any(out.iterdir())
