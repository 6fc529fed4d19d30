"""The centre's recording player's screenshot (part of ``make screenshots``; alone:
``python -m ui.admin.player_shots OUT``): ``admin-player.png``, the record view of a
recorded interview with the player and the notes' times.

A central store of its own (`qi_capture.services.admin.demo_audio`): the built-in
study's interviews, the first with a recording of generated speech. Where each note was
typed comes from `demo_marks` (the laptop records those marks in interview mode; this
demo store was not made on a laptop), shown the way the record view shows real ones.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from qi_capture.services.admin.demo import INTERVIEW
from qi_capture.services.admin.demo_audio import demo_marks, recorded_demo_central
from ui.admin.page_shots import Pump, open_console, run_alone

PASSPHRASE = "amber lantern orchard 58"


def shoot_player(app: QApplication, window: object, central: Path, record_hex: str,
                 out: Path, pump: Pump) -> list[Path]:
    from ui.admin.pages.records import RecordsPage
    from ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    console = open_console(window, central, PASSPHRASE, pump)
    console.show_page("records")
    page = console.page("records")
    assert isinstance(page, RecordsPage)
    pump(lambda: page.form.findData(INTERVIEW) >= 0)
    page.form.setCurrentIndex(page.form.findData(INTERVIEW))
    pump(lambda: page.model.rowCount() > 0 and not page.model.loading)
    rows = [page.model.row_at(r).record_id.hex for r in range(page.model.rowCount())]
    page.table.selectRow(rows.index(record_hex))
    view = page.view
    pump(lambda: view.detail is not None and view.player.session is not None)
    session = view.player.session
    assert view.detail is not None and session is not None
    view.show_detail(dataclasses.replace(
        view.detail, note_marks=demo_marks(view.detail, session.duration_ms)))
    view.player.seek(session.duration_ms // 3)
    found = view.answers.document().find("▶")  # the first timed note in sight
    if not found.isNull():
        view.answers.setTextCursor(found)
        view.answers.ensureCursorVisible()
        found.clearSelection()
        view.answers.setTextCursor(found)
        bar = view.answers.verticalScrollBar()
        bar.setValue(min(bar.maximum(), bar.value() + view.answers.height() // 3))
    for _ in range(10):
        app.processEvents()
    path = out / "admin-player.png"
    window.grab().save(str(path))
    print(path, flush=True)
    window.close_central()
    return [path]


def main_player(app: QApplication, window: object, out: Path, pump: Pump) -> list[Path]:
    with tempfile.TemporaryDirectory(prefix="qi-player-shots-") as tmp:
        central, record_id = recorded_demo_central(Path(tmp) / "central", PASSPHRASE)
        return shoot_player(app, window, central, record_id.hex, out, pump)


if __name__ == "__main__":
    run_alone(main_player, timeout=120)
