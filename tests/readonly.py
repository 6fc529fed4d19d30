"""A folder nobody may write to, for the tests of exports, reports and merges that meet
one (a write-protected USB stick, a read-only share).

Permission bits stop no one running as root (CI containers often do), so there a small
read-only tmpfs is mounted instead; where neither works the test skips and says why."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def read_only_folder(folder: Path, *, copy_from: Path | None = None) -> Iterator[Path]:
    """``folder``, created (with a copy of ``copy_from``'s contents, if given) and then
    made read-only for the duration: a read-only tmpfs as root, mode 0555 otherwise."""
    folder.mkdir(parents=True)
    if os.name != "posix":
        pytest.skip("read-only folders are made with POSIX modes or mounts here")
    if os.geteuid() != 0:
        if copy_from is not None:
            shutil.copytree(copy_from, folder, dirs_exist_ok=True)
        modes = [(p, p.stat().st_mode) for p in [folder, *folder.rglob("*")] if p.is_dir()]
        for path, _mode in modes:
            path.chmod(0o555)
        try:
            yield folder
        finally:
            for path, mode in modes:
                path.chmod(mode)
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("running as root without the right to mount a tmpfs: no folder can be "
                    "made read-only for root here")
    try:
        if copy_from is not None:
            shutil.copytree(copy_from, folder, dirs_exist_ok=True)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True,
                       capture_output=True)
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)
