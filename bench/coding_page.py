"""The console's Coding page itself (real widgets, offscreen, 1366x768) on the study of
`bench/coding.py` (300 generated interviews, 20,000 codings): from ``refresh()`` to the
codebook, the interview list, the first transcript with its margin and the first code's
passages all on screen, against the same service calls run alone, one after the other,
in the order the page makes them (`CodingDesk`: open, codebook and codes, interviews,
the first transcript, the first code's passages).

Both measured in the same run (best of 5 each), printed side by side as a ratio.
Goal: <= 1.5x.

    .venv/bin/python bench/coding_page.py [--interviews 300] [--codings 20000]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication

from qi_capture.central.store import CentralStore
from qi_capture.crypto.kdf import floor_params
from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.demo import fill_builtin
from qi_capture.storage.profile import Profile
from ui.admin.pages.coding import CodingPage
from ui.tasks import TaskRunner

PASSPHRASE = "copper kettle harbour 42"


def _coding_bench() -> object:
    """bench/coding.py, for its way of adding codings (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "bench_coding", Path(__file__).resolve().parent / "coding.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def alone(desk: AdminDesk) -> None:
    coding = desk.coding()
    tree = coding.codebook()
    coding.codes()
    first = coding.interviews()[0]
    coding.transcript(first.record_id)
    coding.passages(tree[0].code.guid)


def on_page(app: QApplication, desk: AdminDesk, runner: TaskRunner) -> float:
    page = CodingPage(desk, runner)
    page.resize(1366, 768)
    page.show()
    app.processEvents()
    began = time.perf_counter()
    page.refresh()

    def ready() -> bool:
        return (page.transcript.view.transcript is not None
                and page.passages.model.rowCount() > 0)

    while not ready():
        app.processEvents()
        time.sleep(0.001)
    page.repaint()
    took = time.perf_counter() - began
    runner.wait()
    page.close()
    page.deleteLater()
    app.processEvents()
    return took


def best(run: Callable[[], float | None], times: int = 5) -> float:
    out = []
    for _ in range(times):
        began = time.perf_counter()
        measured = run()
        out.append(measured if measured is not None else time.perf_counter() - began)
    return min(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interviews", type=int, default=300)
    parser.add_argument("--codings", type=int, default=20_000)
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    bench = _coding_bench()
    with tempfile.TemporaryDirectory(prefix="qi-bench-coding-page-") as tmp:
        folder = Path(tmp) / "central"
        Profile.create(folder, "Central admin", PASSPHRASE, kdf=floor_params())
        with CentralStore.open(folder, PASSPHRASE) as central:
            fill_builtin(central, responses=0, interviews=args.interviews)
            total = bench.add_codings(central, args.codings)  # type: ignore[attr-defined]
        runner = TaskRunner()
        with AdminDesk.open(folder, PASSPHRASE) as desk:
            alone(desk)  # seeds the field tags once, before either is timed
            floor = best(lambda: (alone(desk), None)[1])
            page = best(lambda: on_page(app, desk, runner))
        runner.wait()
    ratio = page / floor
    print(f"Coding page (real widgets, offscreen) of {args.interviews} interviews, "
          f"{total:,} codings, to codebook + interviews + first transcript + a code's "
          f"passages on screen: {page * 1000:.0f} ms; the same service calls alone: "
          f"{floor * 1000:.0f} ms; ratio {ratio:.2f}x (goal <= 1.5x)")
    return 0 if ratio <= 1.5 else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # as ui.screenshots: skip a teardown PySide can crash in
