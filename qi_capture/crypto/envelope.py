"""The age envelope (pyrage), streaming both ways with memory flat in the file's size.

- `encrypt_stream` pulls plaintext from any object with ``read(n)`` and pushes the age
  file into any object with ``write(b)`` (pyrage's ``encrypt_io`` moves 8 KiB at a time).
- `decrypt_into` pushes the plaintext of an age file, as it is authenticated, into any
  object with ``write(b)``, on the caller's thread (pyrage holds the GIL while it
  decrypts, so a worker thread would only add hand-overs). age authenticates each 64 KiB
  chunk before releasing it, so the sink only ever sees authenticated bytes; whether the
  file as a whole is intact (not truncated, nothing appended) is known only when
  `decrypt_into` returns, which is why a caller must treat what it saw as provisional
  until then.

Failures are reported as `AgeDecryptFailed` with a ``reason``: ``not_addressed`` (no
identity of ours matches a stanza), ``header_mac`` (the header was altered),
``header_malformed``, ``truncated`` (the file ends early), ``trailing`` (bytes after the
final chunk) or ``tampered`` (a chunk failed authentication). The mapping reads rage's
error messages, pinned by the tests against the installed pyrage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

import pyrage

from qi_capture.crypto.errors import CryptoError, RecoveryKeyInvalid


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


class AgeDecryptFailed(CryptoError):
    code = "age_decrypt_failed"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"The age file does not decrypt ({reason}): {detail}.", reason=reason,
                         detail=detail)
        self.reason = reason
        self.detail = detail
        #: Plaintext bytes age had authenticated and released before the failure.
        self.authenticated = 0


class AgeEncryptFailed(CryptoError):
    code = "age_encrypt_failed"

    def __init__(self, detail: str) -> None:
        super().__init__(f"The age file could not be written: {detail}.", detail=detail)


def generate_identity() -> tuple[str, str]:
    """A new X25519 (identity, recipient) pair: ``AGE-SECRET-KEY-1...``, ``age1...``."""
    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def recipient_of(identity: str) -> str:
    try:
        return str(pyrage.x25519.Identity.from_str(identity.strip()).to_public())
    except Exception as exc:
        raise RecoveryKeyInvalid("not an age X25519 secret key (AGE-SECRET-KEY-1...)") from exc


def recipient_fingerprint(recipient: str) -> str:
    """``age-x25519:`` + SHA-256 hex of the canonical ``age1...`` text (for manifests)."""
    try:
        canonical = str(pyrage.x25519.Recipient.from_str(recipient.strip()))
    except Exception as exc:
        raise RecoveryKeyInvalid("not an age X25519 public key (age1...)") from exc
    return "age-x25519:" + hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _recipients(recipients: Sequence[str]) -> list[pyrage.x25519.Recipient]:
    parsed = []
    for text in recipients:
        try:
            parsed.append(pyrage.x25519.Recipient.from_str(text.strip()))
        except Exception as exc:
            raise RecoveryKeyInvalid("not an age X25519 public key (age1...)") from exc
    return parsed


def encrypt_stream(source: Readable, dest: Writable, recipients: Sequence[str]) -> None:
    """Encrypt everything ``source.read`` yields (until ``b""``) to ``recipients``.
    Exceptions raised by ``source`` or ``dest`` propagate unchanged."""
    parsed = _recipients(recipients)
    if not parsed:
        raise AgeEncryptFailed("no recipients")
    tap = _Tap(source, dest)
    try:
        pyrage.encrypt_io(tap, tap.writer, parsed)
    except Exception as exc:
        # pyrage wraps what our reader or writer raised (a disk full, data that changed
        # under the writer) in its own error: hand the original back.
        if tap.error is not None:
            raise tap.error from None
        if isinstance(exc, pyrage.EncryptError):
            raise AgeEncryptFailed(str(exc)) from exc
        raise
    if tap.error is not None:
        raise tap.error


class _Tap:
    """Passes reads and writes through, keeping the first exception either raised."""

    def __init__(self, source: Readable, dest: Writable) -> None:
        self._source, self._dest = source, dest
        self.error: BaseException | None = None
        self.writer = _TapWriter(self)

    def read(self, size: int = -1, /) -> bytes:
        try:
            return self._source.read(size)
        except BaseException as exc:
            self.error = self.error or exc
            raise

    def write(self, data: bytes) -> int:
        try:
            return self._dest.write(data)
        except BaseException as exc:
            self.error = self.error or exc
            raise


class _TapWriter:
    def __init__(self, tap: _Tap) -> None:
        self._tap = tap

    def write(self, data: bytes, /) -> int:
        return self._tap.write(data)

    def flush(self) -> None:
        return None


def encrypt_bytes(plaintext: bytes, recipients: Sequence[str]) -> bytes:
    return bytes(pyrage.encrypt(plaintext, _recipients(recipients)))


def _identity(identity: str) -> pyrage.x25519.Identity:
    try:
        return pyrage.x25519.Identity.from_str(identity.strip())
    except Exception as exc:
        raise RecoveryKeyInvalid("not an age X25519 secret key (AGE-SECRET-KEY-1...)") from exc


def classify(exc: BaseException) -> AgeDecryptFailed:
    """rage's error, as one of our reasons."""
    text = str(exc)
    lowered = text.lower()
    if "no matching keys" in lowered:
        reason = "not_addressed"
    elif "header mac" in lowered:
        reason = "header_mac"
    elif "truncated" in lowered or "failed to fill whole buffer" in lowered:
        reason = "truncated"
    elif "last chunk has been processed" in lowered:
        reason = "trailing"
    elif "decryption error" in lowered:
        reason = "tampered"
    elif isinstance(exc, pyrage.DecryptError):
        reason = "header_malformed"
    else:
        reason = "tampered"
    return AgeDecryptFailed(reason, text)


def decrypt_bytes(ciphertext: bytes, identity: str) -> bytes:
    try:
        return bytes(pyrage.decrypt(ciphertext, [_identity(identity)]))
    except (pyrage.DecryptError, OSError) as exc:
        raise classify(exc) from exc


class _Counting:
    """Passes pyrage's output to ``sink``, counting it and keeping what ``sink`` raised."""

    def __init__(self, sink: Writable) -> None:
        self._sink = sink
        self.authenticated = 0
        self.error: BaseException | None = None

    def write(self, data: bytes, /) -> int:
        # pyrage may call again after a write failed: the sink's state is no longer
        # trustworthy then, so the first error stands and nothing more reaches it.
        if self.error is not None:
            raise self.error
        try:
            self._sink.write(data)
        except BaseException as exc:
            self.error = exc
            raise
        self.authenticated += len(data)
        return len(data)

    def flush(self) -> None:
        return None


def decrypt_into(source: Readable, identity: str, sink: Writable) -> int:
    """Decrypt the age file ``source`` into ``sink.write``, in order, one piece at a time,
    on this thread. Returns the number of plaintext bytes.

    age authenticates each 64 KiB chunk before it is released, so ``sink`` only ever sees
    authenticated bytes; whether the file as a whole is intact (not truncated, nothing
    appended) is known only when this returns. An exception ``sink`` raises stops the
    decryption and propagates unchanged; a failure of the file itself raises
    `AgeDecryptFailed` whose ``authenticated`` is the plaintext bytes released before it."""
    counting = _Counting(sink)
    try:
        pyrage.decrypt_io(source, counting, [_identity(identity)])
    except Exception as exc:
        if counting.error is not None:
            raise counting.error from None
        if isinstance(exc, pyrage.DecryptError | OSError):
            failed = classify(exc)
            failed.authenticated = counting.authenticated
            raise failed from exc
        raise
    if counting.error is not None:
        raise counting.error
    return counting.authenticated
