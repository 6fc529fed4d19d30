"""One export: every version of a form, its records, its audit log -> files in a folder,
with ``codebook.csv`` and the export report, every file written atomically."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from qi_capture.export import writers
from qi_capture.export.constants import FORMATS, NOT_ENCRYPTED
from qi_capture.export.model import Layout, ParadataLike, RecordLike, Table, build_layout
from qi_capture.export.tables import Stats, audit_frame, build_frames
from qi_capture.forms.model import Form
from qi_capture.storage.canonical import JsonValue


@dataclass
class ExportResult:
    out_dir: Path
    files: list[Path]
    report: dict[str, Any]
    rows: dict[str, int] = field(default_factory=dict)


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def codebook_frame(
    layout: Layout, language: str | None, names: dict[str, dict[str, dict[str, str]]]
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for table in layout.tables.values():
        for column in table.columns:
            base = {
                "table": table.name,
                "column": column.name,
                "stata_name": names.get("dta", {}).get(table.name, {}).get(column.name, ""),
                "spss_name": names.get("sav", {}).get(table.name, {}).get(column.name, ""),
                "label": column.label,
                "type": column.type,
                "question_path": "/".join(column.element.path) if column.element else "",
                "form_versions": " ".join(column.versions),
                "code": "",
                "choice": column.choice or "",
                "choice_label": "",
            }
            rows.append(base)
            code = writers.coding(column, language)
            if code is not None:
                for c in column.choices:
                    rows.append(
                        {
                            **base,
                            "code": str(code.codes[c.name]),
                            "choice": c.name,
                            "choice_label": code.labels[code.codes[c.name]],
                        }
                    )
    return pd.DataFrame(rows)


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
) -> ExportResult:
    """Export every record of ``forms`` (all versions of one form, oldest first)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt}")
    out_dir.mkdir(parents=True, exist_ok=True)
    layout = build_layout(forms, language)
    frames, stats, included = build_frames(
        layout, records, statuses=set(statuses) if statuses else None
    )
    tables: dict[str, Table | None] = {t.name: t for t in layout.tables.values()}
    audit_name = f"{layout.form_id}-audit"
    frames[audit_name] = audit_frame(paradata(included) if paradata is not None else [])
    tables[audit_name] = None

    files: list[Path] = []
    names: dict[str, dict[str, dict[str, str]]] = {}
    if fmt == "xlsx":
        path = out_dir / f"{_file_stem(layout.form_id)}.xlsx"
        sheets = dict(frames)
        sheets["codebook"] = codebook_frame(layout, language, names)
        writers.write_xlsx(sheets, path)
        files.append(path)
    else:
        for name, frame in frames.items():
            path = out_dir / f"{_file_stem(name)}.{fmt}"
            if fmt == "csv":
                writers.write_csv(frame, path)
            elif fmt == "parquet":
                writers.write_parquet(frame, path)
            elif fmt == "sav":
                names.setdefault("sav", {})[name] = writers.write_sav(
                    frame, tables[name], language, path
                )
            else:
                names.setdefault("dta", {})[name] = writers.write_dta(
                    frame, tables[name], language, path
                )
            files.append(path)
    codebook = out_dir / "codebook.csv"
    writers.write_csv(codebook_frame(layout, language, names), codebook)
    files.append(codebook)

    rows = {name: len(frame) for name, frame in frames.items()}
    report = _report(
        layout,
        stats,
        rows,
        fmt=fmt,
        language=language,
        statuses=statuses,
        files=files,
        source=source,
    )
    report_json = out_dir / "export_report.json"
    report_txt = out_dir / "export_report.txt"
    with writers.atomic_path(report_json) as tmp:
        tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    with writers.atomic_path(report_txt) as tmp:
        tmp.write_text(render_report(report), encoding="utf-8")
    files += [report_json, report_txt]
    return ExportResult(out_dir, files, report, rows)


def _report(
    layout: Layout,
    stats: Stats,
    rows: dict[str, int],
    *,
    fmt: str,
    language: str | None,
    statuses: Collection[str] | None,
    files: list[Path],
    source: str,
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
    for where, count in sorted(stats.not_numeric.items()):
        warnings.append(f"{count} value(s) of {where} are not numbers and were left empty")
    return {
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": source,
        "form_id": layout.form_id,
        "title": layout.title,
        "form_versions_known": layout.versions,
        "form_versions_included": dict(sorted(stats.versions.items())),
        "format": fmt,
        "language": language,
        "review_status_filter": sorted(statuses) if statuses else None,
        "included": stats.included,
        "excluded": dict(sorted(stats.excluded.items())),
        "excluded_total": sum(stats.excluded.values()),
        "in_conflict": stats.in_conflict,
        "rows": rows,
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
        f"form versions known: {', '.join(report['form_versions_known'])}",
        "form versions included: "
        + (", ".join(f"{v} ({n})" for v, n in report["form_versions_included"].items()) or "none"),
        f"records included: {report['included']}",
        f"records excluded: {report['excluded_total']}",
    ]
    lines += [f"  {n}: {why}" for why, n in report["excluded"].items()]
    lines.append("rows per table:")
    lines += [f"  {name}: {n}" for name, n in report["rows"].items()]
    lines.append("files: " + ", ".join(report["files"]))
    lines += ["", *report["warnings"]]
    return "\n".join(lines) + "\n"
