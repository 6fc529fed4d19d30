"""Writing tables: CSV, Excel (with a codebook sheet), SPSS .sav and Stata .dta with
variable and value labels (pyreadstat), Parquet. Every file goes to a temporary name in
the target folder, is fsynced, then renamed: a crash never leaves a partial file under
its final name."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat

from qi_capture.crypto.atomic import fsync_dir, temp_path_for
from qi_capture.export.model import Column, Table, choice_label
from qi_capture.fileperms import create_private, restrict

STATA_RESERVED = frozenset(
    [
        "_all",
        "_b",
        "byte",
        "_coef",
        "_cons",
        "double",
        "float",
        "if",
        "in",
        "int",
        "long",
        "_n",
        "_N",
        "_pi",
        "_pred",
        "_rc",
        "_skip",
        "str",
        "strL",
        "using",
        "with",
    ]
)
STATA_MAX = 32
SPSS_MAX = 64
STATA_LABEL_MAX = 80
STATA_STR_MAX = 2045
EXCEL_CELL_MAX = 32767


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``; renamed onto it when the block succeeds."""
    tmp = temp_path_for(path)
    # Writers that pick a format by suffix need the real one.
    tmp = tmp.with_name(tmp.name + path.suffix)
    try:
        # Exported answers are plaintext: 0600 before the writer opens (and truncates)
        # the file, which keeps that mode; tightened again in case a writer replaced it.
        create_private(tmp)
        yield tmp
        restrict(tmp)
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def safe_name(name: str, taken: set[str], *, limit: int, stata: bool) -> str:
    """A valid, unique variable name: letters, digits and ``_``, starting with a letter
    (SPSS) or letter/underscore (Stata), at most ``limit`` characters, not reserved."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", name) or "v"
    if not re.match(r"[A-Za-z]", base[0]):
        base = "v" + base
    if stata and base in STATA_RESERVED:
        base = "v_" + base
    base = base[:limit]
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        suffix = f"_{n}"
        candidate = base[: limit - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


@dataclass
class Coding:
    """How one select_one column is coded as numbers for SPSS and Stata."""

    codes: dict[str, int]
    labels: dict[int, str]


def coding(column: Column, language: str | None) -> Coding | None:
    if column.kind != "value" or column.type != "select_one" or not column.choices:
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


def statistical_frame(
    frame: pd.DataFrame, table: Table | None, language: str | None, *, stata: bool
) -> tuple[pd.DataFrame, dict[str, str | None], dict[str, dict[int | float, str]], dict[str, str]]:
    """(frame with valid names and coded selects, variable labels, value labels,
    original name -> new name)."""
    taken: set[str] = set()
    limit = STATA_MAX if stata else SPSS_MAX
    renames: dict[str, str] = {}
    labels: dict[str, str | None] = {}
    values: dict[str, dict[int | float, str]] = {}
    out = pd.DataFrame(index=frame.index)
    columns = {c.name: c for c in table.columns} if table is not None else {}
    for name in frame.columns:
        new = safe_name(str(name), taken, limit=limit, stata=stata)
        renames[str(name)] = new
        column = columns.get(str(name))
        series = frame[name]
        label = column.label if column is not None else str(name)
        labels[new] = label[:STATA_LABEL_MAX] if stata else label
        code = coding(column, language) if column is not None else None
        if code is not None:
            series = series.map(code.codes).astype("float64")
            values[new] = dict(code.labels.items())
        elif column is not None and column.kind == "choice":
            values[new] = {0: "No", 1: "Yes"}
            series = series.astype("float64")
        elif str(series.dtype) == "Int64":
            series = series.astype("float64")
        elif series.dtype == object:
            series = _text_column(series, STATA_STR_MAX if stata else None)
        out[new] = series
    return out, labels, values, renames


def _text_column(series: pd.Series, limit: int | None) -> pd.Series:
    """Text cells for SPSS/Stata: "" for missing, ``str()`` of anything not text,
    clipped to ``limit``; kept as a plain object column (the writers read those far
    faster than Arrow-backed strings). Per-cell Python only where a value is not
    text or too long."""
    filled = series.astype(object).where(series.notna(), "")
    if pd.api.types.infer_dtype(filled, skipna=False) != "string":
        filled = filled.map(str)
    if limit is not None and (filled.str.len() > limit).any():
        filled = filled.map(lambda v: v[:limit])
    return pd.Series(filled.to_numpy(dtype=object), index=series.index, dtype=object)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        # UTF-8 with a byte-order mark so Excel reads accents right.
        frame.to_csv(tmp, index=False, encoding="utf-8-sig")


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)


def _excel_column(series: pd.Series) -> list[Any]:
    """A column's cells as Excel takes them: None for missing, text clipped to Excel's
    cell limit, numbers as Python numbers, anything else as its text."""
    values: list[Any] = series.astype(object).where(series.notna(), None).tolist()
    if series.dtype.kind in "iufb":
        return values
    out: list[Any] = []
    append = out.append
    for v in values:
        if v is None or type(v) is int or type(v) is float:
            append(v)
        elif isinstance(v, str):
            append(v if len(v) <= EXCEL_CELL_MAX else v[:EXCEL_CELL_MAX])
        elif isinstance(v, bool | int | float):
            append(v)
        else:
            append(str(v)[:EXCEL_CELL_MAX])
    return out


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per table, streamed row by row (openpyxl's write-only workbook: no
    cell objects kept, unlike ``DataFrame.to_excel``)."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    with atomic_path(path) as tmp:
        book = Workbook(write_only=True)
        used: set[str] = set()
        for name, frame in sheets.items():
            sheet = book.create_sheet(safe_name(name, used, limit=31, stata=False))
            sheet.append([str(c) for c in frame.columns])
            columns = [_excel_column(frame[c]) for c in frame.columns]
            for row in zip(*columns, strict=True):
                sheet.append(row)
        book.save(tmp)


def write_sav(
    frame: pd.DataFrame, table: Table | None, language: str | None, path: Path
) -> dict[str, str]:
    data, labels, values, renames = statistical_frame(frame, table, language, stata=False)
    with atomic_path(path) as tmp:
        pyreadstat.write_sav(
            data, str(tmp), column_labels=labels, variable_value_labels=_value_labels(values)
        )
    return renames


def write_dta(
    frame: pd.DataFrame, table: Table | None, language: str | None, path: Path
) -> dict[str, str]:
    data, labels, values, renames = statistical_frame(frame, table, language, stata=True)
    with atomic_path(path) as tmp:
        pyreadstat.write_dta(
            data, str(tmp), column_labels=labels, variable_value_labels=_value_labels(values)
        )
    return renames


def _value_labels(values: dict[str, dict[int | float, str]]) -> dict[str, Any]:
    return {name: {float(k): v for k, v in mapping.items()} for name, mapping in values.items()}
