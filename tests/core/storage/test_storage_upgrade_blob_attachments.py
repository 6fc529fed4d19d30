"""A profile whose attachments are BLOB chunks inside the database (schema 0003, as the
store wrote them before migration 0004) opens upgraded: every attachment moved into its
encrypted file, byte for byte, the chunks gone and the database shrunk; killed at any
moment of the move, the next open finishes it; unable to write files, the profile still
opens and the attachments still read from the database."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text

from qi_capture.crypto import chunked, keyfile
from qi_capture.storage import backup as backup_files
from qi_capture.storage import migrate
from qi_capture.storage.attachment_files import ATTACHMENTS_DIR
from qi_capture.storage.engine import open_engine
from qi_capture.storage.errors import AttachmentNotFound
from qi_capture.storage.profile import DB_NAME, Profile
from tests.core.forked import Child

PASSPHRASE = "copper kettle harbour 42"
OLD_CHUNK = 256 * 1024  # what the BLOB store used


def _engine(folder: Path) -> Engine:
    kf = keyfile.read(folder / "keyfile.json")
    with kf.derive(PASSPHRASE) as kek:
        current, _ = kf.unwrap(kek)
    return open_engine(folder / DB_NAME, current, kf.database_salt)


def _blobs(sizes: list[int]) -> list[bytes]:
    return [random.Random(n).randbytes(size) for n, size in enumerate(sizes)]


def make_old_profile(folder: Path, blobs: list[bytes]) -> list[uuid.UUID]:
    """Take ``folder`` (a fresh profile) back to schema 0003 and store ``blobs`` as
    attachments exactly as the BLOB store did: one row, then 256 KiB chunk rows."""
    with Profile.unlock(folder, PASSPHRASE) as store:
        form = store.catalog.latest_form_version("qi", "baseline").id
        record = store.records.create_record(form, interviewer="jo").id
    engine = _engine(folder)
    ids: list[uuid.UUID] = []
    try:
        with engine.begin() as conn:
            config = migrate.alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "0003")
            columns = {r[1] for r in conn.execute(text("PRAGMA table_info(attachment)"))}
            assert "file_key" not in columns  # really the old schema
            for n, data in enumerate(blobs):
                attachment_id = uuid.uuid4()
                chunks = [data[i : i + OLD_CHUNK] for i in range(0, len(data), OLD_CHUNK)]
                conn.execute(
                    text("INSERT INTO attachment (id, record_id, name, media_type, size, "
                         "sha256, chunk_count, created) VALUES (:id, :rid, :name, "
                         "'audio/mp4', :size, :sha, :count, :created)"),
                    {"id": attachment_id.hex, "rid": record.hex, "name": f"interview-{n}.m4a",
                     "size": len(data), "sha": hashlib.sha256(data).hexdigest(),
                     "count": len(chunks),
                     "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
                )
                for idx, chunk in enumerate(chunks):
                    conn.execute(
                        text("INSERT INTO attachment_chunk (attachment_id, idx, data) "
                             "VALUES (:id, :idx, :data)"),
                        {"id": attachment_id.hex, "idx": idx, "data": chunk},
                    )
                ids.append(attachment_id)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return ids


def _state(folder: Path) -> tuple[int, list[tuple[str, bytes | None, int]]]:
    """(chunk rows left, [(id hex, file key, chunk_count)] by id), read directly."""
    engine = _engine(folder)
    try:
        with engine.connect() as conn:
            chunks = conn.execute(text("SELECT count(*) FROM attachment_chunk")).scalar_one()
            columns = {r[1] for r in conn.execute(text("PRAGMA table_info(attachment)"))}
            key = "file_key" if "file_key" in columns else "NULL"  # killed before 0004
            rows = [(str(r[0]), r[1], int(r[2])) for r in conn.execute(
                text(f"SELECT id, {key}, chunk_count FROM attachment ORDER BY id"))]
        return int(chunks), rows
    finally:
        engine.dispose()


def _files(folder: Path) -> set[str]:
    root = folder / ATTACHMENTS_DIR
    return {p.name for p in root.rglob("*") if p.is_file()} if root.is_dir() else set()


def _assert_all_moved(folder: Path, ids: list[uuid.UUID], blobs: list[bytes]) -> None:
    with Profile.unlock(folder, PASSPHRASE) as store:
        for attachment_id, data in zip(ids, blobs, strict=True):
            assert b"".join(store.attachments.read(attachment_id)) == data
            assert b"".join(store.sync.attachment_pieces(attachment_id)) == data
        assert store.check().ok
    chunks, rows = _state(folder)
    assert chunks == 0
    assert all(key is not None and len(key) == chunked.KEY_BYTES and count == 0
               for _id, key, count in rows)
    assert _files(folder) == {f"{i.hex}.qiatt" for i in ids}  # no orphan, no temp file


@pytest.fixture(scope="module")
def old_profile(
    template_profile: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, list[uuid.UUID], list[bytes]]]:
    """A closed schema-0003 profile with BLOB attachments (copied by each test)."""
    folder = tmp_path_factory.mktemp("old") / "profile"
    shutil.copytree(template_profile, folder)
    blobs = _blobs([0, 1, OLD_CHUNK - 1, OLD_CHUNK, OLD_CHUNK + 1, 3 * 1024 * 1024 + 11])
    ids = make_old_profile(folder, blobs)
    yield folder, ids, blobs


@pytest.fixture
def old(
    old_profile: tuple[Path, list[uuid.UUID], list[bytes]], tmp_path: Path
) -> tuple[Path, list[uuid.UUID], list[bytes]]:
    folder, ids, blobs = old_profile
    copy = tmp_path / "profile"
    shutil.copytree(folder, copy)
    return copy, ids, blobs


def test_open_moves_blob_attachments_into_files(
    old: tuple[Path, list[uuid.UUID], list[bytes]],
) -> None:
    folder, ids, blobs = old
    db_before = (folder / DB_NAME).stat().st_size
    backups_before = {b.path for b in backup_files.list_backups(folder)}

    with Profile.unlock(folder, PASSPHRASE) as store:
        with store.engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
        for attachment_id, data in zip(ids, blobs, strict=True):
            assert b"".join(store.attachments.read(attachment_id)) == data
        infos = store.attachments.list(store.records.list_records()[-1].id)
        assert {(a.id, a.size, a.sha256) for a in infos} == {
            (i, len(d), hashlib.sha256(d).hexdigest()) for i, d in zip(ids, blobs, strict=True)}
    _assert_all_moved(folder, ids, blobs)
    # Backed up before the migration (that backup still holds the chunks), and vacuumed
    # after the move: the database no longer carries the attachment bytes.
    assert {b.path for b in backup_files.list_backups(folder)} - backups_before
    assert (folder / DB_NAME).stat().st_size < db_before - sum(map(len, blobs)) * 0.9
    assert Profile.check(folder, PASSPHRASE).ok

    # A second open moves nothing and rewrites nothing.
    files = {p: p.read_bytes() for p in (folder / ATTACHMENTS_DIR).rglob("*.qiatt")}
    with Profile.unlock(folder, PASSPHRASE) as store:
        assert store.attachments.settle() == (0, 0)
    assert {p: p.read_bytes() for p in (folder / ATTACHMENTS_DIR).rglob("*.qiatt")} == files


def test_a_move_interrupted_after_the_rename_is_redone(
    old: tuple[Path, list[uuid.UUID], list[bytes]],
) -> None:
    folder, ids, blobs = old
    # The state a kill between the file's rename and the commit leaves: a complete file
    # under its final name, sealed with a key that never reached the database.
    target = folder / ATTACHMENTS_DIR / ids[4].hex[:2] / f"{ids[4].hex}.qiatt"
    target.parent.mkdir(parents=True)
    chunked.encrypt_to(target, chunked.new_key(), ids[4].bytes, [b"lost key"])
    temp = target.with_name(f".{target.name}.89abcdef.partial")
    temp.write_bytes(b"half written")
    _assert_all_moved(folder, ids, blobs)


def test_without_room_for_files_the_profile_opens_and_reads_from_the_database(
    old: tuple[Path, list[uuid.UUID], list[bytes]],
) -> None:
    folder, ids, blobs = old
    (folder / ATTACHMENTS_DIR).write_bytes(b"")  # a file where the folder must go
    with Profile.unlock(folder, PASSPHRASE) as store:
        for attachment_id, data in zip(ids, blobs, strict=True):
            assert b"".join(store.attachments.read(attachment_id)) == data
            assert b"".join(store.sync.attachment_pieces(attachment_id)) == data
    chunks, rows = _state(folder)
    assert chunks > 0 and all(key is None for _id, key, _count in rows)
    # Only the file this test put in the folder's way is reported (it was made 0644).
    report = Profile.check(folder, PASSPHRASE)
    assert [p.split(":")[0] for p in report.permission_problems] == [ATTACHMENTS_DIR]
    assert not (report.cipher_problems or report.integrity_problems
                or report.attachment_problems)
    (folder / ATTACHMENTS_DIR).unlink()
    _assert_all_moved(folder, ids, blobs)  # the next open tries again


def test_legacy_attachments_can_be_deleted_before_they_move(
    old: tuple[Path, list[uuid.UUID], list[bytes]],
) -> None:
    folder, ids, blobs = old
    (folder / ATTACHMENTS_DIR).write_bytes(b"")  # the move cannot happen yet
    with Profile.unlock(folder, PASSPHRASE) as store:
        store.attachments.delete(ids[5])
        with pytest.raises(AttachmentNotFound):
            b"".join(store.attachments.read(ids[5]))
    chunks, rows = _state(folder)
    assert chunks == sum(len(range(0, len(d), OLD_CHUNK)) for d in blobs[:5])  # the others'
    assert ids[5].hex not in {r[0] for r in rows}
    (folder / ATTACHMENTS_DIR).unlink()
    _assert_all_moved(folder, ids[:5], blobs[:5])


def test_downgrade_below_0004_refuses_while_attachments_are_in_files(
    old: tuple[Path, list[uuid.UUID], list[bytes]],
) -> None:
    folder, ids, blobs = old
    _assert_all_moved(folder, ids, blobs)
    engine = _engine(folder)
    try:
        with engine.begin() as conn, pytest.raises(RuntimeError, match="destroy their keys"):
            config = migrate.alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "0003")
    finally:
        engine.dispose()
    _assert_all_moved(folder, ids, blobs)


def _open(folder: Path) -> Callable[[Callable[[str], None]], None]:
    def work(say: Callable[[str], None]) -> None:
        say("opening")
        Profile.unlock(folder, PASSPHRASE).lock()
        say("done")

    return work


@pytest.mark.skipif(not hasattr(os, "fork"), reason="kill -9 tests need fork")
def test_kill_during_the_move_then_open_again(
    old_profile: tuple[Path, list[uuid.UUID], list[bytes]], tmp_path: Path
) -> None:
    source, ids, blobs = old_profile
    rng = random.Random(2024)
    for run in range(6):
        folder = tmp_path / f"run{run}"
        shutil.copytree(source, folder)
        child = Child(_open(folder))
        assert child.stdout.readline().strip() == "opening"
        time.sleep(rng.uniform(0.15, 0.6))  # Argon2, checks, migration, then the move
        child.kill()  # here: before the migration, part way through the move, or after
        child.wait()
        _assert_all_moved(folder, ids, blobs)
        shutil.rmtree(folder)
