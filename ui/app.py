"""Builds the QApplication, the style, and the main window."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from qi_capture import __version__
from qi_capture.resources import resource_path
from qi_capture.services import ProfileService

APP_TITLE = "QI Capture"

log = logging.getLogger(__name__)


def create_application(argv: Sequence[str]) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(list(argv))
    app.setApplicationName(APP_TITLE)
    app.setOrganizationName("QI Capture")
    app.setApplicationVersion(__version__)
    apply_style(app)
    return app


def keep_settings_in(folder: Path) -> None:
    """Keep what the app remembers (QSettings: the window's geometry, the last central
    store, the console's choices) in ``folder``, not in the user's own settings: for the
    runs that are not the user's (the screenshots, the tests). Call it before the first
    QSettings is made."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))


def apply_style(app: QApplication) -> None:
    try:
        sheet = resource_path("styles", "app.qss").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        log.warning("style sheet missing; using the platform style")
        return
    app.setStyleSheet(sheet)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="qi-capture-app", add_help=False)
    parser.add_argument("--data-dir")
    parser.add_argument("--idle-minutes", type=float, default=None)
    args, _qt = parser.parse_known_args(list(argv))
    return args


def run(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    args = parse_args(argv[1:])
    app = create_application(argv)
    from ui.main_window import MainWindow

    data_dir = Path(args.data_dir) if args.data_dir else None
    # Without --idle-minutes the installed study packs' policy decides.
    window = MainWindow(ProfileService(data_dir), idle_minutes=args.idle_minutes)
    settings = QSettings()
    geometry = settings.value("main_window/geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    window.show()
    window.start()
    code = app.exec()
    settings.setValue("main_window/geometry", window.saveGeometry())
    return code
