"""Records -> rows for every table (main form, each repeat, the audit log), a batch at a
time, and each batch as typed columns."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from qi_capture.export.model import (
    Column,
    Layout,
    ParadataLike,
    RecordLike,
    Table,
    split_path,
)
from qi_capture.forms.expressions import ExpressionError, evaluate, to_boolean


@dataclass
class Stats:
    included: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    in_conflict: int = 0
    versions: Counter[str] = field(default_factory=Counter)
    unknown_paths: Counter[str] = field(default_factory=Counter)
    #: (table, column key, why) -> values left empty because they are not of the
    #: question's type.
    unreadable: Counter[tuple[str, str, str]] = field(default_factory=Counter)


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
            key = "/".join(names)
            container = layout.container[names]
            if not container:
                found = _Route(key, None, None, None)
            else:
                d = depth[container]
                if len(indices) >= d:
                    found = _Route(
                        key,
                        (container, indices[:d]),
                        indices[d - 2] if d >= 2 else None,
                        indices[d - 1],
                    )
        cache[path] = found
        return found

    return route


class RowBuilder:
    """Records -> rows (dicts keyed by column key) for every table, a batch at a time.

    Answers whose path is the key of a main-table column (most of them) are copied into
    the row in one ``dict.update``; only the others (repeats, unknown paths) are routed
    one by one. With ``track_missing``, each row also names (under ``"@na"``) the
    questions that were not asked: not in the record's form version, or not relevant
    (their relevance, re-evaluated over the record's answers, is false). An empty cell
    of any other question was left blank."""

    def __init__(
        self,
        layout: Layout,
        *,
        statuses: Collection[str] | None = None,
        track_missing: bool = False,
    ) -> None:
        self.layout = layout
        self.stats = Stats()
        self.statuses = set(statuses) if statuses else None
        self.track_missing = track_missing
        self.included_ids: list[Any] = []
        self._route = _router(layout)
        main = layout.tables[()]
        self._direct = frozenset(
            c.key for c in main.columns
            if c.kind == "value" and self._route(c.key) == _Route(c.key, None, None, None)
        )
        self.rows: dict[tuple[str, ...], list[dict[str, Any]]] = {k: [] for k in layout.tables}
        self._absent: dict[tuple[tuple[str, ...], str], frozenset[str]] = {}
        self._gated = {
            key: [c for c in t.columns if c.kind == "value" and c.gates]
            for key, t in layout.tables.items()
        }

    def take(self) -> dict[tuple[str, ...], list[dict[str, Any]]]:
        rows = self.rows
        self.rows = {k: [] for k in self.layout.tables}
        return rows

    def pending(self) -> int:
        return len(self.rows[()])

    def _absent_in(self, table: tuple[str, ...], version: str) -> frozenset[str]:
        """Keys of the table's questions that the form version lacks."""
        found = self._absent.get((table, version))
        if found is None:
            found = frozenset(
                c.key for c in self.layout.tables[table].columns
                if c.kind == "value" and c.versions and version not in c.versions
            )
            self._absent[(table, version)] = found
        return found

    def add(self, rec: RecordLike) -> None:
        stats = self.stats
        if rec.deleted:
            stats.excluded["deleted (the record's current revision is a deletion)"] += 1
            return
        if self.statuses is not None and rec.review_status not in self.statuses:
            stats.excluded[f"review status '{rec.review_status}' not selected"] += 1
            return
        stats.included += 1
        stats.versions[rec.form_version] += 1
        if rec.in_conflict:
            stats.in_conflict += 1
        self.included_ids.append(rec.record_id)
        record_id = str(rec.record_id)
        main: dict[str, Any] = {
            "@record_id": record_id,
            "@device_id": str(rec.device_id),
            "@interviewer": rec.interviewer,
            "@form_version": rec.form_version,
            "@review_status": rec.review_status,
            "@submitted": rec.submitted,
            "@updated": rec.updated,
            "@revision_id": rec.revision_id,
            "@in_conflict": int(rec.in_conflict),
        }
        self.rows[()].append(main)
        answers = rec.answers
        others = answers.keys() - self._direct
        instances: dict[tuple[tuple[str, ...], tuple[int, ...]], dict[str, Any]] = {}
        if not others:
            main.update(answers)
        else:
            plain = dict(answers)
            for path in others:
                del plain[path]
            main.update(plain)
            for path in [p for p in answers if p in others]:  # in the answers' order
                r = self._route(path)
                if r is None:
                    stats.unknown_paths[path.strip("/")] += 1
                    continue
                target = main
                if r.key is not None:
                    target = instances.get(r.key)  # type: ignore[assignment]
                    if target is None:
                        target = {"@record_id": record_id, "@parent_index": r.parent_index,
                                  "@index": r.index}
                        instances[r.key] = target
                        self.rows[r.key[0]].append(target)
                target[r.name] = answers[path]
        if self.track_missing:
            self._mark_not_asked(rec, main, instances)

    def _mark_not_asked(
        self,
        rec: RecordLike,
        main: dict[str, Any],
        instances: dict[tuple[tuple[str, ...], tuple[int, ...]], dict[str, Any]],
    ) -> None:
        values: dict[str, Any] | None = None
        for table, row, current in [((), main, None)] + [
            (key[0], row, (key[0][-1], key[1][-1])) for key, row in instances.items()
        ]:
            absent = self._absent_in(table, rec.form_version)
            not_asked = set(absent)
            cache: dict[str, bool] = {}
            for column in self._gated[table]:
                if column.key in row or column.key in absent:
                    continue
                if values is None:
                    values = unflatten(rec.answers)
                context = values
                if current is not None:
                    context = {**values, "__current__": {"repeat": current[0],
                                                         "index": current[1]}}
                asked = True
                for source in column.gates:
                    result = cache.get(source)
                    if result is None:
                        try:
                            result = to_boolean(evaluate(source, context))
                        except ExpressionError:
                            result = True  # cannot tell: counted as left blank
                        cache[source] = result
                    if not result:
                        asked = False
                        break
                if not asked:
                    not_asked.add(column.key)
            if not_asked:
                row["@na"] = not_asked


_INDEXED = re.compile(r"^(?P<name>[^\[\]/]+)\[(?P<index>[1-9]\d*)\]$")


def unflatten(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Flat answers (``group/q``, ``rep[2]/q``) -> the nested values relevance is
    evaluated over (a dict per group, a list of dicts per repeat)."""
    root: dict[str, Any] = {}
    for path, value in answers.items():
        node: Any = root
        parts = path.split("/")
        for depth, part in enumerate(parts):
            if not isinstance(node, dict):
                break
            match = _INDEXED.match(part)
            if depth == len(parts) - 1:
                node[part if match is None else match["name"]] = value
            elif match is not None:
                instances = node.setdefault(match["name"], [])
                if not isinstance(instances, list):
                    break
                index = int(match["index"])
                while len(instances) < index:
                    instances.append({})
                node = instances[index - 1]
            else:
                node = node.setdefault(part, {})
    return root


def _text_value(value: Any) -> Any:
    if value is None or type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _text_series(series: pd.Series) -> pd.Series:
    """Text cells: str, or None where empty (never NaN: writers test cells as text)."""
    values = series.to_numpy(dtype=object, copy=True)
    missing = pd.isna(values)
    if missing.any():
        values[missing] = None
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        values = np.array([_text_value(v) for v in values], dtype=object)
    return pd.Series(values, index=series.index, dtype=object)


_TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?")


def _time(value: Any) -> dt.time | None:
    if not isinstance(value, str):
        return None
    match = _TIME.match(value.strip())
    if match is None:
        return None
    hour, minute, second, fraction = match.groups()
    try:
        return dt.time(int(hour), int(minute), int(second or 0),
                       int((fraction or "0").ljust(6, "0")))
    except ValueError:
        return None


def _lost(stats: Stats, table: Table, column: Column, series: pd.Series, kept: pd.Series,
          what: str) -> None:
    lost = int((series.notna() & kept.isna()).sum())
    if lost:
        stats.unreadable[(table.name, column.key, what)] += lost


def typed_frame(
    table: Table, rows: list[dict[str, Any]], stats: Stats
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """One batch of a table's rows as typed columns (keyed by column key), and for each
    question some of whose cells were not asked, a mask of those cells.

    Types: text as text; integer as Int64, decimal (and numeric calculations) as float64;
    date and date-time as datetime64 (date-times in UTC); time as ``datetime.time``;
    0/1 choice columns as Int64. A value that is not of its question's type (only an
    edited or damaged record can hold one) is left empty and counted."""
    # Object columns throughout: no Arrow string inference here only to be converted
    # back below.
    frame = pd.DataFrame(rows, columns=table.column_keys(), dtype=object)
    out: dict[str, pd.Series] = {}
    padded: dict[str, pd.Series] = {}
    masks: dict[str, np.ndarray] = {}
    na_sets = [row.get("@na") for row in rows]
    any_na = any(s is not None for s in na_sets)
    for column in table.columns:
        series = frame[column.key]
        if any_na and column.kind in ("value", "choice"):
            base = column.element.path if column.element is not None else ()
            key = "/".join(base) if column.kind == "choice" else column.key
            mask = np.fromiter((s is not None and key in s for s in na_sets), dtype=bool,
                               count=len(rows))
            if mask.any():
                masks[column.key] = mask
        vtype = column.vtype
        if column.kind == "choice" and column.element is not None and column.choice is not None:
            parent = "/".join(column.element.path)
            values = frame[parent]
            if parent not in padded:
                padded[parent] = _padded_choices(values)
            out[column.key] = _choice_flags(values, padded[parent], column.choice)
        elif vtype in ("integer", "decimal"):
            numbers = pd.to_numeric(series, errors="coerce")
            _lost(stats, table, column, series, numbers, "not a number")
            if vtype == "integer":
                whole = numbers.where(numbers == numbers.round())
                _lost(stats, table, column, numbers, whole, "not a whole number")
                out[column.key] = whole.astype("Int64")
            else:
                out[column.key] = numbers.astype("float64")
        elif vtype == "flag":
            out[column.key] = pd.to_numeric(series, errors="coerce").astype("Int64")
        elif vtype in ("date", "datetime"):
            text = series.where(series.map(lambda v: isinstance(v, str)), None)
            parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
            what = "not a date" if vtype == "date" else "not a date-time"
            _lost(stats, table, column, series, parsed, what)
            naive = parsed.dt.tz_localize(None).astype("datetime64[us]")
            out[column.key] = naive.dt.floor("D") if vtype == "date" else naive
        elif vtype == "time":
            times = pd.Series([_time(v) for v in series.tolist()], index=series.index,
                              dtype=object)
            _lost(stats, table, column, series, times, "not a time")
            out[column.key] = times
        else:
            out[column.key] = _text_series(series)
    return pd.DataFrame(out, index=frame.index), masks


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
    hit = np.array([p is not None and f" {choice} " in p for p in padded.tolist()], dtype=bool)
    flags = np.where(hit, 1, 0)
    return pd.Series(
        pd.array(flags, dtype="Int64"), index=values.index
    ).mask(values.isna().to_numpy())


def audit_rows(events: Iterable[ParadataLike]) -> Iterator[dict[str, Any]]:
    for e in events:
        yield {
            "@record_id": str(e.record_id),
            "@device_id": str(e.device_id),
            "@seq": e.seq,
            "@kind": e.kind,
            "@session_id": str(e.session_id),
            "@session_started_at": e.session_started_at,
            "@elapsed_ms": e.elapsed_ms,
            "@payload": _compact(e.payload_json),
        }


def _compact(payload_json: str) -> str:
    try:
        return json.dumps(json.loads(payload_json), ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        return payload_json
