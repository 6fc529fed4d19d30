"""The age envelope (pyrage), streaming both ways with memory flat in the file's size.

- `encrypt_stream` pulls plaintext from any object with ``read(n)`` and pushes the age
  file into any object with ``write(b)`` (pyrage's ``encrypt_io`` moves 8 KiB at a time).
- `DecryptingReader` turns pyrage's push-style ``decrypt_io`` into a pull-style,
  file-like reader (so `tarfile` can read the plaintext in stream mode): a worker thread
  runs ``decrypt_io`` into a small bounded queue. age authenticates each 64 KiB chunk
  before releasing it, so the reader only ever hands out authenticated bytes; whether
  the file as a whole is intact (not truncated, nothing appended) is known only at the
  end, which is why `read` returns EOF only after ``decrypt_io`` has succeeded and raises
  `AgeDecryptFailed` instead if it did not. Callers must read to EOF before trusting
  anything they read.

Failures are reported as `AgeDecryptFailed` with a ``reason``: ``not_addressed`` (no
identity of ours matches a stanza), ``header_mac`` (the header was altered),
``header_malformed``, ``truncated`` (the file ends early), ``trailing`` (bytes after the
final chunk) or ``tampered`` (a chunk failed authentication). The mapping reads rage's
error messages, pinned by the tests against the installed pyrage.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import threading
from collections.abc import Sequence
from types import TracebackType
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


class _Cancelled(Exception):
    """Raised inside the worker's writer when the reader was closed early."""


_EOF = object()


class DecryptingReader:
    """A read-only, forward-only file object over the plaintext of an age file.

    ``with DecryptingReader(f, identity) as plain: tarfile.open(fileobj=plain, mode="r|")``.
    Memory: at most `QUEUE_CHUNKS` pieces of 64 KiB in flight plus the caller's read size.
    """

    QUEUE_CHUNKS = 16
    HANDOVER_BYTES = 64 * 1024

    def __init__(self, source: Readable, identity: str) -> None:
        self._identity = _identity(identity)
        self._source = source
        self._queue: queue.Queue[object] = queue.Queue(self.QUEUE_CHUNKS)
        self._cancel = threading.Event()
        self._error: BaseException | None = None
        self._buffer = bytearray()
        self._pending = bytearray()
        self._done = False
        self.bytes_out = 0
        #: Plaintext bytes age has authenticated and handed over so far.
        self.authenticated = 0
        self._thread = threading.Thread(target=self._run, name="age-decrypt", daemon=True)
        self._thread.start()

    # -- worker side -------------------------------------------------------------
    def write(self, data: bytes) -> int:
        # Hand over 64 KiB at a time (pyrage writes 8 KiB): fewer thread switches. What
        # pyrage writes is already authenticated, so holding it back changes nothing.
        self._pending += data
        self.authenticated += len(data)
        if len(self._pending) >= self.HANDOVER_BYTES:
            self._hand_over()
        return len(data)

    def _hand_over(self) -> None:
        if not self._pending:
            return
        chunk = bytes(self._pending)
        self._pending.clear()
        while True:
            if self._cancel.is_set():
                raise _Cancelled()
            try:
                self._queue.put(chunk, timeout=0.05)
                return
            except queue.Full:
                continue

    def flush(self) -> None:
        return None

    def _run(self) -> None:
        try:
            pyrage.decrypt_io(self._source, self, [self._identity])
            self._hand_over()
        except BaseException as exc:
            self._error = exc
        while not self._cancel.is_set():
            try:
                self._queue.put(_EOF, timeout=0.05)
                return
            except queue.Full:
                continue

    # -- reader side -------------------------------------------------------------
    def _fill(self) -> bool:
        """Move one piece from the worker into the buffer; False at the end."""
        if self._done:
            return False
        item = self._queue.get()
        if item is _EOF:
            self._done = True
            self._thread.join()
            if self._error is not None:
                error = self._error
                if isinstance(error, _Cancelled):
                    return False
                if isinstance(error, pyrage.DecryptError | OSError):
                    raise classify(error) from error
                raise error
            return False
        assert isinstance(item, bytes)
        self._buffer += item
        return True

    def read(self, size: int = -1, /) -> bytes:
        if size is None or size < 0:
            while self._fill():
                pass
            out = bytes(self._buffer)
            self._buffer.clear()
        else:
            while len(self._buffer) < size and self._fill():
                pass
            out = bytes(self._buffer[:size])
            del self._buffer[:size]
        self.bytes_out += len(out)
        return out

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        """Stop the worker (if still running) and wait for it."""
        self._cancel.set()
        if self._thread.is_alive():
            # Drain so a worker blocked on a full queue sees the cancel flag.
            while self._thread.is_alive():
                with contextlib.suppress(queue.Empty):
                    self._queue.get(timeout=0.05)
            self._thread.join()
        self._done = True

    def __enter__(self) -> DecryptingReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
