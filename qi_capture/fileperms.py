"""Files only their owner can read: profile and central folders 0700, their files 0600.

On a shared Linux or macOS machine, a database, key file or backup created 0644 (the usual
umask) is readable by every other account: encrypted, but open to offline guessing by
anyone. So, on POSIX:

- folders the app owns (a profile, the profiles root, a central folder, attachments,
  backups, logs) are created 0700 (``private_dir``), parents included;
- files the app writes there are created 0600 from the first byte (``open_private``,
  ``create_private``: ``os.open`` with the mode, never a chmod after writing);
- files another library creates (SQLite's database: its ``-wal``/``-shm``/journal take the
  database file's mode, so pre-creating the database 0600 covers them) are created empty
  0600 beforehand, or tightened right after (``restrict``) before anything is in them;
- ``loose_modes`` lists whatever is looser (``profile check`` reports it).

The process umask is never changed: it is process-wide, so setting it "around" a creation
would race with the UI's worker threads. Windows has no mode bits (its per-user
application-data folder is private through ACLs), so there these functions only create.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import BinaryIO

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
POSIX = os.name == "posix"


def private_dir(path: Path, *, parents: bool = False) -> Path:
    """Create ``path`` (and with ``parents`` any missing parents) as 0700; an existing
    ``path`` is tightened to 0700 (existing parents are left as they are: they may be the
    user's own folders)."""
    if parents and not path.parent.exists():
        private_dir(path.parent, parents=True)
    try:
        path.mkdir(mode=PRIVATE_DIR_MODE)
    except FileExistsError:
        if not path.is_dir():
            raise
    if POSIX:
        path.chmod(PRIVATE_DIR_MODE)
    return path


def open_private(path: Path, *, exclusive: bool = True) -> BinaryIO:
    """Open ``path`` for writing, created 0600 (``exclusive``: it must not exist)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    flags |= getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, PRIVATE_FILE_MODE)
    try:
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def create_private(path: Path) -> None:
    """Create ``path`` empty and 0600 if it does not exist (so a library that opens it
    later, such as SQLite, keeps that mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def restrict(path: Path) -> None:
    """Tighten a file someone else created to 0600 (no-op off POSIX or if it is gone)."""
    if POSIX:
        with contextlib.suppress(FileNotFoundError):
            path.chmod(PRIVATE_FILE_MODE)


def loose_modes(folder: Path) -> list[str]:
    """Every folder (from ``folder`` down) and file open to group or others, as
    ``"<relative path>: mode 0644, should be 0600"`` lines; [] off POSIX. Symlinks are
    reported too: the app never makes them, so one is somebody else's doing."""
    if not POSIX or not folder.is_dir():
        return []
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        _check(here, folder, PRIVATE_DIR_MODE, found)
        for name in files:
            _check(here / name, folder, PRIVATE_FILE_MODE, found)
        for name in list(dirs):
            if (here / name).is_symlink():
                found.append(f"{(here / name).relative_to(folder)}: a symbolic link")
                dirs.remove(name)
    return found


def _check(path: Path, folder: Path, wanted: int, found: list[str]) -> None:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return  # removed while walking (a -wal checkpointed away)
    rel = "." if path == folder else str(path.relative_to(folder))
    if stat.S_ISLNK(info.st_mode):
        found.append(f"{rel}: a symbolic link")
        return
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:  # any group or other bit: the owner's own bits are the owner's business
        found.append(f"{rel}: mode {mode:04o}, should be {wanted:04o} (other accounts on "
                     f"this machine can open it); fix with chmod {wanted:o}")
