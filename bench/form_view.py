"""Benchmark: reading the form filler's frozen `FormView` on a 2,000-question form.

The filler no longer reads the live session on the UI thread: the last write of a burst
reads a `FormView` (screen, questions, question index, progress) on the write queue. This
measures, in the same run, what that read costs against its reference: the reads the
filler made on the UI thread for each redraw before (the screens four times, progress
and the question index, reproduced below), and one ``set()``. Printed as ratios; no goal
is asserted.
Run: ``.venv/bin/python bench/form_view.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from form_load import build_workbook  # the shared 2,000-question generator

from qi_capture.forms import load_form
from qi_capture.forms.session import FormSession, Screen
from qi_capture.services.screen_reader import form_view, index_entries

RUNS = 60


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def timed(fn: Callable[[int], object]) -> list[float]:
    samples = []
    for i in range(RUNS):
        started = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - started)
    return samples


def old_redraw(session: FormSession, current: Screen | None) -> None:
    """What the filler read on the UI thread per redraw before the view values: the
    fresh screen, progress, the question index, Previous and Next (one screens() each)."""
    key = current.key if current is not None else None
    session.screens()
    session.progress()
    index_entries(session, session.screens(), key)
    session.screens()
    session.screens()


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench_2000.xlsx"
        build_workbook(path)
        form = load_form(path)
    session = form.new_session()
    current = session.current_screen()
    first = next((p for s in session.screens() for p in s.fields
                  if session.node(p).element.type == "text"), None)
    print(f"form: {sum(1 for _ in form.fields())} fields, {len(session.screens())} screens")

    view = timed(lambda i: form_view(session, current))
    old_reads = timed(lambda i: old_redraw(session, current))
    sets = timed(lambda i: session.set(first, f"text {i}")) if first else []
    v50, v95 = pct(view, 0.5), pct(view, 0.95)
    o50, o95 = pct(old_reads, 0.5), pct(old_reads, 0.95)
    print(f"form_view (whole view):            p50 {v50:8.3f} ms  p95 {v95:8.3f} ms")
    print(f"old UI-thread redraw (reference):  p50 {o50:8.3f} ms  p95 {o95:8.3f} ms")
    print(f"ratio view/reference (p50): {v50 / o50:.1f}x")
    if sets:
        s50 = pct(sets, 0.5)
        print(f"set() of a text answer:            p50 {s50:8.3f} ms")
        print(f"ratio view/set (p50): {v50 / s50:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
