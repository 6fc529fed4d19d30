"""One screenshot function per admin page that reads records (records, a record under
review, conflicts, exports), each taking the page widget; `ui.admin.screenshots` calls
them on the console's own pages."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from ui.admin.console import AdminConsole
from ui.admin.pages.conflicts import ConflictsPage
from ui.admin.pages.exports import ExportsPage
from ui.admin.pages.records import RecordsPage
from ui.screenshots import pump


def _save(app: QApplication, page: QWidget, out: Path, name: str,
          frame: QWidget | None = None) -> Path:
    """Grab ``frame`` (the window holding the page) or the page alone."""
    for _ in range(5):
        app.processEvents()
    path = out / f"{name}.png"
    (frame or page).grab().save(str(path))
    print(path)
    return path


def shoot_records(app: QApplication, page: RecordsPage, out: Path,
                  frame: QWidget | None = None) -> Path:
    page.refresh()
    pump(app, lambda: page.model.rowCount() > 0 and not page.model.loading)
    return _save(app, page, out, "admin-records", frame)


def shoot_record(app: QApplication, page: RecordsPage, out: Path,
                  frame: QWidget | None = None) -> Path:
    page.table.selectRow(0)
    pump(app, lambda: page.view.detail is not None)
    page.view.comment.setText("Staff figures checked with the QI lead")
    return _save(app, page, out, "admin-record", frame)


def shoot_conflicts(app: QApplication, page: ConflictsPage, out: Path,
                  frame: QWidget | None = None) -> Path:
    page.refresh()
    pump(app, lambda: page.lines_model.view is not None or page.empty.isVisible())
    page.reason.setText("The ward list says so")
    return _save(app, page, out, "admin-conflicts", frame)


def shoot_exports(app: QApplication, page: ExportsPage, folder: Path, out: Path,
                 frame: QWidget | None = None) -> Path:
    page.refresh()
    pump(app, lambda: page.form.count() > 0 and page.language.count() > 0)
    page.folder.setText(str(folder))
    page.export_button.click()
    pump(app, lambda: page.report.isVisible() or page.error.isVisible(), timeout=120)
    return _save(app, page, out, "admin-exports", frame)


Pump = Callable[[Callable[[], bool]], None]
#: A set of screenshots: (app, window, folder, pump) -> the files written.
Shoot = Callable[[QApplication, object, Path, Pump], list[Path]]


def open_console(window: object, central: Path, passphrase: str, pump: Pump) -> AdminConsole:
    """Open ``central`` in the console of ``window`` (a `MainWindow` with no central open)
    through the "Open a central store" dialog, as an admin would, and return the console."""
    from ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    dialog = window.open_central()
    assert dialog is not None
    dialog.folder.setText(str(central))
    dialog.passphrase.setText(passphrase)
    pump(lambda: dialog.isVisible())
    dialog.open_button.click()
    pump(lambda: window.console is not None)
    console = window.console
    assert console is not None
    return console


def run_alone(shoot: Shoot, *, timeout: float = 30.0) -> None:
    """Run one set of admin screenshots on a window of its own, as
    ``python -m ui.admin.<module> OUT`` does, then leave the process."""
    from qi_capture.services import ProfileService
    from ui.app import create_application
    from ui.main_window import MainWindow

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = create_application(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="qi-shots-") as data:
        window = MainWindow(ProfileService(Path(data)))
        window.resize(1366, 768)
        window.show()
        shoot(app, window, out, lambda until: pump(app, until, timeout=timeout))
        window.close()
    sys.stdout.flush()
    # As ui.screenshots: skip interpreter teardown (PySide6 can crash collecting Qt
    # wrappers at exit, after every file is written).
    os._exit(0)
