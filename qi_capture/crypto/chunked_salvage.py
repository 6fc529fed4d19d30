"""What can be kept of a chunked file whose writer stopped before sealing it (a
recording cut by a crash or a kill): every chunk that authenticates, from the first,
up to the first that does not.

A file being written grows by whole sealed chunks (`chunked.ChunkedWriter` writes each
as soon as it is full), so after a kill it is a header, some complete non-final chunks,
and perhaps part of one more. Each complete chunk is authenticated under its position,
so nothing can be slipped in, reordered or dropped before the cut; the part chunk is
dropped. A file that was sealed after all (killed after the final chunk was written)
yields everything, final chunk included.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from qi_capture.crypto import chunked
from qi_capture.crypto.errors import ChunkedFileInvalid


def salvage(path: Path, key: bytes, aad: bytes) -> Iterator[bytes]:
    """The authenticated plaintext prefix of the (possibly unsealed) file at ``path``, one
    chunk per piece. Raises `ChunkedFileInvalid` only when the header is not this
    format's (then nothing can be trusted); a bad or short chunk simply ends the prefix."""
    aead = AESGCM(key)
    with path.open("rb") as f:
        head = f.read(chunked.HEADER_BYTES)
        if len(head) < chunked.HEADER_BYTES or not head.startswith(chunked.MAGIC):
            raise ChunkedFileInvalid("not_this_format")
        size = int.from_bytes(head[len(chunked.MAGIC) + 1 :], "big")
        if head != chunked.header(size) or not (
            chunked.MIN_CHUNK_BYTES <= size <= chunked.MAX_CHUNK_BYTES
        ):
            raise ChunkedFileInvalid("bad_header")
        associated = head + aad
        counter = 0
        while True:
            sealed = f.read(size + chunked.TAG_BYTES)
            if len(sealed) < chunked.TAG_BYTES:
                return
            # A full-length chunk is never final (see chunked); a shorter one is either the
            # final chunk or the part of one that a kill cut off.
            final = len(sealed) < size + chunked.TAG_BYTES
            nonce = counter.to_bytes(11, "big") + (b"\x01" if final else b"\x00")
            try:
                plain = aead.decrypt(nonce, sealed, associated)
            except InvalidTag:
                return  # a part chunk, or damage: the prefix ends here
            yield plain
            if final:
                return
            counter += 1
