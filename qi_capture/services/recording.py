"""Interview recording: the door the interview screen uses to record into a record's
attachments and the centre's player (later) to play them back.

`RecordingService.start` opens a source (the microphone by default), begins an encrypted
recording in the store and runs the recorder on its own thread; the returned
`ActiveRecording` is paused, resumed, polled (`status`) and stopped, which makes the
recording an attachment of the record. Locking the profile stops every active recording
and keeps it (`stop_all`). `open_audio` decodes an attachment from its encrypted file.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from qi_capture.audio.ending import ENDED_CAP, ENDED_ERROR, ENDED_SOURCE
from qi_capture.storage.dto import AttachmentInfo
from qi_capture.storage.recordings import RecordingWriter

__all__ = ["ENDED_CAP", "ENDED_ERROR", "ENDED_SOURCE", "ActiveRecording", "RecordingService"]

if TYPE_CHECKING:
    # The audio modules load numpy and libsndfile (about a second on a slow laptop), so
    # they are imported when a recording starts or plays, not when a profile opens.
    from qi_capture.audio.playback import AudioReader
    from qi_capture.audio.recorder import RecorderStatus, Recording
    from qi_capture.audio.sources import PcmSource
    from qi_capture.services.context import CoreContext


class ActiveRecording:
    """One recording in progress. Thread-safe: the UI thread may poll and control it."""

    def __init__(self, recording: Recording, writer: RecordingWriter,
                 service: RecordingService, record_id: uuid.UUID) -> None:
        self.attachment_id = writer.id
        self.record_id = record_id
        self._recording = recording
        self._writer = writer
        self._service = service
        self._lock = threading.Lock()
        self._result: AttachmentInfo | None = None

    def pause(self) -> None:
        self._recording.pause()

    def resume(self) -> None:
        self._recording.resume()

    def status(self) -> RecorderStatus:
        """Elapsed seconds (the position to stamp on a note), level, silence, state, and
        why it stopped if it stopped by itself (``ended``, one of `ENDED_*`)."""
        return self._recording.status()

    @property
    def max_seconds(self) -> float | None:
        """The study's cap on this recording's length, if any."""
        return self._recording.max_seconds

    @property
    def name(self) -> str:
        """The recording's attachment name within the record (what note marks name)."""
        return self._writer.name

    @property
    def result(self) -> AttachmentInfo | None:
        """The attachment the recording became, once stopped (also when `stop` raised
        the source's error after keeping it)."""
        return self._result

    def stop(self) -> AttachmentInfo:
        """Stop and keep: the recording becomes an attachment of the record. Idempotent.
        If the source failed on the way, what was recorded is still kept and the error
        is raised after."""
        with self._lock:
            if self._result is not None:
                return self._result
            try:
                self._recording.stop()
            finally:
                self._result = self._writer.finish()
                self._service._forget(self)
            return self._result


class RecordingService:
    def __init__(self, ctx: CoreContext) -> None:
        self._ctx = ctx
        self._active: list[ActiveRecording] = []
        self._lock = threading.Lock()
        #: Makes the source used when `start` is given none (None: the microphone). Tests
        #: and the screenshots set a generated source here, so that the interview screen
        #: records it through this door without knowing about audio sources.
        self.source_factory: Callable[[], PcmSource] | None = None

    def use_generated_tone(self, seconds: float = 3600.0) -> None:
        """Record a generated tone, at the pace of the clock, instead of the microphone:
        for the screenshots and demonstrations on machines without one (the interview
        screen may not know about audio sources)."""
        from qi_capture.audio.sources import ToneSource

        self.source_factory = lambda: ToneSource(seconds, realtime=True)

    def start(
        self, record_id: uuid.UUID, source: PcmSource | None = None, *, name: str | None = None
    ) -> ActiveRecording:
        """Start recording ``source`` (default: `source_factory`'s, else the microphone)
        into ``record_id``'s attachments. Raises `NoMicrophoneSupport` or `NoInputDevice`
        (nothing is left behind), `RecordNotFound`."""
        from qi_capture.audio.encoder import MEDIA_TYPE
        from qi_capture.audio.microphone import MicrophoneSource
        from qi_capture.audio.recorder import Recorder, Recording

        if source is None:
            source = self.source_factory() if self.source_factory else MicrophoneSource()
        # The source first: a missing microphone fails before anything is stored, and a
        # microphone tells its real sample rate only once open.
        source.start()
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        try:
            writer = self._ctx.store.recordings.begin(
                record_id, name or f"interview-{stamp}.opus", MEDIA_TYPE
            )
        except BaseException:
            source.stop()
            raise
        recorder: Recorder | None = None
        try:
            recorder = Recorder(writer, sample_rate=source.sample_rate)
            cap = self.max_recording_minutes(record_id)
            recording = Recording(source, recorder, max_seconds=cap * 60.0 if cap else None)
            recording.start(source_started=True)
        except BaseException:
            source.stop()
            if recorder is not None:
                # Close the encoder while its sink is open: left to the garbage collector
                # it would write its last page into a closed file.
                with contextlib.suppress(Exception):
                    recorder.finish()
            writer.abandon()
            raise
        active = ActiveRecording(recording, writer, self, record_id)
        with self._lock:
            self._active.append(active)
        return active

    def max_recording_minutes(self, record_id: uuid.UUID) -> int:
        """The cap on a recording's length the record's study policy sets (0: none)."""
        from qi_capture.sync.pack import installed_study

        store = self._ctx.store
        summary = store.records.get_record(record_id).summary
        form = store.catalog.get_form_version(summary.form_version_id)
        study = installed_study(store, form.study_id)
        return study.policy.max_recording_minutes if study is not None else 0

    def _forget(self, active: ActiveRecording) -> None:
        with self._lock:
            if active in self._active:
                self._active.remove(active)

    def active_for(self, record_id: uuid.UUID) -> ActiveRecording | None:
        """The record's recording in progress, if any."""
        with self._lock:
            return next((a for a in self._active if a.record_id == record_id), None)

    def stop_all(self) -> list[AttachmentInfo]:
        """Stop and keep every active recording (the profile is about to lock)."""
        with self._lock:
            active = list(self._active)
        return [a.stop() for a in active]

    def open_audio(self, attachment_id: uuid.UUID) -> AudioReader:
        """Decode an attachment for playback, from its encrypted file (never a plaintext
        copy). Close the reader when done. Raises `AttachmentNotFound`,
        `AttachmentFileMissing`, `AttachmentFileDamaged`, `AudioDecodeFailed`."""
        from qi_capture.audio.playback import AudioReader

        return AudioReader(self._ctx.store.attachments.open_seekable(attachment_id))
