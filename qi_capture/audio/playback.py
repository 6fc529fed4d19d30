"""Decoding a recording for playback: PCM from any time position, read from a seekable
binary file (the store hands a decrypting `ChunkedReader`, so the plaintext exists only
a chunk at a time in memory, never in a file).

`AudioReader.blocks(start)` is what a player pulls from; `play` sends it to the default
output device through PortAudio (imported lazily, as for the microphone).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
import soundfile

from qi_capture.audio.errors import AudioDecodeFailed, NoOutputDevice
from qi_capture.audio.microphone import load_sounddevice


class AudioReader:
    """An Ogg/Opus (or any libsndfile format) stream, decoded on demand. Closing the
    reader closes ``file``."""

    def __init__(self, file: BinaryIO | io.RawIOBase) -> None:
        self._raw = file
        try:
            self._file = soundfile.SoundFile(file)
        except (soundfile.LibsndfileError, RuntimeError) as exc:
            file.close()
            raise AudioDecodeFailed(type(exc).__name__) from None
        self.sample_rate: int = self._file.samplerate
        self.frames: int = self._file.frames

    @property
    def duration_seconds(self) -> float:
        return self.frames / self.sample_rate

    def blocks(
        self, start_seconds: float = 0.0, *, block_frames: int = 4096
    ) -> Iterator[npt.NDArray[np.float32]]:
        """Mono float32 blocks from ``start_seconds`` (clamped to the recording) to the
        end. A new call seeks again; blocks of an earlier call must not be pulled after."""
        frame = min(max(0, round(start_seconds * self.sample_rate)), self.frames)
        self._file.seek(frame)
        while True:
            block = self._file.read(block_frames, dtype="float32", always_2d=True)
            if not len(block):
                return
            yield np.ascontiguousarray(block[:, 0])

    def read_all(self, start_seconds: float = 0.0) -> npt.NDArray[np.float32]:
        """Everything from ``start_seconds`` in one array (tests, short clips)."""
        parts = list(self.blocks(start_seconds, block_frames=65536))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)

    def close(self) -> None:
        self._file.close()
        self._raw.close()

    def __enter__(self) -> AudioReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def play(reader: AudioReader, start_seconds: float = 0.0) -> None:
    """Play from ``start_seconds`` to the end on the default output device (blocking).
    Raises `NoMicrophoneSupport` without PortAudio, `NoOutputDevice` without a speaker."""
    sd = load_sounddevice()
    try:
        with sd.OutputStream(samplerate=reader.sample_rate, channels=1,
                             dtype="float32") as stream:
            for block in reader.blocks(start_seconds):
                stream.write(block)
    except (sd.PortAudioError, ValueError) as exc:
        raise NoOutputDevice(type(exc).__name__) from None
