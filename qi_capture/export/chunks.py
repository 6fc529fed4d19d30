"""Export-ready copies: a range of a form's records as the typed tables an export writes,
kept in the central store and used instead of decoding every record again.

A copy (`chunk_pack.ChunkFrames`) holds, per table, the frame `typed_frame` makes for
every record of the range that is not deleted (whatever the review status: the status
filter is applied when the copy is used), the masks of the cells not asked, the counts
the export report takes from the answers (answers that name no question, values left
empty) and each record's state (what the source says the copy was built from). The
review status is the one column that can change while the rest stays as it was, so it
is set from the store at each export (`use`).

For each range the source hands out (`SourceChunk`), `ready` takes the stored copy when
it is current; else patches the stale one (`patch`: only the records new or changed
since are read and built, those gone are dropped); else builds it from the range's
records (`build`); and has the source keep what it patched or built. A copy is built
with the layout of all the form's versions; `layout_key` names that layout, this code's
`chunk_pack.FORMAT` and the app's version, so a new form version or a new release
builds the copies again.

Needs pyarrow (`available`); the packaged app has none and exports without copies.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from qi_capture import __version__
from qi_capture.export.arrow import pa, pc
from qi_capture.export.chunk_pack import (
    FORMAT,
    ChunkFrames,
    CopyUnreadable,
    arrow_tables,
    frames_of,
    pack,
    unpack,
)
from qi_capture.export.model import Layout, RecordBatchLike
from qi_capture.export.tables import RowBuilder, Stats, text_series, typed_frame

log = logging.getLogger(__name__)


def available() -> bool:
    return pa is not None


def layout_key(compiled_forms: Iterable[str]) -> str:
    """A name for the layout the copies of a form are built with: every version's
    compiled form (oldest first), this code's `FORMAT` and the app's version."""
    digest = hashlib.blake2b(digest_size=32)
    digest.update(f"qi-capture export copy {FORMAT} {__version__}\0".encode())
    for text in compiled_forms:
        digest.update(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
    return digest.hexdigest()


def build(layout: Layout, batches: Iterable[RecordBatchLike],
          states: list[str] | None = None) -> ChunkFrames:
    """The copy of the records of ``batches`` (deleted ones left out), with the masks of
    the cells not asked whatever the format (only sav and dta write them); ``states``,
    the records' states in the same order, when known."""
    builder = RowBuilder(layout, track_missing=True)
    for batch in batches:
        builder.add_batch(batch)
    frames: dict[tuple[str, ...], pd.DataFrame] = {}
    masks: dict[tuple[str, ...], dict[str, np.ndarray]] = {}
    stats = Stats()
    for key, rows in builder.take().items():
        frames[key], masks[key] = typed_frame(layout.tables[key], rows, stats)
    if states is not None and len(states) != len(frames[()]):
        raise CopyUnreadable("the records read are not those of the range")
    return ChunkFrames(frames, masks, builder.stats.unknown_paths, stats.unreadable, states)


def patch(layout: Layout, old: ChunkFrames, chunk: SourceChunk) -> ChunkFrames:
    """The range's copy made from its copy as it was (unpacked): the rows of records
    whose state is unchanged are kept, those of records changed or gone are dropped, and
    only the records new or changed are read and built. Done in Arrow, so the rows kept
    never become Python objects. `CopyUnreadable` when the old copy cannot be patched
    (no states, counts that belong to records, tables the new rows do not fit) or the
    result is not the range's exactly (then the caller builds it whole)."""
    if old.states is None or old.counted or old.tables is None:
        raise CopyUnreadable("the copy cannot be patched")
    states = chunk.states()
    live = set(states)
    keep = np.fromiter((s in live for s in old.states), dtype=bool, count=len(old.states))
    have = {s for s, k in zip(old.states, keep, strict=True) if k}
    todo = [(i, s) for i, s in zip(chunk.ids(), states, strict=True) if s not in have]
    new = build(layout, chunk.batches_of([i for i, _s in todo]) if todo else [],
                [s for _i, s in todo])
    new_tables = arrow_tables(new)
    kept_ids = _text(old.tables[()].column("@record_id").filter(pa.array(keep)))
    tables: dict[tuple[str, ...], Any] = {}
    masks: dict[tuple[str, ...], dict[str, np.ndarray]] = {}
    order: np.ndarray | None = None
    for key, table in new_tables.items():
        before = old.tables.get(key)
        if before is None:
            raise CopyUnreadable("the copy's tables are not the layout's")
        rows = keep if key == () else pc.is_in(
            _text(before.column("@record_id")), value_set=kept_ids).to_numpy(
                zero_copy_only=False)
        try:
            # A column all empty on one side is of Arrow's null type: it takes the other's.
            joined = pa.concat_tables([before.filter(pa.array(rows)), table],
                                      promote_options="default")
        except pa.ArrowException:
            raise CopyUnreadable("the copy's columns are not typed as new ones") from None
        # Records in id order; a record's repeat rows keep their order (a stable sort).
        by_id = pc.sort_indices(_text(joined.column("@record_id"))).to_numpy()
        tables[key] = _typed_as_built(joined.take(by_id).combine_chunks(), table)
        masks[key] = {}
        for column in {*old.masks.get(key, {}), *new.masks.get(key, {})}:
            a = old.masks.get(key, {}).get(column, np.zeros(before.num_rows, dtype=bool))[rows]
            b = new.masks.get(key, {}).get(column, np.zeros(table.num_rows, dtype=bool))
            masks[key][column] = np.concatenate([a, b])[by_id]
        if key == ():
            order = by_id
    assert order is not None
    joined_states = [s for s, k in zip(old.states, keep, strict=True) if k] + \
        [s for _i, s in todo]
    patched = [joined_states[i] for i in order]
    if patched != states:
        raise CopyUnreadable("the patched copy is not the range's")
    return ChunkFrames(frames_of(tables), masks, new.unknown_paths, new.unreadable, patched,
                       tables)


def _typed_as_built(patched: Any, new: Any) -> Any:
    """``patched`` with each column typed as building its rows whole would type it. A text
    column is typed from its values: of Arrow's null type when all are empty. The new rows
    alone show which columns those are (null where all theirs are empty); the rows kept
    still carry their old type (text), which would outlive the last record that had a
    value there (deleted or changed since) and make the copy differ from one built whole."""
    for i, kind in enumerate(patched.schema):
        if pa.types.is_null(kind.type) or kind.name not in new.column_names:
            continue
        if pa.types.is_null(new.schema.field(kind.name).type) \
                and patched.column(i).null_count == patched.num_rows:
            patched = patched.set_column(i, pa.field(kind.name, pa.null()),
                                         pa.nulls(patched.num_rows))
    return patched


def _text(column: Any) -> Any:
    """A column of record ids as one Arrow text array (a table with no rows has them of
    Arrow's null type, which `is_in` and sorting will not take with text)."""
    return column.combine_chunks().cast(pa.string())


@dataclass
class Used:
    """A copy as one export writes it: the records its status filter keeps, per table
    as a pandas frame, or as an Arrow table for a sink that writes Arrow."""

    frames: dict[tuple[str, ...], Any]
    masks: dict[tuple[str, ...], dict[str, np.ndarray]]
    record_ids: list[str]


def _wanted(statuses: Sequence[str], selected: Collection[str] | None) -> np.ndarray | None:
    """Which rows the status filter keeps (None: all)."""
    if selected is None:
        return None
    wanted = np.fromiter((s in selected for s in statuses), dtype=bool, count=len(statuses))
    return None if wanted.all() else wanted


def use(chunk: ChunkFrames, statuses: Sequence[str], selected: Collection[str] | None,
        *, arrow: bool = False) -> Used:
    """The copy with each record's review status as the store has it now (``statuses``,
    one per row of the main table) and only the records whose status is ``selected``
    (None: all). ``arrow``: Arrow tables (when the copy was unpacked) instead of frames."""
    if len(statuses) != len(chunk):
        raise CopyUnreadable("the copy and the store disagree on the records of the range")
    keep = _wanted(statuses, selected)
    if arrow and chunk.tables is not None:
        return _use_arrow(chunk, chunk.tables, statuses, keep)
    frames: dict[tuple[str, ...], Any] = {}
    masks: dict[tuple[str, ...], dict[str, np.ndarray]] = {}
    main = chunk.frames[()].copy(deep=False)
    main["@review_status"] = text_series(list(statuses), main.index)
    ids_series = main["@record_id"]
    if keep is None:
        frames = {key: main if key == () else chunk.frames[key] for key in chunk.frames}
        return Used(frames, dict(chunk.masks), ids_series.tolist())
    kept_ids = ids_series[keep]
    for key in chunk.frames:
        frame = main if key == () else chunk.frames[key]
        rows = keep if key == () else frame["@record_id"].isin(kept_ids).to_numpy()
        frames[key] = frame[rows].reset_index(drop=True)
        masks[key] = {k: m[rows] for k, m in chunk.masks.get(key, {}).items()}
    return Used(frames, masks, kept_ids.tolist())


def _use_arrow(chunk: ChunkFrames, tables: dict[tuple[str, ...], Any],
               statuses: Sequence[str], keep: np.ndarray | None) -> Used:
    main = tables[()]
    where = main.schema.get_field_index("@review_status")
    main = main.set_column(where, "@review_status", pa.array(list(statuses), type=pa.string()))
    out: dict[tuple[str, ...], Any] = {}
    masks: dict[tuple[str, ...], dict[str, np.ndarray]] = {}
    if keep is None:
        out = {key: main if key == () else table for key, table in tables.items()}
        return Used(out, dict(chunk.masks), main.column("@record_id").to_pylist())
    main = main.filter(pa.array(keep))
    kept = main.column("@record_id")
    ids = _text(kept)
    for key, table in tables.items():
        if key == ():
            out[key], rows = main, keep
        else:
            found = pc.is_in(_text(table.column("@record_id")), value_set=ids)
            rows = found.to_numpy(zero_copy_only=False)
            out[key] = table.filter(found)
        masks[key] = {k: m[rows] for k, m in chunk.masks.get(key, {}).items()}
    return Used(out, masks, kept.to_pylist())


class SourceChunk(Protocol):
    """A range of a form's records as a source hands it out (the central store's
    `qi_capture.central.export_copies.RangeChunk` fits)."""

    @property
    def records(self) -> int: ...
    @property
    def deleted(self) -> int: ...
    @property
    def blob(self) -> bytes | None: ...
    @property
    def stale(self) -> bytes | None: ...
    @property
    def statuses(self) -> Sequence[str]: ...
    def states(self) -> list[str]: ...
    def ids(self) -> list[str]: ...
    def batches(self) -> Iterator[RecordBatchLike]: ...
    def batches_of(self, ids: Sequence[str]) -> Iterator[RecordBatchLike]: ...
    def keep(self, blob: bytes) -> None: ...


@dataclass
class Ready:
    """A range made ready for the export: its copy, or (when the copy cannot be used)
    its records, to be built as an export without copies would."""

    chunk: SourceChunk
    copy: ChunkFrames | None
    batches: list[RecordBatchLike] = field(default_factory=list)


def _keep(chunk: SourceChunk, copy: ChunkFrames) -> None:
    """Have the source keep the copy; one that Arrow cannot hold (a lone surrogate in a
    text) is not kept, and the export writes it all the same."""
    try:
        blob = pack(copy)
    except (pa.ArrowException, UnicodeError, ValueError) as exc:
        log.warning("an export-ready copy was not kept: %s", type(exc).__name__)
        return
    chunk.keep(blob)


def _fitting(copy: ChunkFrames, layout: Layout) -> ChunkFrames:
    """The copy, if it has the layout's tables with their columns (a copy that does not
    is refused as unreadable: it is built again)."""
    tables = copy.tables if copy.tables is not None else {}
    if set(tables) != set(layout.tables):
        raise CopyUnreadable("the copy's tables are not the layout's")
    for key, table in tables.items():
        if table.column_names != [c.key for c in layout.tables[key].columns]:
            raise CopyUnreadable("the copy's columns are not the layout's")
    return copy


def _made(chunk: SourceChunk, layout: Layout) -> tuple[ChunkFrames, list[RecordBatchLike] | None]:
    """The range's copy when its stored one cannot be used as it is: its stale copy
    patched, or (when there is none, or it cannot be patched) one built from all its
    records; kept by the source either way. Also the records read, when all were."""
    if chunk.stale is not None:
        try:
            copy = patch(layout, _fitting(unpack(chunk.stale), layout), chunk)
        except CopyUnreadable:
            pass
        else:
            _keep(chunk, copy)
            return copy, None
    read = list(chunk.batches())
    copy = build(layout, read, chunk.states())
    _keep(chunk, copy)
    return copy, read


def refresh(chunks: Iterable[SourceChunk], layout: Layout,
            progress: Callable[[int], None] | None = None) -> int:
    """Bring the source's copies up to date without exporting: each range whose copy is
    not current is patched (or built) and kept, as the next export would; a current copy
    is not even read. ``progress(records)`` after each range (it may raise to stop:
    the ranges done stay done). Returns how many ranges were brought up to date."""
    made = 0
    for chunk in chunks:
        if chunk.blob is None:
            _made(chunk, layout)
            made += 1
        if progress is not None:
            progress(chunk.records)
    return made


def ready(chunks: Iterable[SourceChunk], layout: Layout,
          selected: Collection[str] | None) -> Iterator[Ready]:
    """Each range with its copy: the stored one, or one built from its records and kept.
    A copy whose report counts belong to records the status filter leaves out gives
    way to the records themselves."""
    for chunk in chunks:
        copy: ChunkFrames | None = None
        read: list[RecordBatchLike] | None = None
        if chunk.blob is not None:
            try:
                copy = _fitting(unpack(chunk.blob), layout)
                if len(copy) != len(chunk.statuses):
                    raise CopyUnreadable("the copy's records are not the range's")
            except CopyUnreadable as exc:
                log.warning("an export-ready copy was not used: %s", exc)
                copy = None
        if copy is None:
            copy, read = _made(chunk, layout)
        if selected is not None and copy.counted and not set(selected).issuperset(
                chunk.statuses):
            yield Ready(chunk, None, read if read is not None else list(chunk.batches()))
        else:
            yield Ready(chunk, copy)
