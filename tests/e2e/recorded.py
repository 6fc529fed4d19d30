"""A recorded interview at the centre, for the playback tests: generated audio goes
through the laptop's recorder (Opus, encrypted in chunks), a bundle and a merge."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt

from qi_capture.audio.recorder import Recorder, Recording
from qi_capture.audio.sources import ClipSource
from qi_capture.central.store import CentralStore
from qi_capture.services.device_registry import DeviceRegistry
from qi_capture.services.merge import find_bundles, merge_files
from qi_capture.storage.canonical import JsonValue
from qi_capture.storage.profile import Profile
from qi_capture.sync.admin import AdminProfile
from qi_capture.sync.folder import sync_folder
from tests.e2e.conftest import MERGE_FORM, PASSPHRASE, MakeWorld


def recorded_centre(
    make_world: MakeWorld, samples: npt.NDArray[np.float32],
    answers: Mapping[str, JsonValue] | None = None,
) -> tuple[Path, uuid.UUID, uuid.UUID]:
    """A central folder holding one finalised record with ``samples`` (16 kHz) recorded
    as ``interview.opus``: (central folder, record id, attachment id)."""
    central_dir, laptop, folder = make_world("merge_e2e.md", MERGE_FORM)
    with Profile.unlock(laptop, PASSPHRASE) as store:
        draft = store.records.create_record(
            store.catalog.list_form_versions("qi-london")[-1].id, interviewer="Jo")
        store.records.save_answer_changes(
            draft.id, dict(answers or {"org": "Harbour Trust", "staff": "12"}))
        writer = store.recordings.begin(draft.id, "interview.opus", "audio/ogg; codecs=opus")
        recording = Recording(ClipSource(samples), Recorder(writer))
        recording.start()
        assert recording.wait(timeout=300)
        recording.stop()
        info = writer.finish()
        store.records.finalise(draft.id)
        sync_folder(store, folder)
        device = store.device()
        record_id = draft.id
    with CentralStore.open(central_dir, PASSPHRASE) as central:
        assert central.profile is not None
        DeviceRegistry(central).enrol_key(device.public_key)
        run = merge_files(central, AdminProfile(central.profile), find_bundles([str(folder)]))
        assert [r.outcome for r in run.reports] == ["imported"]
    return central_dir, record_id, info.id
