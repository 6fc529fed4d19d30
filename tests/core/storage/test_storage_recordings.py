"""Recordings in progress: the key is stored before the file exists, a finished recording
is an ordinary attachment, and what a crash leaves is finished at the next open."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from qi_capture.storage.errors import RecordNotFound
from qi_capture.storage.models import RecordingRow
from qi_capture.storage.profile import Profile
from qi_capture.storage.recordings import CHUNK_BYTES
from qi_capture.storage.store import Store

PASSPHRASE = "copper kettle harbour 42"


def _record(store: Store) -> uuid.UUID:
    # Form version 1: the template profile's only one (conftest).
    return store.records.create_record(1, interviewer="jo").id


def _rows(store: Store) -> list[RecordingRow]:
    with store.sessions() as s:
        return list(s.scalars(select(RecordingRow)))


def test_a_finished_recording_is_an_attachment(store: Store) -> None:
    record_id = _record(store)
    writer = store.recordings.begin(record_id, "interview.opus", "audio/ogg")
    assert [r.id for r in _rows(store)] == [writer.id]  # the key is in before any byte
    data = os.urandom(3 * CHUNK_BYTES + 77)
    for i in range(0, len(data), 1000):
        writer.write(data[i : i + 1000])
    writer.sync()
    info = writer.finish()
    assert _rows(store) == []
    assert info.size == len(data) and info.sha256 == hashlib.sha256(data).hexdigest()
    assert b"".join(store.attachments.read(info.id)) == data
    with store.attachments.open_seekable(info.id) as f:
        f.seek(CHUNK_BYTES + 5)
        assert f.read(100) == data[CHUNK_BYTES + 5 : CHUNK_BYTES + 105]
    assert not store.attachment_files.recording_path(info.id).exists()


def test_an_abandoned_recording_leaves_nothing(store: Store) -> None:
    writer = store.recordings.begin(_record(store), "x.opus", "audio/ogg")
    writer.write(os.urandom(10_000))
    writer.abandon()
    writer.abandon()
    assert _rows(store) == []
    assert not store.attachment_files.recording_path(writer.id).exists()


def test_a_recording_for_no_record_is_refused(store: Store) -> None:
    with pytest.raises(RecordNotFound):
        store.recordings.begin(uuid.uuid4(), "x.opus", "audio/ogg")
    assert _rows(store) == []


def test_the_next_open_finishes_what_a_crash_left(profile: Path) -> None:
    store = Profile.unlock(profile, PASSPHRASE)
    record_id = _record(store)
    data = os.urandom(5 * CHUNK_BYTES + 300)
    cut = store.recordings.begin(record_id, "cut.opus", "audio/ogg")
    cut.write(data)
    cut.sync()  # never finished: 5 whole chunks on disk, 300 bytes lost
    empty = store.recordings.begin(record_id, "empty.opus", "audio/ogg")
    renamed = store.recordings.begin(record_id, "renamed.opus", "audio/ogg")
    renamed.write(data[:1000])
    # Killed between the rename and the commit of `finish`: sealed, under its final name.
    renamed._sealer.close()
    renamed.sync()
    store.attachment_files.recording_path(renamed.id).replace(
        store.attachment_files.path(renamed.id)
    )
    stray = store.attachment_files.recording_path(cut.id).with_name("0" * 32 + ".qirec")
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"no row")
    for writer in (cut, empty, renamed):
        writer._out.close()  # only the handles: what a crash leaves on disk stays as it is
    store.lock()  # like a crash: nothing finished

    with Profile.unlock(profile, PASSPHRASE) as again:
        assert _rows(again) == []
        kept = {a.name: a for a in again.attachments.list(record_id)}
        assert set(kept) == {"cut.opus", "renamed.opus"}  # the empty one is gone
        assert b"".join(again.attachments.read(kept["cut.opus"].id)) == data[: 5 * CHUNK_BYTES]
        assert b"".join(again.attachments.read(kept["renamed.opus"].id)) == data[:1000]
        assert not list(again.attachment_files.root.rglob("*.qirec"))
        assert again.check().ok
