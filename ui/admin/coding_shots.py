"""The Coding page's screenshots (part of ``make screenshots``; alone:
``python -m ui.admin.coding_shots OUT``).

A central store of its own, in a temporary folder: the built-in study with generated
stakeholder interviews, the first written out in full, the field's quick tags in their
notes, and two analysts' codings on the first few
(`qi_capture.services.admin.demo.coding_demo_central`). Then the console's Coding page:
a transcript with its codes in the margin (``admin-coding.png``), a code's passages
(``admin-coding-passages.png``), the first interview's recording with coded stretches
of it (``admin-coding-audio.png``), two coders compared (``admin-coding-compare.png``) and
the codes-by-group matrix with a cell's quotes (``admin-coding-matrix.png``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QWidget

from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.demo import DEMO_ORGS, coding_demo_central
from qi_capture.services.admin.demo_audio import record_demo_interview
from ui.admin.page_shots import Pump, open_console, run_alone

PASSPHRASE = "amber lantern orchard 58"
ANALYSTS = ("Sam Lee", "Ana Costa")


def make_central(folder: Path) -> Path:
    """The coded demo store, and a memo on one of the first analyst's passages."""
    central = coding_demo_central(folder, PASSPHRASE, interviews=24, coded=8,
                                  coders=ANALYSTS)
    with AdminDesk.open(central, PASSPHRASE) as desk:
        coding = desk.coding(coder=ANALYSTS[0])
        first = coding.interviews()[0]
        passage = next(c for c in coding.transcript(first.record_id).codings
                       if c.coder == ANALYSTS[0])
        coding.set_memo("Ties in with the staffing pressures in section 3.",
                        passage=passage.passage)
    record_demo_interview(central, PASSPHRASE, first.record_id)
    with AdminDesk.open(central, PASSPHRASE) as desk:
        coding = desk.coding(coder=ANALYSTS[0])
        live = [c for c in coding.codes() if not c.retired and c.merged_into is None]
        coding.code_recording(first.record_id, 4_000, 11_500, [live[0].guid])
        coding.code_recording(first.record_id, 21_000, 27_250,
                              [c.guid for c in live[1:3]])
    return central


def shoot_coding(app: QApplication, window: object, central: Path, out: Path,
                 pump: Pump) -> list[Path]:
    """Open ``central`` in the console of ``window`` (a `MainWindow` with no central
    open) and shoot the Coding page's views."""
    from ui.admin.pages.coding import CodingPage
    from ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    console = open_console(window, central, PASSPHRASE, pump)
    page = console.page("coding")
    assert isinstance(page, CodingPage)
    page.coder.setText(ANALYSTS[0])
    console.show_page("coding")
    pump(lambda: page.transcript.view.transcript is not None
         and page.session.tree.rowCount() > 0 and page.session.coder == ANALYSTS[0])
    made: list[Path] = []

    def shot(name: str, widget: QWidget | None = None) -> None:
        for _ in range(10):
            app.processEvents()
        path = out / f"{name}.png"
        (widget or window).grab().save(str(path))
        print(path, flush=True)
        made.append(path)

    view = page.transcript.view
    first = next(r for r in range(page.transcript.interviews.rowCount())
                 if page.transcript.interviews.interview_at(r).name.startswith(DEMO_ORGS[0]))
    page.transcript.list.selectRow(first)
    pump(lambda: view.transcript is not None and view.transcript.name.startswith(DEMO_ORGS[0]))
    view.select("approach/approach_methods", 0, len("PDSA cycles on most wards"))
    view.verticalScrollBar().setValue(0)
    shot("admin-coding")

    # The recording beside the transcript: its coded stretches, and one being marked.
    transcript = page.transcript
    pump(lambda: transcript.player.session is not None and transcript.stretches.list.count() > 0)
    transcript.player.seek(33_000)
    transcript.stretches.mark()
    transcript.player.seek(38_500)
    shot("admin-coding-audio")
    transcript.stretches.cancel()

    time = next((c for c in page.session.codes.values() if c.name == "Executive sponsorship"),
                None)
    if time is not None:
        page.codebook.select_code(time.guid)
    page.tabs.setCurrentWidget(page.passages)
    pump(lambda: page.passages.model.rowCount() > 0)
    page.passages.table.selectRow(0)
    shot("admin-coding-passages")

    page.tabs.setCurrentWidget(page.compare)
    compare = page.compare
    pump(lambda: compare.coder_a.findText(ANALYSTS[1]) >= 0)
    compare.coder_a.setCurrentIndex(compare.coder_a.findText(ANALYSTS[0]))
    compare.coder_b.setCurrentIndex(compare.coder_b.findText(ANALYSTS[1]))
    compare.compare()
    pump(lambda: compare.comparison is not None)
    if compare.differences.rowCount():
        compare.diff_table.selectRow(0)
    shot("admin-coding-compare")

    page.tabs.setCurrentWidget(page.matrix)
    matrix = page.matrix
    pump(lambda: matrix.model.matrix is not None)
    m = matrix.model.matrix
    assert m is not None
    shown = next(((r, c + 1) for r, row in enumerate(m.rows)
                  for c, cell in enumerate(row.cells) if cell.quotes), None)
    if shown is not None:
        matrix.table.setCurrentIndex(matrix.model.index(*shown))
    shot("admin-coding-matrix")
    window.close_central()
    return made


def main_coding(app: QApplication, window: object, out: Path, pump: Pump) -> list[Path]:
    """Every Coding page screenshot, from a central store made here."""
    with tempfile.TemporaryDirectory(prefix="qi-coding-shots-") as tmp:
        central = make_central(Path(tmp) / "central")
        return shoot_coding(app, window, central, out, pump)


if __name__ == "__main__":
    run_alone(main_coding)
