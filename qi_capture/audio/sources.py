"""Sources of PCM frames: the `PcmSource` protocol and the generated sources (a tone,
silence, a looped clip, synthesised speech) that let every test and benchmark run the
real pipeline without a microphone.

A source yields mono blocks (1-D ``float32`` in [-1, 1] or ``int16``) at
``sample_rate``. ``read(timeout)`` returns the next block, an empty block when none came
within ``timeout`` seconds (a live source), or None once the source has ended.
Generated sources produce blocks as fast as they are asked for (a two-hour interview is
encoded in minutes), or at the pace of the clock with ``realtime=True``.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import time
from typing import Protocol

import numpy as np
import numpy.typing as npt
import soundfile

from qi_capture.audio.errors import SpeechUnavailable

Block = npt.NDArray[np.float32] | npt.NDArray[np.int16]
EMPTY: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)


class PcmSource(Protocol):
    @property
    def sample_rate(self) -> int: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def read(self, timeout: float) -> Block | None: ...


class _Generated:
    """Shared by the generated sources: block cutting, a length, optional real-time pace."""

    def __init__(
        self, sample_rate: int, seconds: float, *, block_frames: int, realtime: bool
    ) -> None:
        self._rate = sample_rate
        self._total = round(seconds * sample_rate)
        self._block = block_frames
        self._realtime = realtime
        self._done = 0
        self._started_at = 0.0
        self._stopped = False

    @property
    def sample_rate(self) -> int:
        return self._rate

    def start(self) -> None:
        self._started_at = time.monotonic()

    def stop(self) -> None:
        self._stopped = True

    def read(self, timeout: float) -> Block | None:
        if self._stopped or self._done >= self._total:
            return None
        n = min(self._block, self._total - self._done)
        if self._realtime:
            due = self._started_at + (self._done + n) / self._rate
            wait = due - time.monotonic()
            if wait > timeout:
                time.sleep(timeout)
                return EMPTY
            if wait > 0:
                time.sleep(wait)
        block = self._frames(self._done, n)
        self._done += n
        return block

    def _frames(self, start: int, n: int) -> Block:
        raise NotImplementedError


class ToneSource(_Generated):
    """A sine tone (``amplitude`` 0 gives digital silence), phase-continuous across
    blocks and computed block by block, so its memory does not grow with its length."""

    def __init__(
        self,
        seconds: float,
        *,
        frequency: float = 440.0,
        amplitude: float = 0.3,
        sample_rate: int = 16000,
        block_frames: int = 1600,
        realtime: bool = False,
    ) -> None:
        super().__init__(sample_rate, seconds, block_frames=block_frames, realtime=realtime)
        self._frequency = frequency
        self._amplitude = amplitude

    def _frames(self, start: int, n: int) -> Block:
        t = np.arange(start, start + n, dtype=np.float64) / self._rate
        return (self._amplitude * np.sin(2 * np.pi * self._frequency * t)).astype(np.float32)


def tone(seconds: float, *, frequency: float = 440.0, amplitude: float = 0.3,
         sample_rate: int = 16000) -> npt.NDArray[np.float32]:
    """The samples `ToneSource` yields, in one array (for comparisons in tests)."""
    t = np.arange(round(seconds * sample_rate), dtype=np.float64) / sample_rate
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


class ClipSource(_Generated):
    """A clip of samples, looped to ``seconds`` (default: the clip once)."""

    def __init__(
        self,
        samples: npt.NDArray[np.float32],
        *,
        sample_rate: int = 16000,
        seconds: float | None = None,
        block_frames: int = 1600,
        realtime: bool = False,
    ) -> None:
        if not len(samples):
            raise ValueError("the clip is empty")
        length = len(samples) / sample_rate if seconds is None else seconds
        super().__init__(sample_rate, length, block_frames=block_frames, realtime=realtime)
        self._clip = samples.astype(np.float32, copy=False)

    def _frames(self, start: int, n: int) -> Block:
        at = np.arange(start, start + n) % len(self._clip)
        return self._clip[at]


def speech(text: str, *, sample_rate: int = 16000) -> npt.NDArray[np.float32]:
    """``text`` spoken by espeak-ng, as mono float32 samples at ``sample_rate``. Raises
    `SpeechUnavailable` when espeak-ng is not installed. Nothing is written to disk: the
    WAV comes through a pipe."""
    program = shutil.which("espeak-ng")
    if program is None:
        raise SpeechUnavailable()
    wav = subprocess.run(
        [program, "--stdout", "-s", "150", text], capture_output=True, check=True, timeout=60
    ).stdout
    samples, rate = soundfile.read(io.BytesIO(wav), dtype="float32", always_2d=True)
    mono: npt.NDArray[np.float32] = np.ascontiguousarray(samples[:, 0], dtype=np.float32)
    if rate == sample_rate:
        return mono
    # espeak-ng speaks at 22050 Hz; linear interpolation is ample for a test signal.
    count = round(len(mono) * sample_rate / rate)
    positions = np.arange(count, dtype=np.float64) * rate / sample_rate
    resampled: npt.NDArray[np.float32] = np.interp(
        positions, np.arange(len(mono)), mono
    ).astype(np.float32)
    return resampled
