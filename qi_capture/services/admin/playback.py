"""Playing a record's recording at the centre: `PlaybackSession`, the player's engine
behind the admin door (`AdminDesk.open_recording`).

The recording is read from its encrypted file through a decrypting seekable stream and
decoded on demand (`qi_capture.audio.playback.AudioReader`): the plaintext exists a chunk
at a time in memory and never in a file, temporary folders included.

The session keeps the position itself, so seeking, jumping back and a note's "play from
here" work with or without a sound device; ``play`` opens a PortAudio output stream
(``sounddevice``) whose callback pulls `render` and raises `NoOutputDevice` (or
`NoMicrophoneSupport` without PortAudio) when there is nothing to play on.

Speed (0.75x to 2x) resamples the decoded signal, so faster speech is also higher: the
simple way that keeps every word audible and needs no further library.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from qi_capture.audio.errors import NoOutputDevice
from qi_capture.audio.microphone import load_sounddevice
from qi_capture.audio.playback import AudioReader
from qi_capture.services.admin.errors import PlaybackSpeedInvalid

MIN_SPEED = 0.75
MAX_SPEED = 2.0
JUMP_BACK_MS = 5000
_BLOCK = 2048


class PlaybackSession:
    """One opened recording: position, speed, play and pause. Thread-safe: the audio
    callback renders while the UI seeks. Close it when done (closes the stream and file)."""

    def __init__(self, reader: AudioReader, *, name: str = "") -> None:
        self._reader = reader
        self.name = name
        self.sample_rate = reader.sample_rate
        self.frames = reader.frames
        self._lock = threading.Lock()
        self._pos = 0.0  # in input frames, fractional under a speed other than 1
        self._speed = 1.0
        self._blocks: Any = None  # the decoder's iterator from the current position
        self._pending = np.zeros(0, dtype=np.float32)
        self._stream: Any = None
        self._sd: Any = None
        self._playing = False
        #: Called (from the audio thread) when playback reaches the end.
        self.on_finished: Callable[[], None] | None = None

    # -- state -------------------------------------------------------------------------
    @property
    def duration_ms(self) -> int:
        return round(self.frames * 1000 / self.sample_rate)

    @property
    def position_ms(self) -> int:
        with self._lock:
            return round(self._pos * 1000 / self.sample_rate)

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def playing(self) -> bool:
        return self._playing

    def seek(self, ms: int) -> int:
        """Move to ``ms`` (clamped to the recording); returns the position set."""
        with self._lock:
            frame = min(max(0, round(ms * self.sample_rate / 1000)), self.frames)
            self._pos = float(frame)
            self._blocks = None
            self._pending = np.zeros(0, dtype=np.float32)
            return round(frame * 1000 / self.sample_rate)

    def jump_back(self, ms: int = JUMP_BACK_MS) -> int:
        return self.seek(self.position_ms - ms)

    def set_speed(self, speed: float) -> None:
        if not MIN_SPEED <= speed <= MAX_SPEED:
            raise PlaybackSpeedInvalid(speed, MIN_SPEED, MAX_SPEED)
        with self._lock:
            self._speed = float(speed)

    # -- rendering ---------------------------------------------------------------------
    def render(self, frames: int) -> npt.NDArray[np.float32]:
        """The next ``frames`` output samples at the current speed (zeros past the end),
        advancing the position: what the output stream's callback plays."""
        with self._lock:
            want = max(0, round(frames * self._speed))
            source = self._take(want)
            self._pos = min(self._pos + len(source), float(self.frames))
            out = np.zeros(frames, dtype=np.float32)
            if len(source) == 0 or frames == 0:
                return out
            if want == frames:
                out[: len(source)] = source
                return out
            # Resample the input stretch onto the output frames.
            produced = min(frames, round(len(source) / self._speed))
            where = np.linspace(0, len(source) - 1, produced, dtype=np.float64)
            out[:produced] = np.interp(where, np.arange(len(source)), source)
            return out

    def _take(self, count: int) -> npt.NDArray[np.float32]:
        if self._blocks is None:
            self._blocks = self._reader.blocks(self._pos / self.sample_rate,
                                               block_frames=_BLOCK)
        parts = [self._pending] if len(self._pending) else []
        have = len(self._pending)
        while have < count:
            block = next(self._blocks, None)
            if block is None:
                break
            parts.append(block)
            have += len(block)
        joined = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
        self._pending = joined[count:]
        return joined[:count]

    @property
    def at_end(self) -> bool:
        with self._lock:
            return self._pos >= self.frames

    # -- output ------------------------------------------------------------------------
    def play(self) -> None:
        """Start (or resume) playing from the position on the default output device.
        Raises `NoOutputDevice` (the position is kept and still works)."""
        if self._playing:
            return
        if self.at_end:
            self.seek(0)
        sd = self._sd = load_sounddevice()
        if self._stream is None:
            try:
                self._stream = sd.OutputStream(
                    samplerate=self.sample_rate, channels=1, dtype="float32",
                    blocksize=_BLOCK, callback=self._callback)
            except (sd.PortAudioError, ValueError) as exc:
                raise NoOutputDevice(type(exc).__name__) from None
        try:
            if not self._stream.stopped:  # ended by the callback: stop before a restart
                self._stream.stop()
            self._stream.start()
        except sd.PortAudioError as exc:
            raise NoOutputDevice(type(exc).__name__) from None
        self._playing = True

    def _callback(self, outdata: Any, frames: int, _time: Any, _status: Any) -> None:
        outdata[:, 0] = self.render(frames)
        if self.at_end:
            self._playing = False
            if self.on_finished is not None:
                self.on_finished()
            raise self._sd.CallbackStop

    def pause(self) -> None:
        if self._stream is not None and self._playing:
            self._stream.stop()
        self._playing = False

    def play_from(self, ms: int) -> None:
        """Seek to ``ms`` and play (a note's moment)."""
        self.seek(ms)
        self.play()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        self._playing = False
        self._reader.close()
