"""A clean quit: the app started and quit 8 times (right away, while an autosave is in
flight, after a sync, during a read), each in its own process as a user runs it, exits 0
with nothing on stderr. PySide6 6.12.0 lost a reference to ``True`` with every signal delivered to a
Python callable, so sessions died at exit with "Fatal Python error: bool_dealloc"; the
first test would catch a binding with that bug again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Signal

from qi_capture.crypto.kdf import floor_params
from qi_capture.services import ProfileService
from tests.ui.conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
#: What Qt's offscreen platform (the tests' only) says when a dialog adjusts its size;
#: a real screen does not print it.
OFFSCREEN_NOTE = "This plugin does not support propagateSizeHints()"


class _Emitter(QObject):
    changed = Signal(object)


def test_signals_to_python_keep_reference_counts() -> None:
    emitter = _Emitter()
    received: list[object] = []
    emitter.changed.connect(received.append)
    emitter.changed.connect(lambda value: None)
    before = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
    for i in range(2_000):
        emitter.changed.emit(i % 2 == 0)
    received.clear()
    after = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
    assert all(abs(a - b) < 50 for a, b in zip(before, after, strict=True)), (before, after)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A profile with one finalised record and a study pack, so a sync writes a bundle."""
    from qi_capture.resources import resource_path
    from qi_capture.sync.admin import AdminProfile, init_admin
    from qi_capture.sync.pack import PackForm, StudyPolicy, build_pack

    root = tmp_path_factory.mktemp("quit")
    central = root / "central"
    init_admin(central, PASSPHRASE, study_id="quit-study", study_title="Quit study",
               kdf=floor_params())
    folder = resource_path("studies", "london-qi-baseline")
    with AdminProfile.open(central, PASSPHRASE) as admin:
        pack = build_pack(admin.keys(), [PackForm(p.name, p.read_bytes())
                                         for p in sorted(folder.glob("*.xlsx"))],
                          StudyPolicy(10, 30, None))
    (root / "study.qipack").write_bytes(pack)
    data = root / "template"
    profiles = ProfileService(data)
    info = profiles.create("Quitter", PASSPHRASE, kdf=floor_params())
    with profiles.unlock(info, PASSPHRASE) as ctx:
        ctx.packs.install(root / "study.qipack")
        with ctx.records.create(ctx.studies.resolve("qi_baseline").id) as record:
            record.set("consent", "no")
            record.finalise()
    (data / "sync").mkdir()
    # One copy of the data folder per process running at once (a profile opens once).
    for i in range(4):
        shutil.copytree(data, root / "data" / f"copy{i}")
    return root / "data"


@pytest.mark.slow
def test_start_and_quit_eight_times_leaves_nothing_on_stderr(data_dir: Path) -> None:
    env = {**os.environ, "QI_CAPTURE_PASSPHRASE": PASSPHRASE, "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(ROOT)}
    modes = [("plain", "autosave", "sync", "read")[run % 4] for run in range(8)]
    # Four at a time, each on its own copy of the profile: a whole app start (Qt, unlock)
    # and exit.
    results: list[tuple[str, object, list[str]]] = []
    for start in range(0, len(modes), 4):
        batch = modes[start:start + 4]
        running = [(mode, subprocess.Popen(
            [sys.executable, "-m", "tests.ui.quit_driver", str(data_dir / f"copy{i % 4}"),
             mode], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True)) for i, mode in enumerate(batch)]
        try:
            for mode, process in running:
                try:
                    _out, err = process.communicate(timeout=240)
                    code: object = process.returncode
                except subprocess.TimeoutExpired:
                    process.kill()  # a hung quit is the failure; no process outlives the test
                    _out, err = process.communicate()
                    code = "hung"
                lines = [line for line in err.splitlines() if line.strip() != OFFSCREEN_NOTE]
                results.append((mode, code, lines))
        finally:
            for _mode, process in running:
                if process.poll() is None:
                    process.kill()
                    process.communicate()
    failed = [r for r in results if r[1] != 0 or r[2]]
    assert failed == [], failed
    synced = {i % 4 for i, mode in enumerate(modes) if mode == "sync"}
    for i in synced:
        assert list((data_dir / f"copy{i}" / "sync" / "outbox").glob("*.qibundle")), i
    # Each quit saved the window's geometry, in its run's own settings (the driver's
    # keep_settings_in), never in the settings of whoever runs the tests.
    for i in range(4):
        saved = data_dir / f"copy{i}" / "settings" / "QI Capture" / "QI Capture.ini"
        assert "geometry" in saved.read_text(encoding="utf-8"), i
