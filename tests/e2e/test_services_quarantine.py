"""The quarantine, attacked by someone holding the study pack but not enrolled: bundles
from a fresh key are copied as streams into the admin profile's quarantine folder
(memory flat in their size), within the study policy's per-bundle and total limits;
over a limit they are refused and nothing is kept; enrolment merges them from the files
and removes them; rows from before the folder (bytes in the central store) still merge."""

from __future__ import annotations

import io
import os
import stat
import time
import tracemalloc
import uuid
from pathlib import Path

import pytest

from qi_capture.central.store import CentralStore
from qi_capture.cli import main
from qi_capture.services.merge import merge_file, merge_files, merge_quarantined, quarantine_folder
from qi_capture.storage.profile import Profile
from qi_capture.sync.admin import AdminProfile
from qi_capture.sync.folder import sync_folder
from qi_capture.sync.pack import StudyPolicy, save_admin_policy
from tests.core.central.conftest import PostgresServer, pg_template, postgres
from tests.e2e.conftest import MERGE_FORM, PASSPHRASE, STUDY_ID, MakeWorld

# The real PostgreSQL server of the central-store tests (skips, or fails in CI, as there).
__all__ = ["pg_template", "postgres"]

MIB = 1024 * 1024


def laptop_bundle(laptop: Path, folder: Path, attachment_bytes: int = 0) -> Path:
    """One finalised record (with an attachment of random bytes) synced into a bundle."""
    with Profile.unlock(laptop, PASSPHRASE) as store:
        (form,) = store.catalog.list_form_versions(STUDY_ID)[-1:]
        record = store.records.create_record(form.id, interviewer="Jo Bloggs")
        store.records.save_answer_changes(record.id, {"org": "Trust", "staff": "3"})
        if attachment_bytes:
            store.attachments.add(record.id, "interview.m4a", "audio/mp4",
                                  io.BytesIO(os.urandom(attachment_bytes)))
        store.records.finalise(record.id)
        (written,) = sync_folder(store, folder).bundles
    return written.path


def device_of(laptop: Path) -> uuid.UUID:
    with Profile.unlock(laptop, PASSPHRASE) as store:
        return store.device().id


def set_limits(central: CentralStore, *, bundle: int, total: int) -> None:
    assert central.profile is not None
    save_admin_policy(central.profile, StudyPolicy(quarantine_bundle_bytes=bundle,
                                                   quarantine_total_bytes=total))


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.fixture
def world(make_world: MakeWorld) -> tuple[Path, Path, Path]:
    return make_world("merge_e2e.md", MERGE_FORM)


def test_a_large_bundle_from_an_unknown_key_is_a_file_and_memory_stays_flat(
    world: tuple[Path, Path, Path]
) -> None:
    central_dir, laptop, folder = world
    bundle = laptop_bundle(laptop, folder, attachment_bytes=32 * MIB)
    with CentralStore.open(central_dir, PASSPHRASE) as central:
        assert central.profile is not None
        admin = AdminProfile(central.profile)
        tracemalloc.start()
        try:
            report = merge_file(central, admin, bundle)
            _now, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert report.outcome == "quarantined", report
        assert peak < 8 * MIB, f"{peak} bytes held to quarantine a 32 MiB bundle"
        q = quarantine_folder(admin)
        (waiting,) = central.quarantined()
        assert waiting.data == b""  # the bytes are not in the database
        kept = q.path(waiting.file_sha256)
        assert kept.read_bytes() == bundle.read_bytes()  # as it came: still age-encrypted
        assert q.folder == central.profile.folder / "quarantine"
        assert stat.S_IMODE(q.folder.stat().st_mode) == 0o700
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        assert listing(q.folder) == [kept.name]  # no temporary file left
        # The same file again: nothing new.
        assert merge_file(central, admin, bundle).outcome == "quarantined"
        assert listing(q.folder) == [kept.name] and len(central.quarantined()) == 1


def test_over_the_per_bundle_limit_it_is_refused_and_nothing_kept(
    world: tuple[Path, Path, Path]
) -> None:
    central_dir, laptop, folder = world
    bundle = laptop_bundle(laptop, folder, attachment_bytes=2 * MIB)
    with CentralStore.open(central_dir, PASSPHRASE) as central:
        assert central.profile is not None
        set_limits(central, bundle=1 * MIB, total=100 * MIB)
        before, audit = central.content_hash(), len(central.audit_log())
        report = merge_file(central, AdminProfile(central.profile), bundle)
        assert (report.outcome, report.reason) == ("refused", "quarantine_bundle_too_large")
        assert "enrol" in (report.message or "") and report.device_id == device_of(laptop)
        assert central.quarantined() == [] and central.devices() == []
        assert central.content_hash() == before and len(central.audit_log()) == audit
        assert listing(central.profile.folder / "quarantine") == []


def test_over_the_total_limit_it_is_refused(world: tuple[Path, Path, Path]) -> None:
    central_dir, laptop, folder = world
    first = laptop_bundle(laptop, folder, attachment_bytes=2 * MIB)
    second = laptop_bundle(laptop, folder, attachment_bytes=2 * MIB)
    with CentralStore.open(central_dir, PASSPHRASE) as central:
        assert central.profile is not None
        set_limits(central, bundle=5 * MIB // 2, total=3 * MIB)  # room for one of the two
        admin = AdminProfile(central.profile)
        assert merge_file(central, admin, first).outcome == "quarantined"
        before = listing(central.profile.folder / "quarantine")
        report = merge_file(central, admin, second)
        assert (report.outcome, report.reason) == ("refused", "quarantine_full")
        assert listing(central.profile.folder / "quarantine") == before
        assert len(central.quarantined()) == 1


def test_a_file_changing_during_the_copy_is_refused(
    world: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    central_dir, laptop, folder = world
    bundle = laptop_bundle(laptop, folder)
    other = laptop_bundle(laptop, folder).read_bytes()
    with CentralStore.open(central_dir, PASSPHRASE) as central:
        assert central.profile is not None
        admin = AdminProfile(central.profile)
        real = central.file_known

        def swap_after_hashing(file_sha256: str) -> str | None:
            bundle.write_bytes(other)  # hashed already; verification and copy see others
            return real(file_sha256)

        monkeypatch.setattr(central, "file_known", swap_after_hashing)
        report = merge_file(central, admin, bundle)
        assert report.outcome == "refused"
        assert report.reason in ("quarantine_source_changed", "bundle_changed")
        assert central.quarantined() == []
        assert listing(central.profile.folder / "quarantine") == []


def test_enrolment_merges_from_the_files_and_removes_them(
    world: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    central_dir, laptop, folder = world
    laptop_bundle(laptop, folder, attachment_bytes=1 * MIB)
    laptop_bundle(laptop, folder)
    device_id = device_of(laptop)
    with CentralStore.open(central_dir, PASSPHRASE) as central:
        assert central.profile is not None
        run = merge_files(central, AdminProfile(central.profile),
                          sorted((folder / "outbox").glob("*.qibundle")), write_acks=False)
        assert [r.outcome for r in run.reports] == ["quarantined", "quarantined"]
        quarantine = central.profile.folder / "quarantine"
        assert len(listing(quarantine)) == 2
    code = main(["--data-dir", str(tmp_path / "d"), "devices", "enrol", "--central",
                 str(central_dir), str(device_id), "--name", "Laptop A"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count(": imported") == 2
    assert listing(quarantine) == []
    with CentralStore.open(central_dir, PASSPHRASE) as central:
        assert central.quarantined() == []
        assert len(central.device_revisions(device_id)) == 2


def test_rows_from_before_the_quarantine_folder_still_merge(
    world: tuple[Path, Path, Path]
) -> None:
    """A central store quarantined bundles in its own rows before; enrolment reads them
    from there (nothing stranded), then releases them."""
    central_dir, laptop, folder = world
    bundle = laptop_bundle(laptop, folder)
    with Profile.unlock(laptop, PASSPHRASE) as store:
        device = store.device()
    with CentralStore.open(central_dir, PASSPHRASE) as central:
        assert central.profile is not None
        admin = AdminProfile(central.profile)
        assert central.quarantine(data=bundle.read_bytes(), device_id=device.id,
                                  fingerprint=device.fingerprint, public_key=device.public_key)
        central.enrol(device.id, name="Laptop A", fingerprint=device.fingerprint,
                      public_key=device.public_key)
        ((_sha, report),) = merge_quarantined(central, admin, device.id)
        assert report.outcome == "imported" and report.new_revisions == 1
        assert central.quarantined() == []


def test_a_missing_quarantine_file_is_reported_not_fatal(world: tuple[Path, Path, Path]) -> None:
    central_dir, laptop, folder = world
    bundle = laptop_bundle(laptop, folder)
    with Profile.unlock(laptop, PASSPHRASE) as store:
        device = store.device()
    with CentralStore.open(central_dir, PASSPHRASE) as central:
        assert central.profile is not None
        admin = AdminProfile(central.profile)
        assert merge_file(central, admin, bundle).outcome == "quarantined"
        for path in (central.profile.folder / "quarantine").iterdir():
            path.unlink()  # e.g. quarantined on another machine (PostgreSQL)
        central.enrol(device.id, name="Laptop A", fingerprint=device.fingerprint,
                      public_key=device.public_key)
        ((_sha, report),) = merge_quarantined(central, admin, device.id)
        assert (report.outcome, report.reason) == ("refused", "quarantine_file_missing")
        assert len(central.quarantined()) == 1  # still listed, for a later merge


def test_leftovers_without_a_row_are_swept_once_stale(world: tuple[Path, Path, Path]) -> None:
    central_dir, _laptop, _folder = world
    with CentralStore.open(central_dir, PASSPHRASE) as central:
        assert central.profile is not None
        q = quarantine_folder(AdminProfile(central.profile))
        q.folder.mkdir(mode=0o700)
        stale = q.path("a" * 64)
        fresh = q.path("b" * 64)
        partial = q.folder / ".aaaa.1234.partial"
        for path in (stale, fresh, partial):
            path.write_bytes(b"age-encryption.org/v1\n")
        old = time.time() - 2 * 3600
        os.utime(stale, (old, old))
        os.utime(partial, (old, old))
        assert q.sweep([]) == 2
        assert listing(q.folder) == [fresh.name]
        assert q.sweep([fresh.name.split(".")[0]], now=time.time() + 7200) == 0


def test_with_postgresql_the_quarantine_is_the_admin_folder_s(
    world: tuple[Path, Path, Path], postgres: PostgresServer, pg_template: str,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    """The encrypted bundles stay on the admin's machine (the ``--admin DIR`` profile);
    the database lists them."""
    monkeypatch.setenv("QI_CENTRAL_ATTACHMENTS", str(tmp_path / "pg-attachments"))
    central_dir, laptop, folder = world
    bundle = laptop_bundle(laptop, folder, attachment_bytes=1 * MIB)
    with Profile.unlock(laptop, PASSPHRASE) as store:
        device = store.device()
    url = postgres.url(postgres.create_database(pg_template))
    with CentralStore.open(url) as central, AdminProfile.open(central_dir, PASSPHRASE) as admin:
        assert merge_file(central, admin, bundle).outcome == "quarantined"
        (waiting,) = central.quarantined()
        assert waiting.data == b""
        kept = admin.store.folder / "quarantine" / f"{waiting.file_sha256}.qibundle"
        assert kept.read_bytes() == bundle.read_bytes()
        central.enrol(device.id, name="Laptop A", fingerprint=device.fingerprint,
                      public_key=device.public_key)
        ((_sha, report),) = merge_quarantined(central, admin, device.id)
        assert report.outcome == "imported" and not kept.exists()
        assert central.quarantined() == []
