"""`CoreContext`: what the UI and the CLI hold while a profile is unlocked.

Built once from an unlocked `Store`; it owns the store (and so the data key) until
`lock`, and hands out the services. Everything above it talks to the services only.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from qi_capture.services.dto import DeviceInfo, ProfileInfo
from qi_capture.services.notes import NotesService
from qi_capture.services.packs import PackService
from qi_capture.services.recording import RecordingService
from qi_capture.services.records import RecordService
from qi_capture.services.studies import StudyService
from qi_capture.services.sync import SyncService
from qi_capture.storage.profile import Profile
from qi_capture.storage.store import Store


class CoreContext:
    """An unlocked profile: the store, this device, the profile folder and the services."""

    def __init__(self, store: Store, *, interviewer: str | None = None) -> None:
        self.store = store
        self.folder: Path = store.folder
        self.profile: ProfileInfo = Profile.info(store.folder)
        self.device: DeviceInfo = store.device()
        #: Recorded on every record; the profile's name (one profile per interviewer).
        self.interviewer: str = interviewer or self.profile.label or self.device.name
        self.studies = StudyService(self)
        self.records = RecordService(self)
        self.packs = PackService(self)
        self.sync = SyncService(self)
        self.recording = RecordingService(self)
        self.notes = NotesService(self)

    @property
    def is_locked(self) -> bool:
        return self.store.is_locked

    def lock(self) -> None:
        """Dispose the engine, zero the data key, release the profile. Idempotent."""
        self.recording.stop_all()  # a lock stops a recording and keeps it
        self.records.close_all()
        self.store.lock()

    def __enter__(self) -> CoreContext:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.lock()
