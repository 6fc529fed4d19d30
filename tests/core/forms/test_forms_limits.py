"""Hostile form files: zip bombs, lying zip headers, absurd dimensions, too many rows.

Each file is crafted in the test as an attacker would make it (a real zip, a real
workbook edited by hand), and each must be refused with ``form_too_large`` (or
``file_not_a_form`` for a part that lies about its size) naming the numbers and the limit,
before a parser allocates anything: the peak of Python allocations while loading is
asserted to stay far below what the file would inflate to.
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qi_capture.forms import FormError, limits, load_form, load_form_bytes

SHEET = "xl/worksheets/sheet1.xml"
#: Loading one of these files may allocate at most this much (the bombs inflate to 100s MiB).
PEAK_LIMIT = 48 * 1024 * 1024


def small_workbook() -> bytes:
    """A valid one-question XLSForm, as openpyxl writes it."""
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    survey.append(["text", "q1", "Question 1"])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def rewrite(data: bytes, name: str, body: Callable[[], Iterator[bytes]]) -> bytes:
    """``data`` (a zip) with member ``name`` replaced by the chunks ``body`` yields,
    written as a stream so the test itself never holds the inflated bytes."""
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == name:
                with target.open(name, "w") as member:
                    for chunk in body():
                        member.write(chunk)
            else:
                target.writestr(info, source.read(info))
    return out.getvalue()


def sheet_with(rows: Iterator[bytes], dimension: str = "A1:C2") -> Callable[[], Iterator[bytes]]:
    def body() -> Iterator[bytes]:
        yield (b'<?xml version="1.0" encoding="UTF-8"?>'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               b'<dimension ref="' + dimension.encode() + b'"/><sheetData>')
        yield b'<row r="1"><c r="A1" t="inlineStr"><is><t>type</t></is></c>'
        yield b'<c r="B1" t="inlineStr"><is><t>name</t></is></c></row>'
        yield from rows
        yield b"</sheetData></worksheet>"
    return body


def load_measured(tmp_path: Path, data: bytes, name: str = "bomb.xlsx") -> FormError:
    """Load ``data`` as a file; it must be refused, within ``PEAK_LIMIT`` of allocations."""
    path = tmp_path / name
    path.write_bytes(data)
    before = path.read_bytes()
    tracemalloc.start()
    try:
        with pytest.raises(FormError) as caught:
            load_form(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.1f} MiB"
    assert path.read_bytes() == before  # the file is only read
    return caught.value


def test_the_crafted_base_workbook_loads() -> None:
    form = load_form_bytes(small_workbook(), "ok.xlsx")
    assert form.form_id == "ok"


def test_zip_bomb_declaring_a_huge_part_is_refused(tmp_path: Path) -> None:
    # 200 MiB of one repeated row: about 200 KiB compressed.
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    repeat = (200 * 2**20) // len(row)

    def rows() -> Iterator[bytes]:
        block = row * 4096
        for _ in range(repeat // 4096):
            yield block

    data = rewrite(small_workbook(), SHEET, sheet_with(rows()))
    assert len(data) < 2 * 2**20
    err = load_measured(tmp_path, data)
    (issue,) = err.errors
    assert issue.code == "form_too_large"
    assert re.search(rf"'{SHEET}' declares 19\d\.\d MiB uncompressed", issue.message)
    assert "at most 32.0 MiB" in issue.message


def test_zip_part_lying_about_its_size_is_refused(tmp_path: Path) -> None:
    # Declares 1,000 bytes in both headers; inflates to 64 MiB.
    def rows() -> Iterator[bytes]:
        block = b'<row><c t="inlineStr"><is><t>y</t></is></c></row>' * 4096
        for _ in range(64 * 2**20 // len(block)):
            yield block

    data = bytearray(rewrite(small_workbook(), SHEET, sheet_with(rows())))
    name = SHEET.encode()
    patched = 0
    # Patch both headers of the member (local and central) to declare 1,000 bytes.
    for sig, size_at, name_len_at, header in ((b"PK\x03\x04", 22, 26, 30),
                                              (b"PK\x01\x02", 24, 28, 46)):
        start = 0
        while (at := data.find(sig, start)) >= 0:
            name_len = struct.unpack_from("<H", data, at + name_len_at)[0]
            if data[at + header : at + header + name_len] == name:
                assert struct.unpack_from("<I", data, at + size_at)[0] > 60 * 2**20
                struct.pack_into("<I", data, at + size_at, 1000)
                patched += 1
            start = at + 4
    assert patched == 2
    err = load_measured(tmp_path, bytes(data))
    (issue,) = err.errors
    assert issue.code in ("file_not_a_form", "form_too_large")
    assert SHEET in issue.message


def test_sheet_declaring_a_million_columns_is_refused(tmp_path: Path) -> None:
    data = small_workbook()
    with zipfile.ZipFile(BytesIO(data)) as z:
        xml = z.read(SHEET)
    letters = _letters(1_000_000)
    edited = re.sub(rb'<dimension ref="[^"]*" */>', f'<dimension ref="A1:{letters}2"/>'.encode(),
                    xml)
    assert edited != xml
    err = load_measured(tmp_path, rewrite(data, SHEET, lambda: iter([edited])))
    (issue,) = err.errors
    assert issue.code == "form_too_large"
    assert "declares 2 rows by 1,000,000 columns" in issue.message
    assert "at most 1,048,576 by 16,384" in issue.message


def test_a_cell_past_the_last_column_is_refused(tmp_path: Path) -> None:
    cell = f'<row r="2"><c r="{_letters(20_000)}2" t="inlineStr"><is><t>z</t></is></c></row>'
    err = load_measured(tmp_path, rewrite(small_workbook(), SHEET,
                                          sheet_with(iter([cell.encode()]))))
    assert err.errors[0].code == "form_too_large"
    assert "past column 16,384" in err.errors[0].message


def test_too_many_filled_rows_are_refused(tmp_path: Path) -> None:
    def rows() -> Iterator[bytes]:
        for i in range(2, limits.MAX_ROWS + 3):
            yield (f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>text</t></is></c>'
                   f'<c r="B{i}" t="inlineStr"><is><t>q{i}</t></is></c></row>').encode()

    err = load_measured(tmp_path, rewrite(small_workbook(), SHEET, sheet_with(rows())))
    assert err.errors[0].code == "form_too_large"
    assert "more than 100,000 filled rows" in err.errors[0].message


def test_too_many_parts_are_refused(tmp_path: Path) -> None:
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(small_workbook())) as source, \
            zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        for i in range(limits.MAX_ZIP_MEMBERS):
            target.writestr(f"junk/{i}", b"")
    err = load_measured(tmp_path, out.getvalue())
    assert err.errors[0].code == "form_too_large"
    assert "files; a workbook may hold at most 1,000" in err.errors[0].message


def test_oversized_file_is_refused_before_it_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:
        f.write(b"survey,type,name,label\n")
        f.truncate(limits.MAX_FILE_BYTES + 10 * 2**20)  # sparse: 26 MiB, no disk used
    tracemalloc.start()
    try:
        with pytest.raises(FormError) as caught:
            load_form(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < limits.MAX_FILE_BYTES + 4 * 2**20  # read no further than the limit
    assert caught.value.errors[0].code == "form_too_large"
    assert "16.0 MiB or more; a form may be at most 16.0 MiB" in caught.value.errors[0].message


@pytest.mark.parametrize(("name", "text", "said"), [
    ("rows.csv", "survey,type,name,label\n" + ",text,a,A\n" * (limits.MAX_ROWS + 1),
     "has 100,002 lines; at most 100,000"),
    ("wide.md", "| survey |\n|" + " x |" * (limits.MAX_COLUMNS + 1) + "\n",
     "has 16,386 cells; at most 16,384"),
])
def test_text_forms_over_the_limits_are_refused(tmp_path: Path, name: str, text: str,
                                                said: str) -> None:
    err = load_measured(tmp_path, text.encode(), name)
    assert err.errors[0].code == "form_too_large"
    assert said in err.errors[0].message


def test_rows_of_a_read_legacy_workbook_are_counted() -> None:
    limits.check_read_sheets({"survey": [{"type": "text"}] * 10})
    with pytest.raises(limits.FormTooLarge, match="100,001 rows; a form sheet may have at most"):
        limits.check_read_sheets({"survey": [{"type": "text"}] * (limits.MAX_ROWS + 1)})


def test_form_check_reports_a_zip_bomb(tmp_path: Path) -> None:
    def rows() -> Iterator[bytes]:
        block = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 4096
        for _ in range(40 * 2**20 // len(block)):
            yield block

    path = tmp_path / "bomb.xlsx"
    path.write_bytes(rewrite(small_workbook(), SHEET, sheet_with(rows())))
    out = subprocess.run([sys.executable, "-m", "qi_capture", "form", "check", str(path)],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 1
    assert "uncompressed; a part may be at most 32.0 MiB" in out.stdout + out.stderr


def _letters(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- fuzzing: whatever the bytes, a Form or a FormError, never anything else -----------------

_CELLS = st.sampled_from(["type", "name", "label", "text", "integer", "select_one yn",
                          "begin group", "end group", "calculate", "${a} + 1", "a", "b",
                          "yn", "list_name", "", "relevant", "constraint", ". > 1", "(("])


@st.composite
def markdown_forms(draw: st.DrawFn) -> str:
    lines = ["| survey |"]
    for _ in range(draw(st.integers(1, 6))):
        cells = draw(st.lists(_CELLS, min_size=1, max_size=5))
        lines.append("| | " + " | ".join(cells) + " |")
    if draw(st.booleans()):
        lines.append("| choices |")
        lines.append("| | list_name | name | label |")
        lines.append("| | yn | " + draw(_CELLS) + " | " + draw(_CELLS) + " |")
    return "\n".join(lines) + "\n"


FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(markdown_forms())
def test_fuzzed_markdown_forms_load_or_fail_with_form_error(text: str) -> None:
    try:
        load_form_bytes(text.encode(), "fuzz.md")
    except FormError as err:
        assert err.errors and all(i.code for i in err.errors)


_BASE = small_workbook()


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(_BASE) - 1), st.integers(0, 255)),
                min_size=1, max_size=8),
       st.integers(0, len(_BASE)))
@example([(46, 0)], 4875)  # a damaged deflate stream: zlib.error escaped the size check
def test_fuzzed_workbook_bytes_load_or_fail_with_form_error(
        flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(_BASE)
    for at, value in flips:
        data[at] = value
    try:
        load_form_bytes(bytes(data[: max(cut, 4)]), "fuzz.xlsx")
    except FormError as err:
        assert err.errors and all(i.code for i in err.errors)


@FUZZ
@given(st.binary(max_size=2000))
def test_fuzzed_bytes_load_or_fail_with_form_error(data: bytes) -> None:
    for name in ("fuzz.xlsx", "fuzz.xls", "fuzz.csv", "fuzz.md"):
        try:
            load_form_bytes(data, name)
        except FormError as err:
            assert err.errors
