"""A streaming AES-256-GCM file format for attachments (age's STREAM construction).

Layout::

    header   MAGIC (7 bytes) | version (1 byte) | chunk size (4 bytes, big-endian)
    chunks   AES-256-GCM(key, nonce_i, plaintext_i, associated data = header + aad)

The plaintext is cut into chunks of ``chunk size`` bytes. Every chunk but the last is
exactly that long; the last is shorter, possibly empty (so an empty plaintext is one
empty final chunk, and a plaintext that is a whole number of chunks ends with an empty
one). The nonce of chunk *i* is *i* as an 11-byte big-endian counter followed by one
byte, 1 for the last chunk and 0 otherwise. So:

- chunks cannot be reordered, dropped or repeated (the counter is in the nonce);
- the file cannot be cut at a chunk boundary (the chunk before the cut was not sealed
  as final) nor extended (nothing may follow the final chunk);
- the header cannot be changed, and a file cannot pass for another attachment's: both
  are in every chunk's associated data (the caller passes the attachment id as ``aad``).

A full-length chunk is never final, so the reader knows from its length alone which
flag to try: one decryption per chunk. Every piece `decrypt_from` yields has been
authenticated; damage later in the file is found when the reader reaches it, so a
consumer must treat the whole stream as failed when the iterator raises (``expected_size``
catches a cut or extended file before the first piece).

The key must be used for one file only (a fresh random 32-byte key per write): the
nonces restart at zero in every file.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from qi_capture.crypto.errors import ChunkedFileInvalid
from qi_capture.fileperms import open_private

MAGIC = b"QIATT1\n"
VERSION = 1
_HEADER = struct.Struct(f">{len(MAGIC)}sBI")
HEADER_BYTES = _HEADER.size
CHUNK_BYTES = 256 * 1024
TAG_BYTES = 16
KEY_BYTES = 32
# The reader refuses other chunk sizes before reading a chunk of that length.
MIN_CHUNK_BYTES = 4 * 1024
MAX_CHUNK_BYTES = 4 * 1024 * 1024
_COUNTER_BYTES = 11
_NOT_FINAL = b"\x00"
_FINAL = b"\x01"


class Writable(Protocol):
    def write(self, data: bytes, /) -> int | None: ...


class Readable(Protocol):
    """A binary file object (``open(..., "rb")``, ``io.BytesIO``...)."""

    def readinto(self, buffer: memoryview, /) -> int | None: ...
    def read(self, size: int = -1, /) -> bytes | None: ...


def new_key() -> bytes:
    """A fresh random key, for exactly one file."""
    return os.urandom(KEY_BYTES)


def header(chunk_size: int = CHUNK_BYTES) -> bytes:
    return _HEADER.pack(MAGIC, VERSION, chunk_size)


def encrypted_size(plaintext_size: int, chunk_size: int = CHUNK_BYTES) -> int:
    """The exact length of the file holding ``plaintext_size`` bytes."""
    return HEADER_BYTES + plaintext_size + TAG_BYTES * (plaintext_size // chunk_size + 1)


def _nonce(counter: int, flag: bytes) -> bytes:
    return counter.to_bytes(_COUNTER_BYTES, "big") + flag


def _aead(key: bytes) -> AESGCM:
    if len(key) != KEY_BYTES:
        raise ValueError(f"the key must be {KEY_BYTES} bytes")
    return AESGCM(key)


def encrypt_to(
    target: str | os.PathLike[str] | Writable,
    key: bytes,
    aad: bytes,
    chunks: Iterable[bytes],
    *,
    chunk_size: int = CHUNK_BYTES,
) -> int:
    """Encrypt the plaintext ``chunks`` (pieces of any length) into ``target`` and
    return the plaintext length. A path is created (it must not exist), written, fsynced
    and closed, and removed again if anything fails; a file object is written to and
    left open (the caller syncs it). Whatever ``chunks`` raises propagates; what was
    written to a file object is then incomplete and must be discarded (its final chunk
    was never written, so it does not decrypt)."""
    if not MIN_CHUNK_BYTES <= chunk_size <= MAX_CHUNK_BYTES:
        raise ValueError(f"chunk size {chunk_size} is out of range")
    if isinstance(target, (str, os.PathLike)):
        path = Path(target)
        # Outside the try: a file that was there is not ours to remove. 0600 from creation:
        # these are attachment files inside a profile folder.
        f = open_private(path)
        try:
            with f:
                size = _encrypt(f, key, aad, chunks, chunk_size)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            path.unlink(missing_ok=True)  # closed first: Windows cannot remove an open file
            raise
        return size
    return _encrypt(target, key, aad, chunks, chunk_size)


def _encrypt(
    out: Writable, key: bytes, aad: bytes, chunks: Iterable[bytes], chunk_size: int
) -> int:
    writer = ChunkedWriter(out, key, aad, chunk_size=chunk_size)
    for piece in chunks:
        writer.write(piece)
    return writer.close()


class ChunkedWriter:
    """The same file as `encrypt_to`, written as pieces are pushed to it (for a producer
    that pushes, like bundle verification): ``write`` each piece, then ``close`` to seal
    the final chunk (returns the plaintext length). Until ``close`` the file does not
    decrypt (no final chunk), so a writer abandoned half way leaves nothing readable."""

    def __init__(
        self, out: Writable, key: bytes, aad: bytes, *, chunk_size: int = CHUNK_BYTES
    ) -> None:
        if not MIN_CHUNK_BYTES <= chunk_size <= MAX_CHUNK_BYTES:
            raise ValueError(f"chunk size {chunk_size} is out of range")
        self._out = out
        self._aead = _aead(key)
        head = header(chunk_size)
        self._associated = head + aad
        self._chunk = chunk_size
        self._counter = 0
        self._pending = bytearray()
        self.size = 0
        out.write(head)

    def write(self, piece: bytes) -> int:
        self.size += len(piece)
        chunk = self._chunk
        if not self._pending and len(piece) == chunk:  # the usual case: no copy
            self._seal(piece, _NOT_FINAL)
            return len(piece)
        self._pending += piece
        if len(self._pending) < chunk:
            return len(piece)
        start = 0
        with memoryview(self._pending) as view:
            while len(self._pending) - start >= chunk:
                with view[start : start + chunk] as block:
                    self._seal(block, _NOT_FINAL)
                start += chunk
        del self._pending[:start]
        return len(piece)

    def _seal(self, block: bytes | memoryview, flag: bytes) -> None:
        self._out.write(self._aead.encrypt(_nonce(self._counter, flag), block,
                                           self._associated))
        self._counter += 1

    def close(self) -> int:
        """Seal what is left (shorter than a chunk, possibly nothing) as the final chunk."""
        self._seal(bytes(self._pending), _FINAL)
        self._pending.clear()
        return self.size


def decrypt_from(
    source: str | os.PathLike[str] | Readable,
    key: bytes,
    aad: bytes,
    *,
    expected_size: int | None = None,
) -> Iterator[bytes]:
    """The authenticated plaintext of a file written by `encrypt_to`, one chunk per
    piece. Raises `ChunkedFileInvalid` (``reason`` says which check failed) for a file
    that is not in this format, was changed, cut short or extended, or was sealed with
    another key or ``aad``; `FileNotFoundError` and other `OSError`\\ s pass through.

    ``expected_size`` (the plaintext length, when the caller knows it) makes a path's
    file length be checked before anything is decrypted, so a cut or extended file is
    refused before the first piece."""
    aead = _aead(key)
    if isinstance(source, (str, os.PathLike)):
        # Unbuffered: readinto goes straight from the OS into our buffer.
        with Path(source).open("rb", buffering=0) as f:
            length = os.fstat(f.fileno()).st_size if expected_size is not None else None
            yield from _decrypt(f, aead, aad, expected_size, length)
    else:
        yield from _decrypt(source, aead, aad, None, None)


def _read_full(f: Readable, view: memoryview) -> int:
    """Fill ``view`` from ``f``, stopping early only at end of file."""
    got = 0
    while got < len(view):
        n = f.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def _decrypt(
    f: Readable, aead: AESGCM, aad: bytes, expected_size: int | None, length: int | None
) -> Iterator[bytes]:
    raw = bytearray(HEADER_BYTES)
    if _read_full(f, memoryview(raw)) < HEADER_BYTES:
        raise ChunkedFileInvalid("truncated" if raw.startswith(MAGIC) else "not_this_format")
    head = bytes(raw)
    magic, version, chunk_size = _HEADER.unpack(head)
    if magic != MAGIC:
        raise ChunkedFileInvalid("not_this_format")
    if version != VERSION:
        raise ChunkedFileInvalid("unsupported_version")
    if not MIN_CHUNK_BYTES <= chunk_size <= MAX_CHUNK_BYTES:
        raise ChunkedFileInvalid("bad_header")
    if expected_size is not None and length is not None:
        expected = encrypted_size(expected_size, chunk_size)
        if length < expected:
            raise ChunkedFileInvalid("truncated")
        if length > expected:
            raise ChunkedFileInvalid("trailing_data")
    associated = head + aad
    full = chunk_size + TAG_BYTES
    buf = bytearray(full)
    view = memoryview(buf)
    counter = 0
    try:
        while True:
            n = _read_full(f, view)
            if n == full:
                yield aead.decrypt(_nonce(counter, _NOT_FINAL), buf, associated)
                counter += 1
                continue
            if n < TAG_BYTES:
                raise ChunkedFileInvalid("truncated")
            last = aead.decrypt(_nonce(counter, _FINAL), view[:n], associated)
            if f.read(1):
                raise ChunkedFileInvalid("trailing_data")
            yield last  # only once nothing can follow it
            return
    except InvalidTag:
        raise ChunkedFileInvalid("authentication_failed", chunk=counter) from None
    finally:
        view.release()

