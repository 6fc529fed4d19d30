"""Random access into a chunked file (playback seeks) and the salvage of an unsealed one
(a recording cut by a kill)."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

import pytest

from qi_capture.crypto import chunked
from qi_capture.crypto.chunked_reader import ChunkedReader
from qi_capture.crypto.chunked_salvage import salvage
from qi_capture.crypto.errors import ChunkedFileInvalid

AAD = b"attachment-id-16"
SMALL = chunked.MIN_CHUNK_BYTES


def _sealed(tmp_path: Path, data: bytes, key: bytes) -> Path:
    path = tmp_path / "f.qiatt"
    chunked.encrypt_to(path, key, AAD, [data], chunk_size=SMALL)
    return path


@pytest.mark.parametrize("size", [0, 1, SMALL - 1, SMALL, SMALL + 1, 5 * SMALL + 123])
def test_random_reads_return_the_plaintext(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    key = chunked.new_key()
    with ChunkedReader(_sealed(tmp_path, data, key).open("rb"), key, AAD,
                       expected_size=size) as reader:
        assert reader.size == size
        assert reader.read() == data
        rng = random.Random(size)
        for _ in range(50):
            start = rng.randrange(0, size + 1)
            length = rng.randrange(0, 3 * SMALL)
            reader.seek(start)
            assert reader.read(length) == data[start : start + length]
        if size:
            assert reader.seek(-1, io.SEEK_END) == size - 1
            assert reader.read() == data[-1:]
        with pytest.raises(ValueError):
            reader.seek(-1)


def test_a_cut_or_extended_file_is_refused_at_open(tmp_path: Path) -> None:
    key = chunked.new_key()
    path = _sealed(tmp_path, os.urandom(3 * SMALL + 10), key)
    whole = path.read_bytes()
    for cut in (len(whole) - 1, len(whole) - 30, chunked.HEADER_BYTES + SMALL + 16):
        path.write_bytes(whole[:cut])
        with pytest.raises(ChunkedFileInvalid):
            ChunkedReader(path.open("rb"), key, AAD)
    path.write_bytes(whole + b"x")
    with pytest.raises(ChunkedFileInvalid):
        ChunkedReader(path.open("rb"), key, AAD)


def test_a_changed_chunk_is_refused_when_read(tmp_path: Path) -> None:
    key = chunked.new_key()
    path = _sealed(tmp_path, os.urandom(3 * SMALL + 10), key)
    raw = bytearray(path.read_bytes())
    raw[chunked.HEADER_BYTES + SMALL + 16 + 5] ^= 1  # in chunk 1
    path.write_bytes(bytes(raw))
    with ChunkedReader(path.open("rb"), key, AAD) as reader:
        assert len(reader.read(SMALL)) == SMALL  # chunk 0 is fine
        with pytest.raises(ChunkedFileInvalid) as caught:
            reader.read(10)
        assert caught.value.params["reason"] == "authentication_failed"


def test_another_key_or_attachment_is_refused(tmp_path: Path) -> None:
    key = chunked.new_key()
    path = _sealed(tmp_path, b"abc" * 100, key)
    with pytest.raises(ChunkedFileInvalid):
        ChunkedReader(path.open("rb"), chunked.new_key(), AAD)
    with pytest.raises(ChunkedFileInvalid):
        ChunkedReader(path.open("rb"), key, b"other-attachment")


def _unsealed(path: Path, key: bytes, data: bytes) -> None:
    """What a writer killed before `close` leaves: header and the full chunks only."""
    with path.open("wb") as f:
        writer = chunked.ChunkedWriter(f, key, AAD, chunk_size=SMALL)
        writer.write(data)


def test_salvage_keeps_every_whole_chunk_of_an_unsealed_file(tmp_path: Path) -> None:
    key = chunked.new_key()
    data = os.urandom(4 * SMALL + 999)
    path = tmp_path / "cut.qirec"
    _unsealed(path, key, data)
    assert b"".join(salvage(path, key, AAD)) == data[: 4 * SMALL]
    # A kill in the middle of writing a chunk: the part chunk is dropped.
    whole = path.read_bytes()
    path.write_bytes(whole + os.urandom(100))
    assert b"".join(salvage(path, key, AAD)) == data[: 4 * SMALL]
    path.write_bytes(whole[: -50])
    assert b"".join(salvage(path, key, AAD)) == data[: 3 * SMALL]


def test_salvage_of_a_sealed_file_is_all_of_it(tmp_path: Path) -> None:
    key = chunked.new_key()
    data = os.urandom(2 * SMALL + 5)
    assert b"".join(salvage(_sealed(tmp_path, data, key), key, AAD)) == data


def test_salvage_stops_at_a_changed_chunk_and_never_returns_it(tmp_path: Path) -> None:
    key = chunked.new_key()
    data = os.urandom(4 * SMALL)
    path = tmp_path / "cut.qirec"
    _unsealed(path, key, data)
    raw = bytearray(path.read_bytes())
    raw[chunked.HEADER_BYTES + 2 * (SMALL + 16) + 7] ^= 1  # chunk 2
    path.write_bytes(bytes(raw))
    assert b"".join(salvage(path, key, AAD)) == data[: 2 * SMALL]
    assert list(salvage(path, chunked.new_key(), AAD)) == []


def test_salvage_refuses_a_file_of_another_format(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"OggS" + os.urandom(100))
    with pytest.raises(ChunkedFileInvalid):
        list(salvage(path, chunked.new_key(), AAD))
