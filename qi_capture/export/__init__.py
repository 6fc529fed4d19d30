"""Exports and codebooks (pandas): the only package that imports pandas.

`export_form` takes every version of a form (compiled `Form`s), the records to export
(anything shaped like `model.RecordLike`: the central store's `ExportRecord` fits) and
writes CSV, Excel, SPSS, Stata or Parquet files with a codebook and an export report.
"""

from __future__ import annotations

from qi_capture.export.run import NOT_ENCRYPTED, ExportResult, export_form
from qi_capture.export.writers import FORMATS

__all__ = ["FORMATS", "NOT_ENCRYPTED", "ExportResult", "export_form"]
