"""The one door the UI (and the CLI) use: `ProfileService` to find, create and unlock a
profile into a `CoreContext`, whose ``studies`` and ``records`` services open their own
transactions and return frozen dataclasses, never ORM rows.

    profiles = ProfileService(data_dir)
    with profiles.unlock(profiles.select(), passphrase) as ctx:
        form = ctx.studies.resolve("qi_baseline")
        with ctx.records.create(form.id) as record:   # a RecordDraft: autosaves
            record.set("consent", "yes")
            record.finalise()
"""

from __future__ import annotations

from qi_capture.services.context import CoreContext
from qi_capture.services.packs import PackInfo, PackInstalled, PackService
from qi_capture.services.profiles import ProfileService
from qi_capture.services.records import RecordDraft, RecordService
from qi_capture.services.studies import StudyService
from qi_capture.services.sync import SyncResult, SyncService

__all__ = [
    "CoreContext",
    "PackInfo",
    "PackInstalled",
    "PackService",
    "ProfileService",
    "RecordDraft",
    "RecordService",
    "StudyService",
    "SyncResult",
    "SyncService",
]
