"""Ed25519 signing helpers, the age recovery wrap, and wipeable secrets."""

from __future__ import annotations

import pytest

from qi_capture.crypto import recovery, signing
from qi_capture.crypto.errors import RecoveryKeyInvalid, RecoveryKeyMismatch, SigningKeyInvalid
from qi_capture.crypto.secret import SecretBytes


def test_sign_and_verify() -> None:
    private = signing.generate_signing_key()
    assert len(private) == 32
    public = signing.public_key(private)
    sig = signing.sign(private, b"manifest")
    assert len(sig) == 64
    assert signing.verify(public, b"manifest", sig)
    assert not signing.verify(public, b"manifesT", sig)
    other = signing.public_key(signing.generate_signing_key())
    assert not signing.verify(other, b"manifest", sig)
    assert signing.fingerprint(public).startswith("ed25519:")
    assert len(signing.fingerprint(public)) == len("ed25519:") + 64


def test_bad_signing_key_lengths() -> None:
    with pytest.raises(SigningKeyInvalid):
        signing.public_key(b"short")
    with pytest.raises(SigningKeyInvalid):
        signing.fingerprint(b"short")


def test_recovery_wrap_round_trip() -> None:
    identity, recipient = recovery.generate_recovery_identity()
    assert identity.startswith("AGE-SECRET-KEY-1")
    assert recipient.startswith("age1")
    assert recovery.recipient_of(identity) == recipient
    dek = SecretBytes.random()
    blob = recovery.wrap_to_recipient(dek, recipient)
    assert dek.reveal() not in blob
    assert recovery.unwrap_with_identity(blob, identity).same_as(dek)
    with pytest.raises(RecoveryKeyMismatch):
        recovery.unwrap_with_identity(blob, recovery.generate_recovery_identity()[0])


@pytest.mark.parametrize("bad", ["", "age1nope", "AGE-SECRET-KEY-1NOPE"])
def test_invalid_recovery_keys(bad: str) -> None:
    with pytest.raises(RecoveryKeyInvalid):
        recovery.validate_recipient(bad)
    with pytest.raises(RecoveryKeyInvalid):
        recovery.unwrap_with_identity(b"x", bad)


def test_secret_wipe() -> None:
    s = SecretBytes(b"\x11" * 32)
    assert "11" not in repr(s)
    s.wipe()
    assert s.buffer() == bytearray(32)
    assert s.wiped
    with pytest.raises(ValueError):
        s.reveal()
