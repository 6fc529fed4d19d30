"""The central store's attachments: encrypted files beside the database, not rows in it,
so that hours of interview audio neither bloat the database nor its backups.

Where the files are:

- a central folder (SQLCipher): ``<admin profile>/central-attachments/``;
- PostgreSQL: a folder the admins configure (``QI_CENTRAL_ATTACHMENTS``, one shared
  folder for every admin of the store).

Each file is sealed with `qi_capture.crypto.chunked` under a random key used for that file
only, kept in the attachment's row (``central_attachment.file_key``); the attachment id is
the associated data. The layout, atomic writes, reading and orphan sweeping are the
laptop's (`qi_capture.storage.attachment_files.AttachmentFiles`), under another folder
name so that the admin profile's own attachment sweep never sees these files.

Order of work, as on the laptop: a row is inserted first, the file is written under a
temporary name, fsynced and renamed, and the transaction commits last; a file is removed
only after its row's deletion committed. So a crash leaves at most orphan files, which
`sweep_orphans` removes (on a central folder only: on PostgreSQL another admin's merge may
be writing a file whose row is not committed yet).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, select

from qi_capture.central import sql
from qi_capture.central.bundle import BundleAttachment
from qi_capture.central.errors import AttachmentNotFound, AttachmentsFolderMissing
from qi_capture.central.models import CentralAttachmentRow
from qi_capture.crypto import chunked
from qi_capture.crypto.chunked_reader import ChunkedReader
from qi_capture.storage.attachment_files import AttachmentFiles

#: The folder of a central folder's attachment files, inside the admin profile.
FOLDER_NAME = "central-attachments"
#: Where a PostgreSQL store's attachment files are, when not passed explicitly.
FOLDER_VARIABLE = "QI_CENTRAL_ATTACHMENTS"

_ATT = sql.table(CentralAttachmentRow)


class CentralAttachmentFiles(AttachmentFiles):
    """The attachment files of one central store, in ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def relative(self, attachment_id: uuid.UUID) -> str:
        name = attachment_id.hex
        return str(self.root / name[:2] / f"{name}.qiatt")


def folder_for_postgres(explicit: Path | None) -> Path | None:
    """A PostgreSQL store's attachments folder: the one given, else the variable's."""
    if explicit is not None:
        return explicit
    value = os.environ.get(FOLDER_VARIABLE, "").strip()
    return Path(value) if value else None


class Attachments:
    """Reading, writing and removing a central store's attachments. ``files`` is None for
    a PostgreSQL store opened without a folder: then any use of a file raises
    `AttachmentsFolderMissing` (with ``target`` named), and listing still works."""

    def __init__(self, engine: Engine, files: CentralAttachmentFiles | None, target: str) -> None:
        self.engine = engine
        self._files = files
        self._target = target

    @property
    def files(self) -> CentralAttachmentFiles:
        if self._files is None:
            raise AttachmentsFolderMissing(self._target)
        return self._files

    # -- merge ----------------------------------------------------------------------------
    def store(self, conn: Connection, attachments: Iterable[BundleAttachment]) -> int:
        """Inside a merge's transaction: the attachments not stored yet, each streamed from
        the bundle into its encrypted file (memory: one chunk, whatever the length).
        Returns how many files were written."""
        items = list(attachments)
        if not items:
            return 0
        ids = sorted({a.id for a in items})
        known = set(conn.scalars(select(_ATT.c.id).where(_ATT.c.id.in_(ids))))
        written = 0
        done: set[uuid.UUID] = set()
        for a in sorted(items, key=lambda a: a.id):
            if a.id in known or a.id in done:
                continue
            done.add(a.id)
            files = self.files
            sql.insert_ignore(conn, _ATT, [{
                "id": a.id, "record_id": a.record_id, "name": a.name,
                "media_type": a.media_type, "size": a.size, "sha256": a.sha256,
                "chunk_count": a.size // chunked.CHUNK_BYTES + 1,
                "file_key": chunked.new_key(),
            }])
            # Another admin's merge (PostgreSQL) may have inserted the row first: the
            # file must be sealed under the key that is in the row.
            key = conn.scalar(select(_ATT.c.file_key).where(_ATT.c.id == a.id))
            assert isinstance(key, bytes)
            files.write(a.id, key, a.pieces())
            written += 1
        return written

    # -- reading --------------------------------------------------------------------------
    def _row(self, attachment_id: uuid.UUID) -> tuple[bytes, int]:
        with self.engine.connect() as conn:
            row = conn.execute(select(_ATT.c.file_key, _ATT.c.size)
                               .where(_ATT.c.id == attachment_id)).one_or_none()
        if row is None:
            raise AttachmentNotFound(str(attachment_id))
        return bytes(row.file_key), int(row.size)

    def open(self, attachment_id: uuid.UUID) -> ChunkedReader:
        """The plaintext as a seekable read-only stream that decrypts one chunk at a time
        (for playback): nothing of it is ever written to disk."""
        key, size = self._row(attachment_id)
        return self.files.open_seekable(attachment_id, key, size)

    def read(self, attachment_id: uuid.UUID) -> Iterator[bytes]:
        """The authenticated plaintext in pieces (exports)."""
        key, size = self._row(attachment_id)
        yield from self.files.read(attachment_id, key, size)

    # -- removing -------------------------------------------------------------------------
    def remove_record_attachments(self, record_id: uuid.UUID) -> int:
        """Delete one record's attachment rows (their keys with them) and then their files:
        once the rows are gone the files cannot be decrypted, even if one could not be
        unlinked (it is swept later). Returns how many attachments were removed."""
        with self.engine.begin() as conn:
            ids = list(conn.scalars(select(_ATT.c.id).where(_ATT.c.record_id == record_id)))
            if ids:
                conn.execute(delete(_ATT).where(_ATT.c.id.in_(ids)))
        if ids and self._files is not None:
            self._files.remove(ids)
        return len(ids)

    def remove_files(self, attachment_ids: Sequence[uuid.UUID]) -> None:
        """Unlink the files of attachments whose rows (and keys) a committed transaction
        deleted (an erasure). Without a folder there is nothing here to remove."""
        if attachment_ids and self._files is not None:
            self._files.remove(attachment_ids)

    def sweep_orphans(self) -> int:
        """Remove files without a row and temporary files (a central folder only)."""
        if self._files is None:
            return 0
        with self.engine.connect() as conn:
            keep = set(conn.scalars(select(_ATT.c.id)))
        return self._files.sweep(keep)


def remove_record_attachments(attachments: Attachments, record_id: uuid.UUID) -> int:
    """The erasure's entry point: one record's attachment files and key rows removed
    (see `Attachments.remove_record_attachments`)."""
    return attachments.remove_record_attachments(record_id)
