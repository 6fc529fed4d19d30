"""Opus encoding in an Ogg container through libsndfile (``soundfile``), straight into a
byte sink: the encoded stream never exists as a file of its own.

libsndfile writes Ogg pages through a Python file object (its "virtual I/O"), one page
about every second of audio, and only ever appends (it asks where the end is once, at the
start). `_AppendOnly` holds it to that: any other seek raises, since bytes already sealed
into encrypted chunks cannot be rewritten.

Speech quality: mono at 16 kHz, libsndfile's compression level 0.95, which it maps to about
20 kbit/s (about 9 MB an hour; measured in tests/core/audio and bench/audio.py).
"""

from __future__ import annotations

import os
from typing import Protocol

import numpy as np
import numpy.typing as npt
import soundfile

from qi_capture.audio.errors import UnsupportedSampleRate

OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
MEDIA_TYPE = "audio/ogg; codecs=opus"
# libsndfile maps 0..1 linearly from its highest to its lowest Opus bitrate.
SPEECH_COMPRESSION = 0.95


class EncodedSink(Protocol):
    """Where encoded bytes go (the store's `RecordingWriter`, or a `BytesIO` in tests)."""

    def write(self, data: bytes, /) -> int | None: ...


class _AppendOnly:
    def __init__(self, sink: EncodedSink) -> None:
        self._sink = sink
        self._pos = 0

    def write(self, data: bytes) -> int:
        piece = bytes(data)
        self._sink.write(piece)
        self._pos += len(piece)
        return len(piece)

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        target = offset if whence == os.SEEK_SET else self._pos + offset  # the end is here
        if target == self._pos:
            return self._pos
        raise OSError("the encoded stream can only be appended to")

    def read(self, size: int = -1) -> bytes:
        return b""


class OpusEncoder:
    """Encode mono float32 blocks; ``close`` writes the last page (and the stream's end)."""

    def __init__(self, sink: EncodedSink, sample_rate: int = 16000) -> None:
        if sample_rate not in OPUS_RATES:
            raise UnsupportedSampleRate(sample_rate, OPUS_RATES)
        self.sample_rate = sample_rate
        self._out = _AppendOnly(sink)
        self._file = soundfile.SoundFile(
            self._out, "w", samplerate=sample_rate, channels=1, format="OGG",
            subtype="OPUS", compression_level=SPEECH_COMPRESSION,
        )

    @property
    def encoded_bytes(self) -> int:
        return self._out.tell()

    def write(self, block: npt.NDArray[np.float32]) -> None:
        self._file.write(block)

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
