"""Key file: round trip, wrong passphrase, every kind of edit refused, weak parameters."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from qi_capture.crypto import keyfile
from qi_capture.crypto.errors import (
    KeyFileExcessiveParameters,
    KeyFileInvalid,
    KeyFileMissing,
    KeyFileTampered,
    KeyFileWeakParameters,
    RecoveryKeyMismatch,
    RecoveryNotAvailable,
    WrongPassphrase,
)
from qi_capture.crypto.kdf import derive_kek, floor_params
from qi_capture.crypto.recovery import generate_recovery_identity
from qi_capture.crypto.secret import SecretBytes

PASSPHRASE = "copper kettle harbour 42"


@pytest.fixture(scope="module")
def recovery() -> tuple[str, str]:
    return generate_recovery_identity()


@pytest.fixture(scope="module")
def sealed(recovery: tuple[str, str]) -> tuple[keyfile.KeyFile, bytes, bytes]:
    """A key file with a pending slot and a recovery slot, plus both raw DEKs."""
    params = floor_params()
    kek = derive_kek(PASSPHRASE, params)
    current, pending = SecretBytes.random(), SecretBytes.random()
    kf = keyfile.seal(
        profile_id="p-1",
        label="Laptop A",
        database_salt=b"\x07" * 16,
        kdf=params,
        kek=kek,
        current=current,
        pending=pending,
        recovery_recipient=recovery[1],
    )
    return kf, current.reveal(), pending.reveal()


def _rewrite(data: bytes, edit: Any, *, fix_checksum: bool) -> bytes:
    doc = json.loads(data)
    edit(doc)
    if fix_checksum:
        body = {k: v for k, v in doc.items() if k != "checksum"}
        canon = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        doc["checksum"] = "sha256:" + hashlib.sha256(canon.encode()).hexdigest()
    return (json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def test_round_trip_unwraps_both_slots(sealed: tuple[keyfile.KeyFile, bytes, bytes]) -> None:
    kf, current, pending = sealed
    parsed = keyfile.parse(kf.to_bytes())
    assert parsed == kf
    kek = parsed.derive(PASSPHRASE)
    got_current, got_pending = parsed.unwrap(kek)
    assert got_current.reveal() == current
    assert got_pending is not None
    assert got_pending.reveal() == pending


def test_write_is_atomic_and_readable(
    sealed: tuple[keyfile.KeyFile, bytes, bytes], tmp_path: Path
) -> None:
    kf = sealed[0]
    path = tmp_path / "keyfile.json"
    kf.write(path)
    kf.write(path)  # replacing an existing file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keyfile.json"]
    assert keyfile.read(path) == kf


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileMissing) as info:
        keyfile.read(tmp_path / "keyfile.json")
    assert info.value.code == "key_file_missing"


def test_wrong_passphrase(sealed: tuple[keyfile.KeyFile, bytes, bytes]) -> None:
    with pytest.raises(WrongPassphrase) as info:
        sealed[0].derive("copper kettle harbour 43")
    assert info.value.code == "wrong_passphrase"


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update(label="Laptop B"),
        lambda d: d.update(profile_id="p-2"),
        lambda d: d.update(created="2020-01-01T00:00:00+00:00"),
        lambda d: d.update(database_salt=base64.b64encode(b"\x08" * 16).decode()),
        lambda d: d["slots"]["current"].update(key_id="0000"),
        lambda d: d["slots"]["current"].update(nonce=base64.b64encode(b"\0" * 12).decode()),
        lambda d: d["slots"].update(pending=None),
        lambda d: d["slots"].update(current=d["slots"]["pending"], pending=d["slots"]["current"]),
        lambda d: d.update(recovery=None),
        lambda d: d["kdf"].update(memory_kib=d["kdf"]["memory_kib"] * 2),
    ],
    ids=[
        "label",
        "profile_id",
        "created",
        "database_salt",
        "key_id",
        "nonce",
        "drop_pending",
        "swap_slots",
        "drop_recovery",
        "raise_memory",
    ],
)
def test_any_field_edit_is_refused(sealed: tuple[keyfile.KeyFile, bytes, bytes], edit: Any) -> None:
    data = sealed[0].to_bytes()
    # A naive edit trips the checksum at parse time.
    with pytest.raises(KeyFileTampered):
        keyfile.parse(_rewrite(data, edit, fix_checksum=False))


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update(label="Laptop B"),
        lambda d: d.update(database_salt=base64.b64encode(b"\x08" * 16).decode()),
        lambda d: d["slots"].update(current=d["slots"]["pending"], pending=d["slots"]["current"]),
        lambda d: d.update(recovery=None),
        lambda d: d["slots"]["pending"].update(recovery_wrapped_key=None),
    ],
    ids=["label", "database_salt", "swap_slots", "drop_recovery", "drop_pending_recovery"],
)
def test_edit_with_recomputed_checksum_fails_the_tag(
    sealed: tuple[keyfile.KeyFile, bytes, bytes], edit: Any
) -> None:
    """An attacker who also fixes the checksum is caught by the AEAD's associated data,
    and told apart from a wrong passphrase by the key check."""
    forged = keyfile.parse(_rewrite(sealed[0].to_bytes(), edit, fix_checksum=True))
    kek = forged.derive(PASSPHRASE)
    with pytest.raises(KeyFileTampered):
        forged.unwrap(kek)


def test_salt_edit_with_recomputed_checksum_is_refused(
    sealed: tuple[keyfile.KeyFile, bytes, bytes],
) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["kdf"]["salt"] = base64.b64encode(b"\x01" * 16).decode()

    forged = keyfile.parse(_rewrite(sealed[0].to_bytes(), edit, fix_checksum=True))
    with pytest.raises(WrongPassphrase):  # a different salt is a different KEK
        forged.derive(PASSPHRASE)


@pytest.mark.parametrize("offset_fraction", [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999])
def test_bit_flip_anywhere_is_refused(
    sealed: tuple[keyfile.KeyFile, bytes, bytes], offset_fraction: float
) -> None:
    data = bytearray(sealed[0].to_bytes())
    offset = int(offset_fraction * (len(data) - 1))
    data[offset] ^= 0x01
    with pytest.raises((KeyFileTampered, KeyFileInvalid, KeyFileWeakParameters)):
        keyfile.parse(bytes(data))


def test_whitespace_only_edit_is_refused(sealed: tuple[keyfile.KeyFile, bytes, bytes]) -> None:
    data = sealed[0].to_bytes()
    with pytest.raises(KeyFileTampered):
        keyfile.parse(data.replace(b'  "cipher"', b'   "cipher"'))


@pytest.mark.parametrize(
    ("field", "value"),
    [("memory_kib", 32 * 1024), ("iterations", 2), ("lanes", 1)],
)
def test_parameters_below_the_floor_are_refused(
    sealed: tuple[keyfile.KeyFile, bytes, bytes], field: str, value: int
) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["kdf"][field] = value

    for fix in (False, True):
        with pytest.raises(KeyFileWeakParameters) as info:
            keyfile.parse(_rewrite(sealed[0].to_bytes(), edit, fix_checksum=fix))
        assert info.value.code == "key_file_weak_parameters"


@pytest.mark.parametrize(
    ("edits", "said"),
    [
        ({"memory_kib": 1 << 40}, f"memory {1 << 40} KiB > 1048576 KiB"),
        ({"memory_kib": 4 * 1024 * 1024}, "memory 4194304 KiB > 1048576 KiB"),  # took 65 s
        ({"iterations": 65}, "iterations 65 > 64"),
        ({"lanes": 17}, "lanes 17 > 16"),
        # Each within its own ceiling; together more work than calibration ever sets.
        ({"memory_kib": 1024 * 1024, "iterations": 17},
         "memory x iterations 17825792 KiB > 16777216 KiB"),
    ],
)
def test_parameters_above_the_ceiling_are_refused(
    sealed: tuple[keyfile.KeyFile, bytes, bytes], edits: dict[str, int], said: str
) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["kdf"].update(edits)

    for fix in (False, True):
        with pytest.raises(KeyFileExcessiveParameters) as info:
            keyfile.parse(_rewrite(sealed[0].to_bytes(), edit, fix_checksum=fix))
        assert info.value.code == "key_file_excessive_parameters"
        assert said in info.value.message
        assert "not a key file this app writes" in info.value.message


@pytest.mark.parametrize(
    "data",
    [b"", b"not json", b"[]", b'{"format": "other"}', b'{"format": "qi-capture-keyfile"}'],
)
def test_not_a_key_file(data: bytes) -> None:
    with pytest.raises(KeyFileInvalid):
        keyfile.parse(data)


def test_seal_refuses_weak_parameters() -> None:
    params = replace(floor_params(), iterations=1)
    with pytest.raises(KeyFileWeakParameters):
        keyfile.seal(
            profile_id="p",
            label="",
            database_salt=b"\0" * 16,
            kdf=params,
            kek=SecretBytes.random(),
            current=SecretBytes.random(),
        )


def test_recovery_unwraps_both_slots(
    sealed: tuple[keyfile.KeyFile, bytes, bytes], recovery: tuple[str, str]
) -> None:
    kf, current, pending = sealed
    got_current, got_pending = kf.unwrap_recovery(recovery[0])
    assert got_current.reveal() == current
    assert got_pending is not None
    assert got_pending.reveal() == pending
    with pytest.raises(RecoveryKeyMismatch):
        kf.unwrap_recovery(generate_recovery_identity()[0])


def test_no_recovery_slot() -> None:
    params = floor_params()
    kf = keyfile.seal(
        profile_id="p",
        label="",
        database_salt=b"\0" * 16,
        kdf=params,
        kek=SecretBytes.random(),
        current=SecretBytes.random(),
    )
    assert kf.current.recovery_wrapped_key is None
    with pytest.raises(RecoveryNotAvailable):
        kf.unwrap_recovery(generate_recovery_identity()[0])


def test_file_holds_no_raw_key(sealed: tuple[keyfile.KeyFile, bytes, bytes]) -> None:
    kf, current, pending = sealed
    data = kf.to_bytes()
    for key in (current, pending):
        assert key not in data
        assert key.hex().encode() not in data
        assert base64.b64encode(key) not in data
