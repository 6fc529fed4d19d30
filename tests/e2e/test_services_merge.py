"""`qi_capture.services.merge` as the admin console will drive it: progress before each
bundle, and a cancel between bundles that leaves every bundle merged so far merged and
acknowledged, and the rest for the next run."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from qi_capture.central.store import CentralStore
from qi_capture.progress import SimpleCancelToken
from qi_capture.services.device_registry import DeviceRegistry
from qi_capture.services.errors import BundleSourceMissing
from qi_capture.services.merge import find_bundles, merge_file, merge_files
from qi_capture.storage.profile import Profile
from qi_capture.sync.admin import AdminProfile
from qi_capture.sync.folder import sync_folder
from tests.e2e.conftest import MERGE_FORM, PASSPHRASE, MakeWorld, finalise_records


@pytest.fixture
def three_bundles(make_world: MakeWorld) -> tuple[Path, Path, uuid.UUID]:
    central, laptop, folder = make_world("merge_e2e.md", MERGE_FORM)
    with Profile.unlock(laptop, PASSPHRASE) as store:
        for count in (2, 1, 3):  # three syncs, three bundles
            finalise_records(store, count)
            sync_folder(store, folder)
        device = store.device()
    with CentralStore.open(central, PASSPHRASE) as store:
        DeviceRegistry(store).enrol_key(device.public_key)
    return central, folder, device.id


def test_progress_then_cancel_between_bundles(three_bundles: tuple[Path, Path, uuid.UUID]
                                              ) -> None:
    central_dir, folder, device_id = three_bundles
    files = find_bundles([str(folder)])
    assert len(files) == 3
    cancel = SimpleCancelToken()
    seen: list[tuple[int, int, str]] = []

    def progress(done: int, total: int, message: str = "") -> None:
        seen.append((done, total, message))
        if done == 1:
            cancel.cancel()  # asked as the second bundle starts: it finishes, no third

    with CentralStore.open(central_dir, PASSPHRASE) as central:
        assert central.profile is not None
        admin = AdminProfile(central.profile)
        run = merge_files(central, admin, files, progress=progress, cancel=cancel)
        assert run.cancelled
        assert [r.outcome for r in run.reports] == ["imported", "imported"]
        assert seen[:2] == [(0, 3, files[0].name), (1, 3, files[1].name)]
        assert seen[-1] == (2, 3, "")
        assert [d for d, _p in run.ack_files] == [device_id]

        again = merge_files(central, admin, files)
        assert not again.cancelled
        assert sorted(r.outcome for r in again.reports) == [
            "already_imported", "already_imported", "imported"]
        assert sum(r.new_revisions for r in run.reports + again.reports) == 6


def test_a_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BundleSourceMissing) as caught:
        find_bundles([str(tmp_path / "gone")])
    assert "no bundle or folder" in caught.value.message


def test_a_file_that_changes_during_the_merge_is_refused(
    three_bundles: tuple[Path, Path, uuid.UUID], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is hashed (for "already imported") and then verified as a stream; if
    another bundle lands under the same name in between, nothing is imported and the
    report says why. The next run merges what is there."""
    central_dir, folder, _device_id = three_bundles
    first, second, _third = find_bundles([str(folder)])
    replacement = second.read_bytes()
    with CentralStore.open(central_dir, PASSPHRASE) as central:
        assert central.profile is not None
        admin = AdminProfile(central.profile)
        real_file_known = central.file_known

        def swap_then_look(file_sha256: str) -> str | None:
            first.write_bytes(replacement)  # between the hash and the verification
            return real_file_known(file_sha256)

        before = central.content_hash()
        monkeypatch.setattr(central, "file_known", swap_then_look)
        report = merge_file(central, admin, first)
        assert report.outcome == "refused" and report.reason == "bundle_changed"
        assert "changed while it was being merged" in (report.message or "")
        assert central.content_hash() == before  # nothing imported
        monkeypatch.undo()
        again = merge_file(central, admin, first)  # now the replacement, whole
        assert again.outcome == "imported" and again.new_revisions > 0


def test_an_unreadable_file_is_refused_not_fatal(
    three_bundles: tuple[Path, Path, uuid.UUID]
) -> None:
    central_dir, folder, _device_id = three_bundles
    with CentralStore.open(central_dir, PASSPHRASE) as central:
        assert central.profile is not None
        report = merge_file(central, AdminProfile(central.profile), folder / "gone.qibundle")
    assert report.outcome == "refused" and report.reason == "unreadable"


def test_attachments_stream_through_an_encrypted_spool_into_the_central_store(
    make_world: MakeWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Attachments of every size arrive whole (empty, under a central chunk, exactly
    one, several), while waiting for the merge's transaction only as encrypted files in
    a private spool that is gone afterwards."""
    import hashlib
    import io
    import tempfile

    from sqlalchemy import select

    from qi_capture.central.models import CentralAttachmentRow
    from qi_capture.crypto.chunked import CHUNK_BYTES as ATTACHMENT_CHUNK

    spool_root = tmp_path / "tmp"
    spool_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool_root))
    central_dir, laptop, folder = make_world("merge_e2e.md", MERGE_FORM)
    sizes = [0, 1000, ATTACHMENT_CHUNK, 2 * ATTACHMENT_CHUNK + 12345]
    marker = b"QI-SPOOL-MARKER-"
    blobs = {}
    with Profile.unlock(laptop, PASSPHRASE) as store:
        finalise_records(store, 1)
        draft = store.records.create_record(
            store.catalog.list_form_versions("qi-london")[-1].id, interviewer="Jo")
        for i, size in enumerate(sizes):
            data = ((marker + bytes([i])) * (size // 17 + 1))[:size]
            info = store.attachments.add(draft.id, f"a{i}.bin", "application/octet-stream",
                                         io.BytesIO(data))
            blobs[info.id] = data
        store.records.finalise(draft.id)
        sync_folder(store, folder)
        device = store.device()
    with CentralStore.open(central_dir, PASSPHRASE) as store:
        DeviceRegistry(store).enrol_key(device.public_key)

    seen_spool: list[list[Path]] = []
    with CentralStore.open(central_dir, PASSPHRASE) as central:
        assert central.profile is not None
        real_merge = central.merge

        def look_then_merge(*args: object, **kwargs: object) -> object:
            files = sorted(spool_root.rglob("*.qispool"))
            seen_spool.append(files)
            for f in files:  # encrypted: not one marker readable on disk
                assert marker not in f.read_bytes()
            return real_merge(*args, **kwargs)

        monkeypatch.setattr(central, "merge", look_then_merge)
        run = merge_files(central, AdminProfile(central.profile), find_bundles([str(folder)]))
        assert [r.outcome for r in run.reports] == ["imported"]
        assert len(seen_spool[0]) == len(sizes)
        with central.engine.connect() as conn:
            for attachment_id, data in blobs.items():
                row = conn.execute(select(CentralAttachmentRow).where(
                    CentralAttachmentRow.id == attachment_id)).one()
                parts = list(central.attachments.read(attachment_id))
                assert b"".join(parts) == data
                assert row.size == len(data) and row.chunk_count == len(parts)
                # In a file of its own beside the database, never in the clear.
                path = central.attachments.files.path(attachment_id)
                assert path.is_file() and marker not in path.read_bytes()
                assert row.sha256 == hashlib.sha256(data).hexdigest()
    assert not list(spool_root.rglob("*")), "the spool is removed after the merge"
