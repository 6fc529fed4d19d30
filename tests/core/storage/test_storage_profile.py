"""Profile lifecycle and the faults a user can run into: wrong passphrase, edited key file,
weak parameters, passphrase change, recovery, lock, foreign/damaged/missing database,
a second instance, backups and restore."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from qi_capture.crypto.errors import (
    KeyFileExcessiveParameters,
    KeyFileMissing,
    KeyFileTampered,
    KeyFileWeakParameters,
    RecoveryKeyMismatch,
    WeakPassphrase,
    WrongPassphrase,
)
from qi_capture.crypto.kdf import floor_params
from qi_capture.crypto.recovery import generate_recovery_identity
from qi_capture.storage import backup as backup_files
from qi_capture.storage.errors import (
    DatabaseCorrupt,
    DatabaseMismatch,
    DatabaseMissing,
    NoUsableBackup,
    ProfileExists,
    ProfileLocked,
    ProfileNotFound,
    StoreClosed,
)
from qi_capture.storage.profile import DB_NAME, KEYFILE_NAME, Profile
from qi_capture.storage.profile_folders import list_profiles, new_profile_folder

PASSPHRASE = "copper kettle harbour 42"
NEW_PASSPHRASE = "velvet otter grammar 19"


def snapshot(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (relative path -> digest)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _add_answer(folder: Path, value: str) -> str:
    with Profile.unlock(folder, PASSPHRASE) as store:
        fv = store.catalog.list_form_versions()[0]
        record = store.records.create_record(fv.id, interviewer="jo")
        store.records.save_answer_change(record.id, "/q", value)
        return str(record.id)


def _answers(folder: Path, passphrase: str = PASSPHRASE) -> list[object]:
    with Profile.unlock(folder, passphrase) as store:
        return [
            store.records.get_record(r.id).answers.get("/q") for r in store.records.list_records()
        ]


def test_wrong_passphrase_writes_nothing(profile: Path) -> None:
    before = snapshot(profile)
    with pytest.raises(WrongPassphrase) as info:
        Profile.unlock(profile, "copper kettle harbour 43")
    assert info.value.code == "wrong_passphrase"
    assert str(info.value) == "The passphrase is not correct for this profile."
    assert snapshot(profile) == before


def test_unlock_and_lock_zeroes_the_key(profile: Path) -> None:
    store = Profile.unlock(profile, PASSPHRASE)
    buffer = store.key_buffer
    assert any(buffer)
    store.lock()
    assert buffer == bytearray(len(buffer))
    assert store.is_locked
    with pytest.raises(StoreClosed):
        store.records.list_records()
    with pytest.raises(StoreClosed):
        _ = store.engine
    store.lock()  # idempotent
    Profile.unlock(profile, PASSPHRASE).lock()  # and the profile lock was released


def test_second_instance_is_refused(profile: Path) -> None:
    with Profile.unlock(profile, PASSPHRASE) as store:
        with pytest.raises(ProfileLocked) as info:
            Profile.unlock(profile, PASSPHRASE)
        assert info.value.code == "profile_locked"
        with pytest.raises(ProfileLocked):
            Profile.change_passphrase(profile, PASSPHRASE, NEW_PASSPHRASE, kdf=floor_params())
        assert store.check().ok  # the first instance is unaffected


def test_edited_key_file_is_refused(profile: Path) -> None:
    path = profile / KEYFILE_NAME
    doc = json.loads(path.read_bytes())
    doc["label"] = "Someone else"
    path.write_text(json.dumps(doc, sort_keys=True, indent=2) + "\n")
    before = snapshot(profile)
    with pytest.raises(KeyFileTampered) as info:
        Profile.unlock(profile, PASSPHRASE)
    assert info.value.code == "key_file_tampered"
    assert snapshot(profile) == before


def test_weak_parameters_are_refused(profile: Path) -> None:
    path = profile / KEYFILE_NAME
    doc = json.loads(path.read_bytes())
    doc["kdf"]["iterations"] = 1
    path.write_text(json.dumps(doc, sort_keys=True, indent=2) + "\n")
    with pytest.raises(KeyFileWeakParameters):
        Profile.unlock(profile, PASSPHRASE)


def test_key_file_asking_for_huge_memory_is_refused_at_once(profile: Path) -> None:
    # An attacker edits the key file (and fixes its checksum) to ask for 4 GiB: unlock
    # must refuse before deriving anything (no minute-long hang, no "wrong passphrase").
    path = profile / KEYFILE_NAME
    doc = json.loads(path.read_bytes())
    doc["kdf"]["memory_kib"] = 4 * 1024 * 1024
    body = {k: v for k, v in doc.items() if k != "checksum"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    doc["checksum"] = "sha256:" + hashlib.sha256(canonical).hexdigest()
    path.write_text(json.dumps(doc, sort_keys=True, indent=2) + "\n")
    before = snapshot(profile)
    with pytest.raises(KeyFileExcessiveParameters) as info:
        Profile.unlock(profile, PASSPHRASE)
    assert info.value.code == "key_file_excessive_parameters"
    assert "4194304 KiB > 1048576 KiB" in info.value.message
    with pytest.raises(KeyFileExcessiveParameters):
        Profile.change_passphrase(profile, PASSPHRASE, NEW_PASSPHRASE)
    assert snapshot(profile) == before  # nothing written


def test_missing_key_file(profile: Path) -> None:
    (profile / KEYFILE_NAME).unlink()
    with pytest.raises(KeyFileMissing):
        Profile.unlock(profile, PASSPHRASE)


def test_no_profile(tmp_path: Path) -> None:
    with pytest.raises(ProfileNotFound):
        Profile.unlock(tmp_path, PASSPHRASE)


def test_change_passphrase_leaves_database_byte_identical(profile: Path) -> None:
    _add_answer(profile, "kept")
    db_before = file_hash(profile / DB_NAME)
    Profile.change_passphrase(profile, PASSPHRASE, NEW_PASSPHRASE)
    assert file_hash(profile / DB_NAME) == db_before
    with pytest.raises(WrongPassphrase):
        Profile.unlock(profile, PASSPHRASE)
    assert _answers(profile, NEW_PASSPHRASE) == ["kept"]


def test_change_passphrase_checks_old_and_new(profile: Path) -> None:
    before = snapshot(profile)
    with pytest.raises(WrongPassphrase):
        Profile.change_passphrase(profile, "not the passphrase!", NEW_PASSPHRASE)
    with pytest.raises(WeakPassphrase):
        Profile.change_passphrase(profile, PASSPHRASE, "password1234")
    assert snapshot(profile) == before


def test_recover_with_recovery_key(profile: Path, recovery_identity: tuple[str, str]) -> None:
    _add_answer(profile, "recovered")
    db_before = file_hash(profile / DB_NAME)
    with pytest.raises(RecoveryKeyMismatch):
        Profile.recover(profile, generate_recovery_identity()[0], NEW_PASSPHRASE)
    Profile.recover(profile, recovery_identity[0], NEW_PASSPHRASE)
    assert file_hash(profile / DB_NAME) == db_before
    with pytest.raises(WrongPassphrase):
        Profile.unlock(profile, PASSPHRASE)
    assert _answers(profile, NEW_PASSPHRASE) == ["recovered"]


def test_database_from_another_profile_is_refused(profile: Path, tmp_path: Path) -> None:
    other = Profile.create(tmp_path / "other", "Laptop B", PASSPHRASE, kdf=floor_params())
    shutil.copyfile(other / DB_NAME, profile / DB_NAME)
    before = snapshot(profile)
    with pytest.raises(DatabaseMismatch) as info:
        Profile.unlock(profile, PASSPHRASE)
    assert info.value.code == "database_mismatch"
    assert snapshot(profile) == before


def test_missing_database(profile: Path) -> None:
    (profile / DB_NAME).unlink()
    with pytest.raises(DatabaseMissing):
        Profile.unlock(profile, PASSPHRASE)


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: _flip(p, 8), id="flip-salt"),
        pytest.param(lambda p: _flip(p, 100), id="flip-page-1"),
        pytest.param(lambda p: _flip(p, 4096 * 2 + 1000), id="flip-page-3"),
        pytest.param(lambda p: _flip(p, p.stat().st_size - 5), id="flip-last-page"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:-4096]), id="truncate-page"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:-100]), id="truncate-partial"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:4096]), id="truncate-to-1-page"),
        pytest.param(lambda p: p.write_bytes(b""), id="empty"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes() + bytes(4096)), id="extended"),
    ],
)
def test_damaged_database_is_detected_and_left_alone(profile: Path, damage: object) -> None:
    assert callable(damage)
    damage(profile / DB_NAME)
    before = snapshot(profile)
    with pytest.raises((DatabaseCorrupt, DatabaseMismatch)) as info:
        Profile.unlock(profile, PASSPHRASE)
    assert info.value.params["backups"] >= 1  # restore is offered
    assert snapshot(profile) == before  # never auto-repaired


def test_restore_from_newest_good_backup(profile: Path) -> None:
    _add_answer(profile, "before backup")
    with Profile.unlock(profile, PASSPHRASE) as store:
        good = store.backup()
        older = store.backups()[-1]
    # A newer backup that is itself damaged must be skipped.
    damaged_name = good.path.name.replace(good.path.name[7:15], "29991231")
    damaged = good.path.with_name(damaged_name)
    shutil.copyfile(good.path, damaged)
    _flip(damaged, 4096 * 2 + 10)
    _flip(profile / DB_NAME, 4096 * 2 + 10)
    with pytest.raises(DatabaseCorrupt):
        Profile.unlock(profile, PASSPHRASE)
    restored = Profile.restore_from_backup(profile, PASSPHRASE)
    assert restored.path == good.path
    assert restored.path != older.path
    assert _answers(profile) == ["before backup"]
    assert list((profile / backup_files.DAMAGED_DIR).glob("*profile.db"))  # kept, not deleted


def test_restore_without_good_backup(profile: Path) -> None:
    for b in backup_files.list_backups(profile):
        b.path.unlink()
    with pytest.raises(NoUsableBackup):
        Profile.restore_from_backup(profile, PASSPHRASE)


def test_backups_roll(profile: Path) -> None:
    with Profile.unlock(profile, PASSPHRASE) as store:
        now = datetime.now(UTC)
        for days in (30, 20, 10, 1):
            store.backup(now - timedelta(days=days))
        assert store.backup_if_due(now=now) is None  # the unlock made one already
        backup_files.prune(profile, keep_days=14, now=now)
        ages = sorted(round((now - b.created).total_seconds() / 86400) for b in store.backups())
        assert ages == [0, 1, 10]
        assert store.backup_if_due(now=now + timedelta(days=2)) is not None


def test_full_check_reports_clean(profile: Path) -> None:
    report = Profile.check(profile, PASSPHRASE)
    assert report.ok


def test_create_refuses_weak_passphrase_and_existing_folder(profile: Path, tmp_path: Path) -> None:
    with pytest.raises(WeakPassphrase):
        Profile.create(tmp_path / "weak", "x", "short", kdf=floor_params())
    with pytest.raises(ProfileExists):
        Profile.create(profile, "again", PASSPHRASE, kdf=floor_params())


def test_profiles_under_data_dir(tmp_path: Path) -> None:
    assert list_profiles(tmp_path) == []
    folder = new_profile_folder(tmp_path)
    assert folder.parent == tmp_path / "profiles"
    Profile.create(folder, "Laptop C", PASSPHRASE, kdf=floor_params())
    (tmp_path / "profiles" / "broken").mkdir()
    (tmp_path / "profiles" / "broken" / KEYFILE_NAME).write_text("{}")
    found = list_profiles(tmp_path)
    assert [(p.label, p.error) for p in found] == [(None, "key_file_invalid"), ("Laptop C", None)]
    assert found[1].folder == folder
