"""Exports and codebooks (pandas): the only package that imports pandas.

`export_form` takes every version of a form (compiled `Form`s), the records to export
(anything shaped like `model.RecordLike`: the central store's `ExportRecord` fits) and
writes CSV, Excel, SPSS, Stata or Parquet files with a codebook and an export report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qi_capture.export.constants import FORMATS, HEADERS, NOT_ENCRYPTED, VALUES, ExportOptions
from qi_capture.export.errors import (
    ExportDiskFull,
    ExportError,
    ExportFolderUnwritable,
    ParquetUnavailable,
)

if TYPE_CHECKING:
    from qi_capture.export.run import ExportResult, export_form

__all__ = [
    "FORMATS",
    "HEADERS",
    "NOT_ENCRYPTED",
    "VALUES",
    "ExportDiskFull",
    "ExportError",
    "ExportFolderUnwritable",
    "ExportOptions",
    "ExportResult",
    "ParquetUnavailable",
    "export_form",
]


def __getattr__(name: str) -> Any:
    # pandas costs ~0.6 s to import: load the exporter only when an export runs, so every
    # other CLI command (and the app) starts without it.
    if name in ("ExportResult", "export_form"):
        from qi_capture.export import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
