"""Writing tables a batch at a time: CSV, Excel, Parquet, SPSS ``.sav`` and Stata ``.dta``.

Each table has a sink: ``write(batch)`` for every batch of typed columns (from
`tables.typed_frame`), then ``close()``. CSV, Excel and Parquet stream (memory stays
flat); pyreadstat writes a whole ``.sav``/``.dta`` at once, so those sinks keep the
compact, already coded columns of every batch until ``close()``. Every sink writes to a
temporary name given by the caller (`run.export_form` renames the files when all of
them are whole).

Safety: CSV cells a spreadsheet would run as a formula are neutralised (OWASP CSV
injection: a leading ``'``) unless raw output is asked for; every text cell of CSV is
quoted (RFC 4180; so a CR, LF, NUL or quote never splits a row). Excel text is written
as text, never as a formula; characters Excel cannot hold become a visible ``[U+XXXX]``;
text longer than a cell holds is cut with a marker. Each is counted for the report.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import itertools
import re
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
import pandas as pd
import pyreadstat

from qi_capture.export import names as naming
from qi_capture.export.arrow import pa, pc, polars, pq
from qi_capture.export.constants import (
    LEFT_BLANK_LABEL,
    NOT_ASKED_LABEL,
    SPSS_LEFT_BLANK,
    SPSS_NOT_ASKED,
    STATA_LEFT_BLANK,
    STATA_NOT_ASKED,
    ExportOptions,
)
from qi_capture.export.model import Column, Table, choice_label

EXCEL_CELL_MAX = 32767
#: Characters the xlsx format cannot hold (XML 1.0 forbids them): openpyxl refuses them.
EXCEL_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: What a spreadsheet would run at the start of a CSV cell (OWASP CSV injection).
CSV_TRIGGERS = re.compile(r"^[=+\-@\t\r]")
EXCEL_CUT_MARK = "…[cut: the whole text is in a csv or parquet export]"
SPSS_CUT_MARK = EXCEL_CUT_MARK
#: SPSS: at most 32,767 bytes in a text value.
SPSS_TEXT_BYTES = 32_767


@dataclass
class Counts:
    """What the writers changed, per (table, column name): for the export report."""

    neutralised: Counter[tuple[str, str]] = field(default_factory=Counter)
    escaped: Counter[tuple[str, str]] = field(default_factory=Counter)
    cut: Counter[tuple[str, str]] = field(default_factory=Counter)


class Sink(Protocol):
    def write(self, frame: pd.DataFrame, masks: dict[str, np.ndarray]) -> None: ...
    def close(self) -> None: ...
    def abort(self) -> None:
        """Release the file after a failure (the caller removes it)."""


# -- values as names or labels ---------------------------------------------------------------
def _as_labels(series: pd.Series, column: Column, language: str | None) -> pd.Series:
    """Choice names as their labels, still text or None (pandas' ``map`` would make its
    own text type, with NaN where a cell is empty, which the writers do not read)."""
    labels = {c.name: choice_label(c, language) for c in column.choices}
    if column.vtype == "select_one":
        values = [labels.get(v, v) if isinstance(v, str) else v for v in series.tolist()]
    else:
        values = ["; ".join(labels.get(n, n) for n in v.split()) if isinstance(v, str) else v
                  for v in series.tolist()]
    return pd.Series(values, index=series.index, dtype=object)


def plain_series(series: pd.Series, column: Column, options: ExportOptions,
                 language: str | None) -> pd.Series:
    if options.values == "labels" and column.vtype in ("select_one", "select_multiple"):
        return _as_labels(series, column, language)
    return series


#: A text cell that a spreadsheet would run, within the column's cells joined by NUL.
_JOINED_TRIGGER = re.compile("\x00" + CSV_TRIGGERS.pattern[1:])


def _starts_with_trigger(values: list[Any]) -> list[int]:
    """Positions of the text cells (str or None) that start with a character a
    spreadsheet would run as a formula.

    One search in C over the column's cells joined by NUL first: with no match, no cell
    starts with one (most columns); a match (maybe a NUL inside a cell) has each cell's
    first character tested."""
    if not _JOINED_TRIGGER.search("\x00" + "\x00".join(filter(None, values))):
        return []
    return [i for i, v in enumerate(values) if v and v[0] in "=+-@\t\r"]


def _cells(series: pd.Series, vtype: str) -> list[Any]:
    """A typed column as Python values (None for missing)."""
    if vtype in ("integer", "flag"):
        values = series.to_numpy(dtype=object, na_value=None)
        return values.tolist()  # type: ignore[no-any-return]
    if vtype == "decimal":
        arr = series.to_numpy(dtype="float64", na_value=np.nan)
        return [None if v != v else v for v in arr.tolist()]
    if vtype == "datetime":
        return [None if v is pd.NaT else v for v in series.dt.to_pydatetime().tolist()]
    if vtype == "date":
        return [None if v is pd.NaT else v.date() for v in series.dt.to_pydatetime().tolist()]
    return series.tolist()  # type: ignore[no-any-return]


# -- CSV -------------------------------------------------------------------------------------
#: How a date-time cell is written (the values are UTC, without the zone).
_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class CsvSink:
    def __init__(self, path: Path, table: Table, headers: list[str], options: ExportOptions,
                 language: str | None, counts: Counts) -> None:
        self.table = table
        self.headers = headers
        self.options = options
        self.language = language
        self.counts = counts
        # UTF-8 with a byte-order mark so Excel reads accents right; CRLF line ends and
        # every text cell quoted (RFC 4180).
        self.file = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.file, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
        self.writer.writerow(self._neutral_list(headers, "(header)"))

    def _neutral_list(self, values: list[str], where: str) -> list[str]:
        if self.options.csv_raw:
            return values
        out = []
        for v in values:
            if CSV_TRIGGERS.match(v):
                self.counts.neutralised[(self.table.name, where)] += 1
                v = "'" + v
            out.append(v)
        return out

    def _text(self, series: pd.Series, name: str) -> pd.Series:
        if self.options.csv_raw:
            return series
        values: list[Any] = series.tolist()
        hits = _starts_with_trigger(values)
        if hits:
            self.counts.neutralised[(self.table.name, name)] += len(hits)
            for i in hits:
                values[i] = "'" + values[i]
            series = pd.Series(values, index=series.index, dtype=object)
        return series

    def write(self, frame: pd.DataFrame, masks: dict[str, np.ndarray]) -> None:
        columns: dict[str, pd.Series] = {}
        for i, column in enumerate(self.table.columns):
            series = frame[column.key]
            if column.vtype in ("text", "select_one", "select_multiple"):
                series = plain_series(series, column, self.options, self.language)
                series = self._text(series, self.headers[i])
            elif column.vtype in ("datetime", "date"):
                pattern = _DATETIME_FORMAT if column.vtype == "datetime" else "%Y-%m-%d"
                text = series.dt.strftime(pattern)
                series = text.astype(object).where(text.notna(), None)
            elif column.vtype == "time":
                series = pd.Series([None if v is None else v.isoformat() for v in series],
                                   index=series.index, dtype=object)
            columns[str(i)] = series  # positions: headers may repeat once neutralised
        # The same pandas call as writing any DataFrame: text quoted, numbers bare, an
        # empty cell as "" (what csv.writer with QUOTE_NONNUMERIC writes for None).
        pd.DataFrame(columns, index=frame.index).to_csv(
            self.file, header=False, index=False, quoting=csv.QUOTE_NONNUMERIC,
            lineterminator="\r\n", na_rep="")

    def write_arrow(self, table: Any) -> None:
        """A batch already in Arrow (an export-ready copy), written as `write` writes the
        same frame, byte for byte: the text of every cell made by Arrow's compute
        functions (which let go of Python's lock), the rows joined there and the bytes
        written as they are. Only decimals and times are formatted by Python (``repr``
        and ``isoformat``, as the csv module and `write` do); choice labels
        (``--values labels``) go through pandas."""
        cells = [self._arrow_cells(table.column(c.key).combine_chunks(), c, self.headers[i])
                 for i, c in enumerate(self.table.columns)]
        if not table.num_rows:
            return
        lines = pc.binary_join_element_wise(*cells, ",")
        rows = pc.binary_join_element_wise(lines, pa.scalar("\r\n"), "")
        # The rows' text lies whole in the array's data buffer, between its first and
        # last offsets.
        _validity, offsets, data = rows.buffers()
        bounds = np.frombuffer(offsets, dtype=np.int32)
        start, end = int(bounds[rows.offset]), int(bounds[rows.offset + len(rows)])
        self.file.flush()  # the header (and the byte-order mark) first
        self.file.buffer.write(data.slice(start, end - start).to_pybytes())

    def _arrow_cells(self, values: Any, column: Column, header: str) -> Any:
        """One column's cells as CSV text (QUOTE_NONNUMERIC: text quoted, quotes doubled;
        numbers bare; an empty cell ``""``)."""
        kind = values.type
        if column.vtype in ("select_one", "select_multiple") and self.options.values == "labels":
            series = pd.Series(values.to_numpy(zero_copy_only=False), dtype=object)
            values = pa.array(plain_series(series, column, self.options, self.language),
                              type=pa.string(), from_pandas=True)
            kind = values.type
        if pa.types.is_integer(kind):
            return pc.fill_null(values.cast(pa.string()), '""')
        if pa.types.is_timestamp(kind):
            pattern = "%Y-%m-%d" if column.vtype == "date" else _DATETIME_FORMAT
            # Whole seconds, as Python's strftime writes %S (Arrow's adds the fraction).
            whole = pc.floor_temporal(values, unit="second").cast(pa.timestamp("s"))
            return _quoted(pc.strftime(whole, format=pattern))
        if pa.types.is_floating(kind):
            return pa.array(['""' if v is None else repr(float(v)) for v in values.to_pylist()],
                            type=pa.string())
        if pa.types.is_time(kind):
            return pa.array(['""' if v is None else f'"{v.isoformat()}"'
                             for v in values.to_pylist()], type=pa.string())
        text = values.cast(pa.string())
        if column.vtype in ("text", "select_one", "select_multiple") and not self.options.csv_raw:
            hit = pc.fill_null(pc.match_substring_regex(text, CSV_TRIGGERS.pattern), False)
            count = pc.sum(hit).as_py() or 0
            if count:
                self.counts.neutralised[(self.table.name, header)] += count
                text = pc.if_else(hit, pc.binary_join_element_wise("'", text, ""), text)
        return _quoted(text)

    def close(self) -> None:
        self.file.flush()
        _fsync(self.file)
        self.file.close()

    def abort(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.file.close()
        with contextlib.suppress(OSError, ValueError):
            self.file.buffer.close()  # a failed flush leaves the raw file open


def _fsync(file: IO[Any]) -> None:
    import os

    os.fsync(file.fileno())


def _quoted(text: Any) -> Any:
    """Arrow text as quoted CSV cells (quotes doubled); null as ``""``."""
    escaped = pc.replace_substring(text, '"', '""')
    return pc.fill_null(pc.binary_join_element_wise('"', escaped, '"', ""), '""')


# -- Excel -----------------------------------------------------------------------------------
def sheet_name(name: str, used: set[str]) -> str:
    """At most 31 characters, none of ``[]:*?/\\``, unique (case-insensitively)."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", name)[:31] or "sheet"
    candidate, n = base, 1
    while candidate.lower() in used:
        n += 1
        candidate = base[: 31 - len(str(n)) - 1] + f"_{n}"
    used.add(candidate.lower())
    return candidate


class _Abortable:
    """The file an xlsx is zipped into. After a failure its writes go nowhere, so the
    zip writer openpyxl leaves behind can finish quietly when it is collected."""

    def __init__(self, path: Path) -> None:
        self.raw = path.open("wb")
        self.aborted = False

    def write(self, data: bytes) -> int:
        return len(data) if self.aborted else self.raw.write(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0 if self.aborted else self.raw.seek(offset, whence)

    def tell(self) -> int:
        return 0 if self.aborted else self.raw.tell()

    def flush(self) -> None:
        if not self.aborted:
            self.raw.flush()

    def seekable(self) -> bool:
        return True

    def abort(self) -> None:
        self.aborted = True
        with contextlib.suppress(OSError, ValueError):
            self.raw.close()


class Workbook:
    """One streamed (write-only) workbook: a sheet per table, saved on `save`.

    openpyxl streams each sheet into a scratch file, by default in the system's
    temporary folder; here they go beside the export (``scratch`` names them), so no
    answer is ever written outside the folder the admin chose, and a failure removes
    them with the rest."""

    def __init__(self, path: Path, scratch: Callable[[], Path]) -> None:
        from openpyxl import Workbook as OpenpyxlWorkbook  # type: ignore[import-untyped]

        self.path = path
        self.scratch = scratch
        self.book = OpenpyxlWorkbook(write_only=True)
        self.used: set[str] = set()
        self.file: _Abortable | None = None

    def sheet(self, name: str) -> Any:
        from openpyxl.worksheet import _writer  # type: ignore[import-untyped]

        ws = self.book.create_sheet(sheet_name(name, self.used))
        part = self.scratch()
        _writer.ALL_TEMP_FILES.append(str(part))
        ws._writer = _writer.WorksheetWriter(ws, out=str(part))
        ws._writer.write_top()
        return ws

    def save(self) -> None:
        self.file = _Abortable(self.path)
        self.book.save(self.file)
        self.file.raw.flush()
        _fsync(self.file.raw)
        self.file.raw.close()

    def abort(self) -> None:
        for ws in self.book.worksheets:
            with contextlib.suppress(Exception):  # a sheet whose file failed: let it go
                ws.close()
        if self.file is not None:
            self.file.abort()


def excel_text(value: str, where: tuple[str, str], counts: Counts, sheet: Any) -> Any:
    """Text as an Excel cell holds it: illegal characters escaped visibly, cut to the
    cell limit with a marker, and never a formula."""
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]

    if EXCEL_ILLEGAL.search(value):
        counts.escaped[where] += 1
        value = EXCEL_ILLEGAL.sub(lambda m: f"[U+{ord(m.group()):04X}]", value)
    if len(value) > EXCEL_CELL_MAX:
        counts.cut[where] += 1
        value = value[: EXCEL_CELL_MAX - len(EXCEL_CUT_MARK)] + EXCEL_CUT_MARK
    if value.startswith("="):
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        return cell
    return value


class XlsxSink:
    def __init__(self, book: Workbook, table: Table, headers: list[str], options: ExportOptions,
                 language: str | None, counts: Counts) -> None:
        self.sheet = book.sheet(table.name)
        self.table = table
        self.headers = headers
        self.options = options
        self.language = language
        self.counts = counts
        self.sheet.append([excel_text(h, (table.name, "(header)"), counts, self.sheet)
                           for h in headers])

    def _text(self, series: pd.Series, name: str) -> list[Any]:
        values: list[Any] = series.tolist()
        # Per-cell work only where a cell needs it (one vectorised test per column).
        risky = series.str.contains(r"^=|[\x00-\x08\x0b\x0c\x0e-\x1f]", regex=True, na=False)
        long = series.str.len().gt(EXCEL_CELL_MAX).fillna(False)
        where = (self.table.name, name)
        for i in np.flatnonzero((risky | long).to_numpy(dtype=bool)):
            values[i] = excel_text(values[i], where, self.counts, self.sheet)
        return values

    def write(self, frame: pd.DataFrame, masks: dict[str, np.ndarray]) -> None:
        columns: list[list[Any]] = []
        for column, name in zip(self.table.columns, self.headers, strict=True):
            series = frame[column.key]
            if column.vtype in ("text", "select_one", "select_multiple"):
                series = plain_series(series, column, self.options, self.language)
                columns.append(self._text(series, name))
            else:
                columns.append(_cells(series, column.vtype))
        append = self.sheet.append
        for row in zip(*columns, strict=True):
            append(row)

    def close(self) -> None:
        pass  # the workbook is saved once, with every sheet

    def abort(self) -> None:
        pass  # the workbook's abort covers its sheets


# -- Parquet ---------------------------------------------------------------------------------
def _arrow_types() -> dict[str, Any]:
    assert pa is not None  # export_form refuses Parquet without pyarrow
    return {
        "integer": pa.int64(),
        "flag": pa.int64(),
        "decimal": pa.float64(),
        "date": pa.date32(),
        "time": pa.time64("us"),
        "datetime": pa.timestamp("us", tz="UTC"),
    }


class ParquetSink:
    def __init__(self, path: Path, table: Table, headers: list[str], options: ExportOptions,
                 language: str | None, counts: Counts) -> None:
        self.table = table
        self.options = options
        self.language = language
        assert pa is not None and pq is not None  # export_form refuses Parquet without it
        kinds = _arrow_types()
        self.schema = pa.schema(
            [pa.field(h, kinds.get(c.vtype, pa.string()))
             for c, h in zip(table.columns, headers, strict=True)]
        )
        self.writer = pq.ParquetWriter(str(path), self.schema)
        self.path = path
        # Arrow encodes, compresses and writes a row group without holding the GIL: in a
        # thread of its own, beside the reading and typing of the next batch. At most one
        # batch waits for it, so memory stays that of two batches.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qi-parquet")
        self._pending: Future[None] | None = None

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()  # the writer's error, if any, is raised here

    def _array(self, series: pd.Series, column: Column, kind: Any) -> Any:
        if column.vtype == "datetime":
            return pa.array(series, type=pa.timestamp("us"), from_pandas=True).cast(kind)
        if column.vtype == "date":
            return pa.array(series, type=pa.timestamp("us"), from_pandas=True).cast(kind)
        if column.vtype in ("text", "select_one", "select_multiple"):
            series = plain_series(series, column, self.options, self.language)
            return pa.array(series.to_numpy(dtype=object), type=kind, from_pandas=True)
        return pa.array(series, type=kind, from_pandas=True)

    def write(self, frame: pd.DataFrame, masks: dict[str, np.ndarray]) -> None:
        arrays = [self._array(frame[c.key], c, f.type)
                  for c, f in zip(self.table.columns, self.schema, strict=True)]
        self._submit(pa.Table.from_arrays(arrays, schema=self.schema))

    def write_arrow(self, table: Any) -> None:
        """A batch already in Arrow (an export-ready copy: the frame `typed_frame` made,
        as pyarrow converts it), written as `write` writes the same frame: each column
        cast to its Parquet type, choice labels (``--values labels``) through pandas."""
        arrays = []
        for c, f in zip(self.table.columns, self.schema, strict=True):
            column = table.column(c.key)
            if self.options.values == "labels" and c.vtype in ("select_one",
                                                                "select_multiple"):
                series = pd.Series(column.to_numpy(zero_copy_only=False), dtype=object)
                arrays.append(self._array(series, c, f.type))
            elif c.vtype in ("datetime", "date"):
                arrays.append(column.cast(pa.timestamp("us")).cast(f.type))
            else:
                arrays.append(column.cast(f.type))
        self._submit(pa.Table.from_arrays(arrays, schema=self.schema))

    def _submit(self, batch: Any) -> None:
        self._wait()
        self._pending = self._pool.submit(self.writer.write_table, batch)

    def close(self) -> None:
        self._wait()
        self._pool.shutdown()
        self.writer.close()
        with self.path.open("rb+") as f:
            _fsync(f)

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._wait()
        self._pool.shutdown()
        with contextlib.suppress(Exception):
            self.writer.close()


# -- SPSS and Stata --------------------------------------------------------------------------
@dataclass
class Coding:
    """How one select_one column is coded as numbers for SPSS and Stata."""

    codes: dict[str, int]
    labels: dict[int, str]


def coding(column: Column, language: str | None) -> Coding | None:
    if column.kind != "value" or column.vtype != "select_one" or not column.choices:
        return None
    names = [c.name for c in column.choices]
    if all(re.fullmatch(r"-?\d{1,9}", n) for n in names) and len(set(map(int, names))) == len(
        names
    ):
        codes = {n: int(n) for n in names}
    else:
        codes = {n: i for i, n in enumerate(names, start=1)}
    labels = {codes[c.name]: choice_label(c, language) for c in column.choices}
    return Coding(codes, labels)


def measure(column: Column) -> str:
    """SPSS measurement level."""
    if column.vtype == "select_one":
        return "ordinal" if column.likert else "nominal"
    if column.vtype in ("integer", "decimal", "date", "time", "datetime"):
        return "scale"
    return "nominal"


@dataclass
class StatVariable:
    """How one column is written to SPSS or Stata."""

    column: Column
    name: str
    label: str
    #: The label as written when shortened to fit the format ("" if whole).
    shortened: str = ""
    value_labels: dict[Any, str] = field(default_factory=dict)
    #: Value labels shortened to fit: code -> label as written.
    shortened_values: dict[Any, str] = field(default_factory=dict)
    #: Whether empty cells are written as the "not asked"/"left blank" missing codes.
    coded_missing: bool = False
    coding: Coding | None = None


def stat_variables(table: Table, language: str | None, *, stata: bool,
                   names: dict[str, str]) -> list[StatVariable]:
    out: list[StatVariable] = []
    for column in table.columns:
        label = column.label
        keep = f": {column.choice_label}" if column.kind == "choice" else ""
        if stata:
            written = naming.shorten(label, naming.STATA_LABEL_CHARS, keep=keep)
        else:
            written = naming.shorten(label, naming.SPSS_LABEL_BYTES, by_bytes=True, keep=keep)
        var = StatVariable(column, names[column.key], label,
                           shortened=written if written != label else "")
        code = coding(column, language)
        var.coding = code
        values: dict[Any, str] = {}
        if code is not None:
            values.update(code.labels)
        elif column.vtype == "flag":
            values.update({0: "No", 1: "Yes"})
        numeric = code is not None or column.vtype in ("integer", "decimal", "flag")
        if numeric and column.kind in ("value", "choice"):
            var.coded_missing = True
            if stata:
                values.update({STATA_NOT_ASKED: NOT_ASKED_LABEL,
                               STATA_LEFT_BLANK: LEFT_BLANK_LABEL})
            else:
                values.update({SPSS_NOT_ASKED: NOT_ASKED_LABEL, SPSS_LEFT_BLANK: LEFT_BLANK_LABEL})
        for k, text in values.items():
            if stata:
                short = naming.shorten(text, naming.STATA_VALUE_LABEL_CHARS)
            else:
                short = naming.shorten(text, naming.SPSS_VALUE_LABEL_BYTES, by_bytes=True)
            if short != text:
                var.shortened_values[k] = short
            var.value_labels[k] = short
        out.append(var)
    return out


class StatSink:
    """SPSS or Stata: each batch coded into compact columns; one write on `close`
    (pyreadstat writes a whole file at once: these files need memory for their data)."""

    def __init__(self, path: Path, table: Table, variables: list[StatVariable], *,
                 stata: bool, counts: Counts) -> None:
        self.counts = counts
        self.path = path
        self.table = table
        self.variables = variables
        self.stata = stata
        # Frames (batches decoded from records) and, with Polars, coded Arrow tables
        # (batches from the export-ready copies), in the order of their rows.
        self.parts: list[pd.DataFrame | Any] = []

    def _numbers(self, var: StatVariable, series: pd.Series,
                 mask: np.ndarray | None) -> pd.Series:
        if var.coding is not None:
            # A name that is no choice becomes missing.
            numbers = _coded(series, var.coding.codes)
        else:
            numbers = series.astype("float64")
        return self._missing(var, numbers, mask)

    def _missing(self, var: StatVariable, numbers: pd.Series,
                 mask: np.ndarray | None) -> pd.Series:
        """Numbers (NaN: empty) with the empty cells coded "not asked" or "left blank"."""
        if not var.coded_missing:
            return numbers
        empty = numbers.isna().to_numpy()
        if not empty.any():
            return numbers
        not_asked = empty & mask if mask is not None else np.zeros(len(numbers), dtype=bool)
        blank = empty & ~not_asked
        if self.stata:
            out = numbers.astype(object)
            out[blank] = STATA_LEFT_BLANK
            out[not_asked] = STATA_NOT_ASKED
            return out
        values = numbers.to_numpy(copy=True)
        values[blank] = SPSS_LEFT_BLANK
        values[not_asked] = SPSS_NOT_ASKED
        return pd.Series(values, index=numbers.index)

    def _other(self, series: pd.Series, vtype: str, name: str) -> pd.Series:
        """Dates as Python dates (pyreadstat's date type); date-times and times as they
        are. A date or time column without a value is handed over as date-times (its
        format, `_stat_formats`, makes it a date or a time): pyreadstat takes a column of
        nothing but None for text."""
        if vtype in ("date", "time") and series.isna().all():
            return _no_dates(len(series))
        if vtype == "date":
            return pd.Series(_cells(series, "date"), index=series.index, dtype=object)
        return series

    def _spss_text(self, texts: pd.Series, name: str) -> pd.Series:
        """SPSS holds at most 32,767 bytes of text per value: longer text is cut at a
        character boundary, ends with a marker, and is counted."""
        if max(map(len, texts.tolist()), default=0) <= SPSS_TEXT_BYTES // 4:
            return texts  # (the common case, told by one pass in C)
        maybe = texts.str.len().gt(SPSS_TEXT_BYTES // 4).to_numpy(dtype=bool)
        for i in np.flatnonzero(maybe):
            texts.iloc[i] = self._spss_cut(texts.iloc[i], name)
        return texts

    def _spss_cut(self, value: str, name: str) -> str:
        data = value.encode("utf-8")
        if len(data) <= SPSS_TEXT_BYTES:
            return value
        self.counts.cut[(self.table.name, name)] += 1
        room = SPSS_TEXT_BYTES - len(SPSS_CUT_MARK.encode("utf-8"))
        return data[:room].decode("utf-8", errors="ignore") + SPSS_CUT_MARK

    def write(self, frame: pd.DataFrame, masks: dict[str, np.ndarray]) -> None:
        out: dict[str, Any] = {}
        for var in self.variables:
            column = var.column
            series = frame[column.key]
            vtype = column.vtype
            if var.coding is not None or vtype in ("integer", "decimal", "flag"):
                out[var.name] = self._numbers(var, series, masks.get(column.key))
            elif vtype in ("date", "datetime", "time"):
                out[var.name] = self._other(series, vtype, var.name)
            else:
                text = series.to_numpy(dtype=object)
                missing = pd.isna(text)
                if missing.any():
                    text = text.copy()
                    text[missing] = ""
                texts = pd.Series(text, index=series.index, dtype=object)
                # readstat ends a text at a NUL: shown as a visible escape instead. (One
                # search in C over the joined column tells whether any cell holds one.)
                if "\x00" in "".join(texts.tolist()):
                    nul = texts.str.contains("\x00", regex=False).to_numpy(dtype=bool)
                    self.counts.escaped[(self.table.name, var.name)] += int(nul.sum())
                    texts[nul] = texts[nul].str.replace("\x00", "[U+0000]", regex=False)
                if not self.stata:
                    texts = self._spss_text(texts, var.name)
                out[var.name] = texts
        self.parts.append(pd.DataFrame(out, index=frame.index))

    def write_arrow(self, table: Any, masks: dict[str, np.ndarray]) -> None:
        """A batch already in Arrow (an export-ready copy), coded as `write` codes the
        same frame, in Arrow (`_coded_arrow`: choices by `index_in`, no text made for
        them). With Polars at hand it stays in Arrow until `close`; otherwise it becomes
        the frame `write` would have made, its text Python text only here, where
        pyreadstat needs it."""
        coded = self._coded_arrow(table, masks)
        self.parts.append(coded if polars() is not None else self._arrow_frame(coded))

    def _coded_arrow(self, table: Any, masks: dict[str, np.ndarray]) -> Any:
        """A batch coded in Arrow, as `write` codes the same frame: the empty cell is null
        (NaN too), text is never empty of a value (""), dates are dates. Stata's "not
        asked" and "left blank" are letters, which a column of numbers cannot hold: a
        column of those codes (`_STATA_MISSING`) goes beside the numbers until `_data`."""
        out: dict[str, Any] = {}
        for var in self.variables:
            column = var.column
            values = table.column(column.key).combine_chunks()
            vtype = column.vtype
            if var.coding is not None or vtype in ("integer", "decimal", "flag"):
                if var.coding is not None:
                    names = list(var.coding.codes)
                    found = pc.index_in(values.cast(pa.string()),
                                        value_set=pa.array(names, type=pa.string()))
                    codes = pa.array([float(var.coding.codes[n]) for n in names], pa.float64())
                    numbers = pc.take(codes, found)  # (a name that is no choice: null)
                else:
                    numbers = values.cast(pa.float64())
                out[var.name] = self._missing_arrow(var, numbers, masks.get(column.key))
                if self.stata and var.coded_missing:
                    out[var.name + _STATA_MISSING] = _stata_missing(
                        out[var.name], masks.get(column.key))
            elif vtype == "date":
                out[var.name] = values.cast(pa.date32())
            elif vtype == "datetime":
                out[var.name] = values.cast(pa.timestamp("us"))
            elif vtype == "time":
                out[var.name] = values.cast(pa.time64("us"))
            else:
                out[var.name] = self._text_arrow(values, var.name)
        return pa.table(out)

    def _missing_arrow(self, var: StatVariable, numbers: Any, mask: np.ndarray | None) -> Any:
        """`_missing` in Arrow: null (or NaN) cells coded "not asked" or "left blank"."""
        nan = pc.fill_null(pc.is_nan(numbers), False)
        if pc.any(nan).as_py():
            numbers = pc.if_else(nan, pa.scalar(None, pa.float64()), numbers)
        if self.stata or not var.coded_missing or numbers.null_count == 0:
            return numbers
        fill = (pa.array(np.where(mask, SPSS_NOT_ASKED, SPSS_LEFT_BLANK)) if mask is not None
                else pa.scalar(SPSS_LEFT_BLANK, pa.float64()))
        return pc.coalesce(numbers, fill)

    def _text_arrow(self, values: Any, name: str) -> Any:
        """Text as `write` makes it: empty for none, NUL escaped, cut to what SPSS holds
        (Stata holds any length, as strL)."""
        text = pc.fill_null(values.cast(pa.string()), "")
        nul = pc.match_substring(text, "\x00")
        if pc.any(nul).as_py():
            self.counts.escaped[(self.table.name, name)] += pc.sum(nul).as_py()
            text = pc.replace_substring(text, "\x00", "[U+0000]")
        if self.stata:
            return text
        too_long = pc.greater(pc.binary_length(text), SPSS_TEXT_BYTES)
        if not pc.any(too_long).as_py():
            return text
        cells = text.to_pylist()
        for i in np.flatnonzero(too_long.to_numpy(zero_copy_only=False)):
            cells[i] = self._spss_cut(cells[i], name)
        return pa.array(cells, pa.string())

    def _data(self) -> Any:
        """The file's rows: a Polars frame when every batch is in Arrow, else pandas."""
        parts, self.parts = self.parts, []
        arrow = [p for p in parts if not isinstance(p, pd.DataFrame)]
        if arrow:  # (a frame of no rows, as the last flush may write, adds nothing)
            parts = [p for p in parts if not isinstance(p, pd.DataFrame) or len(p)]
        if arrow and len(arrow) == len(parts):
            return self._polars_frame(pa.concat_tables(arrow, promote_options="permissive"))
        if parts:
            return pd.concat([p if isinstance(p, pd.DataFrame) else self._arrow_frame(p)
                              for p in parts], ignore_index=True)
        return pd.DataFrame({v.name: pd.Series([], dtype=_empty_dtype(v)) for v in
                             self.variables})

    def _polars_frame(self, table: Any) -> Any:
        """The coded Arrow batches as one Polars frame (not rechunked: pyreadstat reads
        the rows in order, chunk after chunk). Stata: a column with "not asked" or "left
        blank" cells becomes one of Python objects, numbers and letters, as pyreadstat
        takes them (in pandas too)."""
        pl = polars()
        columns: list[Any] = []
        for var in self.variables:
            column = table.column(var.name)
            letters = _letters(table, var.name)
            if letters is None:
                columns.append(pl.from_arrow(column, rechunk=False).alias(var.name))
            else:
                columns.append(pl.Series(var.name, letters.tolist(), dtype=pl.Object))
        return pl.DataFrame(columns)

    def _arrow_frame(self, table: Any) -> pd.DataFrame:
        """Coded Arrow batches as `write` would have made them (for a file whose other
        batches are frames): numbers with NaN, Stata's letters, dates as Python dates,
        text as objects."""
        out: dict[str, Any] = {}
        for var in self.variables:
            column = table.column(var.name)
            letters = _letters(table, var.name)
            if letters is not None:
                out[var.name] = pd.Series(letters, dtype=object)
            elif pa.types.is_string(column.type):
                out[var.name] = pd.Series(column.to_numpy(), dtype=object)
            elif (pa.types.is_date(column.type) or pa.types.is_time(column.type)) and \
                    column.null_count == len(column):
                out[var.name] = _no_dates(len(column))  # (as `_other` has it)
            else:
                out[var.name] = pa.table({"v": column}).to_pandas()["v"]
        return pd.DataFrame(out, index=pd.RangeIndex(table.num_rows))

    def close(self) -> None:
        data = self._data()
        labels: dict[str, str | None] = {v.name: v.shortened or v.label for v in self.variables}
        values = {v.name: v.value_labels for v in self.variables if v.value_labels}
        if self.stata:
            missing = {v.name: [STATA_NOT_ASKED, STATA_LEFT_BLANK] for v in self.variables
                       if v.coded_missing}
            # Format 118 (Stata 14 and later): UTF-8, strL. pyreadstat's default, 119, has
            # strL that R's haven reads as empty text.
            pyreadstat.write_dta(data, str(self.path), column_labels=labels,
                                 variable_value_labels=values, missing_user_values=missing,
                                 version=14, variable_format=_stata_formats(self.variables))
        else:
            ranges: dict[str, list[Any]] = {
                v.name: [SPSS_NOT_ASKED, SPSS_LEFT_BLANK] for v in self.variables
                if v.coded_missing
            }
            pyreadstat.write_sav(
                data, str(self.path), column_labels=labels, variable_value_labels=values,
                missing_ranges=ranges,
                variable_measure={v.name: measure(v.column) for v in self.variables},
                variable_format=_spss_formats(self.variables),
            )
        with self.path.open("rb+") as f:
            _fsync(f)

    def abort(self) -> None:
        self.parts = []


def _coded(series: pd.Series, codes: dict[str, int]) -> pd.Series:
    """Choice names -> their codes as float64 (NaN: empty, or no choice of the list)."""
    values = series.tolist()
    try:
        # A C-level map over the dict's get: far cheaper than building an index.
        found = list(map(codes.get, values, itertools.repeat(np.nan, len(values))))
    except TypeError:  # an unhashable cell (only a damaged record holds one)
        return series.map(lambda v: codes.get(v, np.nan) if isinstance(v, str) else np.nan
                          ).astype("float64")
    return pd.Series(np.array(found, dtype="float64"), index=series.index)


def _spss_formats(variables: list[StatVariable]) -> dict[str, str]:
    """Display formats wide enough for the missing codes (SPSS's default, F8.2, shows
    -999999998 as -1E+009): whole numbers and codes F10.0, decimals F14.4. Dates and
    times as pyreadstat formats them, named here for a column without a value (which
    `StatSink._other` hands over as date-times)."""
    out: dict[str, str] = {}
    for v in variables:
        if v.coding is not None or v.column.vtype in ("integer", "flag"):
            out[v.name] = "F10.0"
        elif v.column.vtype == "decimal":
            out[v.name] = "F14.4"
        elif v.column.vtype in ("date", "time"):
            out[v.name] = v.column.vtype.upper()
    return out


def _stata_formats(variables: list[StatVariable]) -> dict[str, str]:
    """pyreadstat's formats of dates and times, for a column without a value."""
    formats = {"date": "%td", "time": "%tcHH:MM:SS"}
    return {v.name: formats[v.column.vtype] for v in variables if v.column.vtype in formats}


#: Beside a Stata column of coded numbers in Arrow: its cells' missing codes (0: none, 1:
#: not asked, 2: left blank). Variable names cannot hold the NUL.
_STATA_MISSING = "\x00missing"


def _stata_missing(numbers: Any, mask: np.ndarray | None) -> Any:
    """The missing codes of a Stata column's empty (null) cells, as `_missing` has them."""
    empty = pc.is_null(numbers).to_numpy(zero_copy_only=False)
    codes = np.where(empty, 2, 0).astype("int8")
    if mask is not None:
        codes[empty & mask] = 1
    return pa.array(codes)


def _letters(table: Any, name: str) -> np.ndarray | None:
    """A Stata column that may hold missing codes: the numbers with the codes as letters
    among them (objects); None for any other column. (Every such column, letters or
    not: pyreadstat labels the letters only in a column it is told may hold them, and
    asks a Polars column of numbers whether it does, which Polars refuses.)"""
    if name + _STATA_MISSING not in table.column_names:
        return None
    codes = table.column(name + _STATA_MISSING).to_numpy()
    values: np.ndarray = np.asarray(table.column(name).to_numpy(), dtype=object)
    values[codes == 1] = STATA_NOT_ASKED
    values[codes == 2] = STATA_LEFT_BLANK
    return values


def _no_dates(rows: int) -> pd.Series:
    return pd.Series(pd.NaT, index=pd.RangeIndex(rows), dtype="datetime64[us]")


def _empty_dtype(var: StatVariable) -> str:
    if var.coding is not None or var.column.vtype in ("integer", "decimal", "flag"):
        return "float64"
    if var.column.vtype in ("date", "datetime", "time"):
        return "datetime64[us]"  # (the date and the time by their format)
    return "object"


def time_text(value: dt.time | None) -> str | None:
    return None if value is None else value.isoformat()
