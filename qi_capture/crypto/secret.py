"""`SecretBytes`: key material held in a mutable buffer so it can be wiped on lock.

Python cannot promise that no copy survives (the AEAD and SQLCipher libraries take
immutable ``bytes``, and the key pragma is a ``str``), but keeping the long-lived copy
in a ``bytearray`` and zeroing it on lock removes the one copy we control.
"""

from __future__ import annotations

import hmac
import secrets
from types import TracebackType


class SecretBytes:
    """A fixed-length secret that can be zeroed. Never printed, never compared by ``==``."""

    __slots__ = ("_buf", "_wiped")

    def __init__(self, data: bytes | bytearray) -> None:
        self._buf = bytearray(data)
        self._wiped = False

    @classmethod
    def random(cls, length: int = 32) -> SecretBytes:
        return cls(secrets.token_bytes(length))

    def __len__(self) -> int:
        return len(self._buf)

    def __repr__(self) -> str:
        return f"SecretBytes(<{len(self._buf)} bytes{', wiped' if self._wiped else ''}>)"

    __str__ = __repr__

    @property
    def wiped(self) -> bool:
        return self._wiped

    def reveal(self) -> bytes:
        """A transient ``bytes`` copy for an API that needs one; do not keep it."""
        if self._wiped:
            raise ValueError("secret has been wiped")
        return bytes(self._buf)

    def hex(self) -> str:
        if self._wiped:
            raise ValueError("secret has been wiped")
        return self._buf.hex()

    def buffer(self) -> bytearray:
        """The live buffer (tests check it is all zeros after `wipe`)."""
        return self._buf

    def same_as(self, other: SecretBytes) -> bool:
        return hmac.compare_digest(self._buf, other._buf)

    def copy(self) -> SecretBytes:
        return SecretBytes(self.reveal())

    def wipe(self) -> None:
        for i in range(len(self._buf)):
            self._buf[i] = 0
        self._wiped = True

    def __enter__(self) -> SecretBytes:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.wipe()
