"""Records -> one DataFrame per table (main form, each repeat, the audit log)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from qi_capture.export.model import (
    NUMERIC_TYPES,
    Layout,
    ParadataLike,
    RecordLike,
    Table,
    split_path,
)


@dataclass
class Stats:
    included: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    in_conflict: int = 0
    versions: Counter[str] = field(default_factory=Counter)
    unknown_paths: Counter[str] = field(default_factory=Counter)
    not_numeric: Counter[str] = field(default_factory=Counter)


def _depths(layout: Layout) -> dict[tuple[str, ...], int]:
    return {
        r: sum(1 for other in layout.repeats if r[: len(other)] == other) for r in layout.repeats
    }


def build_frames(
    layout: Layout,
    records: Iterable[RecordLike],
    *,
    statuses: Collection[str] | None = None,
    include_ids: Callable[[RecordLike], bool] | None = None,
) -> tuple[dict[str, pd.DataFrame], Stats, list[Any]]:
    """DataFrames keyed by table name, the counts for the report, and the ids of the
    records included (for the audit-log table)."""
    stats = Stats()
    depth = _depths(layout)
    rows: dict[tuple[str, ...], list[dict[str, Any]]] = {key: [] for key in layout.tables}
    included_ids: list[Any] = []
    for rec in records:
        if rec.deleted:
            stats.excluded["deleted (the record's current revision is a deletion)"] += 1
            continue
        if statuses is not None and rec.review_status not in statuses:
            stats.excluded[f"review status '{rec.review_status}' not selected"] += 1
            continue
        if include_ids is not None and not include_ids(rec):
            continue
        stats.included += 1
        stats.versions[rec.form_version] += 1
        if rec.in_conflict:
            stats.in_conflict += 1
        included_ids.append(rec.record_id)
        main: dict[str, Any] = {
            "record_id": str(rec.record_id),
            "device_id": str(rec.device_id),
            "interviewer": rec.interviewer,
            "form_version": rec.form_version,
            "review_status": rec.review_status,
            "submitted": rec.submitted,
            "updated": rec.updated,
            "revision_id": rec.revision_id,
            "in_conflict": int(rec.in_conflict),
        }
        rows[()].append(main)
        instances: dict[tuple[tuple[str, ...], tuple[int, ...]], dict[str, Any]] = {}
        for path, value in rec.answers.items():
            names, indices = split_path(path)
            element = layout.elements.get(names)
            if element is None or element.kind != "field":
                stats.unknown_paths[path.strip("/")] += 1
                continue
            container = layout.container[names]
            target = main
            if container:
                d = depth[container]
                if len(indices) < d:
                    stats.unknown_paths[path.strip("/")] += 1
                    continue
                key = (container, indices[:d])
                target = instances.get(key)  # type: ignore[assignment]
                if target is None:
                    target = {
                        "record_id": str(rec.record_id),
                        "parent_index": indices[d - 2] if d >= 2 else None,
                        "index": indices[d - 1],
                    }
                    instances[key] = target
                    rows[container].append(target)
            target[element.name] = value
            if element.type == "select_multiple" and isinstance(value, str):
                for choice in value.split():
                    target[f"{element.name}_{choice}"] = 1
    frames = {table.name: _frame(table, rows[key], stats) for key, table in layout.tables.items()}
    return frames, stats, included_ids


def _frame(table: Table, rows: list[dict[str, Any]], stats: Stats) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=table.column_names())
    for column in table.columns:
        series = frame[column.name]
        if column.kind == "choice" and column.element is not None:
            answered = frame[column.element.name].notna()
            frame[column.name] = series.where(~answered | series.notna(), 0).astype("Int64")
        elif column.kind == "value" and column.type in NUMERIC_TYPES:
            numbers = pd.to_numeric(series, errors="coerce")
            lost = int((series.notna() & numbers.isna()).sum())
            if lost:
                stats.not_numeric[f"{table.name}.{column.name}"] += lost
            if column.type == "decimal":
                frame[column.name] = numbers.astype("float64")
            else:
                whole = numbers.dropna()
                frame[column.name] = (
                    numbers.astype("Int64")
                    if (whole == whole.round()).all()
                    else numbers.astype("float64")
                )
        elif column.name in ("parent_index", "index", "in_conflict"):
            frame[column.name] = series.astype("Int64")
        else:
            frame[column.name] = series.astype("object")
    return frame


AUDIT_COLUMNS = (
    "record_id",
    "device_id",
    "seq",
    "kind",
    "session_id",
    "session_started_at",
    "elapsed_ms",
    "payload",
)


def audit_frame(events: Iterable[ParadataLike]) -> pd.DataFrame:
    rows = [
        (
            str(e.record_id),
            str(e.device_id),
            e.seq,
            e.kind,
            str(e.session_id),
            e.session_started_at,
            e.elapsed_ms,
            _compact(e.payload_json),
        )
        for e in events
    ]
    frame = pd.DataFrame.from_records(rows, columns=list(AUDIT_COLUMNS))
    frame["seq"] = frame["seq"].astype("Int64")
    frame["elapsed_ms"] = frame["elapsed_ms"].astype("Int64")
    return frame


def _compact(payload_json: str) -> str:
    try:
        return json.dumps(json.loads(payload_json), ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        return payload_json
