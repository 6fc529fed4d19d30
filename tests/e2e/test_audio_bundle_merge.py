"""A recording travels like any attachment: recorded into the laptop's encrypted store,
sent in a bundle, merged into the central store, and what is decoded there is what the
microphone side put in (duration to the sample, correlation as in
tests/core/audio/test_audio_pipeline.py)."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from qi_capture.audio.playback import AudioReader
from qi_capture.audio.recorder import Recorder, Recording
from qi_capture.audio.sources import ToneSource, tone
from qi_capture.central.models import CentralAttachmentRow
from qi_capture.central.store import CentralStore
from qi_capture.services.device_registry import DeviceRegistry
from qi_capture.services.merge import find_bundles, merge_files
from qi_capture.storage.profile import Profile
from qi_capture.sync.admin import AdminProfile
from qi_capture.sync.folder import sync_folder
from tests.e2e.conftest import MERGE_FORM, PASSPHRASE, MakeWorld

SECONDS = 15.0


def test_a_recording_plays_back_at_the_centre_as_it_went_in(make_world: MakeWorld) -> None:
    central_dir, laptop, folder = make_world("merge_e2e.md", MERGE_FORM)
    with Profile.unlock(laptop, PASSPHRASE) as store:
        draft = store.records.create_record(
            store.catalog.list_form_versions("qi-london")[-1].id, interviewer="Jo")
        writer = store.recordings.begin(draft.id, "interview.opus", "audio/ogg; codecs=opus")
        recording = Recording(ToneSource(SECONDS), Recorder(writer))
        recording.start()
        assert recording.wait(timeout=120)
        recording.stop()
        info = writer.finish()
        store.records.finalise(draft.id)
        sync_folder(store, folder)
        device = store.device()
    with CentralStore.open(central_dir, PASSPHRASE) as central:
        assert central.profile is not None
        DeviceRegistry(central).enrol_key(device.public_key)
        run = merge_files(central, AdminProfile(central.profile), find_bundles([str(folder)]))
        assert [r.outcome for r in run.reports] == ["imported"]
        with central.engine.connect() as conn:
            row = conn.execute(select(CentralAttachmentRow).where(
                CentralAttachmentRow.id == info.id)).one()
        # Decoded from the decrypting stream of the centre's encrypted file.
        with AudioReader(central.attachments.open(info.id)) as reader:
            out = reader.read_all()
    assert row.media_type == "audio/ogg; codecs=opus" and row.size == info.size
    expected = tone(SECONDS)
    assert len(out) == len(expected)
    assert float(np.corrcoef(out, expected)[0, 1]) > 0.99
