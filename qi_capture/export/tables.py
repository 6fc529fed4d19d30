"""Records -> one DataFrame per table (main form, each repeat, the audit log)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
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


@dataclass(frozen=True, slots=True)
class _Route:
    """Where one answer path goes: the column, and for a repeat the instance's key."""

    name: str
    #: (repeat path, indices) of the instance; None for the main table.
    key: tuple[tuple[str, ...], tuple[int, ...]] | None
    parent_index: int | None
    index: int | None


def _router(layout: Layout) -> Callable[[str], _Route | None]:
    """Answer path -> `_Route` (None: no question of any version), computed once per
    distinct path."""
    depth = _depths(layout)
    cache: dict[str, _Route | None] = {}

    def route(path: str) -> _Route | None:
        try:
            return cache[path]
        except KeyError:
            pass
        names, indices = split_path(path)
        element = layout.elements.get(names)
        found: _Route | None = None
        if element is not None and element.kind == "field":
            container = layout.container[names]
            if not container:
                found = _Route(element.name, None, None, None)
            else:
                d = depth[container]
                if len(indices) >= d:
                    found = _Route(
                        element.name,
                        (container, indices[:d]),
                        indices[d - 2] if d >= 2 else None,
                        indices[d - 1],
                    )
        cache[path] = found
        return found

    return route


def build_frames(
    layout: Layout,
    records: Iterable[RecordLike],
    *,
    statuses: Collection[str] | None = None,
    include_ids: Callable[[RecordLike], bool] | None = None,
) -> tuple[dict[str, pd.DataFrame], Stats, list[Any]]:
    """DataFrames keyed by table name, the counts for the report, and the ids of the
    records included (for the audit-log table).

    Answers whose path is the name of a main-table question (most of them) are copied
    into the row in one ``dict.update``; only the others (repeats, groups, unknown
    paths) are routed one by one. select_multiple 0/1 columns are derived per column
    in `_frame`."""
    stats = Stats()
    route = _router(layout)
    # Paths that land, unchanged, in a main-table column of the same name.
    direct = frozenset(
        c.name
        for c in layout.tables[()].columns
        if c.kind == "value" and route(c.name) == _Route(c.name, None, None, None)
    )
    rows: dict[tuple[str, ...], list[dict[str, Any]]] = {key: [] for key in layout.tables}
    main_rows = rows[()]
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
        record_id = str(rec.record_id)
        main: dict[str, Any] = {
            "record_id": record_id,
            "device_id": str(rec.device_id),
            "interviewer": rec.interviewer,
            "form_version": rec.form_version,
            "review_status": rec.review_status,
            "submitted": rec.submitted,
            "updated": rec.updated,
            "revision_id": rec.revision_id,
            "in_conflict": int(rec.in_conflict),
        }
        main_rows.append(main)
        answers = rec.answers
        others = answers.keys() - direct
        if not others:
            main.update(answers)
            continue
        plain = dict(answers)
        for path in others:
            del plain[path]
        main.update(plain)
        instances: dict[tuple[tuple[str, ...], tuple[int, ...]], dict[str, Any]] = {}
        for path in [p for p in answers if p in others]:  # in the answers' order
            r = route(path)
            if r is None:
                stats.unknown_paths[path.strip("/")] += 1
                continue
            target = main
            if r.key is not None:
                target = instances.get(r.key)  # type: ignore[assignment]
                if target is None:
                    target = {"record_id": record_id, "parent_index": r.parent_index,
                              "index": r.index}
                    instances[r.key] = target
                    rows[r.key[0]].append(target)
            target[r.name] = answers[path]
    frames = {table.name: _frame(table, rows[key], stats) for key, table in layout.tables.items()}
    return frames, stats, included_ids


def _padded_choices(values: pd.Series) -> pd.Series:
    """Each select_multiple answer as `` a b c `` (one space around every choice name;
    missing for an unanswered or non-text one): what `_choice_flags` searches."""
    return pd.Series(
        [" " + " ".join(v.split()) + " " if isinstance(v, str) else None for v in values.tolist()],
        index=values.index,
        dtype=object,
    )


def _choice_flags(values: pd.Series, padded: pd.Series, choice: str) -> pd.Series:
    """1 where the answer lists ``choice``, 0 where it is answered without it, missing
    where unanswered (one vectorised search per choice column)."""
    hit = padded.str.contains(f" {choice} ", regex=False, na=False).to_numpy(dtype=bool)
    flags = np.where(hit, 1, 0)
    return pd.Series(
        pd.array(flags, dtype="Int64"), index=values.index
    ).mask(values.isna().to_numpy())


def _frame(table: Table, rows: list[dict[str, Any]], stats: Stats) -> pd.DataFrame:
    # Object columns throughout: no Arrow string inference here only to be converted
    # back below (text columns stay object, numbers are parsed from it).
    frame = pd.DataFrame(rows, columns=table.column_names(), dtype=object)
    padded: dict[str, pd.Series] = {}
    for column in table.columns:
        series = frame[column.name]
        if column.kind == "choice" and column.element is not None and column.choice is not None:
            if column.element.type == "select_multiple":
                values = frame[column.element.name]
                if column.element.name not in padded:
                    padded[column.element.name] = _padded_choices(values)
                frame[column.name] = _choice_flags(
                    values, padded[column.element.name], column.choice
                )
            else:
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
