"""The recovery slot: the data key wrapped to the organisation's offline X25519 key.

It uses the age format (pyrage), so the admin's standard ``AGE-SECRET-KEY-1...`` identity
opens it and the same key type serves for bundles.
"""

from __future__ import annotations

import pyrage

from qi_capture.crypto.errors import RecoveryKeyInvalid, RecoveryKeyMismatch
from qi_capture.crypto.secret import SecretBytes

RECOVERY_KIND = "age-x25519"


def generate_recovery_identity() -> tuple[str, str]:
    """A new (identity, recipient) pair: ``AGE-SECRET-KEY-1...`` and ``age1...``."""
    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def validate_recipient(recipient: str) -> str:
    try:
        return str(pyrage.x25519.Recipient.from_str(recipient.strip()))
    except Exception as exc:  # pyrage raises a bare ValueError-like RecipientError
        raise RecoveryKeyInvalid("not an age X25519 public key (age1...)") from exc


def wrap_to_recipient(key: SecretBytes, recipient: str) -> bytes:
    parsed = pyrage.x25519.Recipient.from_str(validate_recipient(recipient))
    return bytes(pyrage.encrypt(key.reveal(), [parsed]))


def unwrap_with_identity(blob: bytes, identity: str) -> SecretBytes:
    try:
        parsed = pyrage.x25519.Identity.from_str(identity.strip())
    except Exception as exc:
        raise RecoveryKeyInvalid("not an age X25519 secret key (AGE-SECRET-KEY-1...)") from exc
    try:
        return SecretBytes(pyrage.decrypt(blob, [parsed]))
    except pyrage.DecryptError as exc:
        raise RecoveryKeyMismatch() from exc


def recipient_of(identity: str) -> str:
    try:
        return str(pyrage.x25519.Identity.from_str(identity.strip()).to_public())
    except Exception as exc:
        raise RecoveryKeyInvalid("not an age X25519 secret key (AGE-SECRET-KEY-1...)") from exc
