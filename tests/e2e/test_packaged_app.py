"""Packaging smoke test: the PyInstaller build starts, prints its version and passes the
self-test (temp profile, SQLCipher, Argon2id, a record, a bundle), offscreen.

It builds with ``make dist`` (about 1-2 minutes) unless ``dist/build-info.json`` is newer
than every source file, in which case that build is reused. Locally it may be left out
with ``-m "not packaging"`` (pytest then counts it as deselected) or skipped with
``QI_SKIP_PACKAGING=1`` (the skip reason is printed in the summary). When the ``CI``
environment variable is set it always runs: a skip request there is an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from qi_capture import __version__

# The build alone may take up to its own 15-minute limit (below) after waiting its turn for
# dist/: more than the suite's per-test timeout (pyproject.toml) allows.
pytestmark = [pytest.mark.packaging, pytest.mark.timeout(1800)]

SOURCES = ("qi_capture", "ui", "resources", "packaging", "main.py", "build.spec",
           "pyproject.toml")


def _newest_source(root: Path) -> float:
    newest = 0.0
    for name in SOURCES:
        path = root / name
        files = [path] if path.is_file() else path.rglob("*")
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts:
                newest = max(newest, file.stat().st_mtime)
    return newest


def _executable(root: Path) -> Path:
    dist = root / "dist"
    if sys.platform == "win32":
        return dist / "QI Capture" / "QI Capture.exe"
    if sys.platform == "darwin":
        return dist / "QI Capture.app" / "Contents" / "MacOS" / "QI Capture"
    return dist / "QI Capture" / "QI Capture"


@contextlib.contextmanager
def _one_build_at_a_time(root: Path) -> Iterator[None]:
    """The suite runs on several workers (pytest-xdist), which share dist/: the first to
    get here builds, the others wait for it and then find the build fresh."""
    try:
        import fcntl
    except ImportError:  # Windows: the release workflow runs these tests in one process
        yield
        return
    name = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    with (Path(tempfile.gettempdir()) / f"qi-packaging-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def packaged_app(project_root: Path) -> Path:
    if os.environ.get("QI_SKIP_PACKAGING") == "1":
        if os.environ.get("CI"):
            pytest.fail("QI_SKIP_PACKAGING is set in CI; the packaging test never skips there")
        pytest.skip("packaging smoke test skipped locally (QI_SKIP_PACKAGING=1); "
                    "CI always runs it")
    info = project_root / "dist" / "build-info.json"
    exe = _executable(project_root)
    with _one_build_at_a_time(project_root):
        fresh = info.is_file() and exe.is_file() and (
            info.stat().st_mtime > _newest_source(project_root)
        )
        if not fresh:
            make = shutil.which("make")
            command = ([make, "dist"] if make else
                       [sys.executable, str(project_root / "packaging" / "build.py")])
            subprocess.run(command, cwd=project_root, check=True, timeout=900)
    assert exe.is_file(), f"the build did not produce {exe}"
    return exe


def _run(exe: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env,
                          timeout=300, check=False)


def _prints_its_version(exe: Path) -> None:
    result = _run(exe, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"QI Capture {__version__}"


def _passes_its_self_test(exe: Path) -> None:
    result = _run(exe, "--self-test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(packaged," in result.stdout
    assert result.stdout.strip().endswith("PASSED")
    assert "[failed ]" not in result.stdout


def _checks_a_form(exe: Path, project_root: Path) -> None:
    form = project_root / "resources" / "studies" / "london-qi-baseline" / \
        "qi_baseline_questionnaire.xlsx"
    result = _run(exe, "--cli", "form", "check", str(form))
    assert result.returncode == 0, result.stderr
    assert "form_id: qi_baseline" in result.stdout


def test_the_packaged_app_starts_passes_its_self_test_and_checks_a_form(
        packaged_app: Path, project_root: Path) -> None:
    # One test, not three: the workers of the suite share one build, and tests split
    # across two (pytest-xdist's xdist_group no longer keeps a group together under
    # pytest 9.2) left one worker idle, waiting for the other's build.
    _prints_its_version(packaged_app)
    _passes_its_self_test(packaged_app)
    _checks_a_form(packaged_app, project_root)
