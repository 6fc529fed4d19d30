"""The bundle's tar dialect: what `ustar.header` writes any tar reader reads, and
`UstarPush` reads it back whatever the piece sizes, refusing anything else by name."""

from __future__ import annotations

import io
import itertools
import tarfile
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qi_capture.sync import ustar
from qi_capture.sync.errors import BundleMalformed


class Recorder:
    """A `MemberHandler` keeping every member's name, type and bytes."""

    def __init__(self) -> None:
        self.members: list[tuple[str, bool, bytes]] = []
        self._parts: list[bytes] = []
        self._member: ustar.UstarMember | None = None

    def begin(self, member: ustar.UstarMember) -> Callable[[bytes], object]:
        self._member, self._parts = member, []
        return self._parts.append

    def end(self) -> None:
        assert self._member is not None
        self.members.append((self._member.name, self._member.regular, b"".join(self._parts)))


def archive(files: list[tuple[str, bytes]], *, tail: int = 2 * ustar.BLOCK) -> bytes:
    out = bytearray()
    for name, data in files:
        out += ustar.header(name, len(data)) + data + ustar.padding(len(data))
    return bytes(out + bytes(tail))


def push(data: bytes, cuts: list[int] | None = None) -> list[tuple[str, bool, bytes]]:
    recorder = Recorder()
    reader = ustar.UstarPush(recorder)
    points = sorted({0, *(c % (len(data) + 1) for c in cuts or []), len(data)})
    for start, end in itertools.pairwise(points):
        reader.write(data[start:end])
    reader.close()
    return recorder.members


FILES = [("manifest.json", b'{"a":1}'), ("manifest.sig", bytes(range(64))),
         ("revisions/x.json", b"x" * 512), ("attachments/empty", b""),
         ("attachments/big", bytes(range(256)) * 700)]


def test_tarfile_reads_what_we_write() -> None:
    with tarfile.open(fileobj=io.BytesIO(archive(FILES)), mode="r|") as tar:
        read = [(m.name, m.size, m.mode, m.isreg(), tar.extractfile(m).read())  # type: ignore[union-attr]
                for m in tar]
    assert read == [(n, len(d), 0o600, True, d) for n, d in FILES]


def test_headers_are_what_tarfile_writes_for_the_same_member() -> None:
    for name, size in [("revisions/a.json", 1234), ("m", 0), ("x" * 99, 8**11 - 1)]:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime, info.type = size, 0o600, 0, tarfile.REGTYPE
        assert ustar.header(name, size) == info.tobuf(format=tarfile.USTAR_FORMAT,
                                                      encoding="utf-8", errors="strict")


def test_names_and_sizes_the_writer_refuses() -> None:
    for name in ("", "x" * 100, "a\x00b"):
        with pytest.raises(ValueError):
            ustar.header(name, 1)
    with pytest.raises(ValueError):
        ustar.header("m", 8**11)


@settings(max_examples=200, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=10**6), max_size=40))
def test_any_piece_sizes_give_the_same_members(cuts: list[int]) -> None:
    data = archive(FILES, tail=65536)
    assert push(data, cuts) == [(n, True, d) for n, d in FILES]


def refused(data: bytes) -> str:
    with pytest.raises(BundleMalformed) as caught:
        push(data)
    return caught.value.message


def patched(block: bytes, at: int, value: bytes, *, fix_checksum: bool = True) -> bytes:
    out = bytearray(block)
    out[at : at + len(value)] = value
    if fix_checksum:
        out[148:156] = b" " * 8
        out[148:156] = b"%06o\x00 " % sum(out)
    return bytes(out)


def test_damaged_headers_are_refused_by_name() -> None:
    good = archive([("m", b"abc")])
    head, rest = good[:512], good[512:]
    assert "checksum is wrong" in refused(patched(head, 0, b"n", fix_checksum=False) + rest)
    assert "not POSIX ustar" in refused(patched(head, 257, b"GNUtar ") + rest)
    assert "name prefix" in refused(patched(head, 345, b"dir") + rest)
    assert "size is not a number" in refused(patched(head, 124, b"0000000009") + rest)
    assert "size is not a number" in refused(patched(head, 124, b"\x80" + bytes(11)) + rest)
    assert "checksum is not a number" in refused(patched(head, 148, b"zz", fix_checksum=False)
                                                 + rest)
    assert "has no name" in refused(patched(head, 0, b"\x00") + rest)
    assert "not UTF-8" in refused(patched(head, 0, b"\xff") + rest)


def test_links_and_folders_are_reported_as_not_regular() -> None:
    good = archive([("m", b"")])
    for kind in (b"1", b"2", b"5", b"x", b"L"):
        assert push(patched(good[:512], 156, kind) + good[512:]) == [("m", False, b"")]


def test_padding_and_what_follows_the_end_must_be_zeros() -> None:
    good = archive([("m", b"abc")])
    padded = bytearray(good)
    padded[512 + 3 + 10] = 1
    assert "padded with data" in refused(bytes(padded))
    assert "data after the end" in refused(good + b"\x00" * 100 + b"x")


def test_a_cut_archive_is_refused() -> None:
    good = archive([("m", b"abc" * 300)])
    for cut in (0, 100, 512, 600, 512 + 900, 512 + 1024):
        assert "ends inside" in refused(good[:cut])
