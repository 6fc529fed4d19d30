"""File modes on POSIX: profile and central folders 0700, every file in them 0600, from
creation, whatever the umask; ``profile check`` reports anything looser and changes nothing.

The tests run under umask 000, the most careless setting: every mode seen then is the one
the app asked for, not one the umask happened to give.
"""

from __future__ import annotations

import io
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from qi_capture.central.store import CentralStore
from qi_capture.crypto.kdf import floor_params
from qi_capture.fileperms import loose_modes
from qi_capture.logs import setup_logging
from qi_capture.storage.profile import KEYFILE_NAME, Profile
from qi_capture.sync.admin import AdminProfile, init_admin

pytestmark = pytest.mark.skipif(os.name != "posix", reason="mode bits exist on POSIX only")

PASSPHRASE = "copper kettle harbour 42"


@pytest.fixture
def careless_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def modes(folder: Path) -> dict[str, int]:
    """Every folder and file under ``folder`` (itself included) -> its permission bits."""
    found = {".": stat.S_IMODE(folder.stat().st_mode)}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def assert_private(folder: Path) -> dict[str, int]:
    found = modes(folder)
    wrong = {
        name: f"{mode:04o}" for name, mode in found.items()
        if mode != (0o700 if (folder / name).is_dir() else 0o600)
    }
    assert wrong == {}
    assert loose_modes(folder) == []
    return found


def test_a_profile_is_private_from_creation(tmp_path: Path, careless_umask: None) -> None:
    folder = tmp_path / "data" / "profiles" / "p1"  # parents made by the app too
    Profile.create(folder, "Laptop", PASSPHRASE, kdf=floor_params())
    store = Profile.unlock(folder, PASSPHRASE)
    try:
        store.catalog.add_study("qi", "QI")
        version = store.catalog.add_form_version("qi", "f", "1", title="F",
                                                 xlsform=b"x", compiled_json="{}")
        record = store.records.create_record(version.id, interviewer="jo")
        store.attachments.add(record.id, "a.m4a", "audio/mp4", io.BytesIO(b"\0" * 300_000))
        store.backup()
        # While open: the database's -wal and -shm take its mode.
        during = assert_private(folder)
        assert {"profile.db", "profile.db-wal", "profile.db-shm", KEYFILE_NAME,
                "profile.lock", "attachments", "backups"} <= set(during)
    finally:
        store.lock()
    after = assert_private(folder)
    assert any(name.startswith("backups/") for name in after)
    assert any(name.startswith("attachments/") and (folder / name).is_file() for name in after)
    for parent in (tmp_path / "data", tmp_path / "data" / "profiles"):
        assert stat.S_IMODE(parent.stat().st_mode) == 0o700
    # A passphrase change rewrites the key file: still 0600.
    Profile.change_passphrase(folder, PASSPHRASE, "velvet otter grammar 19",
                              kdf=floor_params())
    assert_private(folder)


def test_a_central_folder_is_private_from_creation(tmp_path: Path,
                                                    careless_umask: None) -> None:
    central = tmp_path / "central"
    central.mkdir(mode=0o755)  # made by the admin beforehand, carelessly
    init_admin(central, PASSPHRASE, study_id="qi", study_title="QI", kdf=floor_params())
    with AdminProfile.open(central, PASSPHRASE):
        pass
    store = CentralStore.open(central, PASSPHRASE)
    try:
        assert_private(central)
    finally:
        store.close()
    assert_private(central)


def test_logs_are_private(tmp_path: Path, careless_umask: None) -> None:
    """(Exported files: tests/core/export/test_export_safety.py checks their modes.)"""
    path = setup_logging(tmp_path / "data")
    logger = logging.getLogger("qi_capture")
    try:
        logger.info("a line")
        assert path.is_file()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()


def test_profile_check_reports_loosened_modes_and_changes_nothing(
        tmp_path: Path, careless_umask: None) -> None:
    folder = tmp_path / "profiles" / "p1"
    Profile.create(folder, "Laptop", PASSPHRASE, kdf=floor_params())
    with Profile.unlock(folder, PASSPHRASE) as store:
        store.backup()
    # An attacker (or a careless copy) opens the key file and the backups to everyone.
    (folder / KEYFILE_NAME).chmod(0o644)
    (folder / "backups").chmod(0o755)
    before = modes(folder)

    report = Profile.check(folder, PASSPHRASE)
    assert not report.ok
    assert report.cipher_problems == () and report.integrity_problems == ()
    assert sorted(report.permission_problems) == [
        "backups: mode 0755, should be 0700 (other accounts on this machine can open it); "
        "fix with chmod 700",
        f"{KEYFILE_NAME}: mode 0644, should be 0600 (other accounts on this machine can "
        "open it); fix with chmod 600",
    ]
    assert modes(folder) == before  # reported, not silently changed

    out = subprocess.run(
        [sys.executable, "-m", "qi_capture", "--data-dir", str(tmp_path), "profile", "check"],
        env={**os.environ, "QI_CAPTURE_PASSPHRASE": PASSPHRASE},
        capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 1, out.stderr
    assert "file permissions: 2 problem(s)" in out.stdout
    assert f"{KEYFILE_NAME}: mode 0644, should be 0600" in out.stdout
    assert modes(folder) == before
