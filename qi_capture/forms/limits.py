"""Size limits on a form file, checked before anything parses it.

A form comes from elsewhere (an email, a study pack), so it is hostile until checked: a
1 MB zip-bomb .xlsx took 2.2 GB of memory in openpyxl and pyxform. Before either runs:

- the file itself is at most ``MAX_FILE_BYTES`` (read no further than that);
- an .xlsx/.xlsm (a zip) has at most ``MAX_ZIP_MEMBERS`` members, each declaring at most
  ``MAX_MEMBER_BYTES`` uncompressed and all together at most ``MAX_UNCOMPRESSED_BYTES``;
  then every member is decompressed as a stream and the *actual* bytes are counted against
  the same limits (a member that inflates past what it declares fails zipfile's CRC check,
  which is refused too);
- while streaming, every XML member is scanned with expat (no tree is built, so memory
  stays flat): a worksheet's declared ``<dimension>`` must stay within Excel's own grid
  (``MAX_COLUMNS`` x ``MAX_DECLARED_ROWS``), and the rows, valued cells and shared strings
  actually present are counted against ``MAX_ROWS``, ``MAX_CELLS`` and ``MAX_COLUMNS``;
- a .csv or .md form has at most ``MAX_ROWS`` lines of at most ``MAX_COLUMNS`` cells;
- a legacy .xls (BIFF, not compressed) is bounded by the file size, and its rows and
  cells are counted once read.

The limits are far above real forms: the largest of the 45-form acceptance corpus is a 6 MB
workbook whose biggest member is 4.7 MB, with under 2,000 rows. Over a limit, the form is
refused with ``form_too_large``, naming the number found and the limit.
"""

from __future__ import annotations

import lzma
import re
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from io import BytesIO
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from qi_capture.forms import errors as codes
from qi_capture.forms.model import FormIssue

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_ZIP_MEMBERS = 1_000
MAX_MEMBER_BYTES = 32 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024
#: Excel's own grid: 16,384 columns (XFD) by 1,048,576 rows. A declared dimension beyond
#: it was not written by a spreadsheet program. (LibreOffice declares A1:AMJ1048576 for
#: sheets with formatted whole columns, so declared rows up to the grid are fine.)
MAX_COLUMNS = 16_384
MAX_DECLARED_ROWS = 1_048_576
#: Rows holding at least one value, per sheet; valued cells and shared strings, per file.
MAX_ROWS = 100_000
MAX_CELLS = 1_000_000

_CHUNK = 1 << 20
_COLUMN = re.compile(r"\$?([A-Za-z]+)\$?(\d*)")


class FormTooLarge(Exception):
    """A limit was exceeded (or a part cannot be read to check it); ``issue`` says which,
    with the numbers."""

    def __init__(self, message: str, sheet: str | None = None,
                 code: str = codes.FORM_TOO_LARGE) -> None:
        super().__init__(message)
        self.issue = FormIssue(code, message, sheet=sheet)


def read_form_file(path: Path) -> bytes:
    """The file's bytes, refusing one over ``MAX_FILE_BYTES`` before reading it whole."""
    with path.open("rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)
    check_file_size(len(data))
    return data


def check_file_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise FormTooLarge(
            f"The form file is {_size(size)}{' or more' if size == MAX_FILE_BYTES + 1 else ''}"
            f"; a form may be at most {_size(MAX_FILE_BYTES)}.")


def check_before_parsing(data: bytes, file_type: str) -> None:
    """Every limit that can be checked before a parser runs (see the module docstring)."""
    check_file_size(len(data))
    if file_type in (".xlsx", ".xlsm"):
        _check_zip(data)
    elif file_type in (".csv", ".md"):
        _check_text(data, "|" if file_type == ".md" else ",")


def check_read_sheets(sheets: Mapping[str, Any]) -> None:
    """Rows and cells of sheets already read (legacy .xls, whose file size bounds them)."""
    cells = 0
    for name, rows in sheets.items():
        if not isinstance(rows, list):
            continue
        if len(rows) > MAX_ROWS:
            raise FormTooLarge(
                f"The sheet has {len(rows):,} rows; a form sheet may have at most "
                f"{MAX_ROWS:,}.", sheet=name)
        cells += sum(len(row) for row in rows if isinstance(row, dict))
        if cells > MAX_CELLS:
            raise FormTooLarge(
                f"The workbook has more than {MAX_CELLS:,} filled cells; a form may have at "
                f"most {MAX_CELLS:,}.", sheet=name)


def _check_text(data: bytes, separator: str) -> None:
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    if lines > MAX_ROWS:
        raise FormTooLarge(f"The form has {lines:,} lines; at most {MAX_ROWS:,} are allowed.")
    widest = max((line.count(separator.encode()) for line in data.splitlines()), default=0)
    if widest > MAX_COLUMNS:
        raise FormTooLarge(
            f"A line of the form has {widest:,} cells; at most {MAX_COLUMNS:,} are allowed.")


def _check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a readable zip: pyxform's reader reports it as such
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise FormTooLarge(
                f"The workbook holds {len(members):,} files; a workbook may hold at most "
                f"{MAX_ZIP_MEMBERS:,}.")
        _check_declared(members)
        counts = _Counts()
        total = 0
        for member in members:
            if member.is_dir():
                continue
            try:
                with archive.open(member) as stream:
                    total += _scan_member(stream, member.filename, total, counts)
            except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError,
                    RuntimeError, ValueError, zlib.error, lzma.LZMAError) as exc:
                # zlib and lzma raise their own errors on damaged compressed data.
                # A CRC mismatch is how zipfile sees a member inflating past its size.
                raise FormTooLarge(
                    f"The workbook's part '{member.filename[:100]}' is damaged or does "
                    f"not match its declared size ({type(exc).__name__}); it was not read.",
                    code=codes.FILE_NOT_A_FORM,
                ) from exc


def _check_declared(members: Iterable[zipfile.ZipInfo]) -> None:
    declared = 0
    for member in members:
        if member.file_size > MAX_MEMBER_BYTES:
            raise FormTooLarge(
                f"The workbook's part '{member.filename[:100]}' declares "
                f"{_size(member.file_size)} uncompressed; a part may be at most "
                f"{_size(MAX_MEMBER_BYTES)}.")
        declared += member.file_size
    if declared > MAX_UNCOMPRESSED_BYTES:
        raise FormTooLarge(
            f"The workbook declares {_size(declared)} uncompressed; a workbook may be at "
            f"most {_size(MAX_UNCOMPRESSED_BYTES)}.")


class _Counts:
    """What has been counted so far, across the workbook."""

    def __init__(self) -> None:
        self.cells = 0
        self.strings = 0


def _scan_member(stream: IO[bytes], name: str, before: int, counts: _Counts) -> int:
    """Read one member as a stream, counting its actual bytes; XML is scanned as it comes.
    Returns the member's size."""
    scanner = _SheetScanner(name, counts) if name.lower().endswith((".xml", ".rels")) else None
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > MAX_MEMBER_BYTES:
            raise FormTooLarge(
                f"The workbook's part '{name[:100]}' inflates to more than "
                f"{_size(MAX_MEMBER_BYTES)}; a part may be at most {_size(MAX_MEMBER_BYTES)}.")
        if before + size > MAX_UNCOMPRESSED_BYTES:
            raise FormTooLarge(
                f"The workbook inflates to more than {_size(MAX_UNCOMPRESSED_BYTES)}; a "
                f"workbook may be at most {_size(MAX_UNCOMPRESSED_BYTES)}.")
        if scanner is not None:
            scanner.feed(chunk)
    return size


class _SheetScanner:
    """Counts rows, valued cells and shared strings of one XML part with expat, and checks
    a worksheet's declared dimension. Builds no tree: memory does not grow with the part."""

    def __init__(self, name: str, counts: _Counts) -> None:
        self.name = name
        self.counts = counts
        self.rows = 0
        self.row_has_value = False
        self.in_cell = False
        self.cell_has_value = False
        self.parser = expat.ParserCreate(namespace_separator="}")
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.broken = False

    def feed(self, chunk: bytes) -> None:
        if self.broken:
            return
        try:
            self.parser.Parse(chunk, False)
        except expat.ExpatError:
            # Not XML after all (or malformed): openpyxl will refuse it if it matters.
            self.broken = True

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        local = tag.rpartition("}")[2]
        if local == "c":
            self.in_cell, self.cell_has_value = True, False
            self._check_column(attrs.get("r", ""))
        elif local in ("v", "is", "f") and self.in_cell:
            self.cell_has_value = True
        elif local == "row":
            self.row_has_value = False
        elif local == "si":
            self.counts.strings += 1
            if self.counts.strings > MAX_CELLS:
                raise FormTooLarge(
                    f"The workbook has more than {MAX_CELLS:,} shared strings; a form may "
                    f"have at most {MAX_CELLS:,}.")
        elif local == "dimension":
            self._check_dimension(attrs.get("ref", ""))

    def _end(self, tag: str) -> None:
        local = tag.rpartition("}")[2]
        if local == "c":
            self.in_cell = False
            if self.cell_has_value:
                self.row_has_value = True
                self.counts.cells += 1
                if self.counts.cells > MAX_CELLS:
                    raise FormTooLarge(
                        f"The workbook has more than {MAX_CELLS:,} filled cells; a form "
                        f"may have at most {MAX_CELLS:,}.")
        elif local == "row" and self.row_has_value:
            self.rows += 1
            if self.rows > MAX_ROWS:
                raise FormTooLarge(
                    f"The sheet '{self.name}' has more than {MAX_ROWS:,} filled rows; a form "
                    f"sheet may have at most {MAX_ROWS:,}.")

    def _check_column(self, ref: str) -> None:
        match = _COLUMN.fullmatch(ref)
        if match and _column_index(match[1]) > MAX_COLUMNS:
            raise FormTooLarge(
                f"The sheet '{self.name}' has a cell in column {match[1][:10]}, past "
                f"column {MAX_COLUMNS:,} (XFD, Excel's last).")

    def _check_dimension(self, ref: str) -> None:
        columns = rows = 0
        for corner in ref.split(":"):
            match = _COLUMN.fullmatch(corner.strip())
            if match is None:
                continue
            columns = max(columns, _column_index(match[1]))
            rows = max(rows, int(match[2][:12]) if match[2] else 0)
        if columns > MAX_COLUMNS or rows > MAX_DECLARED_ROWS:
            raise FormTooLarge(
                f"The sheet '{self.name}' declares {rows:,} rows by {columns:,} columns; "
                f"a spreadsheet has at most {MAX_DECLARED_ROWS:,} by {MAX_COLUMNS:,}.")


def _column_index(letters: str) -> int:
    """A1-style column letters -> 1-based index (capped, so a long run stays cheap)."""
    index = 0
    for ch in letters[:8].upper():
        index = index * 26 + (ord(ch) - 64)
    return index if len(letters) <= 8 else 26**9


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB" if n >= 1024 * 1024 else f"{n:,} bytes"
