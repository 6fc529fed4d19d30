"""Suite-wide settings and fixtures: Qt runs offscreen unless the caller chose a platform."""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import pytest

import ui  # noqa: F401  # see below
from tests import needs

# `ui` above is the app's package, bound before pytest's importlib mode names
# tests/ui/conftest.py "ui.conftest" and imports tests/ui/__init__.py as "ui": that
# shadow made every `ui.*` import resolve through the editable install's finder, to
# whichever checkout it points at (not this one, in a git worktree).

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

#: Where the tests' in-process app keeps what it remembers (QSettings), made once per
#: process: never the settings of whoever runs the tests. (The console's tests keep
#: theirs per test, tests/ui/admin/conftest.py; the core's run has no Qt.)
SETTINGS_HOME: Path | None = None
if importlib.util.find_spec("PySide6") is not None:
    from ui.app import keep_settings_in

    SETTINGS_HOME = Path(tempfile.mkdtemp(prefix="qi-tests-settings-"))
    keep_settings_in(SETTINGS_HOME)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def acceptance_dir() -> Path:
    """../shared/acceptance; skips without it (fails with QI_REQUIRE_SHARED=1)."""
    return needs.acceptance()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Without pytest-qt (the core suite's run with Qt not installed, .ci/run), declare
    its settings so ``--strict-config`` accepts pyproject.toml as it is."""
    if importlib.util.find_spec("pytestqt") is not None:
        return
    for name in ("qt_api", "qt_log_level_fail"):
        parser.addini(name, f"pytest-qt's {name} (pytest-qt is not installed)")
    parser.addini("qt_log_ignore", "pytest-qt's qt_log_ignore (not installed)", type="linelist")


def pytest_unconfigure(config: pytest.Config) -> None:
    if SETTINGS_HOME is not None:
        shutil.rmtree(SETTINGS_HOME, ignore_errors=True)


def pytest_runtest_setup(item: pytest.Item) -> None:
    needs.check_markers(item)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    """Say so visibly when the packaging smoke test was left out (it never is in CI)."""
    if "not packaging" in (config.option.markexpr or ""):
        terminalreporter.write_line(
            "packaging smoke test deselected (-m 'not packaging'): the PyInstaller build "
            "and the packaged --self-test did not run; CI always runs them.",
            yellow=True,
        )
