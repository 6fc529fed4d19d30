"""Plaintext canary: marker strings given as answers, notes, session state, paradata and
attachment bytes never appear on disk, in UTF-8 or UTF-16 (LE/BE), in any letter case:
not in the database, WAL, SHM, key file, backups, the temp folder, or the output."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

PASSPHRASE = "copper kettle harbour 42"
NEW_PASSPHRASE = "velvet otter grammar 19"


def _marker() -> str:
    letters = string.ascii_letters
    return "Qz" + "".join(secrets.choice(letters) for _ in range(14))


def _found(data: bytes, markers: list[str]) -> list[str]:
    # bytes.lower() folds ASCII letters, which also folds the ASCII characters of
    # UTF-16 text (each is one byte next to a zero byte).
    hay = data.lower()
    hits = []
    for marker in markers:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            if marker.lower().encode(encoding) in hay:
                hits.append(f"{marker} as {encoding}")
    return hits


def test_no_plaintext_anywhere(tmp_path: Path) -> None:
    markers = [_marker() for _ in range(6)]
    folder = tmp_path / "profile"
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "SQLITE_TMPDIR": str(temp), "TEMP": str(temp)}
    child = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("child_canary.py")),
            str(folder),
            PASSPHRASE,
            NEW_PASSPHRASE,
            *markers,
        ],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == 0, child.stderr.decode(errors="replace")[-2000:]

    files = [p for p in (*folder.rglob("*"), *temp.rglob("*")) if p.is_file()]
    names = {p.name for p in files}
    # The run left a live WAL behind, and made backups: they must be scanned too.
    assert {"profile.db", "profile.db-wal", "profile.db-shm", "keyfile.json"} <= names
    assert any(n.startswith("backup-") for n in names)
    hits = {str(p): _found(p.read_bytes(), markers) for p in files}
    hits["stdout"] = _found(child.stdout, markers)
    hits["stderr"] = _found(child.stderr, markers)
    assert {k: v for k, v in hits.items() if v} == {}


def test_the_scanner_finds_plaintext() -> None:
    marker = _marker()
    for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
        assert _found(b"xx" + marker.upper().encode(encoding) + b"yy", [marker])
    assert not _found(b"nothing here", [marker])
