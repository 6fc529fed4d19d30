"""Exporting a form's merged records from the central store, for the admin door.

The same steps as ``qi-capture export`` (every stored version of the form, labels in
the form's default language unless told, an audit entry saying what was exported), as
a function the console and the self-test call through `AdminDesk.export_form`. The
exported files are NOT encrypted (`qi_capture.export.NOT_ENCRYPTED`).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qi_capture.central.errors import FormNotFound
from qi_capture.central.store import CentralStore
from qi_capture.export import ExportOptions
from qi_capture.forms.model import Form


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote: the folder, its files, rows per table and the report."""

    out_dir: Path
    files: tuple[Path, ...]
    #: Records exported (after the status filter) and rows per table written.
    included: int
    rows: tuple[tuple[str, int], ...]
    report: dict[str, Any]


def _version_key(version: str) -> tuple[Any, ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", version)
                 if p)


def export_form(central: CentralStore, form_id: str, out_dir: Path, fmt: str, *,
                language: str | None = None, statuses: Collection[str] | None = None,
                options: ExportOptions | None = None) -> ExportSummary:
    """Export every record of ``form_id`` (all its stored versions in one table set)."""
    stored = central.form_versions(form_id)
    if not stored:
        raise FormNotFound(form_id)
    by_version = {item.version: Form.from_json_text(item.compiled_json) for item in stored}
    forms = [by_version[v] for v in sorted(by_version, key=_version_key)]
    from qi_capture.export import export_form as run_export  # pandas: only when exporting

    result = run_export(
        forms=forms,
        records=central.export_records(form_id),
        out_dir=out_dir,
        fmt=fmt,
        language=language or forms[-1].default_language,
        statuses=None if statuses is None else list(statuses),
        paradata=lambda ids: central.export_paradata(ids),
        source=central.target if central.profile is None else "central store",
        options=options or ExportOptions(),
    )
    central.log("export", {"form_id": form_id, "format": fmt,
                           "included": result.report["included"],
                           "status_filter": None if statuses is None else list(statuses)})
    return ExportSummary(out_dir=result.out_dir, files=tuple(result.files),
                         included=int(result.report["included"]),
                         rows=tuple((str(k), int(v)) for k, v in result.report["rows"].items()),
                         report=result.report)
