"""The recorder: PCM blocks in, Opus bytes out to an `EncodedSink`, with the figures an
interview screen shows (elapsed time, level, silence) and pause/resume.

`Recorder` does the work for one block at a time (`feed`), on whatever thread calls it;
`Recording` runs a `PcmSource` into a `Recorder` on a thread of its own and is what the
services hand out. The UI polls `Recording.status()` (a frozen snapshot, safe from any
thread) on a timer; nothing calls back into it.

Elapsed time counts audio frames encoded, not the wall clock: paused blocks are dropped
and not counted, so a position taken from ``elapsed`` is a position in the recording.
Durability: every ``sync_seconds`` of audio the sink's ``sync`` (if it has one) is called,
so after a crash everything but the last few seconds is on disk.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import numpy.typing as npt

from qi_capture.audio.encoder import EncodedSink, OpusEncoder
from qi_capture.audio.ending import ENDED_CAP, ENDED_ERROR, ENDED_SOURCE
from qi_capture.audio.meter import Level, SilenceDetector
from qi_capture.audio.sources import Block, PcmSource


class SyncableSink(EncodedSink, Protocol):
    def sync(self) -> None: ...


@dataclass(frozen=True)
class RecorderStatus:
    state: str  # "recording", "paused", "stopped"
    elapsed_seconds: float
    level: Level
    silent_seconds: float
    silent: bool  # input below the silence threshold for the detector's whole span
    encoded_bytes: int
    #: Why a recording stopped by itself (`ENDED_*`), empty while it runs or when it was
    #: stopped on purpose: the screen says so instead of showing "recording" on.
    ended: str = ""


def as_float(block: Block) -> npt.NDArray[np.float32]:
    if block.dtype == np.int16:
        return (block.astype(np.float32) / 32768.0).reshape(-1)
    return np.asarray(block, dtype=np.float32).reshape(-1)


class Recorder:
    def __init__(
        self,
        sink: EncodedSink,
        *,
        sample_rate: int = 16000,
        sync_seconds: float = 2.0,
        silence: SilenceDetector | None = None,
    ) -> None:
        self._sink = sink
        self._encoder = OpusEncoder(sink, sample_rate)
        self._rate = sample_rate
        self._sync_frames = round(sync_seconds * sample_rate)
        self._since_sync = 0
        self._silence = silence or SilenceDetector()
        self._lock = threading.Lock()
        self._frames = 0
        self._level = Level()
        self._paused = False
        self._stopped = False

    def feed(self, block: Block) -> None:
        samples = as_float(block)
        if not len(samples):
            return
        level = Level.of(samples)
        with self._lock:
            self._level = level
            if self._paused or self._stopped:
                return
            self._silence.feed(level, len(samples) / self._rate)
        self._encoder.write(samples)
        with self._lock:
            self._frames += len(samples)
        self._since_sync += len(samples)
        if self._since_sync >= self._sync_frames:
            self._since_sync = 0
            self._sync()

    def _sync(self) -> None:
        sync = getattr(self._sink, "sync", None)
        if sync is not None:
            sync()

    def pause(self) -> None:
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        with self._lock:
            self._paused = False

    def finish(self) -> None:
        """Encode what is buffered, end the stream and sync the sink. Idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._encoder.close()
        self._sync()

    @property
    def rate(self) -> int:
        return self._rate

    @property
    def elapsed_seconds(self) -> float:
        with self._lock:
            return self._frames / self._rate

    def status(self) -> RecorderStatus:
        with self._lock:
            state = "stopped" if self._stopped else "paused" if self._paused else "recording"
            return RecorderStatus(
                state=state,
                elapsed_seconds=self._frames / self._rate,
                level=self._level,
                silent_seconds=self._silence.silent_seconds,
                silent=self._silence.silent,
                encoded_bytes=self._encoder.encoded_bytes,
            )


class Recording:
    """A source recorded on a thread of its own. ``start`` opens the source (so a missing
    microphone raises there, on the caller's thread); ``stop`` stops the source, waits for
    the thread, finishes the encoding and re-raises whatever failed on the thread. A
    generated source that ends stops the thread by itself (``wait`` for it)."""

    def __init__(self, source: PcmSource, recorder: Recorder, *, poll_seconds: float = 0.2,
                 max_seconds: float | None = None):
        self._source = source
        self.recorder = recorder
        self._poll = poll_seconds
        #: The study's cap on the recording's length (seconds of audio), if any.
        self.max_seconds = max_seconds
        self._halt = threading.Event()
        self._error: BaseException | None = None
        self._ended = ""
        self._thread = threading.Thread(target=self._run, name="audio-recorder", daemon=True)

    def start(self, *, source_started: bool = False) -> None:
        """Start the source (unless the caller did, to learn its sample rate first) and
        the recording thread."""
        if not source_started:
            self._source.start()
        self._thread.start()

    def _run(self) -> None:
        cap = self.max_seconds
        try:
            while not self._halt.is_set():
                block = self._source.read(self._poll)
                if block is None:
                    if not self._halt.is_set():
                        self._ended = ENDED_SOURCE
                    return
                if cap is not None:
                    # Cut the last block at the cap, so the recording is exactly as long
                    # as the study allows.
                    room = round((cap - self.recorder.elapsed_seconds) * self.recorder.rate)
                    if room < len(block):
                        self.recorder.feed(block[:max(room, 0)])
                        self._ended = ENDED_CAP
                        return
                self.recorder.feed(block)
        except BaseException as exc:  # handed to stop()'s caller
            self._ended = ENDED_ERROR
            self._error = exc

    def pause(self) -> None:
        self.recorder.pause()

    def resume(self) -> None:
        self.recorder.resume()

    def status(self) -> RecorderStatus:
        """The recorder's status; once the thread has ended by itself (the source ran out
        or failed, or the length cap was reached) it says "stopped" and why, although
        the encoding is finished only by `stop`."""
        status = self.recorder.status()
        if self._ended and not self._thread.is_alive():
            return replace(status, state="stopped", ended=self._ended)
        return status

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a source that ends by itself; True once the thread is done."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def stop(self) -> None:
        self._halt.set()
        self._source.stop()
        if self._thread.ident is not None:
            self._thread.join()
        self.recorder.finish()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
