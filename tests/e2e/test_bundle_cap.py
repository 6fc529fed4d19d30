"""The study policy's bundle size cap: a sync that would exceed it splits the records
into several bundles, each under the cap, that merge at the centre into every record
with its attachments intact; a record larger than the cap on its own is a clear error
naming it, with nothing written and nothing marked sent."""

from __future__ import annotations

import hashlib
import io
import os
import textwrap
import uuid
from pathlib import Path

import pytest

from qi_capture.central.store import CentralStore
from qi_capture.services import CoreContext
from qi_capture.services.admin import AdminDesk
from qi_capture.storage.profile import Profile
from qi_capture.sync.admin import AdminProfile
from qi_capture.sync.errors import RecordTooLargeForBundle
from qi_capture.sync.folder import sync_folder
from qi_capture.sync.pack import PackForm, StudyPolicy, build_pack, import_pack
from tests.e2e.conftest import PASSPHRASE, STUDY_ID, MakeWorld

FORM_NAME = "cap_form.md"
FORM = textwrap.dedent("""
    | survey   |           |           |            |
    |          | type      | name      | label      |
    |          | text      | site      | Site       |
    | settings |           |           |            |
    |          | form_id   | version   |            |
    |          | cap_form  | 1         |            |
""")
MIB = 1 << 20
CAP = 3 * MIB


def _install_cap(central: Path, laptop: Path) -> None:
    with AdminProfile.open(central, PASSPHRASE) as admin:
        pack = build_pack(admin.keys(), [PackForm(FORM_NAME, FORM.encode())],
                          StudyPolicy(idle_lock_minutes=5, retention_days=30,
                                      max_bundle_bytes=CAP))
    with Profile.unlock(laptop, PASSPHRASE) as store:
        ctx = CoreContext(store)
        import_pack(store, pack, lambda data, name, study, title: ctx.studies.add_form_bytes(
            data, name, study_id=study, study_title=title).created)


def _record(ctx: CoreContext, site: str, attachment: bytes) -> uuid.UUID:
    with ctx.records.create(ctx.studies.resolve("cap_form").id) as record:
        record.set("site", site)
        ctx.store.attachments.add(record.record_id, f"{site}.bin",
                                  "application/octet-stream", io.BytesIO(attachment))
        record.finalise()
        return record.record_id


def test_a_sync_over_the_cap_splits_into_bundles_under_it(make_world: MakeWorld) -> None:
    central, laptop, folder = make_world(FORM_NAME, FORM)
    _install_cap(central, laptop)
    blobs = {f"site{i}": os.urandom(MIB) for i in range(5)}
    with Profile.unlock(laptop, PASSPHRASE) as store:
        ctx = CoreContext(store)
        ids = [_record(ctx, site, data) for site, data in blobs.items()]
        device = store.device()
        report = sync_folder(store, folder)
        assert store.sync.outgoing(STUDY_ID) == []
    bundles = sorted((folder / "outbox").glob("*.qibundle"))
    # 1 MiB each under a 3 MiB cap: two records per bundle, the fifth alone.
    assert len(bundles) == len(report.bundles) == 3
    assert all(path.stat().st_size <= CAP for path in bundles)
    assert sorted(b.revisions for b in report.bundles) == [1, 2, 2]

    with AdminDesk.open(central, PASSPHRASE) as desk:
        desk.merge([folder])
        desk.enrol(device.id, name="Laptop A")
    with CentralStore.open(central, PASSPHRASE) as store_c:
        got = {}
        for rid in ids:
            (meta,) = store_c.record_attachments(rid)
            got[meta.name.removesuffix(".bin")] = meta.sha256
        assert got == {site: hashlib.sha256(data).hexdigest() for site, data in blobs.items()}
        assert not store_c.device_gaps(device.id).any


def test_a_record_larger_than_the_cap_is_a_clear_error(make_world: MakeWorld) -> None:
    central, laptop, folder = make_world(FORM_NAME, FORM)
    _install_cap(central, laptop)
    with Profile.unlock(laptop, PASSPHRASE) as store:
        ctx = CoreContext(store)
        small = _record(ctx, "small", os.urandom(1000))
        big = _record(ctx, "big", os.urandom(CAP))
        with pytest.raises(RecordTooLargeForBundle) as caught:
            sync_folder(store, folder)
        assert caught.value.params["record_id"] == str(big)
        assert str(big)[:8] in str(caught.value) and "--max-bundle-mib" in str(caught.value)
        # Nothing written, nothing marked sent: both records wait for the next sync.
        outbox = folder / "outbox"
        assert not outbox.exists() or list(outbox.iterdir()) == []
        assert {r.record_id for r in store.sync.outgoing(STUDY_ID)} == {small, big}
