"""Ed25519 device signing keys: generation, raw serialisation, fingerprints, sign/verify.

The private key is stored as its 32 raw bytes inside the encrypted database, never in a
file of its own.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from qi_capture.crypto.errors import SigningKeyInvalid

KEY_BYTES = 32
SIGNATURE_BYTES = 64


def generate_signing_key() -> bytes:
    """A new Ed25519 private key as 32 raw bytes."""
    return Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )


def _private(private_key: bytes) -> Ed25519PrivateKey:
    if len(private_key) != KEY_BYTES:
        raise SigningKeyInvalid(f"expected {KEY_BYTES} bytes, got {len(private_key)}")
    return Ed25519PrivateKey.from_private_bytes(private_key)


def public_key(private_key: bytes) -> bytes:
    return _private(private_key).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def fingerprint(public: bytes) -> str:
    """``ed25519:`` + SHA-256 hex of the raw public key; what manifests and registries show."""
    if len(public) != KEY_BYTES:
        raise SigningKeyInvalid(f"expected {KEY_BYTES} public-key bytes, got {len(public)}")
    return "ed25519:" + hashlib.sha256(public).hexdigest()


def sign(private_key: bytes, message: bytes) -> bytes:
    return _private(private_key).sign(message)


def verify(public: bytes, message: bytes, signature: bytes) -> bool:
    if len(public) != KEY_BYTES:
        raise SigningKeyInvalid(f"expected {KEY_BYTES} public-key bytes, got {len(public)}")
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except InvalidSignature:
        return False
    return True
