"""Atomic file replacement: temp file in the same folder, fsync, ``os.replace``, fsync folder.

A crash at any moment leaves either the old file or the new one under the final name,
never a mix. Shared by the key file and the store's backups.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from pathlib import Path

from qi_capture.fileperms import open_private


def fsync_dir(folder: Path) -> None:
    """Make a rename durable. Windows cannot open a directory for fsync, and NTFS
    journals renames itself, so it is skipped there."""
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def discard(path: Path) -> None:
    """Remove a temporary file if it is there, never raising: a cleanup must not hide the
    error that called for it. On a read-only file system even the removal of a file that
    was never created fails (EROFS comes before ENOENT), which would otherwise replace a
    clear "cannot write" with a traceback."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def temp_path_for(path: Path) -> Path:
    # Same folder so os.replace never crosses a file system; random suffix so two
    # writers never share a temp file.
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")


def atomic_write_bytes(path: Path, data: bytes, *, sync_dir: bool = True,
                       private: bool = False) -> None:
    """Write ``data`` to a temp file beside ``path``, fsync it, rename it over ``path``
    and (``sync_dir``) fsync the folder; a caller writing many files into one folder may
    pass False and fsync the folder once at the end. ``private``: the file is 0600 from
    its creation (POSIX), for files inside a profile or central folder."""
    tmp = temp_path_for(path)
    try:
        with (open_private(tmp) if private else tmp.open("xb")) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except BaseException:
        discard(tmp)
        raise
    if sync_dir:
        fsync_dir(path.parent)


def fsync_file(path: Path) -> None:
    with path.open("rb+") as f:
        os.fsync(f.fileno())
