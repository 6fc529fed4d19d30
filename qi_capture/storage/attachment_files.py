"""Attachment files: each attachment's bytes in its own encrypted file in the profile
folder, next to the database::

    attachments/<first 2 hex digits of the id>/<attachment id, 32 hex>.qiatt

A file is sealed with `qi_capture.crypto.chunked` under a random key used for that file
only, which lives in the attachment's row inside the encrypted database (never on disk
in the clear); the attachment id is the associated data, so a file renamed to another
attachment's name is refused. Names carry only the random id.

Files are immutable: written once under a temporary name in their folder, fsynced,
renamed, the folder fsynced, and only then is the row committed. So a file under its
final name is always complete, and a crash can leave only files without a row (orphans)
or temporary files, which `sweep` removes when the profile opens. A file is removed after
the transaction that deleted its row commits; if that removal does not happen (crash,
a reader holding it open on Windows), it is an orphan for the next open, and its key is
gone already.

Reading maps a missing file to `AttachmentFileMissing` and a refused one to
`AttachmentFileDamaged`: wrong bytes are never returned.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import uuid
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

from sqlalchemy import select

from qi_capture.crypto import chunked
from qi_capture.crypto.atomic import atomic_writer, fsync_dir, temp_path_for
from qi_capture.crypto.chunked_reader import ChunkedReader
from qi_capture.crypto.errors import ChunkedFileInvalid
from qi_capture.fileperms import private_dir
from qi_capture.storage.database import Database
from qi_capture.storage.errors import (
    AttachmentFileDamaged,
    AttachmentFileMissing,
    AttachmentNotFound,
    DiskFull,
    WriteFailed,
)
from qi_capture.storage.models import AttachmentChunkRow, AttachmentRow

ATTACHMENTS_DIR = "attachments"
SUFFIX = ".qiatt"
RECORDING_SUFFIX = ".qirec"
_SHARD = re.compile(r"^[0-9a-f]{2}$")
_FILE = re.compile(r"^([0-9a-f]{32})\.qiatt$")
# What `temp_path_for` makes of a file name: ".<name>.<8 hex>.partial".
_TEMP = re.compile(r"^\.[0-9a-f]{32}\.qiatt\.[0-9a-f]{8}\.partial$")


class AttachmentFiles:
    """The ``attachments/`` folder of one profile."""

    def __init__(self, profile_folder: Path) -> None:
        self.root = profile_folder / ATTACHMENTS_DIR

    def path(self, attachment_id: uuid.UUID) -> Path:
        name = attachment_id.hex
        return self.root / name[:2] / f"{name}{SUFFIX}"

    def recording_path(self, attachment_id: uuid.UUID) -> Path:
        """Where a recording is written while it runs (`qi_capture.storage.recordings`)."""
        name = attachment_id.hex
        return self.root / name[:2] / f"{name}{RECORDING_SUFFIX}"

    def relative(self, attachment_id: uuid.UUID) -> str:
        """The file's path inside the profile folder, for messages."""
        name = attachment_id.hex
        return f"{ATTACHMENTS_DIR}/{name[:2]}/{name}{SUFFIX}"

    # -- writing ---------------------------------------------------------------------
    def write(self, attachment_id: uuid.UUID, key: bytes, pieces: Iterable[bytes]) -> int:
        """Encrypt ``pieces`` into the attachment's file, atomically and durably; returns
        the plaintext length. Whatever ``pieces`` raises propagates, and then nothing is
        left on disk. An existing file of that id is replaced (moving a legacy
        attachment again after a crash)."""
        final = self.path(attachment_id)
        self._make_dirs(final.parent)
        temp = temp_path_for(final)
        with _mapped_os_errors(), atomic_writer(final, temp=temp, private=True,
                                                sync_dir=False) as f:
            size = chunked.encrypt_to(f, key, attachment_id.bytes, pieces)
        try:
            with _mapped_os_errors():
                fsync_dir(final.parent)
        except BaseException:
            final.unlink(missing_ok=True)
            raise
        return size

    def make_dirs(self, attachment_id: uuid.UUID) -> None:
        """The shard folder of this id, created durably if missing."""
        self._make_dirs(self.path(attachment_id).parent)

    def _make_dirs(self, shard: Path) -> None:
        # A new folder is durable only once its parent is synced.
        for folder in (self.root, shard):
            if not folder.is_dir():
                with _mapped_os_errors():
                    private_dir(folder)
                    fsync_dir(folder.parent)

    # -- reading ---------------------------------------------------------------------
    def read(self, attachment_id: uuid.UUID, key: bytes, size: int) -> Iterator[bytes]:
        """The authenticated plaintext, one chunk per piece. The file's length is checked
        against ``size`` before the first piece, so only a changed chunk can stop the
        stream part way (with `AttachmentFileDamaged`)."""
        try:
            yield from chunked.decrypt_from(
                self.path(attachment_id), key, attachment_id.bytes, expected_size=size
            )
        except (FileNotFoundError, NotADirectoryError):
            raise AttachmentFileMissing(str(attachment_id), self.relative(attachment_id)) from None
        except ChunkedFileInvalid as exc:
            raise AttachmentFileDamaged(
                str(attachment_id), self.relative(attachment_id), str(exc.params["reason"])
            ) from exc

    def open_seekable(
        self, attachment_id: uuid.UUID, key: bytes, size: int
    ) -> ChunkedReader:
        """The plaintext as a seekable, read-only file object that decrypts one chunk at
        a time (audio playback seeks). Its length is checked against ``size`` at once."""
        try:
            raw = self.path(attachment_id).open("rb")
        except (FileNotFoundError, NotADirectoryError):
            raise AttachmentFileMissing(str(attachment_id), self.relative(attachment_id)) from None
        try:
            return ChunkedReader(raw, key, attachment_id.bytes, expected_size=size)
        except ChunkedFileInvalid as exc:
            raw.close()
            raise AttachmentFileDamaged(
                str(attachment_id), self.relative(attachment_id), str(exc.params["reason"])
            ) from exc
        except BaseException:
            raw.close()
            raise

    # -- removing ----------------------------------------------------------------------
    def remove(self, attachment_ids: Iterable[uuid.UUID]) -> None:
        """Unlink these files (after their rows' deletion committed). A file that cannot
        be removed now stays as an orphan for `sweep`; its key is already gone."""
        for attachment_id in attachment_ids:
            with contextlib.suppress(OSError):
                self.path(attachment_id).unlink(missing_ok=True)

    def sweep(self, keep: Collection[uuid.UUID], *, set_aside: Path | None = None) -> int:
        """Remove temporary files and attachment files whose id is not in ``keep`` (the
        ids of every attachment row). Only names this module writes are touched; a file
        with a row is never removed. With ``set_aside``, attachment files are moved into
        that folder instead of deleted (a restored backup: their keys are in the
        database set aside as damaged). Returns how many files were removed or moved."""
        removed = 0
        if not self.root.is_dir():
            return removed
        with os.scandir(self.root) as shards:
            folders = [Path(e.path) for e in shards
                       if _SHARD.match(e.name) and e.is_dir(follow_symlinks=False)]
        for folder in folders:
            with os.scandir(folder) as entries:
                names = [e.name for e in entries if e.is_file(follow_symlinks=False)]
            for name in names:
                match = _FILE.match(name)
                if match is not None:
                    if match[1][:2] != folder.name:
                        continue  # not where we would have put it: not ours to judge
                    if uuid.UUID(hex=match[1]) in keep:
                        continue
                elif not _TEMP.match(name):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    if set_aside is not None and match is not None:
                        private_dir(set_aside, parents=True)
                        (folder / name).replace(set_aside / name)
                    else:
                        (folder / name).unlink()
                    removed += 1
        if set_aside is not None and set_aside.is_dir():
            fsync_dir(set_aside)
        return removed

    # -- checking ------------------------------------------------------------------------
    def problems(
        self, rows: Iterable[tuple[uuid.UUID, bytes | None, int, str]]
    ) -> list[str]:
        """Read every file in full: one line per attachment ``(id, key, size, sha256)``
        whose file is missing, refused, unreadable, or holds other content than the row
        records. Rows without a key (bytes still in the database) are skipped: the
        database checks cover them."""
        found: list[str] = []
        for attachment_id, key, size, sha256 in rows:
            if key is None:
                continue
            where = f"attachment {attachment_id} ({self.relative(attachment_id)})"
            digest = hashlib.sha256()
            length = 0
            try:
                for piece in self.read(attachment_id, key, size):
                    digest.update(piece)
                    length += len(piece)
            except AttachmentFileMissing:
                found.append(f"{where}: the file is missing")
                continue
            except AttachmentFileDamaged as exc:
                found.append(f"{where}: the file is refused ({exc.params['reason']})")
                continue
            except OSError as exc:
                found.append(f"{where}: the file cannot be read ({exc.strerror or exc})")
                continue
            if length != size or digest.hexdigest() != sha256:
                found.append(f"{where}: the content does not match its recorded size and SHA-256")
        return found


def read_pieces(db: Database, files: AttachmentFiles, attachment_id: uuid.UUID) -> Iterator[bytes]:
    """An attachment's bytes in order: from its file, or (an attachment not moved yet)
    from its BLOB chunks in one read transaction. Raises `AttachmentNotFound`,
    `AttachmentFileMissing`, `AttachmentFileDamaged`."""
    with db.read() as s:
        row = s.get(AttachmentRow, attachment_id)
        if row is None:
            raise AttachmentNotFound(str(attachment_id))
        key, size, count = row.file_key, row.size, row.chunk_count
        if key is None:
            seen = 0
            rows = s.execute(
                select(AttachmentChunkRow.data)
                .where(AttachmentChunkRow.attachment_id == attachment_id)
                .order_by(AttachmentChunkRow.idx)
                .execution_options(yield_per=4)
            )
            for (data,) in rows:
                seen += 1
                yield data
            if seen != count:
                raise AttachmentNotFound(str(attachment_id))
            return
    yield from files.read(attachment_id, key, size)


@contextlib.contextmanager
def _mapped_os_errors() -> Iterator[None]:
    """The file counterpart of `Database`'s error mapping: the same `DiskFull` and
    `WriteFailed` whether SQLite or an attachment file hit the limit."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            raise DiskFull() from exc
        if exc.errno in (errno.EIO, errno.EFBIG):
            raise WriteFailed() from exc
        raise
