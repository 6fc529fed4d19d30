"""The quarantine folder: bundles from devices nobody has enrolled, kept as files.

Anyone holding the study pack can send bundles from a fresh key, so what they cost the
admin is bounded:

- a bundle is copied as a stream (a block at a time, hashed on the way), never read
  whole; it stays the age file it came as (encrypted to the study's keys), written to a
  temporary name, fsynced and renamed, so no file under its final name is partial;
- each bundle is at most `QuarantineFolder.bundle_bytes`, and the folder as a whole at
  most `QuarantineFolder.total_bytes` (both from the study policy): over either, the
  bundle is refused (`QuarantineBundleTooLarge`, `QuarantineFull`) and nothing is kept;
- files are named ``<SHA-256 of the file>.qibundle`` (the central store's quarantine
  row, keyed by the same hash, says which device sent it), readable by the owner alone.

Where the folder is: ``quarantine/`` in the admin profile folder that holds the study's
keys. For a central folder that is inside the central store (``DIR/admin/quarantine``);
for PostgreSQL it is the ``--admin DIR`` profile on the machine that merged, so the
encrypted bundles never go to the database server. A bundle quarantined on another
machine is merged there, or by merging its file again once the device is enrolled.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from qi_capture.central.errors import (
    QuarantineBundleTooLarge,
    QuarantineFull,
    QuarantineSourceChanged,
)
from qi_capture.crypto.atomic import atomic_writer, fsync_dir

QUARANTINE_DIR = "quarantine"
SUFFIX = ".qibundle"
PARTIAL = ".partial"
BLOCK = 1024 * 1024
#: A temporary file older than this was left by a crash (a copy takes seconds).
STALE_SECONDS = 3600
_SHA = re.compile(r"[0-9a-f]{64}")


class QuarantineFolder:
    """One quarantine folder and its two limits (bytes)."""

    def __init__(self, folder: Path, *, bundle_bytes: int, total_bytes: int) -> None:
        self.folder = folder
        self.bundle_bytes = bundle_bytes
        self.total_bytes = total_bytes

    def path(self, file_sha256: str) -> Path:
        if _SHA.fullmatch(file_sha256) is None:
            raise ValueError("not a SHA-256 in hex")
        return self.folder / f"{file_sha256}{SUFFIX}"

    def has(self, file_sha256: str) -> bool:
        return self.path(file_sha256).is_file()

    def used_bytes(self) -> int:
        """What the folder holds now, temporary files included (they take the disk too)."""
        if not self.folder.is_dir():
            return 0
        total = 0
        for entry in os.scandir(self.folder):
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
        return total

    def keep(self, source: BinaryIO, *, size: int, file_sha256: str) -> Path:
        """Copy ``source`` (``size`` bytes, whose SHA-256 is ``file_sha256``) into the
        folder, within the limits. Already there: nothing is copied. The bytes copied
        are hashed on the way; if they are not the ones hashed before (the file changed
        meanwhile), nothing is kept (`QuarantineSourceChanged`)."""
        final = self.path(file_sha256)
        if final.is_file():
            return final
        if size > self.bundle_bytes:
            raise QuarantineBundleTooLarge(size, self.bundle_bytes)
        used = self.used_bytes()
        if used + size > self.total_bytes:
            raise QuarantineFull(size, used, self.total_bytes)
        self._make_folder()
        partial = self.folder / f".{file_sha256[:16]}.{secrets.token_hex(4)}{PARTIAL}"
        digest = hashlib.sha256()
        copied = 0
        # 0600 from the start: the bytes are encrypted, the file is ours.
        with atomic_writer(final, temp=partial, private=True) as out:
            source.seek(0)
            while block := source.read(BLOCK):
                copied += len(block)
                if copied > size:
                    break
                digest.update(block)
                out.write(block)
            if copied != size or digest.hexdigest() != file_sha256:
                raise QuarantineSourceChanged()
        return final

    def remove(self, file_sha256: str) -> None:
        path = self.path(file_sha256)
        if path.exists():
            path.unlink()
            fsync_dir(self.folder)

    def sweep(self, waiting: Iterable[str], *, now: float | None = None) -> int:
        """Remove what no quarantine row waits for: files a crash left between the copy
        and the row's commit, or after a merge and before the removal, and temporary
        files. Only files older than `STALE_SECONDS` go, so a copy or merge running at
        the same moment in another process is never touched. Returns how many went."""
        if not self.folder.is_dir():
            return 0
        keep = {f"{sha}{SUFFIX}" for sha in waiting}
        limit = (time.time() if now is None else now) - STALE_SECONDS
        removed = 0
        for entry in os.scandir(self.folder):
            if entry.name in keep or not entry.is_file(follow_symlinks=False):
                continue
            if not (entry.name.endswith(SUFFIX) or entry.name.endswith(PARTIAL)):
                continue
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_mtime < limit:
                    Path(entry.path).unlink()
                    removed += 1
        return removed

    def _make_folder(self) -> None:
        if not self.folder.is_dir():
            self.folder.mkdir(mode=0o700, parents=False, exist_ok=True)
            fsync_dir(self.folder.parent)
