"""Records -> rows for every table (main form, each repeat, the audit log), a batch at a
time, and each batch as typed columns."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from qi_capture.export.arrow import pa, pc
from qi_capture.export.model import (
    Column,
    Layout,
    ParadataLike,
    RecordBatchLike,
    RecordLike,
    Table,
    split_path,
)
from qi_capture.forms.expressions import (
    DictContext,
    ExpressionError,
    evaluate_in,
    parse,
    to_boolean,
)


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


#: Why records are left out, as the export report says.
DELETED = "deleted (the record's current revision is a deletion)"


def not_selected(status: str) -> str:
    return f"review status '{status}' not selected"


#: Main-table metadata columns, in the order `RowBuilder` keeps them per record.
_META_KEYS = ("@record_id", "@device_id", "@interviewer", "@form_version", "@review_status",
              "@submitted", "@updated", "@revision_id", "@in_conflict")


@dataclass
class Rows:
    """One batch of one table's rows, column by column: column key -> its cells (a key
    that is absent: every cell empty); and, when tracked, per row the keys of the
    questions that were not asked (None: none)."""

    columns: dict[str, list[Any]]
    length: int
    not_asked: list[Collection[str] | None] | None = None

    def __len__(self) -> int:
        return self.length

    @classmethod
    def from_dicts(cls, table: Table, rows: list[dict[str, Any]]) -> Rows:
        """Rows as dicts keyed by column key (``"@na"``: the questions not asked)."""
        columns = {c.key: [r.get(c.key) for r in rows] for c in table.columns
                   if c.kind != "choice"}
        na = [r.get("@na") for r in rows]
        return cls(columns, len(rows), na if any(s is not None for s in na) else None)


class RowBuilder:
    """Records -> rows for every table, a batch at a time (`take` gives `Rows`).

    The main table is kept column-wise: per record one tuple of its metadata and its
    answers as they are (no copy when every answer is a main-table question, as most
    are); `take` lays each column out in one pass over the batch. Only the other answers
    (repeats, unknown paths) are routed one by one, into a row per repeat instance. With
    ``track_missing``, each row also names the questions that were not asked: not in the
    record's form version, or not relevant (their relevance, re-evaluated over the
    record's answers, is false). An empty cell of any other question was left blank."""

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
        self._route = _router(layout)
        main = layout.tables[()]
        self._direct = frozenset(
            c.key for c in main.columns
            if c.kind == "value" and self._route(c.key) == _Route(c.key, None, None, None)
        )
        self._keys = [c.key for c in main.columns if c.kind == "value" and c.key in self._direct]
        # Per included record of the batch: its metadata (column by column, in the
        # order of _META_KEYS); its answers to main-table questions (in the order of
        # _keys), read while its answers are fresh in the cache (column by column later
        # would visit every record's dict once per column); answers routed to the main
        # table by another path (rare), by row; the questions not asked (only with
        # track_missing).
        self._meta: list[list[Any]] = [[] for _ in _META_KEYS]
        self._included: list[str] = []
        self._values: list[tuple[Any, ...]] = []
        self._extra: dict[int, dict[str, Any]] = {}
        self._not_asked: list[Collection[str] | None] = []
        self._repeats: dict[tuple[str, ...], list[dict[str, Any]]] = {
            k: [] for k in layout.tables if k
        }
        self._devices: dict[Any, str] = {}
        self._absent: dict[tuple[tuple[str, ...], str], frozenset[str]] = {}
        self._gated = {
            key: [c for c in t.columns if c.kind == "value" and c.gates]
            for key, t in layout.tables.items()
        }
        self._reads = _gate_reads(c for columns in self._gated.values() for c in columns)

    def take(self) -> dict[tuple[str, ...], Rows]:
        """The batch so far, per table; the builder starts a new one."""
        n = len(self._values)
        columns: dict[str, list[Any]] = dict(zip(_META_KEYS, self._meta, strict=True))
        if n:
            columns.update(zip(self._keys, map(list, zip(*self._values, strict=True)),
                               strict=True))
        else:
            columns.update((k, []) for k in self._keys)
        for i, extra in self._extra.items():
            for key, value in extra.items():
                columns.setdefault(key, [None] * n)[i] = value
        na = self._not_asked
        out: dict[tuple[str, ...], Rows] = {
            (): Rows(columns, n, na if any(s is not None for s in na) else None)
        }
        for table, rows in self._repeats.items():
            out[table] = Rows.from_dicts(self.layout.tables[table], rows)
        self._meta = [[] for _ in _META_KEYS]
        self._values, self._extra, self._not_asked = [], {}, []
        self._repeats = {k: [] for k in self._repeats}
        return out

    def pending(self) -> int:
        return len(self._values)

    def add_included(self, record_ids: Iterable[str]) -> None:
        """Records written without the builder (from an export-ready copy), in the
        order of the files, so that `included_texts` lists every record written."""
        self._included.extend(record_ids)

    @property
    def included_texts(self) -> list[str]:
        """The ids of the records included so far, as text."""
        return list(self._included)

    @property
    def included_ids(self) -> list[uuid.UUID]:
        """The ids of the records included so far (made when asked: the paradata)."""
        return [uuid.UUID(t) for t in self._included]

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

    def _excluded(self, deleted: bool, status: str) -> bool:
        if deleted:
            self.stats.excluded[DELETED] += 1
            return True
        if self.statuses is not None and status not in self.statuses:
            self.stats.excluded[not_selected(status)] += 1
            return True
        return False

    def _device(self, device_id: Any) -> str:
        device = self._devices.get(device_id)
        if device is None:  # a few devices send all the records: each id is made once
            device = self._devices.setdefault(device_id, str(device_id))
        return device

    def add(self, rec: RecordLike) -> None:
        if self._excluded(rec.deleted, rec.review_status):
            return
        stats = self.stats
        stats.included += 1
        stats.versions[rec.form_version] += 1
        if rec.in_conflict:
            stats.in_conflict += 1
        record_id = str(rec.record_id)
        self._included.append(record_id)
        for column, value in zip(self._meta, (
                record_id, self._device(rec.device_id), rec.interviewer, rec.form_version,
                rec.review_status, rec.submitted, rec.updated, rec.revision_id,
                int(rec.in_conflict)), strict=True):
            column.append(value)
        self._add_answers(record_id, rec.form_version, rec.answers)

    def add_batch(self, batch: RecordBatchLike) -> None:
        """Records column by column (what `add` does for each, without a per-record
        object: the metadata columns are taken whole)."""
        deleted, statuses = batch.deleted, batch.review_statuses
        keep: list[int] | None = None
        if any(deleted) or (self.statuses is not None
                            and not self.statuses.issuperset(statuses)):
            keep = [i for i, (gone, status) in enumerate(zip(deleted, statuses, strict=True))
                    if not self._excluded(gone, status)]

        def pick(values: Sequence[Any]) -> Sequence[Any]:
            return values if keep is None else [values[i] for i in keep]

        ids, versions, conflicts = (pick(batch.record_ids), pick(batch.form_versions),
                                    pick(batch.in_conflict))
        stats = self.stats
        stats.included += len(ids)
        stats.versions.update(versions)
        stats.in_conflict += sum(map(bool, conflicts))
        self._included.extend(ids)
        meta: tuple[Sequence[Any], ...] = (
            ids, [self._device(d) for d in pick(batch.device_ids)], pick(batch.interviewers),
            versions, pick(batch.review_statuses), pick(batch.submitted),
            pick(batch.updated), pick(batch.revision_ids), list(map(int, conflicts)))
        for column, values in zip(self._meta, meta, strict=True):
            column.extend(values)
        for record_id, version, answers in zip(ids, versions, pick(batch.answers), strict=True):
            self._add_answers(record_id, version, answers)

    def _add_answers(self, record_id: str, version: str, answers: Mapping[str, Any]) -> None:
        stats = self.stats
        instances: dict[tuple[tuple[str, ...], tuple[int, ...]], dict[str, Any]] = {}
        # Direct keys are never among the others: the answers give them as they are.
        values = tuple(map(answers.get, self._keys))
        self._values.append(values)
        extra: dict[str, Any] = {}
        # With as many answers as direct keys give values, every answer is one of them
        # (an answer elsewhere, or a null one, makes the count differ): no others.
        others = (frozenset() if len(answers) == len(values) - values.count(None)
                  else answers.keys() - self._direct)
        if others:
            # In the answers' order (one pass in C).
            for path in list(filter(others.__contains__, answers)):
                r = self._route(path)
                if r is None:
                    stats.unknown_paths[path.strip("/")] += 1
                    continue
                target = extra
                if r.key is not None:
                    target = instances.get(r.key)  # type: ignore[assignment]
                    if target is None:
                        target = {"@record_id": record_id, "@parent_index": r.parent_index,
                                  "@index": r.index}
                        instances[r.key] = target
                        self._repeats[r.key[0]].append(target)
                target[r.name] = answers[path]
        if extra:
            self._extra[len(self._values) - 1] = extra
        if self.track_missing:
            main: Collection[str] = answers.keys()
            if others:
                main = (answers.keys() - others) | extra.keys()
            self._not_asked.append(self._mark_not_asked(version, answers, main, instances))
        else:
            self._not_asked.append(None)

    def _mark_not_asked(
        self,
        version: str,
        answers: Mapping[str, Any],
        main: Collection[str],
        instances: dict[tuple[tuple[str, ...], tuple[int, ...]], dict[str, Any]],
    ) -> set[str] | None:
        """The main row's questions not asked (None: none); each repeat instance's go in
        its row, under ``"@na"``. ``main``: the keys of the main table's answers."""
        values: dict[str, Any] | None = None
        main_na: set[str] | None = None
        rows: list[tuple[tuple[str, ...], Collection[str], tuple[str, int] | None]] = [
            ((), main, None)
        ]
        rows += [(key[0], row, (key[0][-1], key[1][-1])) for key, row in instances.items()]
        for table, row, current in rows:
            absent = self._absent_in(table, version)
            not_asked = set(absent)
            cache: dict[str, bool] = {}
            # One instance tree per row, built at its first gate, for all its gates.
            context: DictContext | None = None
            built = False
            for column in self._gated[table]:
                if column.key in row or column.key in absent:
                    continue
                if values is None:
                    values = unflatten(answers, self._reads)
                if not built:
                    context, built = _row_context(values, current), True
                asked = True
                for source in column.gates:
                    result = cache.get(source)
                    if result is None:
                        try:
                            if context is None:
                                raise ExpressionError("the answers make no instance")
                            result = to_boolean(evaluate_in(context, source))
                        except ExpressionError:
                            result = True  # cannot tell: counted as left blank
                        cache[source] = result
                    if not result:
                        asked = False
                        break
                if not asked:
                    not_asked.add(column.key)
            if not_asked:
                if isinstance(row, dict):
                    row["@na"] = not_asked
                else:
                    main_na = not_asked
        return main_na


_INDEXED = re.compile(r"^(?P<name>[^\[\]/]+)\[(?P<index>[1-9]\d*)\]$")


def _bare(part: str) -> str:
    """A path part without its instance index (``rep[2]`` -> ``rep``)."""
    return part.split("[", 1)[0]


def _row_context(values: dict[str, Any], current: tuple[str, int] | None) -> DictContext | None:
    """The instance tree a row's relevance is read in: the record's answers, and for a
    repeat instance's row that instance as the context (None: the answers make no tree,
    so no gate can be told)."""
    if current is not None:
        values = {**values, "__current__": {"repeat": current[0], "index": current[1]}}
    try:
        return DictContext(values)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None


def _gate_reads(columns: Iterable[Column]) -> frozenset[str] | None:
    """The names the relevance of ``columns`` reads (None: every answer may count, as an
    expression with a path, ``current()``, the context node or an instance reads nodes
    it does not name). Parsing fails here as in the check itself: read everything."""
    names: set[str] = set()
    for column in columns:
        for source in column.gates:
            try:
                expression = parse(source)
            except ExpressionError:
                return None
            if expression.uses_paths or expression.uses_context or \
                    expression.uses_current or expression.uses_instance or \
                    expression.last_saved_references:
                return None
            names |= expression.references
    return frozenset(names)


def unflatten(answers: Mapping[str, Any],
              reads: frozenset[str] | None = None) -> dict[str, Any]:
    """Flat answers (``group/q``, ``rep[2]/q``) -> the nested values relevance is
    evaluated over (a dict per group, a list of dicts per repeat). ``reads``: the names
    the relevance reads (`_gate_reads`); other answers are left out, but each repeat
    instance is kept (a row's own instance is its context, ``position`` counts them)."""
    root: dict[str, Any] = {}
    for path, value in answers.items():
        if reads is not None and "[" not in path and \
                not reads.intersection(path.split("/")):
            continue  # read by no relevance, and in no repeat
        node: Any = root
        parts = path.split("/")
        for depth, part in enumerate(parts):
            if not isinstance(node, dict):
                break
            match = _INDEXED.match(part) if "[" in part else None
            if depth == len(parts) - 1:
                name = part if match is None else match["name"]
                if reads is None or name in reads or \
                        any(_bare(p) in reads for p in parts[:-1]):
                    node[name] = value
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


def _as_strings(values: list[Any]) -> Any:
    """The cells as an Arrow string array if every one is a str or None (one pass in C),
    else None (and None without pyarrow: the caller then checks cell by cell)."""
    if pa is None:
        return None
    try:
        return pa.array(values, type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid, OverflowError):
        return None


_TEXT_TYPES = frozenset({str, type(None)})


def text_series(values: list[Any], index: pd.RangeIndex) -> pd.Series:
    """Text cells: str, or None where empty (never NaN: writers test cells as text)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    if _TEXT_TYPES.issuperset(map(type, values)):
        # Every cell text or None, as stored answers are (told by one pass in C): as is.
        return pd.Series(array, index=index, dtype=object)
    missing = pd.isna(array)
    if missing.any():
        array[missing] = None
    if pd.api.types.infer_dtype(array, skipna=True) not in ("string", "empty"):
        array = np.array([_text_value(v) for v in array], dtype=object)
    return pd.Series(array, index=index, dtype=object)


#: Whole numbers beyond this are not exact as float64: those columns take pandas' path,
#: which keeps them as int64.
_EXACT = 2.0**53


def _fast_numbers(values: list[Any], whole: bool) -> tuple[np.ndarray, int] | None:
    """Cells that are all numbers, or all text that reads as a number (the common case),
    as float64 (NaN where empty) and how many non-empty cells were no number ("nan");
    None when any cell needs pandas' cell-by-cell path (other types, text that is no
    number, whole numbers too large for float64). Arrow's text-to-number cast accepts a
    subset of what `pd.to_numeric` does, with the same values. Without pyarrow: None."""
    if pa is None or pc is None:
        return None
    try:
        array = pa.array(values, from_pandas=True)  # a float NaN: an empty cell
    except (pa.ArrowTypeError, pa.ArrowInvalid, OverflowError):
        return None
    kind = array.type
    if not (pa.types.is_string(kind) or pa.types.is_integer(kind)
            or pa.types.is_floating(kind) or pa.types.is_null(kind)):
        return None
    try:
        parsed = pc.cast(array, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    numbers = parsed.to_numpy(zero_copy_only=False)
    if whole and len(numbers) and np.nanmax(np.abs(numbers), initial=0.0) >= _EXACT:
        return None
    unread = int(np.isnan(numbers).sum()) - array.null_count
    return numbers, unread


def _number_series(
    stats: Stats, table: Table, column: Column, values: list[Any], index: pd.RangeIndex
) -> pd.Series:
    whole_type = column.vtype == "integer"
    fast = _fast_numbers(values, whole_type or column.vtype == "flag")
    if column.vtype == "flag":
        if fast is not None:
            return pd.Series(fast[0], index=index).astype("Int64")
        series = pd.Series(np.array(values, dtype=object), index=index)
        return pd.to_numeric(series, errors="coerce").astype("Int64")
    if fast is not None:
        if fast[1]:
            stats.unreadable[(table.name, column.key, "not a number")] += fast[1]
        return _checked_numbers(stats, table, column, fast[0], whole_type, index)
    else:
        series = pd.Series(_objects(values), index=index)
        numbers = pd.to_numeric(series, errors="coerce")
        _lost(stats, table, column, series, numbers, "not a number")
    # "inf" and "1e400" read as floats, but no integer column, SPSS or Stata number can
    # hold an infinity: left out and counted like any other unreadable number.
    finite = numbers.where(np.isfinite(numbers.to_numpy(dtype="float64", na_value=np.nan)))
    _lost(stats, table, column, numbers, finite, "not a finite number")
    numbers = finite
    if whole_type:
        whole = numbers.where(numbers == numbers.round())
        _lost(stats, table, column, numbers, whole, "not a whole number")
        return whole.astype("Int64")
    return numbers.astype("float64")


def _checked_numbers(stats: Stats, table: Table, column: Column, numbers: np.ndarray,
                     whole: bool, index: pd.RangeIndex) -> pd.Series:
    """What the pandas path below does to a float64 column, in numpy: infinities, and
    in a whole-number column fractions, left empty and counted."""
    values = np.array(numbers, dtype="float64")  # a copy of our own, to write to
    empty = np.isnan(values)
    infinite = np.isinf(values)
    if infinite.any():
        stats.unreadable[(table.name, column.key, "not a finite number")] += int(infinite.sum())
        values[infinite] = np.nan
        empty |= infinite
    if not whole:
        return pd.Series(values, index=index)
    fraction = ~empty & (values != np.round(values))
    if fraction.any():
        stats.unreadable[(table.name, column.key, "not a whole number")] += int(fraction.sum())
        empty |= fraction
    whole_numbers = np.where(empty, 0.0, values).astype(np.int64)
    return pd.Series(pd.arrays.IntegerArray(whole_numbers, empty), index=index)


def _objects(values: list[Any]) -> np.ndarray:
    # Filled, not np.array(values): a cell that is a list stays one object.
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


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
    table: Table, rows: Rows | list[dict[str, Any]], stats: Stats
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """One batch of a table's rows (`Rows`, or dicts keyed by column key) as typed
    columns (keyed by column key), and for each question some of whose cells were not
    asked, a mask of those cells.

    Types: text as text; integer as Int64, decimal (and numeric calculations) as float64;
    date and date-time as datetime64 (date-times in UTC); time as ``datetime.time``;
    0/1 choice columns as Int64. A value that is not of its question's type (only an
    edited or damaged record can hold one) is left empty and counted. Each column is
    converted whole (vectorised); only cells of an unexpected type take a slower path."""
    if not isinstance(rows, Rows):
        rows = Rows.from_dicts(table, rows)
    n = len(rows)
    index = pd.RangeIndex(n)
    empty: list[Any] = [None] * n
    out: dict[str, pd.Series] = {}
    parents: dict[str, pd.Series] = {}
    padded: dict[str, pd.Series] = {}
    masks: dict[str, np.ndarray] = {}
    na_sets = rows.not_asked
    for column in table.columns:
        values = rows.columns.get(column.key, empty)
        if na_sets is not None and column.kind in ("value", "choice"):
            base = column.element.path if column.element is not None else ()
            key = "/".join(base) if column.kind == "choice" else column.key
            mask = np.fromiter((s is not None and key in s for s in na_sets), dtype=bool,
                               count=n)
            if mask.any():
                masks[column.key] = mask
        vtype = column.vtype
        if column.kind == "choice" and column.element is not None and column.choice is not None:
            parent = "/".join(column.element.path)
            if parent not in padded:
                parents[parent] = pd.Series(_objects(rows.columns.get(parent, empty)),
                                            index=index)
                padded[parent] = _padded_choices(parents[parent])
            out[column.key] = _choice_flags(parents[parent], padded[parent], column.choice)
        elif vtype in ("integer", "decimal", "flag"):
            out[column.key] = _number_series(stats, table, column, values, index)
        elif vtype in ("date", "datetime"):
            series = pd.Series(_objects(values), index=index)
            text = series
            if _as_strings(values) is None:
                text = series.where(series.map(lambda v: isinstance(v, str)), None)
            parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
            what = "not a date" if vtype == "date" else "not a date-time"
            _lost(stats, table, column, series, parsed, what)
            naive = parsed.dt.tz_localize(None).astype("datetime64[us]")
            out[column.key] = naive.dt.floor("D") if vtype == "date" else naive
        elif vtype == "time":
            series = pd.Series(_objects(values), index=index)
            times = pd.Series([_time(v) for v in values], index=index, dtype=object)
            _lost(stats, table, column, series, times, "not a time")
            out[column.key] = times
        else:
            out[column.key] = text_series(values, index)
    return pd.DataFrame(out, index=index), masks


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
    where unanswered (one search in C per choice column)."""
    if pa is None or pc is None:
        hit = padded.str.contains(f" {choice} ", regex=False).fillna(False).to_numpy(bool)
    else:
        found = pc.match_substring(pa.array(padded.to_numpy(), type=pa.string()),
                                   f" {choice} ")
        hit = pc.fill_null(found, False).to_numpy(zero_copy_only=False)
    return pd.Series(
        pd.array(np.where(hit, 1, 0), dtype="Int64"), index=values.index
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
