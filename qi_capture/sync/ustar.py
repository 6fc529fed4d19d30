"""The one tar dialect a bundle uses, written and read strictly, in stream mode.

A bundle's plaintext is a POSIX ustar stream of regular files only: names under 100
bytes (no prefix field), mode 0600, uid/gid/mtime 0, sizes in octal, every member
padded with zeros to 512 bytes, and the end marked by zero blocks. `header` writes
exactly that; `UstarPush` reads exactly that and nothing else. Any standard tar
reader (``tarfile``, GNU tar) reads these streams too.

Why not `tarfile` for reading: it accepts every dialect (GNU, pax, base-256 sizes, long
names, links, sparse files), copies every byte through several layers of buffering, and
costs about a quarter of a bundle's verification; a bundle needs none of that. It is also
pull-style, while age decryption pushes. `UstarPush` is pushed to and refuses anything
our writer never makes, with `BundleMalformed` naming what.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from qi_capture.sync.errors import BundleMalformed

BLOCK = 512
NAME_BYTES = 100
_MAGIC = b"ustar\x0000"
_REGULAR = (b"0", b"\x00")
_CHECKSUM_AT = slice(148, 156)
# A header's fields at their offsets, for a regular file with ``name`` and ``size``
# filled in: mode 0600, uid and gid 0, mtime 0, checksum (spaces while it is summed),
# type "0", no link, ustar magic and version, no owner names, no device numbers
# (as `tarfile` writes them for a regular file), no prefix.
_BEFORE_SIZE = b"0000600\x00" + b"0000000\x00" + b"0000000\x00"
_AFTER_SIZE = b"00000000000\x00"
_AFTER_CHECKSUM = (
    b"0" + bytes(NAME_BYTES) + _MAGIC + bytes(32) + bytes(32)
    + bytes(16) + bytes(155) + bytes(12)
)
_MAX_SIZE = 8**11 - 1  # eleven octal digits


def header(name: str, size: int) -> bytes:
    """The 512-byte ustar header of a regular file ``name`` of ``size`` bytes."""
    encoded = name.encode("utf-8")
    if not encoded or len(encoded) >= NAME_BYTES or b"\x00" in encoded:
        raise ValueError(f"a bundle member name must be 1-99 bytes: {name!r}")
    if not 0 <= size <= _MAX_SIZE:
        raise ValueError(f"a bundle member must be under 8 GiB: {size}")
    head = encoded.ljust(NAME_BYTES, b"\x00") + _BEFORE_SIZE + b"%011o\x00" % size + _AFTER_SIZE
    checksum = sum(head) + 8 * 0x20 + sum(_AFTER_CHECKSUM)
    return head + b"%06o\x00 " % checksum + _AFTER_CHECKSUM


def padding(size: int) -> bytes:
    """The zeros after a member of ``size`` bytes, up to the next 512-byte block."""
    return bytes(-size % BLOCK)


@dataclass(frozen=True)
class UstarMember:
    name: str
    size: int
    regular: bool


def _octal(field: bytes, what: str) -> int:
    digits = field.rstrip(b"\x00 ")
    if not digits or digits.translate(None, b"01234567"):
        raise BundleMalformed(f"the archive is damaged: a header's {what} is not a number")
    return int(digits, 8)


def _text(field: bytes) -> str:
    end = field.find(b"\x00")
    raw = field if end < 0 else field[:end]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BundleMalformed("the archive is damaged: a member name is not UTF-8") from None


def parse_header(block: bytes) -> UstarMember:
    """One 512-byte header block (not the end marker), checked strictly."""
    if block[257:265] != _MAGIC:
        raise BundleMalformed("the archive is damaged: a header is not POSIX ustar")
    stored = _octal(block[_CHECKSUM_AT], "checksum")
    if stored != sum(block) - sum(block[_CHECKSUM_AT]) + 8 * 0x20:
        raise BundleMalformed("the archive is damaged: a header's checksum is wrong")
    if block[345:500].strip(b"\x00"):
        raise BundleMalformed("the archive is damaged: a header uses the name prefix")
    name = _text(block[:NAME_BYTES])
    if not name:
        raise BundleMalformed("the archive is damaged: a member has no name")
    return UstarMember(name, _octal(block[124:136], "size"), block[156:157] in _REGULAR)


class MemberHandler(Protocol):
    """What a `UstarPush` reports, in stream order."""

    def begin(self, member: UstarMember) -> Callable[[bytes], object]:
        """A member starts: return the function that receives its data, piece by piece."""
        ...

    def end(self) -> None:
        """The current member's data is complete."""
        ...


class UstarPush:
    """A ustar stream parsed as it is written to it (``write(b)``, any piece sizes), for
    a producer that pushes, like age decryption.

    Tells ``handler`` where each member begins and ends and hands it the data in between
    (slices of what was written, never joined). After the end marker only zeros may
    follow; `close` at the end of the stream refuses a stream cut short."""

    def __init__(self, handler: MemberHandler) -> None:
        self._handler = handler
        self._block = bytearray()  # a header block being gathered
        self._consume: Callable[[bytes], object] | None = None
        self._name = ""
        self._left = 0  # data bytes of the current member still to come
        self._pad = 0  # then this many padding bytes
        self.ended = False

    def write(self, data: bytes) -> int:
        size = len(data)
        if self._left >= size and self._consume is not None:  # the common case: all data
            self._consume(data)
            self._left -= size
            if not self._left:
                self._member_done()
            return size
        at = 0
        while at < size:
            if self._left:
                take = min(self._left, size - at)
                assert self._consume is not None
                self._consume(data[at : at + take])
                self._left -= take
                at += take
                if not self._left:
                    self._member_done()
            elif self._pad or self.ended:
                take = size - at if self.ended else min(self._pad, size - at)
                if data.count(0, at, at + take) != take:
                    raise BundleMalformed(
                        "there is data after the end of the archive" if self.ended
                        else f"the archive is damaged: {self._name} is padded with data"
                    )
                if not self.ended:
                    self._pad -= take
                at += take
            elif not self._block and size - at >= BLOCK:  # a whole header at hand
                at += BLOCK
                self._header(data[at - BLOCK : at])
            else:
                take = min(BLOCK - len(self._block), size - at)
                self._block += data[at : at + take]
                at += take
                if len(self._block) == BLOCK:
                    self._header(bytes(self._block))
                    self._block.clear()
        return size

    def _header(self, block: bytes) -> None:
        if block.count(0) == BLOCK:
            self.ended = True
            return
        member = parse_header(block)
        self._name, self._left, self._pad = member.name, member.size, -member.size % BLOCK
        self._consume = self._handler.begin(member)
        if not self._left:
            self._member_done()

    def _member_done(self) -> None:
        self._consume = None
        self._handler.end()

    def close(self) -> None:
        """The stream is over: refuse it unless the end marker was reached."""
        if not self.ended:
            where = self._name if self._left or self._pad else "a header"
            raise BundleMalformed(f"the archive is damaged: it ends inside {where}")
