"""The export layer's tables, in memory, for the report to count from.

The report never reads storage: it takes the same record stream an export takes and
builds the export's own typed tables with the export layer's public building blocks
(`build_layout`, `RowBuilder`, `typed_frame`), so a question is typed, labelled and
marked "not asked" exactly as in the exported files. Nothing is written to disk (an
export's files are not encrypted; the report's working data never leaves memory).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from qi_capture.export.model import Column, Layout, RecordLike, Table, build_layout
from qi_capture.export.tables import RowBuilder, typed_frame
from qi_capture.forms.model import Form

BATCH = 10_000


@dataclass
class FormFrames:
    """One form's records as typed tables, keyed by the export's column keys."""

    forms: list[Form]
    layout: Layout
    language: str | None
    #: Table path (() for the main table) -> frame (one row per record / repeat row).
    frames: dict[tuple[str, ...], pd.DataFrame]
    #: Table path -> column key -> mask of the cells that were not asked.
    not_asked: dict[tuple[str, ...], dict[str, np.ndarray]]
    #: Review status -> records of the form (deleted ones apart), before any filter.
    statuses: Counter[str]
    included: int
    excluded: Counter[str]

    @property
    def form(self) -> Form:
        return self.forms[-1]

    @property
    def main(self) -> pd.DataFrame:
        return self.frames[()]

    def table(self, path: tuple[str, ...]) -> Table:
        return self.layout.tables[path]

    def column(self, key: str) -> tuple[tuple[str, ...], Column] | None:
        for path, table in self.layout.tables.items():
            for column in table.columns:
                if column.key == key:
                    return path, column
        return None


def _status_counter(records: Iterable[RecordLike], seen: Counter[str]) -> Iterable[RecordLike]:
    for rec in records:
        if not rec.deleted:
            seen[rec.review_status] += 1
        yield rec


def load_frames(forms: Sequence[Form], records: Iterable[RecordLike], *,
                statuses: Collection[str] | None = None,
                language: str | None = None) -> FormFrames:
    """Every record of ``forms`` (all versions of one form, oldest first) whose review
    status is in ``statuses`` (all when None; deleted records never) as typed tables."""
    chosen = language or forms[-1].default_language
    layout = build_layout(forms, chosen)
    builder = RowBuilder(layout, statuses=statuses, track_missing=True)
    parts: dict[tuple[str, ...], list[pd.DataFrame]] = {k: [] for k in layout.tables}
    masks: dict[tuple[str, ...], dict[str, list[np.ndarray]]] = {k: {} for k in layout.tables}
    lengths: dict[tuple[str, ...], int] = dict.fromkeys(layout.tables, 0)
    seen: Counter[str] = Counter()

    def flush() -> None:
        for key, rows in builder.take().items():
            if not rows:
                continue
            frame, mask = typed_frame(layout.tables[key], rows, builder.stats)
            for column, values in mask.items():
                pad = masks[key].setdefault(column, [])
                gap = lengths[key] - sum(len(v) for v in pad)
                if gap:
                    pad.append(np.zeros(gap, dtype=bool))
                pad.append(values)
            parts[key].append(frame)
            lengths[key] += len(frame)

    for rec in _status_counter(records, seen):
        builder.add(rec)
        if builder.pending() >= BATCH:
            flush()
    flush()
    frames: dict[tuple[str, ...], pd.DataFrame] = {}
    not_asked: dict[tuple[str, ...], dict[str, np.ndarray]] = {}
    for key, table in layout.tables.items():
        if parts[key]:
            frame = pd.concat(parts[key], ignore_index=True) if len(parts[key]) > 1 \
                else parts[key][0].reset_index(drop=True)
        else:
            frame = typed_frame(table, [], builder.stats)[0]
        frames[key] = frame
        not_asked[key] = {}
        for column, pieces in masks[key].items():
            joined = np.concatenate(pieces)
            if len(joined) < len(frame):
                joined = np.concatenate([joined, np.zeros(len(frame) - len(joined), bool)])
            not_asked[key][column] = joined
    stats = builder.stats
    return FormFrames(list(forms), layout, chosen, frames, not_asked, seen, stats.included,
                      Counter(stats.excluded))
