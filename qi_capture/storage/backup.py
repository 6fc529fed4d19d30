"""Rolling encrypted backups of a profile database, and putting one back.

A backup is a second SQLCipher file made with SQLite's online backup API, keyed with the
same data key and salt, written under a temporary name, fsynced, then renamed: a file
under its final name is always complete. Names carry only a UTC time and the random id of
the key that opens it (never a person, device or content)::

    backups/backup-20250314T101500123456Z-<key_id>.db

Restoring never deletes the damaged database: it is moved aside into ``damaged/``.

Attachments are not in the database but in encrypted files beside it
(`qi_capture.storage.attachment_files`), so a backup holds their rows and keys, not their
bytes. Files are immutable and named by the attachment id, so a restored backup's rows
find their files, except attachments deleted since the backup (``profile check`` lists
them as missing). Files added since the backup have no row in it: the restore moves them
into ``damaged/`` beside the damaged database that holds their keys, rather than letting
the next open remove them as orphans.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import sqlcipher3.dbapi2 as sqlcipher

from qi_capture.crypto.atomic import fsync_dir, fsync_file, temp_path_for
from qi_capture.crypto.secret import SecretBytes
from qi_capture.fileperms import create_private, private_dir
from qi_capture.storage.dto import BackupInfo
from qi_capture.storage.engine import (
    CIPHER_LOG_LEVEL,
    integrity_problems,
    key_pragma,
    open_readonly,
    probe,
)

BACKUP_DIR = "backups"
DAMAGED_DIR = "damaged"
DEFAULT_KEEP_DAYS = 14
_T = TypeVar("_T")
DEFAULT_INTERVAL = timedelta(hours=24)
_NAME = re.compile(r"^backup-(\d{8}T\d{12}Z)-([0-9a-f]{1,64})\.db$")
_STAMP = "%Y%m%dT%H%M%S%fZ"
DB_SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class BackupKey:
    key: SecretBytes
    salt: bytes
    key_id: str


def backup_dir(folder: Path) -> Path:
    return folder / BACKUP_DIR


def make_backup(
    source: Any, folder: Path, key: BackupKey, now: datetime | None = None
) -> BackupInfo:
    """Copy the database behind the sqlcipher3 connection ``source`` into a new backup."""
    moment = now or datetime.now(UTC)
    target_dir = backup_dir(folder)
    private_dir(target_dir)
    final = target_dir / f"backup-{moment.strftime(_STAMP)}-{key.key_id}.db"
    partial = temp_path_for(final)
    try:
        create_private(partial)  # SQLite keeps the mode of the empty file it opens
        target = sqlcipher.connect(str(partial))
        try:
            target.execute(key_pragma(key.key, key.salt))
            target.execute(f"PRAGMA cipher_log_level = {CIPHER_LOG_LEVEL}")
            source.backup(target)
        finally:
            target.close()
        for side in DB_SIDE_FILES:  # the copy is self-contained; nothing may be left over
            Path(str(partial) + side).unlink(missing_ok=True)
        fsync_file(partial)
        partial.replace(final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    fsync_dir(target_dir)
    return BackupInfo(path=final, created=moment, key_id=key.key_id, size=final.stat().st_size)


def list_backups(folder: Path, key_id: str | None = None) -> list[BackupInfo]:
    """Complete backups, newest first (optionally only those opened by ``key_id``)."""
    found: list[BackupInfo] = []
    directory = backup_dir(folder)
    if not directory.is_dir():
        return found
    for path in directory.iterdir():
        match = _NAME.match(path.name)
        if match is None or (key_id is not None and match.group(2) != key_id):
            continue
        created = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
        found.append(BackupInfo(path, created, match.group(2), path.stat().st_size))
    found.sort(key=lambda b: b.created, reverse=True)
    return found


def prune(folder: Path, keep_days: int, now: datetime | None = None, keep_at_least: int = 1) -> int:
    """Delete backups older than ``keep_days``, always keeping the newest
    ``keep_at_least``. Returns how many were deleted."""
    moment = now or datetime.now(UTC)
    backups = list_backups(folder)
    deleted = 0
    for backup in backups[keep_at_least:]:
        if moment - backup.created > timedelta(days=keep_days):
            backup.path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def delete_other_keys(folder: Path, key_id: str) -> int:
    """After a key rotation, older backups open only with a retired key: remove them."""
    deleted = 0
    for backup in list_backups(folder):
        if backup.key_id != key_id:
            backup.path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def check_file(path: Path, key: SecretBytes, salt: bytes, *, full: bool) -> list[str]:
    """Integrity problems of a database file, opened read-only (empty list: healthy)."""
    cipher, structural = check_file_report(path, key, salt, full=full)
    return cipher + structural


class _NotOpened(Enum):
    WRONG_KEY = "page 1 does not decrypt with this key"
    UNREADABLE = "the file could not be opened"


def _read_with(
    path: Path, key: SecretBytes, salt: bytes, use: Callable[[Any], _T]
) -> _T | _NotOpened:
    """``use(connection)`` on the database file opened read-only and keyed (each way
    `open_readonly` offers, until one probes), or why it could not be opened."""
    for _mode, conn in open_readonly(path):
        try:
            result = probe(conn, key, salt)
            if result is None:
                continue
            if result is False:
                return _NotOpened.WRONG_KEY
            return use(conn)
        finally:
            conn.close()
    return _NotOpened.UNREADABLE


def check_file_report(
    path: Path, key: SecretBytes, salt: bytes, *, full: bool
) -> tuple[list[str], list[str]]:
    """(page/HMAC problems, structural problems) of a database file, opened read-only."""
    found = _read_with(path, key, salt, lambda conn: integrity_problems(conn, full=full))
    return ([found.value], []) if isinstance(found, _NotOpened) else found


def attachment_rows(
    path: Path, key: SecretBytes, salt: bytes
) -> list[tuple[uuid.UUID, bytes | None, int, str]] | None:
    """(id, file key, size, SHA-256) of every attachment in a database file, opened
    read-only; None if it cannot be read. A database from before migration 0004 (bytes
    still inside it) gives its ids with no key."""

    def rows(conn: Any) -> list[tuple[uuid.UUID, bytes | None, int, str]]:
        columns = {str(r[1]) for r in conn.execute("PRAGMA table_info(attachment)")}
        key_column = "file_key" if "file_key" in columns else "NULL"
        found = conn.execute(f"SELECT id, {key_column}, size, sha256 FROM attachment")
        return [(uuid.UUID(hex=str(i)), k, int(n), str(h)) for i, k, n, h in found]

    try:
        found = _read_with(path, key, salt, rows)
    except sqlcipher.DatabaseError:
        return None
    return None if isinstance(found, _NotOpened) else found


def install(backup: Path, db_path: Path, damaged_dir: Path) -> Path | None:
    """Put ``backup`` in place of ``db_path``; the old database and its WAL/SHM move to
    ``damaged_dir`` (a WAL left behind would be replayed onto the restored file).
    Returns where the old database went, if there was one."""
    staged = temp_path_for(db_path)
    create_private(staged)
    shutil.copyfile(backup, staged)  # writes into the 0600 file; never copies the mode
    fsync_file(staged)
    moved: Path | None = None
    stamp = datetime.now(UTC).strftime(_STAMP)
    for suffix in ("", *DB_SIDE_FILES):
        old = Path(str(db_path) + suffix)
        if old.exists():
            private_dir(damaged_dir)
            target = damaged_dir / f"{stamp}-{old.name}"
            old.replace(target)
            if suffix == "":
                moved = target
    staged.replace(db_path)
    fsync_dir(db_path.parent)
    with contextlib.suppress(FileNotFoundError):
        fsync_dir(damaged_dir)
    return moved
