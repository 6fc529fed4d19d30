"""Plaintext canary through the CLI and the services: random marker strings typed as
answers by ``record fill`` (a text answer, a long multi-line note, an attachment's
bytes), in drafts, finalised records and an edit-free revision, then a passphrase change
and a key rotation (which writes backups). No marker may appear, in UTF-8, UTF-16-LE or
UTF-16-BE, in any letter case, in any file under the data folder (database, -wal, -shm,
journal, key file, backups, logs) or the temp folder, nor in what ``fill`` printed."""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PASSPHRASE = "copper kettle harbour 42"
NEW_PASSPHRASE = "velvet otter grammar 19"

FORM = textwrap.dedent("""
    | survey |         |         |          |            |
    |        | type    | name    | label    | appearance |
    |        | text    | name    | Name     |            |
    |        | text    | note    | Note     | multiline  |
    |        | audio   | voice   | Voice    |            |
    | settings |       |         |          |            |
    |        | form_id | version |          |            |
    |        | canary  | 1       |          |            |
""")


def _marker() -> str:
    return "Qz" + "".join(secrets.choice(string.ascii_letters) for _ in range(14))


def _found(data: bytes, markers: list[str]) -> list[str]:
    hay = data.lower()  # folds ASCII, hence also the ASCII characters of UTF-16 text
    return [f"{m} as {enc}" for m in markers for enc in ("utf-8", "utf-16-le", "utf-16-be")
            if m.lower().encode(enc) in hay]


@pytest.mark.slow
def test_no_marker_reaches_the_disk(tmp_path: Path) -> None:
    data, temp, inputs = tmp_path / "data", tmp_path / "tmp", tmp_path / "inputs"
    temp.mkdir()
    inputs.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QI_CAPTURE_")}
    env.update(TMPDIR=str(temp), TEMP=str(temp), TMP=str(temp), SQLITE_TMPDIR=str(temp),
               QI_CAPTURE_PASSPHRASE=PASSPHRASE, QI_CAPTURE_NEW_PASSPHRASE=NEW_PASSPHRASE)
    outputs: list[bytes] = []

    def cli(*args: str, passphrase: str = PASSPHRASE) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "qi_capture", "--data-dir", str(data), *args],
            env={**env, "QI_CAPTURE_PASSPHRASE": passphrase}, stdin=subprocess.DEVNULL,
            capture_output=True, timeout=120, check=False,
        )
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        outputs.extend((done.stdout, done.stderr))

    markers = [_marker() for _ in range(6)]
    (inputs / "canary.md").write_text(FORM, encoding="utf-8")
    (inputs / "voice.ogg").write_bytes(b"OggS" + (markers[2] + " spoken ").encode() * 300)
    long_note = "\n".join(f"paragraph {n}: the respondent said {markers[1]} again." * 5
                          for n in range(40))
    (inputs / "final.json").write_text(json.dumps(
        {"name": markers[0], "note": long_note, "voice": "voice.ogg"}), encoding="utf-8")
    (inputs / "draft.json").write_text(json.dumps(
        {"name": markers[3], "note": f"draft note {markers[4]}"}), encoding="utf-8")
    (inputs / "utf16.json").write_text(json.dumps(
        {"name": markers[5].upper(), "note": f"Ünïcödé {markers[5]} ✓"}, ensure_ascii=False),
        encoding="utf-8")

    cli("profile", "create", "--name", "Canary Tester", "--kdf", "floor")
    cli("study", "add", str(inputs / "canary.md"))
    cli("record", "fill", "canary", "--answers", str(inputs / "final.json"), "--finalise")
    cli("record", "fill", "canary", "--answers", str(inputs / "draft.json"))
    cli("record", "fill", "canary", "--answers", str(inputs / "utf16.json"), "--finalise")
    cli("profile", "change-passphrase")
    cli("profile", "rotate-key", passphrase=NEW_PASSPHRASE)
    cli("record", "fill", "canary", "--answers", str(inputs / "draft.json"),
        passphrase=NEW_PASSPHRASE)

    files = [p for p in (*data.rglob("*"), *temp.rglob("*")) if p.is_file()]
    names = {p.name for p in files}
    assert {"profile.db", "keyfile.json", "qi-capture.log"} <= names
    assert any(n.startswith("backup-") for n in names)
    log = (data / "logs" / "qi-capture.log").read_text(encoding="utf-8")
    assert "finalised" in log and "created" in log  # the log is written, ids and counts
    hits = {str(p): _found(p.read_bytes(), markers) for p in files}
    hits["cli output"] = _found(b"".join(outputs), markers)
    assert {k: v for k, v in hits.items() if v} == {}
