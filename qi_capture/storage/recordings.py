"""Attachments written while they are made (interview audio): encrypted from the first
byte, readable after a crash.

`Recordings.begin` stores a fresh key in a `RecordingRow` (committed) before it creates
``attachments/<shard>/<id>.qirec``; the `RecordingWriter` then seals small chunks
(`CHUNK_BYTES`) into that file as the encoder hands it bytes, each written through to the
operating system at once and fsynced on `RecordingWriter.sync` (the recorder calls it
every few seconds). So a killed process loses at most the chunk being filled, and a power
cut what was written since the last sync.

`RecordingWriter.finish` seals the final chunk, fsyncs, renames the file to its attachment
name and then, in one transaction, replaces the recording row by an `AttachmentRow` with
the same id, key, size and SHA-256: from then on it is an attachment like any other.

`Recordings.recover` runs when the profile opens (before the orphan sweep): each
recording row left by a crash becomes an attachment of what its file holds up to the last
authenticated chunk (`qi_capture.crypto.chunked_salvage`), re-encrypted under a new key
into a sealed file; a recording file without a row is removed. What was cut is the
container's concern: an Ogg stream cut part way through a page still decodes up to the
last whole page (tested in the audio tests).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from qi_capture.crypto import chunked
from qi_capture.crypto.atomic import fsync_dir
from qi_capture.crypto.chunked_salvage import salvage
from qi_capture.crypto.errors import ChunkedFileInvalid
from qi_capture.fileperms import open_private
from qi_capture.storage.attachment_files import AttachmentFiles
from qi_capture.storage.attachments import _info
from qi_capture.storage.database import Database
from qi_capture.storage.dto import AttachmentInfo
from qi_capture.storage.errors import RecordNotFound
from qi_capture.storage.models import AttachmentRow, RecordingRow, RecordRow, utcnow

# The smallest chunk the format allows: at speech-quality Opus (~20 kbit/s) one chunk is
# about 1.6 s of audio, so a kill loses little more than that (the page being filled in
# the encoder adds up to a second).
CHUNK_BYTES = chunked.MIN_CHUNK_BYTES

log = logging.getLogger(__name__)


class RecordingWriter:
    """The encrypted file of one recording in progress: a binary sink for an encoder
    (``write``), made durable by ``sync``; ``finish`` makes it an attachment, ``abandon``
    deletes it. Not thread-safe: one writer thread."""

    def __init__(
        self, db: Database, files: AttachmentFiles, row: RecordingRow, out: BinaryIO
    ) -> None:
        self.id = row.id
        self._db = db
        self._files = files
        self._record_id = row.record_id
        self.name = row.name
        self._media_type = row.media_type
        self._key = row.file_key
        self._out = out
        self._sealer = chunked.ChunkedWriter(out, row.file_key, row.id.bytes,
                                             chunk_size=CHUNK_BYTES)
        out.flush()  # the header
        self._digest = hashlib.sha256()
        self.size = 0
        self._done = False

    def write(self, data: bytes | bytearray | memoryview) -> int:
        piece = bytes(data)
        self._sealer.write(piece)
        self._digest.update(piece)
        self.size += len(piece)
        # Sealed chunks go to the OS at once: a killed process loses only the chunk
        # being filled. Durability against power loss is `sync`'s job.
        self._out.flush()
        return len(piece)

    def sync(self) -> None:
        self._out.flush()
        os.fsync(self._out.fileno())

    def finish(self) -> AttachmentInfo:
        """Seal, rename and commit: returns the attachment. Raises `RecordNotFound` if the
        record was deleted meanwhile (the recording is then removed)."""
        self._check_open()
        self._sealer.close()
        self.sync()
        self._out.close()
        self._done = True
        partial = self._files.recording_path(self.id)
        final = self._files.path(self.id)
        partial.replace(final)
        fsync_dir(final.parent)
        try:
            with self._db.write() as s:
                if s.get(RecordRow, self._record_id) is None:
                    raise RecordNotFound(str(self._record_id))
                recording = s.get(RecordingRow, self.id)
                if recording is not None:
                    s.delete(recording)
                row = AttachmentRow(
                    id=self.id, record_id=self._record_id, name=self.name,
                    media_type=self._media_type, size=self.size,
                    sha256=self._digest.hexdigest(), chunk_count=0, created=utcnow(),
                    file_key=self._key,
                )
                s.add(row)
                s.flush()
                return _info(row)
        except RecordNotFound:
            self._files.remove([self.id])
            raise

    def abandon(self) -> None:
        """Delete the recording (file and row). Idempotent."""
        if not self._done:
            self._done = True
            with contextlib.suppress(OSError):
                self._out.close()
        self._files.recording_path(self.id).unlink(missing_ok=True)
        with self._db.write() as s:
            row = s.get(RecordingRow, self.id)
            if row is not None:
                s.delete(row)

    def _check_open(self) -> None:
        if self._done:
            raise ValueError("this recording is finished")


class Recordings:
    def __init__(self, db: Database, files: AttachmentFiles) -> None:
        self._db = db
        self._files = files

    def begin(self, record_id: uuid.UUID, name: str, media_type: str) -> RecordingWriter:
        """Start a recording attached to ``record_id``: its key is committed before its
        file exists. Raises `RecordNotFound`."""
        attachment_id = uuid.uuid4()
        with self._db.write() as s:
            if s.get(RecordRow, record_id) is None:
                raise RecordNotFound(str(record_id))
            row = RecordingRow(id=attachment_id, record_id=record_id, name=name,
                               media_type=media_type, created=utcnow(),
                               file_key=chunked.new_key())
            s.add(row)
        self._files.make_dirs(attachment_id)
        path = self._files.recording_path(attachment_id)
        try:
            out = open_private(path)
        except BaseException:
            with self._db.write() as s:
                gone = s.get(RecordingRow, attachment_id)
                if gone is not None:
                    s.delete(gone)
            raise
        fsync_dir(path.parent)
        return RecordingWriter(self._db, self._files, row, out)

    def recover(self) -> list[AttachmentInfo]:
        """Finish every recording a crash left (see the module docstring) and remove
        recording files without a row. Returns the attachments made."""
        with self._db.read() as s:
            rows = list(s.scalars(select(RecordingRow).order_by(RecordingRow.created)))
        made: list[AttachmentInfo] = []
        for row in rows:
            info = self._recover_one(row)
            if info is not None:
                made.append(info)
        self._remove_strays({r.id for r in rows})
        return made

    def _recover_one(self, row: RecordingRow) -> AttachmentInfo | None:
        partial = self._files.recording_path(row.id)
        final = self._files.path(row.id)
        source = partial if partial.exists() else final if final.exists() else None
        digest = hashlib.sha256()
        size = 0

        def pieces(path: Path) -> Iterator[bytes]:
            nonlocal size
            for piece in salvage(path, row.file_key, row.id.bytes):
                digest.update(piece)
                size += len(piece)
                yield piece

        key = chunked.new_key()  # a fresh key: the old one sealed other bytes as chunk n
        if source is not None:
            try:
                self._files.write(row.id, key, pieces(source))
            except ChunkedFileInvalid:
                size = 0
        with self._db.write() as s:
            current = s.get(RecordingRow, row.id)
            if current is not None:
                s.delete(current)
            info = None
            if size and s.get(RecordRow, row.record_id) is not None:
                attachment = AttachmentRow(
                    id=row.id, record_id=row.record_id, name=row.name,
                    media_type=row.media_type, size=size, sha256=digest.hexdigest(),
                    chunk_count=0, created=row.created, file_key=key,
                )
                s.add(attachment)
                s.flush()
                info = _info(attachment)
        if info is None:
            self._files.remove([row.id])
        partial.unlink(missing_ok=True)
        log.info("recordings: one recording left by a crash was %s",
                 "kept" if info is not None else "empty and removed")
        return info

    def _remove_strays(self, known: set[uuid.UUID]) -> None:
        root = self._files.root
        if not root.is_dir():
            return
        for path in root.glob("??/*.qirec"):
            try:
                attachment_id = uuid.UUID(hex=path.stem)
            except ValueError:
                continue
            if attachment_id not in known and path.name == f"{attachment_id.hex}.qirec":
                path.unlink(missing_ok=True)
