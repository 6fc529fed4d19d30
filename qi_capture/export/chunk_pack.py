"""An export-ready copy (`ChunkFrames`: a range of a form's records as the typed tables an
export writes) and its bytes, as the central store keeps them (`pack`, `unpack`).

Packed, a copy is a small JSON header and one Arrow IPC stream per table (zstd), the
masks of the cells not asked and the records' states as extra columns: no pickle, and
nothing in it runs when read; anything else is refused (`CopyUnreadable`). Unpacked, a
table is made into a pandas frame only when asked for: the CSV and Parquet sinks take
the Arrow tables as they are, so text never becomes Python strings there.
"""

from __future__ import annotations

import json
import struct
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from qi_capture.export.arrow import pa

#: Bump when what `RowBuilder` or `typed_frame` make changes: every copy is built again.
FORMAT = 1

#: Column names of the masks and states inside a packed table (a NUL never occurs in a
#: column key).
_MASK = "\x00na\x00"
_STATES = "\x00state"
_LENGTH = struct.Struct("<Q")


class CopyUnreadable(ValueError):
    """A packed copy that is not what `pack` writes (damaged, or from another build)."""


@dataclass
class ChunkFrames:
    """The typed tables of a range's records that are not deleted, in id order."""

    #: Table key -> its frame (every column of the table, in order). Unpacked, a frame
    #: is made from its Arrow table when first asked for (`tables`).
    frames: Mapping[tuple[str, ...], pd.DataFrame]
    #: Table key -> column key -> which cells were not asked.
    masks: dict[tuple[str, ...], dict[str, np.ndarray]] = field(default_factory=dict)
    unknown_paths: Counter[str] = field(default_factory=Counter)
    unreadable: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    #: Each row's record state, as the source gave it (None: not known; the copy can
    #: then be used whole but not patched).
    states: list[str] | None = None
    #: Table key -> its Arrow table, when unpacked (what `use` hands an Arrow sink).
    tables: dict[tuple[str, ...], Any] | None = None

    def __len__(self) -> int:
        if self.tables is not None:
            return int(self.tables[()].num_rows)
        return len(self.frames[()])

    @property
    def counted(self) -> bool:
        """Whether the answers gave the report anything to count (then the counts
        belong to records, and a copy used with records left out cannot say whose)."""
        return bool(self.unknown_paths or self.unreadable)


def _table_bytes(table: Any, masks: dict[str, np.ndarray], states: list[str] | None) -> bytes:
    for key, mask in masks.items():
        table = table.append_column(_MASK + key, pa.array(mask, type=pa.bool_()))
    if states is not None:
        table = table.append_column(_STATES, pa.array(states, type=pa.string()))
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression="zstd")
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def arrow_tables(chunk: ChunkFrames) -> dict[tuple[str, ...], Any]:
    """The copy's tables in Arrow, made from its frames once and kept with it (so a copy
    just built is written from Arrow too, as an unpacked one is)."""
    if chunk.tables is None:
        chunk.tables = {key: pa.Table.from_pandas(frame, preserve_index=False)
                        for key, frame in chunk.frames.items()}
    return chunk.tables


def pack(chunk: ChunkFrames) -> bytes:
    """The copy as bytes: a length-prefixed JSON header, then each table's stream (the
    main table's holds the states too)."""
    tables = arrow_tables(chunk)
    keys = list(tables)
    parts = [_table_bytes(tables[k], chunk.masks.get(k, {}), chunk.states if k == () else None)
             for k in keys]
    header = json.dumps({
        "format": FORMAT,
        "tables": [[list(k), len(p)] for k, p in zip(keys, parts, strict=True)],
        "unknown_paths": sorted(chunk.unknown_paths.items()),
        "unreadable": [[*k, n] for k, n in sorted(chunk.unreadable.items())],
    }, ensure_ascii=False).encode("utf-8")
    return b"".join([_LENGTH.pack(len(header)), header, *parts])


def _is_text(kind: object) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind)
                or pa.types.is_null(kind))


def _frame(table: object) -> pd.DataFrame:
    """A packed table as the frame `typed_frame` made: text as str or None in object
    columns (pandas would make Arrow-backed text, with NaN where empty), every other
    column as pandas reads it back (its metadata gives Int64 and datetime64[us])."""
    names: list[str] = table.column_names  # type: ignore[attr-defined]
    text = [n for n in names if _is_text(table.schema.field(n).type)]  # type: ignore[attr-defined]
    rest = table.drop_columns(text).to_pandas() if len(text) < len(names) else None  # type: ignore[attr-defined]
    length = table.num_rows  # type: ignore[attr-defined]
    index = pd.RangeIndex(length)
    columns: dict[str, pd.Series] = {}
    for name in names:
        if name in text:
            values = table.column(name).to_numpy(zero_copy_only=False)  # type: ignore[attr-defined]
            columns[name] = pd.Series(values, index=index, dtype=object)
        else:
            assert rest is not None
            columns[name] = rest[name]
    return pd.DataFrame(columns, index=index)


class _Frames(Mapping[tuple[str, ...], pd.DataFrame]):
    """Unpacked tables as frames, each made when first asked for (an Arrow sink never
    asks: text then stays in Arrow, not made into Python strings)."""

    def __init__(self, tables: dict[tuple[str, ...], Any]) -> None:
        self._tables = tables
        self._made: dict[tuple[str, ...], pd.DataFrame] = {}

    def __getitem__(self, key: tuple[str, ...]) -> pd.DataFrame:
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = _frame(self._tables[key])
        return made

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)


def frames_of(tables: dict[tuple[str, ...], Any]) -> Mapping[tuple[str, ...], pd.DataFrame]:
    """Arrow tables as a copy's frames, each made only when first asked for."""
    return _Frames(tables)


def unpack(blob: bytes) -> ChunkFrames:
    """`pack`'s bytes as the copy; `CopyUnreadable` for anything else."""
    try:
        (size,) = _LENGTH.unpack_from(blob, 0)
        start = _LENGTH.size + size
        header = json.loads(blob[_LENGTH.size:start].decode("utf-8"))
        if header["format"] != FORMAT:
            raise CopyUnreadable("the copy was packed by another version")
        tables: dict[tuple[str, ...], Any] = {}
        masks: dict[tuple[str, ...], dict[str, np.ndarray]] = {}
        states: list[str] | None = None
        for key_parts, length in header["tables"]:
            key = tuple(str(p) for p in key_parts)
            part = memoryview(blob)[start:start + int(length)]
            if len(part) != int(length):
                raise CopyUnreadable("the copy ends early")
            start += int(length)
            table = pa.ipc.open_stream(pa.py_buffer(part)).read_all()
            mask_names = [n for n in table.column_names if n.startswith(_MASK)]
            masks[key] = {n[len(_MASK):]: table.column(n).to_numpy(zero_copy_only=False)
                          for n in mask_names}
            if key == () and _STATES in table.column_names:
                states = [str(s) for s in table.column(_STATES).to_pylist()]
                mask_names.append(_STATES)
            tables[key] = table.drop_columns(mask_names)
        if () not in tables or start != len(blob):
            raise CopyUnreadable("the copy is not whole")
        return ChunkFrames(
            frames_of(tables), masks,
            Counter({str(p): int(n) for p, n in header["unknown_paths"]}),
            Counter({(str(t), str(k), str(w)): int(n) for t, k, w, n in header["unreadable"]}),
            states,
            tables,
        )
    except CopyUnreadable:
        raise
    except (ValueError, KeyError, TypeError, IndexError, struct.error, UnicodeDecodeError,
            pa.ArrowException) as exc:
        raise CopyUnreadable(f"the copy cannot be read ({type(exc).__name__})") from None
