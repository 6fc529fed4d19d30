"""Screenshots of the admin console's pages, one function per page taking the page
widget (the console shell's screenshots can call them on its own pages), and a driver
that builds a small central store with the admin CLI and a laptop profile (services
only) and shoots each page standalone at 1366x768: ``python -m ui.admin.screenshots``.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QWidget

from qi_capture.cli import main as cli_main
from qi_capture.services.admin import AdminDesk
from ui.admin.pages.conflicts import ConflictsPage
from ui.admin.pages.exports import ExportsPage
from ui.admin.pages.records import RecordsPage
from ui.app import create_application
from ui.screenshots import PASSPHRASE, builtin_forms, pump
from ui.tasks import TaskRunner

SIZE = (1366, 768)


def _save(app: QApplication, page: QWidget, out: Path, name: str) -> Path:
    for _ in range(5):
        app.processEvents()
    path = out / f"{name}.png"
    page.grab().save(str(path))
    print(path)
    return path


def shoot_records(app: QApplication, page: RecordsPage, out: Path) -> Path:
    page.refresh()
    pump(app, lambda: page.model.rowCount() > 0 and not page.model.loading)
    return _save(app, page, out, "admin-records")


def shoot_record(app: QApplication, page: RecordsPage, out: Path) -> Path:
    page.table.selectRow(0)
    pump(app, lambda: page.view.detail is not None)
    page.view.comment.setText("Staff figures checked with the QI lead")
    return _save(app, page, out, "admin-record")


def shoot_conflicts(app: QApplication, page: ConflictsPage, out: Path) -> Path:
    page.refresh()
    pump(app, lambda: page.lines_model.view is not None or page.empty.isVisible())
    page.reason.setText("The ward list says so")
    return _save(app, page, out, "admin-conflicts")


def shoot_exports(app: QApplication, page: ExportsPage, folder: Path, out: Path) -> Path:
    page.refresh()
    pump(app, lambda: page.form.count() > 0 and page.language.count() > 0)
    page.folder.setText(str(folder))
    page.export_button.click()
    pump(app, lambda: page.report.isVisible() or page.error.isVisible(), timeout=120)
    return _save(app, page, out, "admin-exports")


def build_store(root: Path) -> Path:
    """A central folder with the built-in study's forms packed (no records yet: pass a
    central folder holding merged records as the second argument for fuller shots)."""
    central = root / "central"
    pack = root / "study.qipack"
    os.environ["QI_CAPTURE_PASSPHRASE"] = PASSPHRASE
    with contextlib.redirect_stdout(io.StringIO()):
        for args in (["admin", "init", "--central", str(central), "--study-id", "london-qi",
                      "--title", "London QI", "--kdf", "floor"],
                     ["study", "pack", "--central", str(central), "--forms", *builtin_forms(),
                      "--out", str(pack), "--sync-folder", str(root / "sync")]):
            if cli_main(["--data-dir", str(root / "admin-data"), *args]) != 0:
                raise RuntimeError(f"qi-capture {args[0]} {args[1]} failed")
    return central


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    central = Path(argv[2]) if len(argv) > 2 else build_store(
        Path(tempfile.mkdtemp(prefix="qi-admin-shots-")))
    app = create_application(argv[:1])
    runner = TaskRunner()
    shots: list[Callable[[], object]] = []
    with AdminDesk.open(central, PASSPHRASE) as desk:
        records = RecordsPage(desk, runner)
        records.resize(*SIZE)
        records.show()
        shots.append(lambda: shoot_records(app, records, out))
        shots.append(lambda: shoot_record(app, records, out))
        conflicts = ConflictsPage(desk, runner)
        conflicts.resize(*SIZE)
        conflicts.show()
        shots.append(lambda: shoot_conflicts(app, conflicts, out))
        exports = ExportsPage(desk, runner)
        exports.resize(*SIZE)
        exports.show()
        shots.append(lambda: shoot_exports(app, exports, Path(tempfile.mkdtemp()), out))
        for shot in shots:
            shot()
        runner.wait()
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    os._exit(code)
