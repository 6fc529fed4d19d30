"""The microphone as a `PcmSource`: a PortAudio input stream (``sounddevice``) whose
callback copies each block into a bounded queue that the recorder drains.

``sounddevice`` loads PortAudio's shared library when imported, and on Linux that library
comes from the system; so it is imported here, lazily, only when a microphone is opened,
and a missing library is the `NoMicrophoneSupport` error rather than a failed start.
The queue holds a few seconds: if the writer falls that far behind, the oldest audio is
kept and new blocks are counted as dropped (``dropped_blocks``), so memory stays bounded.
"""

from __future__ import annotations

import queue
from types import ModuleType
from typing import Any

import numpy as np

from qi_capture.audio.errors import InputLost, NoInputDevice, NoMicrophoneSupport
from qi_capture.audio.sources import EMPTY, Block


def load_sounddevice() -> ModuleType:
    """``sounddevice``, or `NoMicrophoneSupport` when PortAudio cannot be loaded."""
    try:
        import sounddevice
    except (ImportError, OSError) as exc:
        raise NoMicrophoneSupport(type(exc).__name__) from None
    module: ModuleType = sounddevice
    return module


class MicrophoneSource:
    def __init__(
        self,
        *,
        sample_rate: int = 16000,
        block_seconds: float = 0.1,
        queue_seconds: float = 5.0,
        device: int | str | None = None,
    ) -> None:
        self._rate = sample_rate
        self._block_seconds = block_seconds
        self._queue: queue.Queue[Block] = queue.Queue(
            maxsize=max(1, round(queue_seconds / block_seconds))
        )
        self._device = device
        self._stream: Any = None
        self._stopped = False
        self.dropped_blocks = 0

    @property
    def sample_rate(self) -> int:
        return self._rate

    def start(self) -> None:
        """Open and start the input stream. Raises `NoMicrophoneSupport` (no PortAudio)
        or `NoInputDevice` (no microphone, or it cannot be opened). A device that cannot
        capture at the rate asked for is opened at 48 kHz (Opus's own rate, which every
        input supports through the system's resampler); ``sample_rate`` then says so."""
        sd = load_sounddevice()
        try:
            sd.query_devices(self._device, kind="input")
            for rate in dict.fromkeys((self._rate, 48000)):
                try:
                    sd.check_input_settings(self._device, channels=1, dtype="float32",
                                            samplerate=rate)
                except sd.PortAudioError:
                    continue
                self._rate = rate
                break
            stream = sd.InputStream(
                samplerate=self._rate, channels=1, dtype="float32",
                blocksize=round(self._rate * self._block_seconds), device=self._device,
                callback=self._on_block,
            )
            stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            raise NoInputDevice(type(exc).__name__) from None
        self._stream = stream

    def _on_block(self, indata: Any, frames: int, time: Any, status: Any) -> None:
        # PortAudio's thread: copy (indata is reused) and never block.
        try:
            self._queue.put_nowait(np.array(indata[:, 0], dtype=np.float32))
        except queue.Full:
            self.dropped_blocks += 1

    def read(self, timeout: float) -> Block | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            if self._stopped:
                return None
            stream = self._stream
            # A stream that went inactive on its own lost its device: say so, rather
            # than wait for blocks that will never come.
            if stream is not None and not stream.active:
                raise InputLost("the input stream stopped") from None
            return EMPTY

    def stop(self) -> None:
        self._stopped = True
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()
