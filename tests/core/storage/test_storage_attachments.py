"""Attachments as per-attachment encrypted files (storage.attachments, attachment_files):
round trips, refusals of changed/cut/extended/swapped/missing files, nothing left behind
by a refused add, files removed with their rows (delete, draft deletion, purge),
orphans removed at open, no plaintext on disk, the profile check, restore, key
rotation, and kill -9 during adds. Real files on disk throughout."""

from __future__ import annotations

import hashlib
import io
import os
import random
import shutil
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from qi_capture.crypto import chunked
from qi_capture.storage import backup as backup_files
from qi_capture.storage.attachment_files import ATTACHMENTS_DIR
from qi_capture.storage.errors import (
    AttachmentFileDamaged,
    AttachmentFileMissing,
    AttachmentNotFound,
    AttachmentTooLarge,
    DatabaseCorrupt,
    RecordNotFound,
)
from qi_capture.storage.models import AttachmentRow
from qi_capture.storage.profile import DB_NAME, Profile
from qi_capture.storage.store import Store
from tests.core.forked import Child

PASSPHRASE = "copper kettle harbour 42"
CHUNK = chunked.CHUNK_BYTES
FULL = CHUNK + chunked.TAG_BYTES  # one sealed chunk on disk


def _form(store: Store) -> int:
    return store.catalog.latest_form_version("qi", "baseline").id


def _record(store: Store) -> uuid.UUID:
    return store.records.create_record(_form(store), interviewer="jo").id


def _data(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def _files(folder: Path) -> set[str]:
    """Every file under the profile's attachments folder, relative to it."""
    root = folder / ATTACHMENTS_DIR
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _read(store: Store, attachment_id: uuid.UUID) -> bytes:
    return b"".join(store.attachments.read(attachment_id))


def _pieces(store: Store, attachment_id: uuid.UUID) -> bytes:
    return b"".join(store.sync.attachment_pieces(attachment_id))


@pytest.fixture
def opened(profile: Path) -> Iterator[Store]:
    """A fresh profile, unlocked (for tests that look at its whole folder)."""
    store = Profile.unlock(profile, PASSPHRASE)
    yield store
    store.lock()


# -- round trips ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * 1024 * 1024 + 5], ids=lambda s: str(s)
)
def test_round_trip(store: Store, size: int) -> None:
    data = _data(size, size)
    record = _record(store)
    info = store.attachments.add(record, "a.m4a", "audio/mp4", io.BytesIO(data))
    assert (info.size, info.sha256) == (size, hashlib.sha256(data).hexdigest())
    assert _read(store, info.id) == data
    assert _pieces(store, info.id) == data
    path = store.attachment_files.path(info.id)
    assert path == store.folder / ATTACHMENTS_DIR / info.id.hex[:2] / f"{info.id.hex}.qiatt"
    assert path.stat().st_size == chunked.encrypted_size(size)
    assert all(len(p) <= CHUNK for p in store.attachments.read(info.id))  # streamed


def test_a_stream_that_returns_short_reads(store: Store) -> None:
    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = memoryview(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            n = min(len(buffer), 1000, len(self._data))
            buffer[:n] = self._data[:n]
            self._data = self._data[n:]
            return n

    data = _data(CHUNK + 12345, 3)
    info = store.attachments.add(_record(store), "x", "audio/ogg", Trickle(data))  # type: ignore[arg-type]
    assert _read(store, info.id) == data and info.size == len(data)


# -- refusals -------------------------------------------------------------------------
def _stored(store: Store, size: int = 2 * CHUNK + 100) -> tuple[uuid.UUID, bytes, Path]:
    data = _data(size, 11)
    info = store.attachments.add(_record(store), "a", "audio/ogg", io.BytesIO(data))
    return info.id, data, store.attachment_files.path(info.id)


def _expect_refused(
    store: Store, attachment_id: uuid.UUID, data: bytes, reason: str | set[str]
) -> None:
    reasons = {reason} if isinstance(reason, str) else reason
    for reader in (store.attachments.read, store.sync.attachment_pieces):
        got = bytearray()
        with pytest.raises(AttachmentFileDamaged) as info:
            for piece in reader(attachment_id):
                got += piece
        assert data.startswith(bytes(got))  # never a wrong byte
        assert info.value.code == "attachment_file_damaged"
        assert info.value.params["attachment_id"] == str(attachment_id)
        assert info.value.params["reason"] in reasons
        assert "backup" in info.value.message


@pytest.mark.parametrize(
    "offset",
    [0, 5, chunked.HEADER_BYTES - 1,  # header
     chunked.HEADER_BYTES, chunked.HEADER_BYTES + CHUNK // 2,  # first chunk
     chunked.HEADER_BYTES + CHUNK + 3,  # its tag
     chunked.HEADER_BYTES + FULL, chunked.HEADER_BYTES + 2 * FULL + 50,  # later chunks
     -1],  # the final tag
    ids=lambda o: f"at{o}",
)
def test_a_changed_byte_is_refused(store: Store, offset: int) -> None:
    attachment_id, data, path = _stored(store)
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x20
    path.write_bytes(bytes(raw))
    reasons = {"authentication_failed"}
    if 0 <= offset < len(chunked.MAGIC):
        reasons = {"not_this_format"}
    elif offset == len(chunked.MAGIC):
        reasons = {"unsupported_version"}
    elif 0 <= offset < chunked.HEADER_BYTES:  # the chunk size: refused one way or another
        reasons = {"bad_header", "truncated", "trailing_data", "authentication_failed"}
    _expect_refused(store, attachment_id, data, reasons)


@pytest.mark.parametrize(
    "cut",
    [0, chunked.HEADER_BYTES, chunked.HEADER_BYTES + FULL - 1, chunked.HEADER_BYTES + FULL,
     chunked.HEADER_BYTES + FULL + 1, chunked.HEADER_BYTES + 2 * FULL, -1],
    ids=lambda c: f"cut{c}",
)
def test_a_cut_file_is_refused_before_any_byte(store: Store, cut: int) -> None:
    attachment_id, _, path = _stored(store)
    raw = path.read_bytes()
    path.write_bytes(raw[:cut])
    _expect_refused(store, attachment_id, b"", "not_this_format" if cut == 0 else "truncated")


@pytest.mark.parametrize("extra", [1, 16, FULL], ids=lambda n: f"plus{n}")
def test_an_extended_file_is_refused_before_any_byte(store: Store, extra: int) -> None:
    attachment_id, _, path = _stored(store)
    with path.open("ab") as f:
        f.write(os.urandom(extra))
    _expect_refused(store, attachment_id, b"", "trailing_data")


def test_swapped_files_are_refused(store: Store) -> None:
    record = _record(store)
    size = CHUNK + 7  # same size: only the authentication can tell them apart
    a = store.attachments.add(record, "a", "audio/ogg", io.BytesIO(_data(size, 1)))
    b = store.attachments.add(record, "b", "audio/ogg", io.BytesIO(_data(size, 2)))
    pa, pb = store.attachment_files.path(a.id), store.attachment_files.path(b.id)
    raw_a, raw_b = pa.read_bytes(), pb.read_bytes()
    pa.write_bytes(raw_b)
    pb.write_bytes(raw_a)
    _expect_refused(store, a.id, b"", "authentication_failed")
    _expect_refused(store, b.id, b"", "authentication_failed")
    pa.write_bytes(raw_a)
    pb.write_bytes(raw_b)
    assert _read(store, a.id) == _data(size, 1)


def test_a_missing_file_is_a_clear_error(store: Store) -> None:
    attachment_id, _, path = _stored(store)
    path.unlink()
    for reader in (store.attachments.read, store.sync.attachment_pieces):
        with pytest.raises(AttachmentFileMissing) as info:
            b"".join(reader(attachment_id))
        assert info.value.params["attachment_id"] == str(attachment_id)
        assert info.value.params["file"] == (
            f"attachments/{attachment_id.hex[:2]}/{attachment_id.hex}.qiatt")
        assert "backup" in info.value.message
    with pytest.raises(AttachmentNotFound):
        b"".join(store.sync.attachment_pieces(uuid.uuid4()))


# -- adding: nothing left behind on refusal ------------------------------------------
def test_too_large_or_unknown_record_leaves_no_file_and_no_row(opened: Store) -> None:
    store = opened
    record = _record(store)
    kept = store.attachments.add(record, "kept", "audio/ogg", io.BytesIO(b"kept"))
    before = _files(store.folder)
    with pytest.raises(AttachmentTooLarge):
        store.attachments.add(record, "big", "audio/ogg", io.BytesIO(_data(3 * CHUNK)),
                              max_bytes=2 * CHUNK)
    with pytest.raises(RecordNotFound):
        store.attachments.add(uuid.uuid4(), "x", "audio/ogg", io.BytesIO(b"x"))

    class Failing(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            raise OSError("the microphone went away")

    with pytest.raises(OSError, match="microphone"):
        store.attachments.add(record, "x", "audio/ogg", Failing())  # type: ignore[arg-type]
    assert _files(store.folder) == before
    assert [a.id for a in store.attachments.list(record)] == [kept.id]


def test_a_record_deleted_while_its_attachment_streams(opened: Store) -> None:
    store = opened
    record = _record(store)
    before = _files(store.folder)

    class DeletesTheRecord(io.RawIOBase):
        done = False

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            if self.done:
                return 0
            self.done = True
            store.records.delete_draft(record)
            buffer[:3] = b"abc"
            return 3

    with pytest.raises(RecordNotFound):
        store.attachments.add(record, "x", "audio/ogg", DeletesTheRecord())  # type: ignore[arg-type]
    assert _files(store.folder) == before


# -- deleting: the file goes with the row ----------------------------------------------
def test_delete_removes_the_file(opened: Store) -> None:
    store = opened
    attachment_id, _, path = _stored(store)
    store.attachments.delete(attachment_id)
    assert not path.exists()
    with pytest.raises(AttachmentNotFound):
        store.attachments.delete(attachment_id)
    with pytest.raises(AttachmentNotFound):
        _read(store, attachment_id)


def test_deleting_a_draft_removes_its_files(opened: Store) -> None:
    store = opened
    record, other = _record(store), _record(store)
    ids = [store.attachments.add(record, f"a{i}", "audio/ogg", io.BytesIO(_data(500 * i))).id
           for i in range(3)]
    kept = store.attachments.add(other, "k", "audio/ogg", io.BytesIO(b"keep me")).id
    store.records.delete_draft(record)
    assert not any(store.attachment_files.path(i).exists() for i in ids)
    assert _read(store, kept) == b"keep me"
    assert _files(store.folder) == {f"{kept.hex[:2]}/{kept.hex}.qiatt"}


def test_purge_after_acknowledgement_removes_files(opened: Store) -> None:
    store = opened
    purged, fresh = _record(store), _record(store)
    gone = store.attachments.add(purged, "a", "audio/ogg", io.BytesIO(b"old interview")).id
    kept = store.attachments.add(fresh, "b", "audio/ogg", io.BytesIO(b"new interview")).id
    revs = [store.records.finalise(r).id for r in (purged, fresh)]
    long_ago = datetime.now(UTC) - timedelta(days=60)
    store.sync.mark_sent("bundle-1", revs, at=long_ago)
    store.sync.mark_acknowledged(revs[:1], at=long_ago)
    assert store.sync.purge_acknowledged(
        "qi", acknowledged_before=datetime.now(UTC) - timedelta(days=30)
    ) == [purged]
    assert not store.attachment_files.path(gone).exists()
    assert _read(store, kept) == b"new interview"


# -- at open: orphans ----------------------------------------------------------------
def test_orphans_and_temp_files_are_removed_at_open_files_with_rows_never(profile: Path) -> None:
    with Profile.unlock(profile, PASSPHRASE) as store:
        record = _record(store)
        kept = store.attachments.add(record, "a", "audio/ogg", io.BytesIO(b"kept bytes"))
        # A crash between the rename and the commit: a complete file with no row.
        orphan = uuid.uuid4()
        store.attachment_files.write(orphan, chunked.new_key(), [b"never committed"])
        files = store.attachment_files
    root = profile / ATTACHMENTS_DIR
    shard = root / orphan.hex[:2]
    stale = shard / f".{orphan.hex}.qiatt.0123abcd.partial"  # a crash mid-write
    stale.write_bytes(b"partial")
    foreign = [root / "notes.txt", shard / "README", root / "zz" / f"{uuid.uuid4().hex}.qiatt"]
    foreign[2].parent.mkdir()
    for path in foreign:
        path.write_bytes(b"not ours")
    assert files.path(orphan).exists()

    with Profile.unlock(profile, PASSPHRASE) as store:
        assert not files.path(orphan).exists()
        assert not stale.exists()
        assert all(p.exists() for p in foreign)  # names we never write are left alone
        assert _read(store, kept.id) == b"kept bytes"
        assert store.check().ok


# -- no plaintext anywhere ---------------------------------------------------------------
def test_no_plaintext_on_disk(profile: Path) -> None:
    pattern = b"QI-CANARY-" + uuid.uuid4().hex.encode()
    with Profile.unlock(profile, PASSPHRASE) as store:
        record = _record(store)
        data = pattern * (3 * CHUNK // len(pattern))
        info = store.attachments.add(record, "a", "audio/ogg", io.BytesIO(data))
        store.attachments.add(record, "b", "audio/ogg", io.BytesIO(pattern))
        assert _read(store, info.id) == data
        store.backup()
        scanned = [p for p in profile.rglob("*") if p.is_file()]
        assert any(p.suffix == ".qiatt" for p in scanned)
        for path in scanned:  # live: the database, its WAL, the files, backups
            assert pattern.lower() not in path.read_bytes().lower(), path
    for path in profile.rglob("*"):
        if path.is_file():
            assert pattern.lower() not in path.read_bytes().lower(), path


# -- checks, restore, rotation ----------------------------------------------------------
def test_profile_check_reads_every_attachment(profile: Path) -> None:
    with Profile.unlock(profile, PASSPHRASE) as store:
        record = _record(store)
        ids = [store.attachments.add(record, f"a{i}", "audio/ogg",
                                     io.BytesIO(_data(CHUNK + i, i))).id for i in range(4)]
        assert store.check().ok
        files = store.attachment_files
    assert Profile.check(profile, PASSPHRASE).ok
    files.path(ids[0]).unlink()
    damaged = files.path(ids[1])
    raw = bytearray(damaged.read_bytes())
    raw[chunked.HEADER_BYTES + CHUNK + chunked.TAG_BYTES + 3] ^= 1  # the second chunk
    damaged.write_bytes(bytes(raw))
    shutil.copyfile(files.path(ids[3]), files.path(ids[2]))  # another attachment's file

    report = Profile.check(profile, PASSPHRASE)
    assert not report.ok
    assert report.cipher_problems == () and report.integrity_problems == ()
    lines = report.attachment_problems
    assert len(lines) == 3
    assert any(str(ids[0]) in line and "missing" in line for line in lines)
    assert any(str(ids[1]) in line and "authentication_failed" in line for line in lines)
    assert any(str(ids[2]) in line for line in lines)
    assert not any(str(ids[3]) in line for line in lines)
    with Profile.unlock(profile, PASSPHRASE) as store:  # the open store reports the same
        assert sorted(store.check().attachment_problems) == sorted(lines)
        assert store.check(full=False).ok  # the quick check does not read the files


def test_attachments_read_after_key_rotation(profile: Path) -> None:
    data = _data(2 * CHUNK + 9, 5)
    with Profile.unlock(profile, PASSPHRASE) as store:
        info = store.attachments.add(_record(store), "a", "audio/ogg", io.BytesIO(data))
        before = store.attachment_files.path(info.id).read_bytes()
    Profile.rotate_data_key(profile, PASSPHRASE)
    with Profile.unlock(profile, PASSPHRASE) as store:
        assert _read(store, info.id) == data
        # The file was not touched: its key moved with the database.
        assert store.attachment_files.path(info.id).read_bytes() == before
    assert Profile.check(profile, PASSPHRASE).ok


def test_restore_from_backup_and_attachments(profile: Path) -> None:
    with Profile.unlock(profile, PASSPHRASE) as store:
        record = _record(store)
        kept = store.attachments.add(record, "kept", "audio/ogg", io.BytesIO(b"kept"))
        deleted = store.attachments.add(record, "deleted", "audio/ogg", io.BytesIO(b"gone"))
        store.backup(datetime.now(UTC) + timedelta(seconds=1))  # the newest backup
        store.attachments.delete(deleted.id)
        added = store.attachments.add(record, "added", "audio/ogg", io.BytesIO(b"after"))
        files = store.attachment_files
    raw = bytearray((profile / DB_NAME).read_bytes())
    raw[4096 * 2 + 10] ^= 1
    (profile / DB_NAME).write_bytes(bytes(raw))
    with pytest.raises(DatabaseCorrupt):
        Profile.unlock(profile, PASSPHRASE)

    Profile.restore_from_backup(profile, PASSPHRASE)
    # The attachment added after the backup: its key is only in the damaged database,
    # so its file is set aside with it, not removed as an orphan.
    assert not files.path(added.id).exists()
    aside = list((profile / backup_files.DAMAGED_DIR).glob(f"*-attachments/{added.id.hex}.qiatt"))
    assert len(aside) == 1
    report = Profile.check(profile, PASSPHRASE)  # the one deleted since the backup
    assert len(report.attachment_problems) == 1
    assert str(deleted.id) in report.attachment_problems[0]
    assert "missing" in report.attachment_problems[0]
    with Profile.unlock(profile, PASSPHRASE) as store:
        assert _read(store, kept.id) == b"kept"
        with pytest.raises(AttachmentFileMissing):
            _read(store, deleted.id)
        assert aside[0].exists()  # the open does not reach into damaged/


# -- kill -9 while adding ---------------------------------------------------------------
def _adder(folder: Path, run: int) -> Callable[[Callable[[str], None]], None]:
    def work(say: Callable[[str], None]) -> None:
        store = Profile.unlock(folder, PASSPHRASE)
        record = _record(store)
        say(f"record {record}")
        for n in range(1_000_000):
            data = _data(CHUNK // 2 + n * 7919 % (2 * CHUNK), run * 1000 + n)
            info = store.attachments.add(record, f"a{n}", "audio/ogg", io.BytesIO(data))
            say(f"ack {info.id} {n}")  # only after add returned (row committed)

    return work


@pytest.mark.skipif(not hasattr(os, "fork"), reason="kill -9 tests need fork")
def test_kill_during_adds_keeps_every_acknowledged_attachment(profile: Path) -> None:
    rng = random.Random(99)
    acked: dict[uuid.UUID, tuple[int, int]] = {}
    for run in range(8):
        child = Child(_adder(profile, run))
        assert child.stdout.readline().startswith("record")
        child.stdout.readline()  # at least one attachment committed
        time.sleep(rng.uniform(0.0, 0.15))
        child.kill()
        code, rest = child.wait()
        assert code == -signal.SIGKILL
        for line in rest:
            if line.startswith("ack"):
                _ack, attachment_id, n = line.split()
                acked[uuid.UUID(attachment_id)] = (run, int(n))
    with Profile.unlock(profile, PASSPHRASE) as store:  # the open sweeps the leftovers
        for attachment_id, (run, n) in acked.items():
            expected = _data(CHUNK // 2 + n * 7919 % (2 * CHUNK), run * 1000 + n)
            assert _read(store, attachment_id) == expected
        with store.sessions() as s:
            rows = set(s.scalars(select(AttachmentRow.id)))
        assert rows >= set(acked)
        # Exactly one file per row: no orphan, no temporary file survived the open.
        assert _files(profile) == {f"{i.hex[:2]}/{i.hex}.qiatt" for i in rows}
        assert store.check().ok
