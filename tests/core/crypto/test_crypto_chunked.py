"""The streaming AES-256-GCM attachment file format (qi_capture.crypto.chunked): round
trips at every size that matters, and every change, cut, extension, swap, reorder or
wrong key refused with its reason, never a wrong byte returned."""

from __future__ import annotations

import io
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from qi_capture.crypto import chunked
from qi_capture.crypto.errors import ChunkedFileInvalid

SMALL = chunked.MIN_CHUNK_BYTES  # small chunks: many boundaries in a short file
KEY = bytes(range(32))
AAD = b"attachment-id-16"


def _seal(data: bytes, *, chunk_size: int = SMALL, key: bytes = KEY, aad: bytes = AAD) -> bytes:
    out = io.BytesIO()
    chunked.encrypt_to(out, key, aad, [data], chunk_size=chunk_size)
    return out.getvalue()


def _open(
    path: Path, sealed: bytes, *, key: bytes = KEY, aad: bytes = AAD, size: int | None = None
) -> bytes:
    path.write_bytes(sealed)
    return b"".join(chunked.decrypt_from(path, key, aad, expected_size=size))


def _refused(
    path: Path, sealed: bytes, original: bytes, *, size: int | None = None, aad: bytes = AAD
) -> str:
    """Assert the file is refused, and that whatever came out before the refusal is a
    prefix of the original (authenticated pieces only); return the reason."""
    path.write_bytes(sealed)
    got = bytearray()
    with pytest.raises(ChunkedFileInvalid) as info:
        for piece in chunked.decrypt_from(path, KEY, aad, expected_size=size):
            got += piece
    assert original.startswith(bytes(got))
    assert info.value.code == "chunked_file_invalid"
    return str(info.value.params["reason"])


@pytest.mark.parametrize(
    "size",
    [0, 1, chunked.CHUNK_BYTES - 1, chunked.CHUNK_BYTES, chunked.CHUNK_BYTES + 1,
     3 * chunked.CHUNK_BYTES, 5 * 1024 * 1024 + 7],
)
def test_round_trip(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "a.qiatt"
    written = chunked.encrypt_to(path, KEY, AAD, _pieces(data, 100_003))
    assert written == size
    assert path.stat().st_size == chunked.encrypted_size(size)
    pieces = list(chunked.decrypt_from(path, KEY, AAD, expected_size=size))
    assert b"".join(pieces) == data
    # One piece per chunk: every piece but the last is a whole chunk.
    assert all(len(p) == chunked.CHUNK_BYTES for p in pieces[:-1])
    assert len(pieces) == size // chunked.CHUNK_BYTES + 1
    with path.open("rb") as f:  # a file object reads the same
        assert b"".join(chunked.decrypt_from(f, KEY, AAD)) == data


def _pieces(data: bytes, step: int) -> Iterator[bytes]:
    for start in range(0, len(data), step):
        yield data[start : start + step]


def test_input_pieces_of_any_length(tmp_path: Path) -> None:
    data = os.urandom(5 * SMALL + 3)
    one = io.BytesIO()
    chunked.encrypt_to(one, KEY, AAD, [data], chunk_size=SMALL)
    for step in (1, 7, SMALL - 1, SMALL, SMALL + 1, 3 * SMALL):
        out = io.BytesIO()
        chunked.encrypt_to(out, KEY, AAD, [b"", *_pieces(data, step), b""], chunk_size=SMALL)
        assert out.getvalue() == one.getvalue()  # same key, same chunks: same file
    assert _open(tmp_path / "a", one.getvalue(), size=len(data)) == data


def test_empty_plaintext_is_one_empty_final_chunk(tmp_path: Path) -> None:
    sealed = _seal(b"")
    assert len(sealed) == chunked.HEADER_BYTES + chunked.TAG_BYTES
    assert _open(tmp_path / "a", sealed, size=0) == b""
    assert _refused(tmp_path / "a", sealed[: chunked.HEADER_BYTES], b"") == "truncated"


def test_header_layout() -> None:
    sealed = _seal(b"x")
    assert sealed.startswith(chunked.MAGIC)
    assert sealed[: chunked.HEADER_BYTES] == chunked.header(SMALL)


def test_every_header_byte_is_checked(tmp_path: Path) -> None:
    data = os.urandom(2 * SMALL + 5)
    sealed = _seal(data)
    reasons = set()
    for offset in range(chunked.HEADER_BYTES):
        for bit in (0x01, 0x80):
            bad = bytearray(sealed)
            bad[offset] ^= bit
            reasons.add(_refused(tmp_path / "a", bytes(bad), data))
    assert reasons <= {"not_this_format", "unsupported_version", "bad_header",
                       "authentication_failed"}


def test_flipped_bits_in_chunks_and_tags_are_refused(tmp_path: Path) -> None:
    data = os.urandom(3 * SMALL + 100)
    sealed = _seal(data)
    full = SMALL + chunked.TAG_BYTES
    offsets = set()
    for i in range(4):  # first, last byte of each chunk, its tag, its boundaries
        start = chunked.HEADER_BYTES + i * full
        offsets |= {start, start + 1, start + SMALL - 1, start + SMALL, start + full - 1}
    offsets = {o for o in offsets if o < len(sealed)} | {len(sealed) - 1}
    rng = random.Random(7)
    offsets |= {rng.randrange(chunked.HEADER_BYTES, len(sealed)) for _ in range(300)}
    for offset in sorted(offsets):
        bad = bytearray(sealed)
        bad[offset] ^= 1 << rng.randrange(8)
        assert _refused(tmp_path / "a", bytes(bad), data, size=len(data)) == (
            "authentication_failed"
        ), offset


def test_truncation_anywhere_is_refused(tmp_path: Path) -> None:
    data = os.urandom(3 * SMALL)  # a whole number of chunks: ends with an empty chunk
    sealed = _seal(data)
    full = SMALL + chunked.TAG_BYTES
    cuts = {0, 1, chunked.HEADER_BYTES - 1, chunked.HEADER_BYTES, len(sealed) - 1,
            len(sealed) - chunked.TAG_BYTES}
    for i in range(1, 4):  # every chunk boundary, and one byte either side
        boundary = chunked.HEADER_BYTES + i * full
        cuts |= {boundary - 1, boundary, boundary + 1}
    cuts |= {chunked.HEADER_BYTES + SMALL // 2 + i * full for i in range(3)}  # mid-chunk
    for cut in sorted(c for c in cuts if c < len(sealed)):
        # Without the expected size the format alone refuses it...
        assert _refused(tmp_path / "a", sealed[:cut], data) in {
            "truncated", "not_this_format", "authentication_failed"}, cut
        # ...and with it, before the first piece.
        if cut >= chunked.HEADER_BYTES:
            assert _refused(tmp_path / "a", sealed[:cut], b"", size=len(data)) == "truncated"


def test_final_chunk_dropped_is_refused(tmp_path: Path) -> None:
    data = os.urandom(2 * SMALL + 10)
    sealed = _seal(data)
    without_last = sealed[: chunked.HEADER_BYTES + 2 * (SMALL + chunked.TAG_BYTES)]
    assert _refused(tmp_path / "a", without_last, data) == "truncated"


@pytest.mark.parametrize("extra", [b"\x00", b"x" * 16, os.urandom(SMALL + 16)])
def test_appended_bytes_are_refused(tmp_path: Path, extra: bytes) -> None:
    for data in (b"", os.urandom(SMALL), os.urandom(SMALL + 9)):
        sealed = _seal(data) + extra
        assert _refused(tmp_path / "a", sealed, data) in {"trailing_data",
                                                          "authentication_failed"}
        assert _refused(tmp_path / "a", sealed, b"", size=len(data)) == "trailing_data"


def test_trailing_data_after_the_final_chunk_withholds_it(tmp_path: Path) -> None:
    # The final piece comes out only once nothing follows it.
    data = b"short final chunk"
    bad = bytearray(_seal(data) + b"x")
    (tmp_path / "a").write_bytes(bad)
    out = chunked.decrypt_from(tmp_path / "a", KEY, AAD)
    with pytest.raises(ChunkedFileInvalid) as info:
        next(out)
    assert info.value.params["reason"] in {"trailing_data", "authentication_failed"}


def test_chunks_reordered_or_repeated_are_refused(tmp_path: Path) -> None:
    data = os.urandom(3 * SMALL + 1)
    sealed = _seal(data)
    full = SMALL + chunked.TAG_BYTES
    head = sealed[: chunked.HEADER_BYTES]
    chunks = [sealed[chunked.HEADER_BYTES + i * full : chunked.HEADER_BYTES + (i + 1) * full]
              for i in range(4)]
    for order in ([1, 0, 2, 3], [0, 0, 1, 2, 3], [0, 2, 3], [0, 1, 2, 2, 3]):
        assert _refused(tmp_path / "a", head + b"".join(chunks[i] for i in order), data) in {
            "authentication_failed", "trailing_data"}


def test_another_attachments_file_or_key_is_refused(tmp_path: Path) -> None:
    data = os.urandom(SMALL + 3)
    sealed = _seal(data)
    assert _refused(tmp_path / "a", sealed, b"", aad=b"another-id-16byt") == (
        "authentication_failed")
    (tmp_path / "a").write_bytes(sealed)
    with pytest.raises(ChunkedFileInvalid):
        b"".join(chunked.decrypt_from(tmp_path / "a", bytes(32), AAD))
    # Chunks spliced in from another file (every file has its own key) are refused.
    # (Under one key and id, chunks of two files would be interchangeable: that is why
    # a key seals one file only.)
    other = _seal(os.urandom(SMALL + 3), key=chunked.new_key())
    spliced = sealed[: chunked.HEADER_BYTES + SMALL + 16] + other[chunked.HEADER_BYTES
                                                                  + SMALL + 16:]
    assert _refused(tmp_path / "a", spliced, data) == "authentication_failed"


def test_not_an_attachment_file(tmp_path: Path) -> None:
    assert _refused(tmp_path / "a", b"", b"") == "not_this_format"
    assert _refused(tmp_path / "a", os.urandom(1000), b"") == "not_this_format"
    newer = bytearray(_seal(b"x"))
    newer[len(chunked.MAGIC)] = chunked.VERSION + 1
    assert _refused(tmp_path / "a", bytes(newer), b"") == "unsupported_version"
    huge = bytearray(_seal(b"x"))
    huge[len(chunked.MAGIC) + 1 :] = (2**31).to_bytes(4, "big") + bytes(huge[12:])
    assert _refused(tmp_path / "a", bytes(huge), b"") == "bad_header"


def test_writer_passes_errors_through_and_leaves_no_file(tmp_path: Path) -> None:
    def failing() -> Iterator[bytes]:
        yield os.urandom(SMALL * 2)
        raise RuntimeError("source failed")

    with pytest.raises(RuntimeError):
        chunked.encrypt_to(tmp_path / "a", KEY, AAD, failing(), chunk_size=SMALL)
    assert not (tmp_path / "a").exists()
    (tmp_path / "b").write_bytes(b"someone else's")
    with pytest.raises(FileExistsError):
        chunked.encrypt_to(tmp_path / "b", KEY, AAD, [b"x"])
    assert (tmp_path / "b").read_bytes() == b"someone else's"  # never overwritten


def test_key_and_chunk_size_are_checked() -> None:
    with pytest.raises(ValueError):
        chunked.encrypt_to(io.BytesIO(), bytes(16), AAD, [b"x"])
    with pytest.raises(ValueError):
        chunked.encrypt_to(io.BytesIO(), KEY, AAD, [b"x"], chunk_size=100)
    assert len(chunked.new_key()) == chunked.KEY_BYTES
    assert chunked.new_key() != chunked.new_key()


def test_no_plaintext_in_the_file() -> None:
    data = b"RECOGNISABLE-PATTERN " * 5000
    sealed = _seal(data, chunk_size=chunked.CHUNK_BYTES)
    assert b"RECOGNISABLE" not in sealed
