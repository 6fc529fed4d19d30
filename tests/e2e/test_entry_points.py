"""The two entry points answer --version without a window."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from qi_capture import __version__


def test_main_py_prints_version(project_root: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(project_root / "main.py"), "--version"],
        capture_output=True, text=True, check=True, timeout=60,
    )
    assert out.stdout.strip() == f"QI Capture {__version__}"
