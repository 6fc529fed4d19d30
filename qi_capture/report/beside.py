"""The slides' own drawings, made in a second process while this one makes the web page
and the PDF.

A chart too tall to read once fitted onto a 16:9 slide gets a drawing of its own for its
slide (`Drawings.slide_png`): on the built-in study about eight of them, a fifth of the
report's drawing time. They depend on nothing the other outputs make, so on a machine with
a second core they are drawn there meanwhile, and handed back as PNG bytes through the
pipe between the processes (never a file). The second process is a fresh interpreter
(spawn: no fork of a process that may hold Qt, SQLCipher or worker threads); it gets the
charts' numbers and labels only, no records, no keys.

Anything that stops it (no second core, a pool that cannot start, a worker that dies)
leaves the drawings to be made here as before: the files are the same either way, byte
for byte, as the same library draws them from the same values.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from qi_capture.report.charts import WIDE_DPI, Drawings
from qi_capture.report.model import Chart

#: Fewer drawings than this are quicker made here than a new interpreter started.
MIN_CHARTS = 2


def _draw_wide(charts: Sequence[Chart], k: int) -> list[bytes | None]:
    """In the second process: each chart's slide drawing, as PNG."""
    drawings = Drawings(k)
    return [drawings.png(chart, WIDE_DPI, wide=True) for chart in charts]


class WideAhead:
    """The slide drawings of ``charts`` that `Drawings` would make itself, started in a
    second process; `collect` hands them over before the slides are made."""

    def __init__(self, drawings: Drawings, charts: Sequence[Chart]) -> None:
        self._drawings = drawings
        self._charts = drawings.wide_needed(charts)
        self._pool: ProcessPoolExecutor | None = None
        self._future: Future[list[bytes | None]] | None = None
        if len(self._charts) < MIN_CHARTS or (os.cpu_count() or 1) < 2:
            return
        try:
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            self._future = self._pool.submit(_draw_wide, self._charts, drawings.k)
        except (OSError, RuntimeError, ValueError):
            self.close()  # no second process here: drawn in this one as they come

    @property
    def started(self) -> bool:
        return self._future is not None

    def collect(self) -> int:
        """Wait for the second process and hand its drawings over; the number handed."""
        future, self._future = self._future, None
        if future is None:
            return 0
        try:
            pngs = future.result()
        except Exception:  # a worker that died or could not start: drawn here instead
            return 0
        finally:
            if self._pool is not None:  # done: the worker is idle and exits at once
                self._pool.shutdown(wait=True)
                self._pool = None
        for chart, png in zip(self._charts, pngs, strict=True):
            self._drawings.keep_png(chart, WIDE_DPI, png, wide=True)
        return len(pngs)

    def close(self) -> None:
        """Stop the second process (a cancelled report does not wait for it)."""
        if self._future is not None:
            self._future.cancel()
            self._future = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
