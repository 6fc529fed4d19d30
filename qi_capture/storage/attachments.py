"""Attachments (audio, photos, files) as chunked BLOBs inside the encrypted database.

A file is streamed in `CHUNK_BYTES` pieces within one transaction, so a crash leaves
either the whole attachment or none of it, and memory use stays at one chunk.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from typing import BinaryIO

from sqlalchemy import select

from qi_capture.storage.database import Database
from qi_capture.storage.dto import AttachmentInfo
from qi_capture.storage.errors import AttachmentNotFound, AttachmentTooLarge, RecordNotFound
from qi_capture.storage.models import AttachmentChunkRow, AttachmentRow, RecordRow, utcnow

CHUNK_BYTES = 256 * 1024
DEFAULT_MAX_BYTES = 200 * 1024 * 1024  # about three hours of 128 kbit/s interview audio


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
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self,
        record_id: uuid.UUID,
        name: str,
        media_type: str,
        stream: BinaryIO,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> AttachmentInfo:
        attachment_id = uuid.uuid4()
        digest = hashlib.sha256()
        size = 0
        with self._db.write() as s:
            if s.get(RecordRow, record_id) is None:
                raise RecordNotFound(str(record_id))
            row = AttachmentRow(
                id=attachment_id,
                record_id=record_id,
                name=name,
                media_type=media_type,
                size=0,
                sha256="",
                chunk_count=0,
                created=utcnow(),
            )
            s.add(row)
            s.flush()
            index = 0
            while chunk := stream.read(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise AttachmentTooLarge(max_bytes)  # rolls the whole attachment back
                digest.update(chunk)
                s.add(AttachmentChunkRow(attachment_id=attachment_id, idx=index, data=chunk))
                index += 1
                s.flush()  # hand each chunk to SQLite now rather than holding them all
                s.expunge_all()
                s.add(row)
            row.size, row.sha256, row.chunk_count = size, digest.hexdigest(), index
            s.flush()
            return _info(row)

    def list(self, record_id: uuid.UUID) -> list[AttachmentInfo]:
        with self._db.read() as s:
            rows = s.scalars(
                select(AttachmentRow)
                .where(AttachmentRow.record_id == record_id)
                .order_by(AttachmentRow.created)
            )
            return [_info(r) for r in rows]

    def read(self, attachment_id: uuid.UUID) -> Iterator[bytes]:
        """The attachment's bytes, one chunk at a time (each chunk its own short read)."""
        with self._db.read() as s:
            row = s.get(AttachmentRow, attachment_id)
            if row is None:
                raise AttachmentNotFound(str(attachment_id))
            count = row.chunk_count
        for index in range(count):
            with self._db.read() as s:
                chunk = s.get(AttachmentChunkRow, (attachment_id, index))
                if chunk is None:
                    raise AttachmentNotFound(str(attachment_id))
                data = chunk.data
            yield data

    def delete(self, attachment_id: uuid.UUID) -> None:
        with self._db.write() as s:
            row = s.get(AttachmentRow, attachment_id)
            if row is None:
                raise AttachmentNotFound(str(attachment_id))
            s.delete(row)
