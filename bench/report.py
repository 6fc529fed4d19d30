"""Report benchmark: the built-in study with 10,000 generated questionnaire responses and
300 interviews in a central store (SQLCipher admin profile), the report made in every
format (results.json, HTML, PDF, slides), timed beside the floor measured in the same
run: the same aggregation written directly in pandas (value counts, choice sums,
quantiles, per footprint) and the same charts drawn by matplotlib alone (each laid out
once, saved as SVG once and as PNG once, at the report's resolution). Goal: at most 1.5x
the floor, and under 30 s. The processor time of each (with that of the second process the
report draws its slides in) is printed beside its wall time (the steadier figure when
other work shares the machine), with both ratios.

    .venv/bin/python bench/report.py [--responses 10000] [--interviews 300]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from qi_capture.central.store import CentralStore
from qi_capture.crypto.kdf import floor_params
from qi_capture.report.charts import Drawings
from qi_capture.report.frames import load_frames
from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.demo import INTERVIEW, QUESTIONNAIRE, fill_builtin
from qi_capture.services.admin.exports import stored_forms
from qi_capture.storage.profile import Profile

PASSPHRASE = "copper kettle harbour 42"


def floor(central: CentralStore, report: object) -> tuple[float, float]:
    """The same counting in plain pandas, and the same charts drawn by matplotlib:
    (wall, processor) seconds."""
    start, cpu = time.perf_counter(), processor_time()
    for form_id in (QUESTIONNAIRE, INTERVIEW):
        ff = load_frames(stored_forms(central, form_id), central.export_records(form_id))
        main = ff.main
        fp = next((c for c in main.columns if c.endswith("/footprint")), None)
        for table in ff.frames.values():
            for column in table.columns:
                series = table[column]
                if series.dtype == object:
                    series.value_counts()
                    if fp is not None and column != fp and len(table) == len(main):
                        pd.crosstab(series, main[fp])
                elif str(series.dtype) in ("Int64", "float64"):
                    series.sum()
                    series.quantile([0.25, 0.5, 0.75])
    drawings = Drawings(5)
    for chart in report.charts():  # type: ignore[attr-defined]
        drawings.svg(chart)
        drawings.png(chart)
    return time.perf_counter() - start, processor_time() - cpu


def processor_time() -> float:
    """This process's processor time and that of its children ended so far (the report
    draws its slides in a second process)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=10_000)
    parser.add_argument("--interviews", type=int, default=300)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qi-bench-report-") as tmp:
        folder = Path(tmp) / "central"
        Profile.create(folder, "Central admin", PASSPHRASE, kdf=floor_params())
        with CentralStore.open(folder, PASSPHRASE) as central:
            fill_builtin(central, responses=args.responses, interviews=args.interviews)
        with AdminDesk.open(folder, PASSPHRASE) as desk:
            start, cpu = time.perf_counter(), processor_time()
            result = desk.report(Path(tmp) / "out", command="bench")
            took, took_cpu = time.perf_counter() - start, processor_time() - cpu
        with CentralStore.open(folder, PASSPHRASE) as central:
            base, base_cpu = floor(central, result.report)
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in result.files)
    ratio = took / base
    print(f"report of {args.responses:,} responses and {args.interviews} interviews, "
          f"every format: {took:.1f} s; floor (pandas counting + matplotlib drawing): "
          f"{base:.1f} s; ratio {ratio:.2f}x (goal <= 1.5x, < 30 s)")
    print(f"  processor time: report {took_cpu:.1f} s, floor {base_cpu:.1f} s, ratio "
          f"{took_cpu / base_cpu:.2f}x")
    print(f"  {len(result.report.charts())} charts; {sizes}")
    return 0 if ratio <= 1.5 and took < 30 else 1


if __name__ == "__main__":
    sys.exit(main())
