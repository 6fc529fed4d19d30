"""SHA-256 of large bundle members on a second core, beside age decryption.

pyrage holds the GIL while it decrypts, and `hashlib` releases it while it hashes more
than 2 KiB, so a second thread can hash while the first decrypts. What decides whether
that pays is hand-over: a thread waiting for the GIL gets it only every
``sys.getswitchinterval()`` (5 ms) while pyrage runs. So the decrypting thread gathers
each member's pieces into blocks of about a MiB (one join, on its side) and the hashing
thread takes one block per GIL round trip, hashing it with the GIL released. Measured on
the bundle benchmark: about four fifths of the hashing time comes off verification.

    hasher = BlockHasher()
    stream = hasher.stream()     # one SHA-256, fed in order
    stream.feed(piece); ...; stream.end()
    hasher.finish()              # waits for the worker; then stream.hexdigest()
    hasher.close()               # (always) stops the worker if finish was not reached
"""

from __future__ import annotations

import hashlib
import queue
import threading
from typing import Any

BLOCK_BYTES = 1024 * 1024
#: Blocks waiting for the worker at most: the decrypting thread waits (memory stays
#: bounded) if hashing ever falls behind.
QUEUE_BLOCKS = 2


class HashStream:
    """One SHA-256 computed on the worker from the pieces fed to it, in order."""

    def __init__(self, hasher: BlockHasher) -> None:
        self._hasher = hasher
        self._digest = hashlib.sha256()
        self._parts: list[bytes] = []
        self._size = 0

    def feed(self, piece: bytes) -> None:
        self._parts.append(piece)
        self._size += len(piece)
        if self._size >= BLOCK_BYTES:
            self._submit()

    def end(self) -> None:
        self._submit()

    def _submit(self) -> None:
        if self._parts:
            parts = self._parts
            self._hasher.put(self._digest, parts[0] if len(parts) == 1 else b"".join(parts))
            self._parts, self._size = [], 0

    def hexdigest(self) -> str:
        """Only after `BlockHasher.finish`."""
        if not self._hasher.finished:
            raise RuntimeError("the digest is not complete before BlockHasher.finish()")
        return self._digest.hexdigest()


class BlockHasher:
    def __init__(self) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(QUEUE_BLOCKS)
        self.finished = False
        self._thread = threading.Thread(target=self._run, name="bundle-sha256", daemon=True)
        self._thread.start()

    def stream(self) -> HashStream:
        return HashStream(self)

    def put(self, digest: Any, block: bytes) -> None:
        self._queue.put((digest, block))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            digest, block = item
            digest.update(block)

    def finish(self) -> None:
        """Wait until every block fed so far is hashed."""
        if not self.finished:
            self._queue.put(None)
            self._thread.join()
            self.finished = True

    def close(self) -> None:
        """Stop the worker (after what is queued) without needing the digests."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
