"""Safe to open, nothing cut silently, typed, streamed: CSV injection neutralised (or raw,
said so), RFC 4180 quoting of CR/LF/NUL/quotes, xlsx text never a formula and illegal
characters escaped and counted, Stata strL, shortened labels listed in full, "not asked"
and "left blank" told apart in SPSS and Stata, batches that change nothing, and a full
disk (a real small tmpfs) that ends in one clear error with nothing left behind."""

from __future__ import annotations

import contextlib
import csv
import os
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pyreadstat
import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from qi_capture.export import ExportDiskFull, ExportOptions, export_form
from qi_capture.export.constants import SPSS_LEFT_BLANK, SPSS_NOT_ASKED
from qi_capture.forms import load_form_bytes
from qi_capture.forms.model import Form
from tests.core.export.filled import TEXTS
from tests.core.export.test_export_names import Rec

FORM = textwrap.dedent("""
    | survey   |               |        |                                  |                 |
    |          | type          | name   | label                            | relevant        |
    |          | select_one yn | asked  | Shall we ask?                    |                 |
    |          | integer       | gated  | Only when asked                  | ${asked}='yes'  |
    |          | integer       | open   | Always asked                     |                 |
    |          | text          | note_t | Free text                        |                 |
    |          | date          | when   | When                             |                 |
    |          | select_multiple yn | both | {long} |                 |
    | choices  |               |        |                                  |                 |
    |          | list_name     | name   | label                            |                 |
    |          | yn            | yes    | Yes                              |                 |
    |          | yn            | no     | No                               |                 |
    | settings |               |        |                                  |                 |
    |          | form_id       | version |                                 |                 |
    |          | safe          | 1       |                                 |                 |
""").replace("{long}", "A question label far longer than Stata's eighty characters " * 3)


def form() -> Form:
    return load_form_bytes(FORM.encode(), "safe.md")


def records() -> list[Rec]:
    out = [Rec({"asked": "yes", "gated": "3", "open": "4", "note_t": text,
                "when": "2024-02-29", "both": "yes no"}) for text in TEXTS]
    out.append(Rec({"asked": "no", "note_t": "x" * 40_000}))  # gated: not asked; open: blank
    return out


def test_csv_is_quoted_and_neutralised(tmp_path: Path) -> None:
    result = export_form(forms=[form()], records=records(), out_dir=tmp_path, fmt="csv")
    with (tmp_path / "safe.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == len(TEXTS) + 2  # header + every record, none split
    header = rows[0]
    cells = [r[header.index("note_t")] for r in rows[1:]]
    for text, cell in zip(TEXTS, cells, strict=False):
        assert cell == ("'" + text if text[0] in "=+-@\t\r" else text)
    assert result.report["options"]["csv_injection"] == "neutralised"
    assert result.report["csv_cells_neutralised"] == {"safe.note_t": 4}
    raw = (tmp_path / "safe.csv").read_bytes()
    assert b'"nul\x00inside"' in raw and b'"line one\rline two\nline three"' in raw

    raw_dir = tmp_path / "raw"
    result = export_form(forms=[form()], records=records(), out_dir=raw_dir, fmt="csv",
                         options=ExportOptions(csv_raw=True))
    with (raw_dir / "safe.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert [r[header.index("note_t")] for r in rows[1:]][: len(TEXTS)] == TEXTS
    assert result.report["options"]["csv_injection"] == "raw"
    assert any("written raw" in str(w) for w in result.report["warnings"])


def test_xlsx_text_is_never_a_formula(tmp_path: Path) -> None:
    result = export_form(forms=[form()], records=records(), out_dir=tmp_path, fmt="xlsx")
    sheet = load_workbook(tmp_path / "safe.xlsx")["safe"]
    header = [c.value for c in sheet[1]]
    column = header.index("note_t") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, len(TEXTS) + 3)]
    assert all(c.data_type == "s" for c in cells)
    assert cells[1].value == TEXTS[1]  # "=HYPERLINK(...": text
    assert cells[7].value == "vertical[U+000B]tab from Word"
    assert cells[-1].value.endswith("[cut: the whole text is in a csv or parquet export]")
    assert result.report["cells_cut"] == {"safe.note_t": 1}
    assert sum(result.report["cells_escaped"].values()) == 2  # VT and NUL
    when = sheet.cell(row=2, column=header.index("when") + 1)
    assert when.is_date


def test_stata_strl_labels_and_extended_missing(tmp_path: Path) -> None:
    result = export_form(forms=[form()], records=records(), out_dir=tmp_path, fmt="dta")
    frame, meta = pyreadstat.read_dta(str(tmp_path / "safe.dta"), user_missing=True)
    assert len(frame.note_t.iloc[-1]) == 40_000  # strL: whole
    assert frame.gated.iloc[-1] == "a" and frame.open.iloc[-1] == "b"
    assert frame.gated.iloc[0] == 3
    assert len(meta.column_names_to_labels["both"]) <= 80
    assert meta.column_names_to_labels["both_yes"].endswith("…: Yes")
    assert result.report["labels_shortened"] >= 3
    codebook = (tmp_path / "codebook.csv").read_text(encoding="utf-8-sig")
    assert ("A question label far longer than Stata's eighty characters " * 3).strip() in codebook
    assert str(frame.when.dtype).startswith("datetime64") or hasattr(frame.when.iloc[0], "year")


def test_spss_missing_codes_and_measures(tmp_path: Path) -> None:
    export_form(forms=[form()], records=records(), out_dir=tmp_path, fmt="sav")
    frame, meta = pyreadstat.read_sav(str(tmp_path / "safe.sav"), user_missing=True)
    assert frame.gated.iloc[-1] == SPSS_NOT_ASKED and frame.open.iloc[-1] == SPSS_LEFT_BLANK
    assert frame["both_yes"].iloc[-1] == SPSS_LEFT_BLANK
    assert meta.variable_measure["open"] == "scale"
    assert meta.variable_measure["asked"] == "nominal"
    assert meta.variable_measure["note_t"] == "nominal"
    assert meta.original_variable_types["when"].startswith("DATE")
    plain, _ = pyreadstat.read_sav(str(tmp_path / "safe.sav"))
    assert plain.gated.isna().iloc[-1]  # user-missing reads as missing by default


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav", "dta", "parquet"])
def test_files_are_readable_by_their_owner_alone(tmp_path: Path, fmt: str) -> None:
    export_form(forms=[form()], records=records(), out_dir=tmp_path / "out", fmt=fmt)
    files = list((tmp_path / "out").iterdir())
    assert files and all(f.stat().st_mode & 0o077 == 0 for f in files)
    assert (tmp_path / "out").stat().st_mode & 0o077 == 0


def test_batches_change_nothing(tmp_path: Path) -> None:
    same = records()
    for batch in (3, 10_000):
        export_form(forms=[form()], records=same, out_dir=tmp_path / str(batch),
                    fmt="csv", batch=batch)
    assert (tmp_path / "3" / "safe.csv").read_bytes() == (
        tmp_path / "10000" / "safe.csv").read_bytes()


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    folder.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                       check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("mounting a small tmpfs needs root: the disk-full export is not tested here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)


@pytest.mark.parametrize("fmt", ["csv", "sav", "xlsx"])
def test_full_disk_is_one_clear_error_and_leaves_nothing(
    tmp_path: Path, fmt: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Incompressible text, so that the zipped xlsx fills the disk too.
    many = [Rec({"asked": "yes", "note_t": f"SECRET-ANSWER-{os.urandom(6_000).hex()}"})
            for i in range(300)]
    with tmpfs(tmp_path / "small", "1m") as disk:
        with pytest.raises(ExportDiskFull) as caught:
            export_form(forms=[form()], records=many, out_dir=disk / "out", fmt=fmt)
        assert "ran out of space" in caught.value.message
        assert "SECRET" not in caught.value.message and "SECRET" not in caplog.text
        assert list((disk / "out").iterdir()) == []


def test_a_writer_failure_is_one_error_without_the_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import pyreadstat as module

    from qi_capture.export import ExportError

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise module.ReadstatError("value SECRET-ANSWER cannot be written")

    monkeypatch.setattr(module, "write_sav", refuse)
    secret = [Rec({"asked": "yes", "note_t": "SECRET-ANSWER"})]
    with pytest.raises(ExportError) as caught:
        export_form(forms=[form()], records=secret, out_dir=tmp_path, fmt="sav")
    assert "SECRET" not in caught.value.message and "SECRET" not in caplog.text
    assert "ReadstatError" in caught.value.message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["csv", "sav", "dta"])
def test_infinite_numbers_are_counted_not_a_crash(tmp_path: Path, fmt: str) -> None:
    """"inf" reads as a float but no integer (or SPSS/Stata number) can hold it: it is
    left out like any unreadable number, and counted in the report."""
    many = [Rec({"asked": "yes", "gated": value, "open": "4"})
            for value in ("inf", "-Infinity", "12", "1e400")]
    result = export_form(forms=[form()], records=many, out_dir=tmp_path, fmt=fmt)
    assert result.report["included"] == 4
    assert result.report["values_left_empty"] == {"safe.gated": 3}
    assert any("not a finite number" in w for w in result.report["warnings"])
