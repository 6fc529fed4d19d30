"""One export: every version of a form, its records, its audit log -> files in a folder,
with ``codebook.csv`` and the export report. Records are read and written in batches;
every file is written under a temporary name and renamed only when all are whole."""

from __future__ import annotations

import errno
import itertools
import json
import logging
import os
import re
import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from qi_capture.crypto.atomic import discard, fsync_dir, temp_path_for
from qi_capture.export import arrow, chunks, writers
from qi_capture.export import names as naming
from qi_capture.export.constants import (
    FORMATS,
    LEFT_BLANK_LABEL,
    NOT_ASKED_LABEL,
    NOT_ENCRYPTED,
    SPSS_LEFT_BLANK,
    SPSS_NOT_ASKED,
    STATA_LEFT_BLANK,
    STATA_NOT_ASKED,
    ExportOptions,
)
from qi_capture.export.errors import (
    ExportDiskFull,
    ExportError,
    ExportFolderUnwritable,
    ParquetUnavailable,
)
from qi_capture.export.model import (
    Column,
    Layout,
    ParadataLike,
    RecordLike,
    Table,
    audit_table,
    build_layout,
)
from qi_capture.export.prefetch import prefetched
from qi_capture.export.tables import (
    DELETED,
    RowBuilder,
    Stats,
    audit_rows,
    not_selected,
    typed_frame,
)
from qi_capture.forms.model import Form
from qi_capture.progress import Cancelled
from qi_capture.storage.canonical import JsonValue

log = logging.getLogger(__name__)


@dataclass
class ExportResult:
    out_dir: Path
    files: list[Path]
    report: dict[str, Any]
    rows: dict[str, int] = field(default_factory=dict)
    #: The ids of the records written, in order, as text (for attachments exported
    #: beside them); made into UUIDs only when asked (`included_ids`): most exports never
    #: ask, and 100,000 UUIDs cost about a second.
    included: list[str] = field(default_factory=list)

    @property
    def included_ids(self) -> list[uuid.UUID]:
        return [uuid.UUID(text) for text in self.included]


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _priority(column: Column) -> int:
    # Metadata and questions choose their names before the 0/1 choice columns.
    return {"meta": 0, "key": 0, "value": 1}.get(column.kind, 2)


def _by_priority(table: Table, preferred: list[str], make: Any) -> dict[str, str]:
    order = sorted(range(len(table.columns)), key=lambda i: _priority(table.columns[i]))
    made = make([preferred[i] for i in order])
    return {table.columns[i].key: name for i, name in zip(order, made, strict=True)}


def _form_name(column: Column, options: ExportOptions) -> str:
    if column.element is None:
        return column.name
    field_name = column.path if options.group_prefix else column.element.name
    return f"{field_name}/{column.choice}" if column.kind == "choice" else field_name


def output_names(table: Table, options: ExportOptions) -> dict[str, str]:
    """Column key -> header in csv, xlsx and parquet (names or labels; unique)."""
    preferred = [
        c.label if options.headers == "labels" else _form_name(c, options) for c in table.columns
    ]
    return _by_priority(table, preferred, naming.unique)


def stat_names(table: Table, options: ExportOptions, *, stata: bool) -> dict[str, str]:
    """Column key -> a valid, unique SPSS or Stata variable name."""
    preferred = [_form_name(c, options).replace("/", "_") for c in table.columns]

    def make(names: list[str]) -> list[str]:
        taken: set[str] = set()
        return [naming.stat_name(n, taken, stata=stata) for n in names]

    return _by_priority(table, preferred, make)


MISSING_DOC = {
    "sav": f"{SPSS_NOT_ASKED:.0f} = {NOT_ASKED_LABEL}; {SPSS_LEFT_BLANK:.0f} = {LEFT_BLANK_LABEL} "
           "(user-missing)",
    "dta": f".{STATA_NOT_ASKED} = {NOT_ASKED_LABEL}; .{STATA_LEFT_BLANK} = {LEFT_BLANK_LABEL}",
}


def codebook_rows(
    tables: list[Table],
    fmt: str,
    language: str | None,
    headers: dict[str, dict[str, str]],
    variables: dict[str, list[writers.StatVariable]],
) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for table in tables:
        by_key = {v.column.key: v for v in variables.get(table.name, [])}
        for column in table.columns:
            var = by_key.get(column.key)
            base = {
                "table": table.name,
                "column": headers[table.name][column.key],
                "spss_name": var.name if var is not None and fmt == "sav" else "",
                "stata_name": var.name if var is not None and fmt == "dta" else "",
                "form_name": column.element.name if column.element is not None else column.name,
                "question_path": column.path,
                "label": column.label,
                "label_as_written": var.shortened if var is not None else "",
                "type": column.type,
                "value_type": column.vtype,
                "measure": writers.measure(column) if fmt == "sav" else "",
                "missing_codes": MISSING_DOC.get(fmt, "")
                if var is not None and var.coded_missing else "",
                "form_versions": " ".join(column.versions),
                "code": "",
                "choice": column.choice or "",
                "choice_label": column.choice_label,
                "choice_label_as_written": "",
            }
            rows.append(base)
            code = writers.coding(column, language)
            if code is not None:
                for c in column.choices:
                    number = code.codes[c.name]
                    written = var.shortened_values.get(number, "") if var is not None else ""
                    rows.append({**base, "code": str(number), "choice": c.name,
                                 "choice_label": code.labels[number],
                                 "choice_label_as_written": written})
    return rows


def codebook_table() -> Table:
    keys = ("table", "column", "spss_name", "stata_name", "form_name", "question_path", "label",
            "label_as_written", "type", "value_type", "measure", "missing_codes",
            "form_versions", "code", "choice", "choice_label", "choice_label_as_written")
    return Table("codebook", (), [Column(k, k, k, None, "meta", "text") for k in keys])


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _fail(out_dir: Path, exc: OSError) -> ExportError:
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG):
        return ExportDiskFull(str(out_dir))
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return ExportFolderUnwritable(str(out_dir), "it is read-only or you may not write to it")
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return ExportFolderUnwritable(str(out_dir), "it is not a folder")
    return ExportFolderUnwritable(str(out_dir), exc.strerror or type(exc).__name__)


def export_form(
    *,
    forms: Sequence[Form],
    records: Iterable[RecordLike],
    out_dir: Path,
    fmt: str,
    language: str | None = None,
    statuses: Collection[str] | None = None,
    paradata: Callable[[list[Any]], Iterable[ParadataLike]] | None = None,
    source: str = "",
    options: ExportOptions | None = None,
    batch: int = 10_000,
    erased: int = 0,
    copies: str | None = None,
) -> ExportResult:
    """Export every record of ``forms`` (all versions of one form, oldest first).

    ``copies``: the layout key (`chunks.layout_key`) under which a source that keeps
    export-ready copies (one with ``copies`` true and ``chunks(key)``, as the central
    store's on SQLite) hands them out; the export then writes the copies and builds (and
    has the source keep) those that are missing or stale. The files are the same.

    Records are read and written ``batch`` at a time. Every file goes to a temporary name
    in ``out_dir`` and is renamed only once all of them (the report too) are whole: a
    failed export leaves nothing behind. A full disk or a folder that cannot be written
    raises `ExportDiskFull` / `ExportFolderUnwritable`."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt}")
    if fmt == "parquet" and not arrow.available():
        raise ParquetUnavailable()
    options = options or ExportOptions()
    if forms and language is None:
        language = forms[-1].default_language  # labels as the form shows them by default
    layout = build_layout(forms, language)
    try:
        out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise _fail(out_dir, exc) from None
    temps: list[tuple[Path, Path | None]] = []  # (temporary, final; None: scratch)
    opened: list[writers.Sink | writers.Workbook] = []

    def temp(final: Path | None) -> Path:
        tmp = temp_path_for(final or out_dir / "scratch")
        tmp = tmp.with_name(tmp.name + (final.suffix if final else ""))  # suffix: writers
        temps.append((tmp, final))
        # Readable by its owner alone from the first byte (the writers keep the mode of
        # the file they open).
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return tmp

    failed = True
    try:
        result = _export(layout, records, out_dir, fmt, language, statuses, paradata, source,
                         options, batch, temp, opened, erased, copies)
        failed = False
        # The report first: data files never stand without the warning beside them.
        finals = [(tmp, final) for tmp, final in temps if final is not None]
        for tmp, final in sorted(finals, key=lambda t: not t[1].name.startswith("export_")):
            tmp.replace(final)
        fsync_dir(out_dir)
        return result
    except OSError as exc:
        log.warning("export of %s to %s failed: %s", layout.form_id, out_dir,
                    errno.errorcode.get(exc.errno or 0, type(exc).__name__))
        raise _fail(out_dir, exc) from None
    except (ExportError, Cancelled):
        raise  # Cancelled: the caller stopped it between batches; nothing is written
    except Exception as exc:
        # pyreadstat (its readstat errors), openpyxl or pyarrow refused something. Their
        # messages may quote a value, so only the kind of error is said or logged.
        log.warning("export of %s to %s failed: %s", layout.form_id, out_dir,
                    type(exc).__name__)
        # Some writers report a full disk in their own words: readstat's error, lxml's
        # SerialisationError under openpyxl (when lxml is installed, as the report's slides
        # need). A disk with less than a MiB left is what it was.
        if shutil.disk_usage(out_dir).free < 2**20:
            raise ExportDiskFull(str(out_dir)) from None
        raise ExportError(
            f"The {fmt} export of {layout.form_id} failed ({type(exc).__name__}); nothing was "
            "written. Try another format, and report this with the log file.",
            fmt=fmt, kind=type(exc).__name__,
        ) from None
    finally:
        if failed:
            for item in opened:
                item.abort()
        for tmp, _final in temps:
            discard(tmp)


def _export(
    layout: Layout,
    records: Iterable[RecordLike],
    out_dir: Path,
    fmt: str,
    language: str | None,
    statuses: Collection[str] | None,
    paradata: Callable[[list[Any]], Iterable[ParadataLike]] | None,
    source: str,
    options: ExportOptions,
    batch: int,
    temp: Callable[[Path | None], Path],
    opened: list[writers.Sink | writers.Workbook],
    erased: int = 0,
    copies: str | None = None,
) -> ExportResult:
    stata = fmt == "dta"
    audit = audit_table(layout.form_id)
    tables = [*layout.tables.values(), audit]
    counts = writers.Counts()
    headers = {t.name: output_names(t, options) for t in tables}
    variables: dict[str, list[writers.StatVariable]] = {}
    sinks: dict[str, writers.Sink] = {}
    files: list[Path] = []
    book: writers.Workbook | None = None
    if fmt == "xlsx":
        final = out_dir / f"{_file_stem(layout.form_id)}.xlsx"
        book = writers.Workbook(temp(final), lambda: temp(None))
        opened.append(book)
        files.append(final)
    for table in tables:
        names = [headers[table.name][c.key] for c in table.columns]
        if book is not None:
            sinks[table.name] = writers.XlsxSink(book, table, names, options, language, counts)
            continue
        final = out_dir / f"{_file_stem(table.name)}.{fmt}"
        files.append(final)
        if fmt == "csv":
            sinks[table.name] = writers.CsvSink(temp(final), table, names, options, language,
                                                counts)
        elif fmt == "parquet":
            sinks[table.name] = writers.ParquetSink(temp(final), table, names, options,
                                                    language, counts)
        else:
            stat = stat_names(table, options, stata=stata)
            variables[table.name] = writers.stat_variables(table, language, stata=stata,
                                                           names=stat)
            sinks[table.name] = writers.StatSink(temp(final), table, variables[table.name],
                                                 stata=stata, counts=counts)
        opened.append(sinks[table.name])

    builder = RowBuilder(layout, statuses=statuses, track_missing=fmt in ("sav", "dta"))
    stats = builder.stats
    rows: dict[str, int] = {t.name: 0 for t in tables}

    def flush() -> None:
        for key, table_rows in builder.take().items():
            table = layout.tables[key]
            frame, masks = typed_frame(table, table_rows, stats)
            sinks[table.name].write(frame, masks)
            rows[table.name] += len(table_rows)

    batches = getattr(records, "batches", None)
    ranges = getattr(records, "chunks", None)
    if copies is not None and callable(ranges) and getattr(records, "copies", False) \
            and chunks.available():
        selected = set(statuses) if statuses else None
        masked = fmt in ("sav", "dta")  # only they write the cells not asked
        for item in prefetched(chunks.ready(ranges(copies), layout, selected)):
            if item.copy is None:
                for part in item.batches:
                    builder.add_batch(part)
                flush()
                continue
            used = chunks.use(item.copy, item.chunk.statuses, selected, arrow=fmt != "xlsx")
            _count_copy(stats, item, used, selected)
            builder.add_included(used.record_ids)
            for key, frame in used.frames.items():
                sink = sinks[layout.tables[key].name]
                found = used.masks.get(key, {}) if masked else {}
                if isinstance(frame, pd.DataFrame):
                    sink.write(frame, found)
                elif isinstance(sink, writers.StatSink):
                    sink.write_arrow(frame, found)  # the copy's Arrow table as it is
                elif isinstance(sink, writers.ParquetSink | writers.CsvSink):
                    sink.write_arrow(frame)
                else:  # (xlsx takes frames: `use` gave one)
                    raise TypeError(f"{type(sink).__name__} takes no Arrow table")
                rows[layout.tables[key].name] += len(frame)
    elif callable(batches):
        # A source that hands out its records column by column (the central store's):
        # no object per record; read a batch ahead in a thread of its own.
        for part in prefetched(batches()):
            builder.add_batch(part)
            if builder.pending() >= batch:
                flush()
    else:
        for rec in records:
            builder.add(rec)
            if builder.pending() >= batch:
                flush()
    flush()
    events = paradata(builder.included_ids) if paradata is not None else []
    wrote_audit = False
    for chunk in _batches(audit_rows(events), batch):
        frame, masks = typed_frame(audit, chunk, stats)
        sinks[audit.name].write(frame, masks)
        rows[audit.name] += len(chunk)
        wrote_audit = True
    if not wrote_audit and fmt in ("parquet",):
        sinks[audit.name].write(typed_frame(audit, [], stats)[0], {})
    for sink in sinks.values():
        sink.close()

    codebook = codebook_rows(tables, fmt, language, headers, variables)
    cb_table = codebook_table()
    cb_frame = typed_frame(cb_table, [{c.key: r[c.key] for c in cb_table.columns}
                                      for r in codebook], stats)[0]
    cb_names = [c.key for c in cb_table.columns]
    if book is not None:
        sheet = writers.XlsxSink(book, cb_table, cb_names, options, language, counts)
        sheet.write(cb_frame, {})
        book.save()
    codebook_path = out_dir / "codebook.csv"
    cb_sink = writers.CsvSink(temp(codebook_path), cb_table, cb_names, options, language,
                              counts)
    opened.append(cb_sink)
    cb_sink.write(cb_frame, {})
    cb_sink.close()
    files.append(codebook_path)

    report = _report(layout, stats, rows, counts, variables, fmt=fmt, language=language,
                     statuses=statuses, files=files, source=source, options=options,
                     erased=erased)
    report_json = out_dir / "export_report.json"
    report_txt = out_dir / "export_report.txt"
    for final, text in ((report_json, json.dumps(report, indent=2, ensure_ascii=False)),
                        (report_txt, render_report(report))):
        tmp = temp(final)
        with tmp.open("w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    files += [report_json, report_txt]
    return ExportResult(out_dir, files, report, rows, builder.included_texts)


def _count_copy(stats: Stats, item: chunks.Ready, used: chunks.Used,
                selected: Collection[str] | None) -> None:
    """What `RowBuilder` counts for the records it includes and leaves out, for a
    range written from its copy."""
    assert item.copy is not None
    if item.chunk.deleted:  # (a Counter keeps a key added with 0)
        stats.excluded[DELETED] += item.chunk.deleted
    if selected is not None:
        for status, n in Counter(item.chunk.statuses).items():
            if status not in selected:
                stats.excluded[not_selected(status)] += n
    main = used.frames[()]
    stats.included += len(main)
    if isinstance(main, pd.DataFrame):
        stats.versions.update(main["@form_version"].tolist())
        stats.in_conflict += int((main["@in_conflict"] == 1).sum())
    else:  # an Arrow table
        stats.versions.update(main.column("@form_version").to_pylist())
        stats.in_conflict += sum(v == 1 for v in main.column("@in_conflict").to_pylist())
    # Only when every record of the range is written (else `chunks.ready` gave records).
    stats.unknown_paths.update(item.copy.unknown_paths)
    stats.unreadable.update(item.copy.unreadable)


def _counted(counter: Counter[tuple[str, str]]) -> dict[str, int]:
    return {f"{table}.{column}": n for (table, column), n in sorted(counter.items())}


def _report(
    layout: Layout,
    stats: Stats,
    rows: dict[str, int],
    counts: writers.Counts,
    variables: dict[str, list[writers.StatVariable]],
    *,
    fmt: str,
    language: str | None,
    statuses: Collection[str] | None,
    files: list[Path],
    source: str,
    options: ExportOptions,
    erased: int = 0,
) -> dict[str, Any]:
    warnings: list[JsonValue] = [NOT_ENCRYPTED]
    if stats.in_conflict:
        warnings.append(
            f"{stats.in_conflict} included record(s) are in an open conflict: the displayed "
            "winner's answers are exported (column in_conflict = 1). Resolve them with "
            "qi-capture conflicts."
        )
    if stats.unknown_paths:
        warnings.append(
            f"{sum(stats.unknown_paths.values())} answer(s) name no question of any known "
            "form version and are not exported: " + ", ".join(sorted(stats.unknown_paths)[:20])
        )
    for (table, key, why), count in sorted(stats.unreadable.items()):
        warnings.append(f"{count} value(s) of {table}.{key} are {why} and were left empty "
                        "(the record in the central store holds them as entered)")
    if fmt == "csv":
        if options.csv_raw:
            warnings.append("CSV cells are written raw (--csv-raw): a cell starting with =, +, "
                            "-, @, tab or CR may run as a formula when the file is opened in a "
                            "spreadsheet.")
        elif counts.neutralised:
            warnings.append(
                f"{sum(counts.neutralised.values())} CSV cell(s) started with a character a "
                "spreadsheet would run as a formula (=, +, -, @, tab, CR) and were written "
                "with a ' in front (CSV-injection protection); --csv-raw writes them as "
                "entered."
            )
    if counts.escaped:
        warnings.append(f"{sum(counts.escaped.values())} cell(s) held characters the {fmt} "
                        "format cannot hold; each such character is shown as [U+XXXX] (a csv "
                        "or parquet export holds them as entered).")
    if counts.cut:
        warnings.append(f"{sum(counts.cut.values())} cell(s) held more text than the {fmt} "
                        "format holds in one cell (xlsx: 32,767 characters; sav: 32,767 "
                        "bytes) and were cut, ending with a marker; a csv, parquet or dta "
                        "export holds them whole.")
    shortened = sum(1 for vs in variables.values() for v in vs if v.shortened)
    shortened_values = sum(len(v.shortened_values) for vs in variables.values() for v in vs)
    if shortened or shortened_values:
        warnings.append(
            f"{shortened} variable label(s) and {shortened_values} value label(s) were longer "
            f"than the {fmt} format allows and were shortened (ending with …); codebook.csv "
            "lists each in full (columns label_as_written, choice_label_as_written)."
        )
    return {
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": source,
        "form_id": layout.form_id,
        "title": layout.title,
        "form_versions_known": layout.versions,
        "form_versions_included": dict(sorted(stats.versions.items())),
        "format": fmt,
        "language": language,
        "options": {"headers": options.headers, "values": options.values,
                    "group_prefix": options.group_prefix,
                    "csv_injection": "raw" if options.csv_raw else "neutralised"},
        "review_status_filter": sorted(statuses) if statuses else None,
        "included": stats.included,
        "excluded": dict(sorted(stats.excluded.items())),
        "excluded_total": sum(stats.excluded.values()),
        "erased": erased,
        "in_conflict": stats.in_conflict,
        "rows": rows,
        "csv_cells_neutralised": _counted(counts.neutralised),
        "cells_escaped": _counted(counts.escaped),
        "cells_cut": _counted(counts.cut),
        "labels_shortened": shortened,
        "value_labels_shortened": shortened_values,
        "values_left_empty": {f"{t}.{k}": n for (t, k, _w), n in
                              sorted(stats.unreadable.items())},
        "files": [p.name for p in files],
        "encrypted": False,
        "warnings": warnings,
    }


def render_report(report: dict[str, Any]) -> str:
    lines = [
        f"QI Capture export of form {report['form_id']} ({report['title']})",
        f"created {report['created']}, format {report['format']}, "
        f"language {report['language'] or 'default'}",
        f"review status filter: {', '.join(report['review_status_filter'] or ['none'])}",
        "options: headers {headers}, values {values}, group prefixes {group_prefix}, "
        "CSV cells {csv_injection}".format(**report["options"]),
        f"form versions known: {', '.join(report['form_versions_known'])}",
        "form versions included: "
        + (", ".join(f"{v} ({n})" for v, n in report["form_versions_included"].items()) or "none"),
        f"records included: {report['included']}",
        f"records excluded: {report['excluded_total']}",
    ]
    lines += [f"  {n}: {why}" for why, n in report["excluded"].items()]
    if report.get("erased"):
        lines.append(f"  of the deleted, erased (consent withdrawn or retention ended; only "
                     f"a tombstone is left): {report['erased']}")
    lines.append("rows per table:")
    lines += [f"  {name}: {n}" for name, n in report["rows"].items()]
    lines.append("files: " + ", ".join(report["files"]))
    lines += ["", *report["warnings"]]
    return "\n".join(lines) + "\n"
