"""Key wrapping with AES-256-GCM: a 256-bit key under a key-encryption key, bound to
associated data so the wrapped key cannot be moved to another header or slot."""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from qi_capture.crypto.secret import SecretBytes

CIPHER_NAME = "aes-256-gcm"
NONCE_BYTES = 12


class UnwrapFailed(Exception):
    """Internal: the tag did not verify. Callers turn it into a user-facing error."""


def new_nonce() -> bytes:
    # Random 96-bit nonces are safe here: a key file sees a handful of wraps per KEK.
    return secrets.token_bytes(NONCE_BYTES)


def wrap(kek: SecretBytes, nonce: bytes, key: SecretBytes, aad: bytes) -> bytes:
    return AESGCM(kek.reveal()).encrypt(nonce, key.reveal(), aad)


def unwrap(kek: SecretBytes, nonce: bytes, wrapped: bytes, aad: bytes) -> SecretBytes:
    try:
        return SecretBytes(AESGCM(kek.reveal()).decrypt(nonce, wrapped, aad))
    except InvalidTag as exc:
        raise UnwrapFailed from exc
