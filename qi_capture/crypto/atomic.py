"""Atomic file replacement: temp file in the same folder, fsync, ``os.replace``, fsync folder.

A crash at any moment leaves either the old file or the new one under the final name,
never a mix. Every file written for others goes through `atomic_writer`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

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


@contextlib.contextmanager
def atomic_writer(
    path: Path,
    *,
    temp: Path | None = None,
    opener: Callable[[Path], BinaryIO] | None = None,
    private: bool = False,
    sync_dir: bool = True,
) -> Iterator[BinaryIO]:
    """The one way files are replaced atomically: yields a new file open for writing
    under a temporary name beside ``path`` (``temp``, else `temp_path_for`); when the
    block ends cleanly the file is flushed, fsynced and renamed over ``path``, and
    (``sync_dir``) the folder fsynced. Whatever the block raises removes the temporary
    file and propagates, and ``path`` is as it was. A check of the written bytes belongs
    inside the block (raise to refuse them). ``opener`` creates the file (it must not
    exist); by default it is created exclusively, and with ``private`` 0600 from its
    creation (POSIX), for files inside a profile or central folder. A caller writing
    many files into one folder may pass ``sync_dir=False`` and fsync it once at the end.
    """
    tmp = temp or temp_path_for(path)
    try:
        make = opener or (open_private if private else _open_exclusive)
        with make(tmp) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except BaseException:
        discard(tmp)
        raise
    if sync_dir:
        fsync_dir(path.parent)


def _open_exclusive(path: Path) -> BinaryIO:
    return path.open("xb")


def atomic_write_bytes(path: Path, data: bytes, *, sync_dir: bool = True,
                       private: bool = False) -> None:
    """`atomic_writer` for bytes already in memory."""
    with atomic_writer(path, private=private, sync_dir=sync_dir) as f:
        f.write(data)


def fsync_file(path: Path) -> None:
    with path.open("rb+") as f:
        os.fsync(f.fileno())
