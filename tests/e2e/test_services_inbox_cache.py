"""The admin's inbox listing reads each bundle file once while it stays unchanged: a
second listing of the same folder opens no file; a file written again (its size and
time moved) is hashed and its head read again, the others not; an enrolment reads the
heads again (what they say depends on the registry) but not the hashes. Real laptop
bundles, a real central store."""

from __future__ import annotations

import os
from pathlib import Path

from qi_capture.services.admin import AdminDesk
from qi_capture.storage.profile import Profile
from qi_capture.sync.folder import sync_folder
from tests.e2e.conftest import MERGE_FORM, PASSPHRASE, MakeWorld, finalise_records


def test_an_unchanged_bundle_is_not_read_again(make_world: MakeWorld) -> None:
    central, laptop, folder = make_world("merge_e2e.md", MERGE_FORM)
    with Profile.unlock(laptop, PASSPHRASE) as store:
        device = store.device()
        for _ in range(3):
            finalise_records(store, 1)
            sync_folder(store, folder)
    with AdminDesk.open(central, PASSPHRASE) as desk:
        cache = desk.inbox_cache
        (first,) = desk.inbox([folder])
        assert len(first.bundles) == 3
        assert {b.state for b in first.bundles} == {"unknown_device"}
        assert cache.reads == 6  # each file hashed, each head read

        (again,) = desk.inbox([folder])
        assert again == first and cache.reads == 6  # nothing opened

        # One bundle written again: a byte more, a later time. Only it is read again.
        changed = first.bundles[0]
        with changed.path.open("ab") as f:
            f.write(b"\0")
        stat = changed.path.stat()
        os.utime(changed.path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
        (third,) = desk.inbox([folder])
        assert cache.reads == 8
        now = next(b for b in third.bundles if b.path == changed.path)
        assert now.size == changed.size + 1 and now.file_sha256 != changed.file_sha256
        assert [b for b in third.bundles if b.path != changed.path] == \
            [b for b in first.bundles if b.path != changed.path]

        # Enrolling the laptop changes what the heads say: read again, not re-hashed.
        desk.enrol(device.id, name="Laptop A", public_key=device.public_key)
        (fourth,) = desk.inbox([folder])
        assert cache.reads == 8 + 3
        assert {b.state for b in fourth.bundles if b.path != changed.path} == {"new"}
        assert {b.device_name for b in fourth.bundles} == {"Laptop A"}


def test_a_bundle_gone_is_forgotten(make_world: MakeWorld, tmp_path: Path) -> None:
    central, laptop, folder = make_world("merge_e2e.md", MERGE_FORM)
    with Profile.unlock(laptop, PASSPHRASE) as store:
        for _ in range(2):
            finalise_records(store, 1)
            sync_folder(store, folder)
    with AdminDesk.open(central, PASSPHRASE) as desk:
        (first,) = desk.inbox([folder])
        gone = first.bundles[0].path
        gone.rename(tmp_path / gone.name)
        (second,) = desk.inbox([folder])
        assert [b.path for b in second.bundles] == [first.bundles[1].path]
        # Put back (same bytes, same time): read again, as a file not seen before.
        (tmp_path / gone.name).rename(gone)
        reads = desk.inbox_cache.reads
        (third,) = desk.inbox([folder])
        assert third == first and desk.inbox_cache.reads == reads + 2
