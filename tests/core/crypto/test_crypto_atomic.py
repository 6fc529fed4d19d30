"""The one atomic-write helper: a new file appears whole under its name or not at all,
and a failed write leaves the old file and no temporary file behind."""

from __future__ import annotations

import stat
import sys
from pathlib import Path
from typing import BinaryIO

import pytest

from qi_capture.crypto.atomic import atomic_write_bytes, atomic_writer


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_clean_block_replaces_the_file(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with atomic_writer(target) as f:
        f.write(b"new ")
        f.write(b"content")
        assert target.read_bytes() == b"old"  # nothing shows before the block ends
    assert target.read_bytes() == b"new content"
    assert _listing(tmp_path) == ["out.bin"]


def test_an_error_in_the_block_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(ValueError, match="refused"), atomic_writer(target) as f:
        f.write(b"half")
        raise ValueError("refused")
    assert target.read_bytes() == b"old"
    assert _listing(tmp_path) == ["out.bin"]


def test_the_named_temporary_file_and_opener_are_used(tmp_path: Path) -> None:
    target, temp = tmp_path / "a.qibundle", tmp_path / "a.qibundle.partial"
    opened: list[Path] = []

    def opener(path: Path) -> BinaryIO:
        opened.append(path)
        return path.open("xb")

    with atomic_writer(target, temp=temp, opener=opener) as f:
        f.write(b"x")
        f.flush()
        assert temp.read_bytes() == b"x"  # a check can read what was written
    assert opened == [temp] and target.read_bytes() == b"x" and not temp.exists()


def test_a_temporary_file_left_there_is_not_overwritten(tmp_path: Path) -> None:
    target, temp = tmp_path / "out.bin", tmp_path / "out.bin.partial"
    temp.write_bytes(b"someone else's")
    with pytest.raises(FileExistsError), atomic_writer(target, temp=temp) as f:
        f.write(b"x")
    assert not target.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_private_files_are_0600(tmp_path: Path) -> None:
    target = tmp_path / "secret.bin"
    atomic_write_bytes(target, b"sealed", private=True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_bytes() == b"sealed"
