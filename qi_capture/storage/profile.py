"""Profile operations on a profile folder: create, unlock, change passphrase, rotate the
data key, recover, check, restore from backup.

A profile folder holds::

    keyfile.json   Argon2id parameters and the wrapped data key (qi_capture.crypto.keyfile)
    profile.db     the SQLCipher database (+ -wal/-shm while open)
    profile.lock   the OS lock that keeps a second instance out (its bytes never change)
    attachments/   one encrypted file per attachment; each file's key is in its row in
                   the database (qi_capture.storage.attachment_files)
    backups/       rolling encrypted backups (the database only; see storage.backup)
    damaged/       databases (and the attachment files only they had keys for) set
                   aside by a restore

Order of work, chosen so mistakes and crashes cost nothing:
- the passphrase is checked against the key file before anything is opened or locked, so
  a wrong passphrase writes nothing;
- a database is recognised as this profile's by its salt (first 16 bytes) before any key
  is tried, then checked page by page (HMAC) before it is used; a damaged one is refused
  and left exactly as it is;
- key rotation writes the new key as a *pending* slot first, then rekeys, then promotes
  it; whichever of current/pending opens the database wins at the next open, so a kill
  at any point leaves the profile openable.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from qi_capture.crypto import keyfile, signing
from qi_capture.crypto.errors import RecoveryNotAvailable
from qi_capture.crypto.kdf import KdfParams, calibrate, derive_kek
from qi_capture.crypto.passphrase import check_passphrase
from qi_capture.crypto.recovery import validate_recipient
from qi_capture.crypto.secret import SecretBytes
from qi_capture.fileperms import create_private, loose_modes, private_dir
from qi_capture.storage import backup as backup_files
from qi_capture.storage import migrate
from qi_capture.storage.attachment_files import AttachmentFiles
from qi_capture.storage.dto import BackupInfo, IntegrityReport, ProfileInfo
from qi_capture.storage.engine import (
    PAGE_SIZE,
    SALT_BYTES,
    checkpoint,
    connect_raw,
    database_salt,
    has_wal_content,
    key_opens,
    key_pragma,
    open_engine,
)
from qi_capture.storage.errors import (
    DatabaseCorrupt,
    DatabaseMismatch,
    DatabaseMissing,
    NoUsableBackup,
    ProfileExists,
    ProfileNotFound,
)
from qi_capture.storage.lockfile import ProfileLock
from qi_capture.storage.models import DeviceRow, SettingRow, utcnow
from qi_capture.storage.store import Store

DB_NAME = "profile.db"
KEYFILE_NAME = "keyfile.json"
LOCK_NAME = "profile.lock"
PROFILE_ID_SETTING = "profile_id"

Fault = Callable[[str], None]


def _no_fault(_step: str) -> None:
    return None


class _Keys:
    """The key file and what the passphrase (or recovery key) unwrapped from it."""

    def __init__(
        self,
        kf: keyfile.KeyFile,
        current: SecretBytes,
        pending: SecretBytes | None,
        kek: SecretBytes | None,
    ) -> None:
        self.kf, self.current, self.pending, self.kek = kf, current, pending, kek

    def wipe(self, *, keep: SecretBytes | None = None) -> None:
        for secret in (self.current, self.pending, self.kek):
            if secret is not None and secret is not keep:
                secret.wipe()


def _keys_from_passphrase(folder: Path, passphrase: str) -> _Keys:
    kf = keyfile.read(folder / KEYFILE_NAME)
    kek = kf.derive(passphrase)
    try:
        current, pending = kf.unwrap(kek)
    except BaseException:
        kek.wipe()
        raise
    return _Keys(kf, current, pending, kek)


def _backup_count(folder: Path) -> int:
    return len(backup_files.list_backups(folder))


def _which_key(folder: Path, keys: _Keys) -> Literal["current", "pending"]:
    """Which unwrapped key opens the database. Refuses a missing, foreign or damaged file."""
    db = folder / DB_NAME
    if not db.exists():
        raise DatabaseMissing(str(folder), _backup_count(folder))
    size = db.stat().st_size
    if size < PAGE_SIZE or size % PAGE_SIZE:
        raise DatabaseCorrupt(
            str(folder), [f"file size {size} is not a whole number of pages"], _backup_count(folder)
        )
    if database_salt(db) != keys.kf.database_salt:
        raise DatabaseMismatch(str(folder), _backup_count(folder))
    if key_opens(db, keys.current, keys.kf.database_salt):
        return "current"
    if keys.pending is not None and key_opens(db, keys.pending, keys.kf.database_salt):
        return "pending"
    raise DatabaseCorrupt(
        str(folder), ["page 1 does not decrypt with this profile's key"], _backup_count(folder)
    )


def _reseal(
    keys: _Keys,
    kek: SecretBytes,
    *,
    current: SecretBytes,
    current_id: str,
    pending: SecretBytes | None = None,
    kdf: KdfParams | None = None,
) -> keyfile.KeyFile:
    kf = keys.kf
    return keyfile.seal(
        profile_id=kf.profile_id,
        label=kf.label,
        database_salt=kf.database_salt,
        kdf=kdf or kf.kdf,
        kek=kek,
        current=current,
        pending=pending,
        recovery_recipient=kf.recovery_recipient,
        created=kf.created,
        key_ids=(current_id, None),
    )


def _settle(folder: Path, keys: _Keys) -> tuple[SecretBytes, str]:
    """Finish or undo an interrupted rotation; returns the working key and its id.
    Needs ``keys.kek`` (a passphrase unlock) whenever a pending slot has to be resolved."""
    which = _which_key(folder, keys)
    kf = keys.kf
    if which == "current":
        if kf.pending is not None and keys.kek is not None:
            # The rotation stopped before the rekey: forget the unused new key.
            _reseal(keys, keys.kek, current=keys.current, current_id=kf.current.key_id).write(
                folder / KEYFILE_NAME
            )
        return keys.current, kf.current.key_id
    assert keys.pending is not None and kf.pending is not None
    if keys.kek is not None:
        # The rekey happened but the promotion did not: promote now.
        _reseal(keys, keys.kek, current=keys.pending, current_id=kf.pending.key_id).write(
            folder / KEYFILE_NAME
        )
    return keys.pending, kf.pending.key_id


def _check_or_refuse(folder: Path, key: SecretBytes, salt: bytes) -> None:
    if has_wal_content(folder / DB_NAME):
        # A WAL left by a crash: fold it in first (what any SQLite open would do), since
        # the page check reads only the main file. Page 1 already decrypted with this key.
        checkpoint(folder / DB_NAME, key, salt)
    problems = backup_files.check_file(folder / DB_NAME, key, salt, full=False)
    if problems:
        raise DatabaseCorrupt(str(folder), problems, _backup_count(folder))


def _profile_id_matches(engine: Engine, profile_id: str) -> bool:
    with Session(engine) as s:
        row = s.get(SettingRow, PROFILE_ID_SETTING)
        return row is not None and row.value_json == f'"{profile_id}"'


def _device_id(engine: Engine) -> uuid.UUID:
    with Session(engine) as s:
        device_id = s.scalars(select(DeviceRow.id)).one()
        return device_id


class Profile:
    """Operations on one profile folder (see the module docstring for its layout)."""

    @staticmethod
    def create(
        folder: Path,
        name: str,
        passphrase: str,
        recovery_public_key: str | None = None,
        *,
        kdf: KdfParams | None = None,
    ) -> Path:
        """Create a profile: a new data key, key file, database, device and signing key.
        ``kdf`` defaults to parameters calibrated on this machine (tests pass the floor)."""
        check_passphrase(passphrase)
        recipient = None if recovery_public_key is None else validate_recipient(recovery_public_key)
        for existing in (DB_NAME, KEYFILE_NAME):
            if (folder / existing).exists():
                raise ProfileExists(str(folder))
        private_dir(folder, parents=True)
        params = kdf or calibrate()
        kek = derive_kek(passphrase, params)
        dek = SecretBytes.random()
        salt = secrets.token_bytes(SALT_BYTES)
        profile_id = str(uuid.uuid4())
        try:
            with ProfileLock(folder / LOCK_NAME):
                # Empty and 0600 before SQLCipher opens it: SQLite keeps the mode, and
                # gives its -wal and -shm files the database's.
                create_private(folder / DB_NAME)
                engine = open_engine(folder / DB_NAME, dek, salt)
                try:
                    migrate.upgrade(engine)
                    with Session(engine) as s, s.begin():
                        s.add(
                            DeviceRow(
                                id=uuid.uuid4(),
                                name=name,
                                signing_key=signing.generate_signing_key(),
                                last_sequence=0,
                                created=utcnow(),
                            )
                        )
                        s.add(SettingRow(key=PROFILE_ID_SETTING, value_json=f'"{profile_id}"'))
                finally:
                    engine.dispose()
                # The key file comes last: a profile exists once its key file does.
                keyfile.seal(
                    profile_id=profile_id,
                    label=name,
                    database_salt=salt,
                    kdf=params,
                    kek=kek,
                    current=dek,
                    recovery_recipient=recipient,
                ).write(folder / KEYFILE_NAME)
        finally:
            kek.wipe()
            dek.wipe()
        return folder

    @staticmethod
    def unlock(
        folder: Path,
        passphrase: str,
        *,
        backup_interval: timedelta = backup_files.DEFAULT_INTERVAL,
        backup_keep_days: int = backup_files.DEFAULT_KEEP_DAYS,
        extra_version_locations: Sequence[Path] = (),
    ) -> Store:
        """Open the profile. Raises `WrongPassphrase` (nothing written), key file errors,
        `ProfileLocked`, `DatabaseMissing`/`DatabaseMismatch`/`DatabaseCorrupt` (the
        database untouched). Runs pending migrations after a backup."""
        if not (folder / KEYFILE_NAME).exists() and not (folder / DB_NAME).exists():
            raise ProfileNotFound(str(folder))
        keys = _keys_from_passphrase(folder, passphrase)
        lock = ProfileLock(folder / LOCK_NAME)
        key: SecretBytes | None = None
        engine: Engine | None = None
        try:
            lock.acquire()
            key, key_id = _settle(folder, keys)
            salt = keys.kf.database_salt
            _check_or_refuse(folder, key, salt)
            engine = open_engine(folder / DB_NAME, key, salt)
            if migrate.needs_upgrade(engine, extra_version_locations):
                raw = engine.raw_connection()
                try:
                    backup_files.make_backup(
                        raw.driver_connection, folder, backup_files.BackupKey(key, salt, key_id)
                    )
                finally:
                    raw.close()
                migrate.upgrade(engine, extra_version_locations=extra_version_locations)
            if not _profile_id_matches(engine, keys.kf.profile_id):
                raise DatabaseMismatch(str(folder), _backup_count(folder))
            store = Store(
                folder=folder,
                engine=engine,
                key=key,
                salt=salt,
                key_id=key_id,
                profile_id=keys.kf.profile_id,
                device_id=_device_id(engine),
                lock=lock,
            )
            # Recordings a crash cut short become attachments (before the sweep, which
            # would take their files for orphans); orphaned files from a crash go,
            # attachments from before 0004 move into files; all before the backup, so it
            # is made without their bytes.
            store.recordings.recover()
            store.attachments.settle()
            store.backup_if_due(interval=backup_interval, keep_days=backup_keep_days)
        except BaseException:
            if engine is not None:
                engine.dispose()
            lock.release()
            keys.wipe()
            raise
        keys.wipe(keep=key)
        return store

    @staticmethod
    def change_passphrase(
        folder: Path, old_passphrase: str, new_passphrase: str, *, kdf: KdfParams | None = None
    ) -> None:
        """Re-wrap the data key under a new passphrase. The database is not touched."""
        check_passphrase(new_passphrase)
        keys = _keys_from_passphrase(folder, old_passphrase)
        try:
            with ProfileLock(folder / LOCK_NAME):
                params = (kdf or keys.kf.kdf).with_new_salt()
                with derive_kek(new_passphrase, params) as new_kek:
                    kf = keys.kf
                    keyfile.seal(
                        profile_id=kf.profile_id,
                        label=kf.label,
                        database_salt=kf.database_salt,
                        kdf=params,
                        kek=new_kek,
                        current=keys.current,
                        pending=keys.pending,
                        recovery_recipient=kf.recovery_recipient,
                        created=kf.created,
                        key_ids=(
                            kf.current.key_id,
                            None if kf.pending is None else kf.pending.key_id,
                        ),
                    ).write(folder / KEYFILE_NAME)
        finally:
            keys.wipe()

    @staticmethod
    def rotate_data_key(folder: Path, passphrase: str, *, fault: Fault = _no_fault) -> None:
        """Replace the data key (``PRAGMA rekey``). ``fault`` is called after each durable
        step (tests kill the process there)."""
        keys = _keys_from_passphrase(folder, passphrase)
        new_key = SecretBytes.random()
        try:
            with ProfileLock(folder / LOCK_NAME):
                assert keys.kek is not None
                old_key, old_id = _settle(folder, keys)
                salt = keys.kf.database_salt
                _check_or_refuse(folder, old_key, salt)
                staged = keyfile.seal(
                    profile_id=keys.kf.profile_id,
                    label=keys.kf.label,
                    database_salt=salt,
                    kdf=keys.kf.kdf,
                    kek=keys.kek,
                    current=old_key,
                    pending=new_key,
                    recovery_recipient=keys.kf.recovery_recipient,
                    created=keys.kf.created,
                    key_ids=(old_id, None),
                )
                staged.write(folder / KEYFILE_NAME)
                fault("pending_written")
                conn = connect_raw(folder / DB_NAME, old_key, salt)
                try:
                    # One transaction inside SQLCipher: after a crash the file opens with
                    # exactly one of the two keys.
                    conn.execute(key_pragma(new_key, salt, verb="rekey"))
                    fault("rekeyed")
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                    fault("checkpointed")
                finally:
                    conn.close()
                assert staged.pending is not None
                new_id = staged.pending.key_id
                _reseal(keys, keys.kek, current=new_key, current_id=new_id).write(
                    folder / KEYFILE_NAME
                )
                fault("promoted")
                # Older backups open only with the retired key: replace them with one
                # made under the new key.
                conn = connect_raw(folder / DB_NAME, new_key, salt)
                try:
                    backup_files.make_backup(
                        conn, folder, backup_files.BackupKey(new_key, salt, new_id)
                    )
                finally:
                    conn.close()
                fault("backed_up")
                backup_files.delete_other_keys(folder, new_id)
        finally:
            keys.wipe()
            new_key.wipe()

    @staticmethod
    def recover(
        folder: Path,
        recovery_identity: str,
        new_passphrase: str,
        *,
        kdf: KdfParams | None = None,
    ) -> None:
        """Set a new passphrase using the organisation's recovery key
        (``AGE-SECRET-KEY-1...``). The database is not touched."""
        check_passphrase(new_passphrase)
        kf = keyfile.read(folder / KEYFILE_NAME)
        if kf.recovery_recipient is None:
            raise RecoveryNotAvailable()
        current, pending = kf.unwrap_recovery(recovery_identity)
        keys = _Keys(kf, current, pending, None)
        try:
            with ProfileLock(folder / LOCK_NAME):
                key, key_id = _settle(folder, keys)
                params = (kdf or kf.kdf).with_new_salt()
                with derive_kek(new_passphrase, params) as new_kek:
                    _reseal(keys, new_kek, current=key, current_id=key_id, kdf=params).write(
                        folder / KEYFILE_NAME
                    )
        finally:
            keys.wipe()

    @staticmethod
    def check(folder: Path, passphrase: str,
              progress: Callable[[int, int, str], None] | None = None) -> IntegrityReport:
        """Full check (``cipher_integrity_check`` + ``integrity_check``) of a profile that
        is not open, and every attachment file read through: those missing, refused or
        not matching their row are listed, and so is every file or folder other accounts
        could open (POSIX modes). Reports problems rather than raising for them.
        ``progress(done, 3, step)`` before each of the three steps and at the end."""
        step = progress or (lambda done, total, message: None)
        keys = _keys_from_passphrase(folder, passphrase)
        try:
            with ProfileLock(folder / LOCK_NAME):
                key, _key_id = _settle(folder, keys)
                salt = keys.kf.database_salt
                step(0, 3, "database pages and structure")
                cipher, structural = backup_files.check_file_report(
                    folder / DB_NAME, key, salt, full=True
                )
                step(1, 3, "attachment files")
                rows = backup_files.attachment_rows(folder / DB_NAME, key, salt)
                attachments = AttachmentFiles(folder).problems(rows or [])
        finally:
            keys.wipe()
        step(2, 3, "file permissions")
        modes = tuple(loose_modes(folder))
        step(3, 3, "done")
        return IntegrityReport(tuple(cipher), tuple(structural), tuple(attachments), modes)

    @staticmethod
    def restore_from_backup(folder: Path, passphrase: str) -> BackupInfo:
        """Replace the database with the newest backup that passes a full check. The old
        database is moved to ``damaged/``, never deleted, and so are the attachment files
        the backup has no row for (added since it was made; their keys are in the old
        database). Changes made after that backup are lost, so the UI must say so before
        calling this."""
        keys = _keys_from_passphrase(folder, passphrase)
        try:
            with ProfileLock(folder / LOCK_NAME):
                kf = keys.kf
                candidates: dict[str, SecretBytes] = {kf.current.key_id: keys.current}
                if kf.pending is not None and keys.pending is not None:
                    candidates[kf.pending.key_id] = keys.pending
                tried = 0
                for backup in backup_files.list_backups(folder):
                    key = candidates.get(backup.key_id)
                    if key is None:
                        continue
                    tried += 1
                    if backup_files.check_file(backup.path, key, kf.database_salt, full=True):
                        continue
                    # Before the install: killed in between, the files are safe in
                    # damaged/ rather than orphans for the next open to remove.
                    kept = backup_files.attachment_rows(backup.path, key, kf.database_salt)
                    if kept is not None:
                        stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
                        AttachmentFiles(folder).sweep(
                            {row[0] for row in kept},
                            set_aside=folder / backup_files.DAMAGED_DIR / f"{stamp}-attachments",
                        )
                    backup_files.install(
                        backup.path, folder / DB_NAME, folder / backup_files.DAMAGED_DIR
                    )
                    if kf.pending is not None and backup.key_id == kf.pending.key_id:
                        assert keys.kek is not None
                        _reseal(keys, keys.kek, current=key, current_id=backup.key_id).write(
                            folder / KEYFILE_NAME
                        )
                    return backup
                raise NoUsableBackup(str(folder), tried)
        finally:
            keys.wipe()

    @staticmethod
    def info(folder: Path) -> ProfileInfo:
        """What the key file says about a profile, without the passphrase."""
        try:
            kf = keyfile.read(folder / KEYFILE_NAME)
        except Exception as exc:  # listing must survive one bad folder
            code = getattr(exc, "code", "error")
            return ProfileInfo(folder, None, None, None, error=str(code))
        return ProfileInfo(
            folder=folder,
            profile_id=kf.profile_id,
            label=kf.label,
            created=kf.created,
            has_recovery=kf.recovery_recipient is not None,
        )
