"""Central attachments as encrypted files beside the database, on SQLCipher and
PostgreSQL: merged from bundles, read back, removed per record (for erasure), never in the
clear on disk; and the c0005 migration moving a store's chunk rows into files."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, inspect, select

from qi_capture.central import migrate
from qi_capture.central.attachments import FOLDER_NAME, remove_record_attachments
from qi_capture.central.bundle import BundleAttachment
from qi_capture.central.errors import AttachmentNotFound, AttachmentsFolderMissing
from qi_capture.central.models import CentralAttachmentRow, CentralBundleRow, CentralRevisionRow
from qi_capture.central.store import CentralStore
from qi_capture.crypto.chunked import CHUNK_BYTES
from qi_capture.crypto.kdf import floor_params
from qi_capture.storage.profile import Profile
from tests.core.central.conftest import PASSPHRASE, PostgresServer
from tests.core.central.helpers import FakeDevice

CANARY = b"QI-CENTRAL-ATTACHMENT-CANARY-"


def canary_bytes(size: int, salt: int) -> bytes:
    return ((CANARY + bytes([salt])) * (size // (len(CANARY) + 1) + 1))[:size]


def attachment(record_id: uuid.UUID, data: bytes, name: str = "a.bin") -> BundleAttachment:
    return BundleAttachment.from_bytes(uuid.uuid4(), record_id, name, "application/octet-stream",
                                       hashlib.sha256(data).hexdigest(), data)


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def assert_unfindable(folder: Path, *needles: bytes) -> None:
    found = files_under(folder)
    assert found
    for path in found:
        content = path.read_bytes()
        for needle in needles:
            assert needle not in content, f"plaintext found in {path}"


def merged_store(central: CentralStore, *blobs_per_record: list[bytes]) -> dict[uuid.UUID, bytes]:
    device = FakeDevice("Laptop A")
    central.enrol(device.id, name=device.name, fingerprint=device.fingerprint,
                  public_key=device.public_key)
    stored: dict[uuid.UUID, bytes] = {}
    revisions, attachments = [], []
    for blobs in blobs_per_record:
        record = uuid.uuid4()
        revisions.append(device.revision(record, {"q1": "x"}))
        for i, data in enumerate(blobs):
            att = attachment(record, data, f"a{i}.bin")
            attachments.append(att)
            stored[att.id] = data
    bundle = device.bundle(revisions)
    report = central.merge(dataclasses.replace(bundle, attachments=tuple(attachments)))
    assert report.outcome == "imported"
    return stored


def test_merged_attachments_are_encrypted_files_beside_the_database(
    central: CentralStore,
) -> None:
    blobs = [canary_bytes(0, 0), canary_bytes(5000, 1), canary_bytes(2 * CHUNK_BYTES + 7, 2)]
    stored = merged_store(central, blobs)
    folder = central.attachments.files.root
    assert len(files_under(folder)) == len(blobs)
    for attachment_id, data in stored.items():
        assert b"".join(central.attachments.read(attachment_id)) == data
        with central.attachments.open(attachment_id) as stream:  # seekable, for playback
            stream.seek(len(data) // 2)
            assert stream.read() == data[len(data) // 2:]
    # The canary: not one plaintext piece in the attachments folder, nor (a central
    # folder) anywhere in the admin profile.
    assert_unfindable(folder, CANARY)
    if central.profile is not None:
        assert folder.parent == central.profile.folder and folder.name == FOLDER_NAME
        assert_unfindable(central.profile.folder, CANARY)
    # The database holds descriptions and keys, not the bytes.
    with central.engine.connect() as conn:
        assert "central_attachment_chunk" not in inspect(conn).get_table_names()
        sizes = conn.scalars(select(CentralAttachmentRow.size)).all()
    assert sorted(sizes) == sorted(len(b) for b in blobs)


def test_a_replayed_bundle_keeps_the_files_readable(central: CentralStore) -> None:
    device = FakeDevice("Laptop A")
    central.enrol(device.id, name=device.name, fingerprint=device.fingerprint,
                  public_key=device.public_key)
    record = uuid.uuid4()
    data = canary_bytes(70_000, 3)
    att = attachment(record, data)
    first = dataclasses.replace(device.bundle([device.revision(record, {"q1": "x"})]),
                                attachments=(att,))
    second = dataclasses.replace(device.bundle([device.revision(record, {"q1": "y"})]),
                                 attachments=(att,))
    assert central.merge(first).outcome == "imported"
    assert central.merge(second).outcome == "imported"
    assert b"".join(central.attachments.read(att.id)) == data
    assert len(files_under(central.attachments.files.root)) == 1


def test_remove_record_attachments_removes_files_and_keys(central: CentralStore) -> None:
    stored = merged_store(central, [canary_bytes(3000, 4), canary_bytes(10, 5)],
                          [canary_bytes(4000, 6)])
    with central.engine.connect() as conn:
        rows = conn.execute(select(CentralAttachmentRow.id, CentralAttachmentRow.record_id)).all()
    by_record: dict[uuid.UUID, list[uuid.UUID]] = {}
    for attachment_id, record_id in rows:
        by_record.setdefault(record_id, []).append(attachment_id)
    doomed, kept = sorted(by_record, key=lambda r: -len(by_record[r]))
    paths = {a: central.attachments.files.path(a) for a in stored}

    assert remove_record_attachments(central.attachments, doomed) == 2
    for attachment_id in by_record[doomed]:
        assert not paths[attachment_id].exists()
        with pytest.raises(AttachmentNotFound):
            central.attachments.open(attachment_id)
    (survivor,) = by_record[kept]
    assert b"".join(central.attachments.read(survivor)) == stored[survivor]
    assert remove_record_attachments(central.attachments, doomed) == 0


def test_postgres_without_a_folder_refuses_attachments_and_changes_nothing(
    postgres: PostgresServer, pg_template: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("QI_CENTRAL_ATTACHMENTS", raising=False)
    with CentralStore.open(postgres.url(postgres.create_database(pg_template))) as central:
        with pytest.raises(AttachmentsFolderMissing, match="QI_CENTRAL_ATTACHMENTS"):
            merged_store(central, [b"some bytes"])
        with central.engine.connect() as conn:  # the merge wrote nothing
            for table in (CentralAttachmentRow, CentralBundleRow, CentralRevisionRow):
                assert conn.scalar(select(sa.func.count()).select_from(table)) == 0


# -- the c0005 migration --------------------------------------------------------------------
_OLD_ATT = sa.table("central_attachment", *(sa.column(c) for c in (
    "id", "record_id", "name", "media_type", "size", "sha256", "chunk_count")))
_OLD_CHUNK = sa.table("central_attachment_chunk", sa.column("attachment_id"),
                      sa.column("idx"), sa.column("data"))
OLD_CHUNK = 1024 * 1024  # the chunk rows' size before c0005


def fill_old_store(engine: sa.Engine) -> dict[uuid.UUID, bytes]:
    """Attachments as chunk rows, as a c0004 store holds them."""
    migrate.upgrade(engine, "c0004")
    blobs = {uuid.uuid4(): canary_bytes(n, i) for i, n in enumerate((0, 999, 2 * OLD_CHUNK + 5))}
    with engine.begin() as conn:
        for attachment_id, data in blobs.items():
            parts = [data[i:i + OLD_CHUNK] for i in range(0, len(data), OLD_CHUNK)] or [b""]
            conn.execute(_OLD_ATT.insert().values(
                id=attachment_id.hex if engine.dialect.name == "sqlite" else attachment_id,
                record_id=uuid.uuid4().hex if engine.dialect.name == "sqlite" else uuid.uuid4(),
                name="old.bin", media_type="application/octet-stream", size=len(data),
                sha256=hashlib.sha256(data).hexdigest(), chunk_count=len(parts)))
            for idx, part in enumerate(parts):
                conn.execute(_OLD_CHUNK.insert().values(
                    attachment_id=(attachment_id.hex if engine.dialect.name == "sqlite"
                                   else attachment_id), idx=idx, data=part))
    return blobs


def check_moved(central: CentralStore, blobs: dict[uuid.UUID, bytes]) -> None:
    with central.engine.connect() as conn:
        assert "central_attachment_chunk" not in inspect(conn).get_table_names()
        assert migrate.current_revision(conn) == migrate.head_revision()
    for attachment_id, data in blobs.items():
        assert b"".join(central.attachments.read(attachment_id)) == data
    assert_unfindable(central.attachments.files.root, CANARY)


def test_c0005_moves_a_central_folders_chunk_rows_into_files(tmp_path: Path) -> None:
    folder = tmp_path / "admin"
    Profile.create(folder, "Central admin", PASSPHRASE, kdf=floor_params())
    with Profile.unlock(folder, PASSPHRASE) as profile:
        blobs = fill_old_store(profile.engine)
    with CentralStore.open(folder, PASSPHRASE) as central:
        check_moved(central, blobs)
        assert_unfindable(folder, CANARY)


def test_c0005_on_postgres_needs_a_folder_then_moves_the_rows(
    postgres: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("QI_CENTRAL_ATTACHMENTS", raising=False)
    url = postgres.url(postgres.create_database())
    engine = create_engine(url)
    try:
        blobs = fill_old_store(engine)
    finally:
        engine.dispose()
    with pytest.raises(AttachmentsFolderMissing):
        CentralStore.open(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:  # nothing changed: still at c0004, rows in place
            assert migrate.current_revision(conn) == "c0004"
            assert conn.scalar(select(sa.func.count()).select_from(_OLD_CHUNK)) == 5
    finally:
        engine.dispose()
    monkeypatch.setenv("QI_CENTRAL_ATTACHMENTS", str(tmp_path / "shared"))
    with CentralStore.open(url) as central:
        check_moved(central, blobs)


def test_orphan_files_of_a_central_folder_are_swept_on_open(
    admin_template: Path, tmp_path: Path,
) -> None:
    folder = tmp_path / "admin"
    shutil.copytree(admin_template, folder)
    with CentralStore.open(folder, PASSPHRASE) as central:
        stored = merged_store(central, [canary_bytes(100, 7)])
        files = central.attachments.files
    kept = files.path(next(iter(stored)))
    orphan = files.path(uuid.uuid4())  # a crash between writing a file and committing
    orphan.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(kept, orphan)
    with CentralStore.open(folder, PASSPHRASE) as again:
        assert not orphan.exists() and kept.is_file()
        assert [p.name for p in files_under(files.root)] == [kept.name]
        assert b"".join(again.attachments.read(next(iter(stored)))) == stored[
            next(iter(stored))]
