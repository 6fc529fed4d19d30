"""`Store`: an unlocked profile. Owns the engine, the data key and the profile lock until
`lock` disposes the engine, zeroes the key and releases the lock.

Feature code reaches the data through the small APIs hanging off it (``records``,
``catalog``, ``paradata``, ``attachments``, ``settings``, ``sync``), which take and return plain
data; ``engine`` and ``sessions`` are there for services that need their own queries.
Attachment bytes live in encrypted files under ``<folder>/attachments/``
(``attachment_files``), their keys in the database.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from qi_capture.crypto import signing
from qi_capture.crypto.secret import SecretBytes
from qi_capture.storage import backup as backup_files
from qi_capture.storage.attachment_files import AttachmentFiles
from qi_capture.storage.attachments import Attachments
from qi_capture.storage.catalog import Catalog
from qi_capture.storage.database import Database
from qi_capture.storage.dto import BackupInfo, DeviceInfo, IntegrityReport
from qi_capture.storage.engine import integrity_problems
from qi_capture.storage.erasure import Erasures
from qi_capture.storage.errors import StoreClosed
from qi_capture.storage.lockfile import ProfileLock
from qi_capture.storage.models import AttachmentRow, DeviceRow
from qi_capture.storage.paradata import Paradata
from qi_capture.storage.recordings import Recordings
from qi_capture.storage.records import Records
from qi_capture.storage.relocation import Relocation
from qi_capture.storage.settings import Settings
from qi_capture.storage.sync_state import SyncLedger


class Store:
    def __init__(
        self,
        *,
        folder: Path,
        engine: Engine,
        key: SecretBytes,
        salt: bytes,
        key_id: str,
        profile_id: str,
        device_id: uuid.UUID,
        lock: ProfileLock,
    ) -> None:
        self.folder = folder
        self.profile_id = profile_id
        self.device_id = device_id
        self._db = Database(engine)
        self._key = key
        self._salt = salt
        self._key_id = key_id
        self._lock = lock
        self.attachment_files = AttachmentFiles(folder)
        self.records = Records(self._db, device_id, self.attachment_files)
        self.catalog = Catalog(self._db)
        self.paradata = Paradata(self._db)
        self.attachments = Attachments(self._db, self.attachment_files)
        self.recordings = Recordings(self._db, self.attachment_files)
        self.settings = Settings(self._db)
        self.sync = SyncLedger(self._db, device_id, self.attachment_files)
        self.relocation = Relocation(self._db)
        self.erasures = Erasures(self._db, device_id, self.attachment_files)

    # -- plumbing ------------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        if self._db.engine is None:
            raise StoreClosed()
        return self._db.engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        self.engine  # noqa: B018 - raises StoreClosed after lock
        return self._db.sessions

    @property
    def is_locked(self) -> bool:
        return self._db.engine is None

    @property
    def key_buffer(self) -> bytearray:
        """The live key buffer; tests check it is zeroed after `lock`."""
        return self._key.buffer()

    def lock(self) -> None:
        """Dispose the engine, zero the data key, release the profile lock. Idempotent."""
        self._db.close()
        self._key.wipe()
        self._lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.lock()

    # -- device --------------------------------------------------------------------
    def device(self) -> DeviceInfo:
        with self._db.read() as s:
            row = s.get(DeviceRow, self.device_id)
            if row is None:
                raise StoreClosed()
            public = signing.public_key(row.signing_key)
            return DeviceInfo(
                id=row.id,
                name=row.name,
                public_key=public,
                fingerprint=signing.fingerprint(public),
                last_sequence=row.last_sequence,
                created=row.created,
            )

    def sign(self, message: bytes) -> bytes:
        """Sign with the device key, which never leaves the database otherwise."""
        with self._db.read() as s:
            row = s.get(DeviceRow, self.device_id)
            if row is None:
                raise StoreClosed()
            return signing.sign(row.signing_key, message)

    # -- backups and checks ----------------------------------------------------------
    def _backup_key(self) -> backup_files.BackupKey:
        return backup_files.BackupKey(self._key, self._salt, self._key_id)

    def backup(self, now: datetime | None = None) -> BackupInfo:
        raw = self.engine.raw_connection()
        try:
            return backup_files.make_backup(
                raw.driver_connection, self.folder, self._backup_key(), now
            )
        finally:
            raw.close()

    def backups(self) -> list[BackupInfo]:
        return backup_files.list_backups(self.folder, self._key_id)

    def backup_if_due(
        self,
        *,
        interval: timedelta = backup_files.DEFAULT_INTERVAL,
        keep_days: int = backup_files.DEFAULT_KEEP_DAYS,
        now: datetime | None = None,
    ) -> BackupInfo | None:
        """Back up if the newest backup is older than ``interval``; prune old ones."""
        moment = now or datetime.now(UTC)
        existing = self.backups()
        made = None
        if not existing or moment - existing[0].created >= interval:
            made = self.backup(moment)
        backup_files.prune(self.folder, keep_days, moment)
        return made

    def check(self, *, full: bool = True) -> IntegrityReport:
        """``PRAGMA cipher_integrity_check`` and ``integrity_check`` (or ``quick_check``);
        ``full`` also reads every attachment file through (missing, refused, or content
        other than its row records)."""
        raw = self.engine.raw_connection()
        try:
            cipher, structural = integrity_problems(raw.driver_connection, full=full)
        finally:
            raw.close()
        attachments: list[str] = []
        if full:
            with self._db.read() as s:
                rows = [
                    (r.id, r.file_key, r.size, r.sha256)
                    for r in s.execute(
                        select(AttachmentRow.id, AttachmentRow.file_key, AttachmentRow.size,
                               AttachmentRow.sha256)
                    )
                ]
            attachments = self.attachment_files.problems(rows)
        return IntegrityReport(tuple(cipher), tuple(structural), tuple(attachments))
