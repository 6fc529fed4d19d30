"""Exporting a form's records from the central store, for the admin door
(`AdminDesk.export`) and so for the command line and the console alike.

Reads every stored version of the form (oldest first, by version), hands the central
store's record stream to `qi_capture.export.export_form` and logs the export (form,
format, how many records, the status filter; never answers) in the audit log.

The export engine takes no progress callback, so progress is counted here as the engine
pulls records from the stream: ``progress(done, total, "")`` after every batch it reads
(every `PROGRESS_EVERY` records when it reads record by record) and once at the end
(``total``: the form's records, deleted ones included, as the stream holds them). The
writing of the files after the last record is not counted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from qi_capture.central.errors import FormNotFound
from qi_capture.central.export_source import ExportSource
from qi_capture.central.store import CentralStore
from qi_capture.export.constants import FORMATS, HEADERS, NOT_ENCRYPTED, VALUES, ExportOptions
from qi_capture.forms.model import Form
from qi_capture.progress import Cancelled, CancelToken, ProgressCallback, no_progress
from qi_capture.storage.canonical import JsonValue

__all__ = [
    "FORMATS",
    "HEADERS",
    "NOT_ENCRYPTED",
    "VALUES",
    "ExportOptions",
    "ExportResult",
    "copies_due",
    "export",
    "keep_copies_current",
]

#: Records between two progress reports when the engine reads record by record.
PROGRESS_EVERY = 1_000


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: the folder, its files, the export report (as in
    ``export_report.json``: ``included``, ``excluded_total``, ``rows`` per table,
    ``warnings``, the first of which is always `NOT_ENCRYPTED`) and rows per table."""

    form_id: str
    fmt: str
    out_dir: Path
    files: tuple[Path, ...]
    report: MappingProxyType[str, Any]
    rows: MappingProxyType[str, int]

    @property
    def included(self) -> int:
        return int(self.report["included"])

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(str(w) for w in self.report.get("warnings", ()))


def version_key(version: str) -> tuple[Any, ...]:
    """Versions in the order people number them ("2" before "10")."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", version)
                 if p)


def stored_forms(central: CentralStore, form_id: str) -> list[Form]:
    """Every version of the form the store holds, compiled, oldest version first."""
    return [Form.from_json_text(text) for text in _compiled_versions(central, form_id)]


def _compiled_versions(central: CentralStore, form_id: str) -> list[str]:
    """Every stored version's compiled form (JSON text), oldest version first."""
    stored = central.form_versions(form_id)
    if not stored:
        raise FormNotFound(form_id)
    by_version = {item.version: item.compiled_json for item in stored}
    return [by_version[v] for v in sorted(by_version, key=version_key)]


class _Counted:
    """The store's record source, counted as the engine reads it, whichever way it
    reads: record by record, or (as it does) column by column in batches, which are
    counted a batch at a time (and, as the engine reads ahead in a thread of its own,
    from that thread: the callback must be safe to call from any thread, as
    `ui.tasks`' is)."""

    def __init__(self, source: ExportSource, total: int, progress: ProgressCallback,
                 cancel: CancelToken | None = None) -> None:
        self.source = source
        self.total = total
        self.progress = progress
        self.cancel = cancel

    def _check(self) -> None:
        # Between batches: the engine drops its temporary files, so nothing is written.
        if self.cancel is not None and self.cancel.is_cancelled():
            raise Cancelled()

    def __iter__(self) -> Iterator[Any]:
        done = 0
        self.progress(0, self.total, "")
        for item in self.source:
            yield item
            done += 1
            if done % PROGRESS_EVERY == 0:
                self.progress(done, max(self.total, done), "")
                self._check()
        self.progress(done, max(self.total, done), "")

    @property
    def copies(self) -> bool:
        return self.source.copies

    def chunks(self, layout_key: str) -> Iterator[Any]:
        return self._counted(self.source.chunks(layout_key), lambda chunk: chunk.records)

    def batches(self) -> Iterator[Any]:
        return self._counted(self.source.batches(), len)

    def _counted(self, items: Iterable[Any], size: Callable[[Any], int]) -> Iterator[Any]:
        """``items`` as they are, ``size(item)`` records each counted as it is read."""
        done = 0
        self.progress(0, self.total, "")
        for item in items:
            yield item
            done += size(item)
            self.progress(done, max(self.total, done), "")
            self._check()
        self.progress(done, max(self.total, done), "")


def export(
    central: CentralStore,
    form_id: str,
    fmt: str,
    out_dir: Path,
    *,
    statuses: Sequence[str] | None = None,
    language: str | None = None,
    options: ExportOptions | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    attachments: bool = False,
) -> ExportResult:
    """Export the form's records as ``fmt`` into ``out_dir`` (see the module docstring).
    The files written are NOT encrypted; the report's first warning says so. ``cancel``
    stops between batches of records (raising `Cancelled`); nothing is written then.
    ``attachments``: also decrypt the exported records' attachments into
    ``out_dir/attachments/<record id>/`` (`qi_capture.export.attachments`), counted in the
    report with a warning of their own."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    compiled = _compiled_versions(central, form_id)
    forms = [Form.from_json_text(text) for text in compiled]
    chosen = language or forms[-1].default_language
    from qi_capture.export import export_form  # pandas: only when exporting
    from qi_capture.export.chunks import layout_key

    records: Iterable[Any] = central.export_records(form_id)
    if progress is not None or cancel is not None:
        total = sum(central.record_form_versions(form_id).values())
        records = _Counted(central.export_records(form_id), total,
                           progress or no_progress, cancel)
    result = export_form(
        forms=forms,
        records=records,
        out_dir=out_dir,
        fmt=fmt,
        language=chosen,
        statuses=statuses,
        paradata=lambda ids: central.export_paradata(ids),
        source=central.target if central.profile is None else "central store",
        options=options or ExportOptions(),
        erased=sum(1 for t in central.tombstones() if t.form_id == form_id),
        copies=layout_key(compiled),
    )
    files = tuple(result.files)
    report = dict(result.report)
    if attachments:
        from qi_capture.export.attachments import write_attachments

        written = write_attachments(result.out_dir, result.included_ids,
                                    central.record_attachments, central.attachments.read)
        files += written.files
        report = json.loads((result.out_dir / "export_report.json").read_text("utf-8"))
    status_filter: list[JsonValue] | None = None if statuses is None else list(statuses)
    central.log("export", {"form_id": form_id, "format": fmt,
                           "included": result.report["included"],
                           "status_filter": status_filter,
                           "attachments": len(files) - len(result.files)})
    return ExportResult(form_id, fmt, result.out_dir, files, MappingProxyType(report),
                        MappingProxyType(dict(result.rows)))


def copies_due(central: CentralStore, form_id: str) -> bool:
    """Whether the form's next export would build or patch export-ready copies (what
    `keep_copies_current` would do for it); False when no version of it is stored."""
    from qi_capture.export.chunks import available

    return available() and _copies_due(central, form_id) is not None


def _copies_due(central: CentralStore, form_id: str) -> tuple[list[str], str] | None:
    """The form's compiled versions and their copies' layout key when its copies are due
    (missing, stale or of another layout); None when they are current or no version of
    the form is stored (nothing to export its records with yet)."""
    from qi_capture.export.chunks import layout_key

    try:
        compiled = _compiled_versions(central, form_id)
    except FormNotFound:
        return None
    key = layout_key(compiled)
    return (compiled, key) if central.export_copies_due(form_id, key) else None


def keep_copies_current(central: CentralStore, *, progress: ProgressCallback | None = None,
                        cancel: CancelToken | None = None) -> tuple[str, ...]:
    """Bring every form's export-ready copies up to date now, as its next export would
    (`qi_capture.export.chunks.refresh`), so that export reads them as they are: after a
    merge, only the records new or changed are built into the copies; a form never
    exported, or with a new version or release since its copies were built, has them
    built whole. Forms with no stored version (nothing to export them with) are left.
    ``progress(done, total, form id)`` counts records; ``cancel`` stops between ranges
    of about 5,000 records (raising `Cancelled`): the ranges done stay done, the rest
    wait for the export. Returns the forms brought up to date. Writes no file and no
    audit entry: the copies are only a shortcut to what the store already holds
    (nothing without pyarrow, where exports keep none)."""
    from qi_capture.export.chunks import available, refresh
    from qi_capture.export.model import build_layout

    if not available():
        return ()
    plans = []
    for form_id, _title, records in central.listed_forms():
        if not records:
            continue
        due = _copies_due(central, form_id)
        if due is not None:
            compiled, key = due
            # Counted as the ranges count them: deleted records too.
            plans.append((form_id, compiled, key,
                          sum(central.record_form_versions(form_id).values())))
    report = progress or no_progress
    total = sum(records for *_rest, records in plans)
    done = 0
    report(0, total, "")
    for form_id, compiled, key, _records in plans:
        forms = [Form.from_json_text(text) for text in compiled]
        # Copies hold no label: any language builds the same ones.
        layout = build_layout(forms, forms[-1].default_language)

        def counted(records: int, form_id: str = form_id) -> None:
            nonlocal done
            done += records
            report(done, max(total, done), form_id)
            if cancel is not None and cancel.is_cancelled():
                raise Cancelled()

        refresh(central.export_records(form_id).chunks(key), layout, counted)
    return tuple(form_id for form_id, *_rest in plans)
