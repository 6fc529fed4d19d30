"""Attachments (audio, photos, files): each in its own encrypted file in the profile
folder, its random key in its row inside the encrypted database (crypto-shredding:
deleting the row destroys the key). See `qi_capture.storage.attachment_files` for the
files and their life cycle.

`Attachments.add` streams: the input is read, hashed and encrypted `CHUNK_BYTES` at a
time into a temporary file, which is fsynced and renamed before the row is inserted in
one transaction, so memory use stays at one chunk and a crash leaves either the whole
attachment (file and row) or no row at all. The write transaction lasts only for the
insert, not for the copy.

`Attachments.settle` runs when the profile opens: it removes files left without a row by
a crash, and moves attachments written before migration 0004 (BLOB chunks inside the
database) into files.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator
from typing import BinaryIO

from sqlalchemy import delete, select

from qi_capture.crypto import chunked
from qi_capture.crypto.chunked_reader import ChunkedReader
from qi_capture.storage.attachment_files import AttachmentFiles, read_pieces
from qi_capture.storage.database import Database
from qi_capture.storage.dto import AttachmentInfo
from qi_capture.storage.errors import (
    AttachmentNotFound,
    AttachmentTooLarge,
    DiskFull,
    RecordNotFound,
    WriteFailed,
)
from qi_capture.storage.models import AttachmentChunkRow, AttachmentRow, RecordRow, utcnow

CHUNK_BYTES = chunked.CHUNK_BYTES
DEFAULT_MAX_BYTES = 200 * 1024 * 1024  # about three hours of 128 kbit/s interview audio

log = logging.getLogger(__name__)


def _info(row: AttachmentRow) -> AttachmentInfo:
    return AttachmentInfo(
        id=row.id,
        record_id=row.record_id,
        name=row.name,
        media_type=row.media_type,
        size=row.size,
        sha256=row.sha256,
        created=row.created,
    )


class Attachments:
    def __init__(self, db: Database, files: AttachmentFiles) -> None:
        self._db = db
        self._files = files

    def add(
        self,
        record_id: uuid.UUID,
        name: str,
        media_type: str,
        stream: BinaryIO,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> AttachmentInfo:
        """Store ``stream`` (read to its end) as an attachment of ``record_id``. Raises
        `RecordNotFound`, or `AttachmentTooLarge` past ``max_bytes``; either way, and on
        any other failure, nothing is left: no row, no file."""
        with self._db.read() as s:
            if s.get(RecordRow, record_id) is None:
                raise RecordNotFound(str(record_id))
        attachment_id = uuid.uuid4()
        key = chunked.new_key()
        digest = hashlib.sha256()
        size = 0

        def pieces() -> Iterator[bytes]:
            nonlocal size
            while chunk := stream.read(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise AttachmentTooLarge(max_bytes)  # the file is discarded
                digest.update(chunk)
                yield chunk

        self._files.write(attachment_id, key, pieces())
        try:
            with self._db.write() as s:
                if s.get(RecordRow, record_id) is None:  # deleted meanwhile
                    raise RecordNotFound(str(record_id))
                row = AttachmentRow(
                    id=attachment_id,
                    record_id=record_id,
                    name=name,
                    media_type=media_type,
                    size=size,
                    sha256=digest.hexdigest(),
                    chunk_count=0,
                    created=utcnow(),
                    file_key=key,
                )
                s.add(row)
                s.flush()
                info = _info(row)
        except BaseException:
            self._files.remove([attachment_id])
            raise
        return info

    def list(self, record_id: uuid.UUID) -> list[AttachmentInfo]:
        with self._db.read() as s:
            rows = s.scalars(
                select(AttachmentRow)
                .where(AttachmentRow.record_id == record_id)
                .order_by(AttachmentRow.created)
            )
            return [_info(r) for r in rows]

    def read(self, attachment_id: uuid.UUID) -> Iterator[bytes]:
        """The attachment's bytes, one authenticated chunk at a time. Raises
        `AttachmentNotFound` (no such attachment), `AttachmentFileMissing` or
        `AttachmentFileDamaged` (its file is gone or refused: never wrong bytes)."""
        return read_pieces(self._db, self._files, attachment_id)

    def open_seekable(self, attachment_id: uuid.UUID) -> ChunkedReader:
        """The attachment as a seekable, read-only file object that decrypts one chunk
        at a time (audio playback). Raises `AttachmentNotFound`, `AttachmentFileMissing`,
        `AttachmentFileDamaged`."""
        with self._db.read() as s:
            row = s.get(AttachmentRow, attachment_id)
            if row is None or row.file_key is None:  # none left after settle() at open
                raise AttachmentNotFound(str(attachment_id))
            key, size = row.file_key, row.size
        return self._files.open_seekable(attachment_id, key, size)

    def delete(self, attachment_id: uuid.UUID) -> None:
        """Delete the row (and with it the key), then the file."""
        with self._db.write() as s:
            row = s.get(AttachmentRow, attachment_id)
            if row is None:
                raise AttachmentNotFound(str(attachment_id))
            s.delete(row)
        self._files.remove([attachment_id])

    # -- at open -------------------------------------------------------------------------
    def settle(self) -> tuple[int, int]:
        """Run once when the profile opens, before anything else uses the store: remove
        orphaned and temporary files, then move attachments still stored as BLOB chunks
        (written before migration 0004) into files. Returns (files removed, attachments
        moved).

        Each move writes the file (fsynced, renamed) and then, in one transaction, sets
        the row's key and deletes its chunks; killed in between, the next open writes the
        file again under a new key. A move that fails for lack of space or an I/O error
        stops the moving (logged); those attachments stay readable from their chunks and
        the next open tries again. After a move the database is vacuumed once, so it and
        its backups shrink by the bytes that left."""
        with self._db.read() as s:
            ids = set(s.scalars(select(AttachmentRow.id)))
            legacy = list(
                s.scalars(
                    select(AttachmentRow.id)
                    .where(AttachmentRow.file_key.is_(None))
                    .order_by(AttachmentRow.created, AttachmentRow.id)
                )
            )
        removed = self._files.sweep(ids)
        moved = 0
        for attachment_id in legacy:
            try:
                self._move_to_file(attachment_id)
            except AttachmentNotFound:
                # Its chunks are incomplete: leave it as it is (reading it says so, and
                # the database checks report the damage) rather than refuse to open.
                log.warning("attachments: %s has incomplete chunks; not moved", attachment_id)
                continue
            except (OSError, DiskFull, WriteFailed) as exc:
                log.warning(
                    "attachments: %d of %d not moved out of the database yet (%s); "
                    "they stay readable and the next open tries again",
                    len(legacy) - moved, len(legacy), type(exc).__name__,
                )
                break
            moved += 1
        if moved:
            self._db.vacuum()
            log.info("attachments: %d moved from the database into files", moved)
        if removed:
            log.info("attachments: %d orphaned file(s) removed", removed)
        return removed, moved

    def _move_to_file(self, attachment_id: uuid.UUID) -> None:
        key = chunked.new_key()  # a fresh key for every write, even of the same bytes
        self._files.write(attachment_id, key, read_pieces(self._db, self._files, attachment_id))
        try:
            with self._db.write() as s:
                row = s.get(AttachmentRow, attachment_id)
                if row is None or row.file_key is not None:  # not at open, but be sure
                    raise AttachmentNotFound(str(attachment_id))
                row.file_key, row.chunk_count = key, 0
                s.execute(
                    delete(AttachmentChunkRow).where(
                        AttachmentChunkRow.attachment_id == attachment_id
                    )
                )
        except BaseException:
            self._files.remove([attachment_id])
            raise
