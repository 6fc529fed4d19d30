"""Suite-wide settings and fixtures: Qt runs offscreen unless the caller chose a platform."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: ../shared beside the project root: the specs and the acceptance corpus (read, never copied).
ACCEPTANCE_DIR = PROJECT_ROOT.parent / "shared" / "acceptance"


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def acceptance_dir() -> Path:
    if not ACCEPTANCE_DIR.is_dir():
        pytest.fail(f"the acceptance corpus is missing: expected it at {ACCEPTANCE_DIR}")
    return ACCEPTANCE_DIR


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    """Say so visibly when the packaging smoke test was left out (it never is in CI)."""
    if "not packaging" in (config.option.markexpr or ""):
        terminalreporter.write_line(
            "packaging smoke test deselected (-m 'not packaging'): the PyInstaller build "
            "and the packaged --self-test did not run; CI always runs them.",
            yellow=True,
        )
