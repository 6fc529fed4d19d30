"""Random access into a file written by `qi_capture.crypto.chunked`: a read-only,
seekable binary file object that decrypts the chunk under the read position on demand.

Audio playback needs it: a decoder seeks (to a note's moment, or to the end to find the
length) and reads a few kilobytes at a time, and the plaintext must never be written out.
Only one decrypted chunk is held at a time, so memory is one chunk whatever the file's
length.

The final chunk is authenticated when the file is opened: a file cut or extended at any
point is refused before the first byte is returned, so the length reported is the true
plaintext length. Every other chunk is authenticated when first read; a changed chunk
raises `ChunkedFileInvalid` from that read.
"""

from __future__ import annotations

import io
import os
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from qi_capture.crypto import chunked
from qi_capture.crypto.errors import ChunkedFileInvalid


class ChunkedReader(io.RawIOBase):
    """The plaintext of ``raw`` (an open, seekable binary file in the chunked format),
    sealed with ``key`` and ``aad``. Closing the reader closes ``raw``."""

    def __init__(
        self, raw: BinaryIO, key: bytes, aad: bytes, *, expected_size: int | None = None
    ) -> None:
        super().__init__()
        if len(key) != chunked.KEY_BYTES:
            raise ValueError(f"the key must be {chunked.KEY_BYTES} bytes")
        self._raw = raw
        self._aead = AESGCM(key)
        raw.seek(0)
        head = raw.read(chunked.HEADER_BYTES)
        if len(head) < chunked.HEADER_BYTES or not head.startswith(chunked.MAGIC):
            raise ChunkedFileInvalid(
                "truncated" if head.startswith(chunked.MAGIC) else "not_this_format"
            )
        if head != chunked.header(_chunk_size(head)):
            raise ChunkedFileInvalid("unsupported_version")
        self._chunk = chunk = _chunk_size(head)
        if not chunked.MIN_CHUNK_BYTES <= chunk <= chunked.MAX_CHUNK_BYTES:
            raise ChunkedFileInvalid("bad_header")
        self._associated = head + aad
        body = raw.seek(0, os.SEEK_END) - chunked.HEADER_BYTES
        stride = chunk + chunked.TAG_BYTES
        self._count = body // stride + 1  # a final chunk is never full-length
        if body % stride < chunked.TAG_BYTES:
            raise ChunkedFileInvalid("truncated")
        self.size = body - chunked.TAG_BYTES * self._count
        if expected_size is not None and self.size != expected_size:
            raise ChunkedFileInvalid("truncated" if self.size < expected_size else "trailing_data")
        self._pos = 0
        self._index = -1
        self._plain = b""
        self._load(self._count - 1)  # the final chunk: proves the length

    def _load(self, index: int) -> None:
        if index == self._index:
            return
        final = index == self._count - 1
        self._raw.seek(chunked.HEADER_BYTES + index * (self._chunk + chunked.TAG_BYTES))
        length = (self.size - index * self._chunk if final else self._chunk) + chunked.TAG_BYTES
        sealed = self._raw.read(length)
        if len(sealed) != length:
            raise ChunkedFileInvalid("truncated", chunk=index)
        nonce = index.to_bytes(11, "big") + (b"\x01" if final else b"\x00")
        try:
            self._plain = self._aead.decrypt(nonce, sealed, self._associated)
        except InvalidTag:
            raise ChunkedFileInvalid("authentication_failed", chunk=index) from None
        self._index = index

    # -- io.RawIOBase --------------------------------------------------------------------
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._pos < self.size:
            index, within = divmod(self._pos, self._chunk)
            self._load(index)
            take = min(len(view) - done, len(self._plain) - within)
            view[done : done + take] = self._plain[within : within + take]
            done += take
            self._pos += take
        return done

    def close(self) -> None:
        if not self.closed:
            self._plain = b""
            self._raw.close()
        super().close()


def _chunk_size(head: bytes) -> int:
    return int.from_bytes(head[len(chunked.MAGIC) + 1 : chunked.HEADER_BYTES], "big")
