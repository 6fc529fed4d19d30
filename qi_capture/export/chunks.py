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
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from qi_capture import __version__
from qi_capture.export.arrow import pa, pc
from qi_capture.export.chunk_pack import FORMAT, ChunkFrames, CopyUnreadable, pack, unpack
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
    """The range's copy made from its copy as it was: the rows of records whose state
    is unchanged are kept, those of records changed or gone are dropped, and only the
    records new or changed are read and built. `CopyUnreadable` when the old copy cannot
    be patched (no states, or counts that belong to records) or the result is not the
    range's exactly (then the caller builds it whole)."""
    if old.states is None or old.counted:
        raise CopyUnreadable("the copy cannot be patched")
    states = chunk.states()
    live = set(states)
    keep = np.fromiter((s in live for s in old.states), dtype=bool, count=len(old.states))
    have = {s for s, k in zip(old.states, keep, strict=True) if k}
    todo = [(i, s) for i, s in zip(chunk.ids(), states, strict=True) if s not in have]
    new = build(layout, chunk.batches_of([i for i, _s in todo]) if todo else [],
                [s for _i, s in todo])
    kept_ids = set(old.frames[()]["@record_id"][keep])
    frames: dict[tuple[str, ...], pd.DataFrame] = {}
    masks: dict[tuple[str, ...], dict[str, np.ndarray]] = {}
    order: np.ndarray | None = None
    for key, frame in new.frames.items():
        before = old.frames.get(key)
        if before is None:
            raise CopyUnreadable("the copy's tables are not the layout's")
        rows = keep if key == () else before["@record_id"].isin(kept_ids).to_numpy()
        parts = [p for p in (before[rows], frame) if len(p)]
        if len(parts) == 2 and list(parts[0].dtypes) != list(parts[1].dtypes):
            raise CopyUnreadable("the copy's columns are not typed as new ones")
        joined = pd.concat(parts, ignore_index=True) if parts else frame
        # Records in id order; a record's repeat rows keep their order (stable).
        by_id = np.argsort(joined["@record_id"].to_numpy(dtype=object), kind="stable")
        frames[key] = joined.take(by_id).reset_index(drop=True)
        masks[key] = {}
        for column in {*old.masks.get(key, {}), *new.masks.get(key, {})}:
            a = old.masks.get(key, {}).get(column, np.zeros(len(before), dtype=bool))[rows]
            b = new.masks.get(key, {}).get(column, np.zeros(len(frame), dtype=bool))
            masks[key][column] = np.concatenate([a, b])[by_id]
        if key == ():
            order = by_id
    assert order is not None
    joined_states = [s for s, k in zip(old.states, keep, strict=True) if k] + \
        [s for _i, s in todo]
    patched = [joined_states[i] for i in order]
    if patched != states:
        raise CopyUnreadable("the patched copy is not the range's")
    return ChunkFrames(frames, masks, new.unknown_paths, new.unreadable, patched)


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
    # As text: a table with no row in this range has a column of Arrow's null type, which
    # `is_in` will not compare with text.
    ids = kept.combine_chunks().cast(pa.string())
    for key, table in tables.items():
        if key == ():
            out[key], rows = main, keep
        else:
            found = pc.is_in(table.column("@record_id").cast(pa.string()), value_set=ids)
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
        if copy is None and chunk.stale is not None:
            try:
                copy = patch(layout, _fitting(unpack(chunk.stale), layout), chunk)
            except CopyUnreadable:
                copy = None
        if copy is None:
            read = list(chunk.batches())
            copy = build(layout, read, chunk.states())
            _keep(chunk, copy)
        elif chunk.blob is None:
            _keep(chunk, copy)
        if selected is not None and copy.counted and not set(selected).issuperset(
                chunk.statuses):
            yield Ready(chunk, None, read if read is not None else list(chunk.batches()))
        else:
            yield Ready(chunk, copy)
