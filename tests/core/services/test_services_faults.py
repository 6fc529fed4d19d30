"""Faults through the real autosave path: kill -9 while answers are being saved, a full
disk (a real tmpfs of a few MiB: ENOSPC), and a write refused by the OS (RLIMIT_FSIZE:
EFBIG). After each, everything acknowledged is there, the integrity checks are clean, and
the failed change is reported with a clear typed error, not half-written."""

from __future__ import annotations

import contextlib
import os
import random
import resource
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from qi_capture.services import ProfileService
from qi_capture.storage.errors import DiskFull, WriteFailed
from tests.core.forked import Child

PASSPHRASE = "copper kettle harbour 42"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")

Work = Callable[[Callable[[str], None]], None]


def _fill(profiles: ProfileService, run: int) -> Work:
    def work(say: Callable[[str], None]) -> None:
        ctx = profiles.unlock(profiles.select(), PASSPHRASE)
        record = ctx.records.create(ctx.studies.resolve("svc_test").id)
        say(f"record {record.record_id}")
        for n in range(1_000_000):
            record.ensure_instances(f"child[{n % 5 + 1}]/cname")
            record.set(f"child[{n % 5 + 1}]/cname", f"run {run} answer {n}")
            record.set("age", n % 100)
            say(f"ack {n}")  # only after both writes returned

    return work


def test_kill_during_autosave_loses_nothing_acknowledged(fresh_profiles: ProfileService) -> None:
    rng = random.Random(7)
    for run in range(5):
        child = Child(_fill(fresh_profiles, run))
        first = child.stdout.readline().split()
        assert first and first[0] == "record", first
        record_id = uuid.UUID(first[1])
        child.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.15))
        child.kill()
        code, rest = child.wait()
        assert code == -signal.SIGKILL
        acked = [int(line.split()[1]) for line in rest if line.startswith("ack")]
        last = max(acked, default=0)

        with fresh_profiles.unlock(fresh_profiles.select(), PASSPHRASE) as ctx:
            assert ctx.store.check().ok
            resumed = ctx.records.resume(record_id)  # the saved state restores
            session = resumed.session
            for n in range(max(0, last - 4), last + 1):
                value = str(session.get(f"child[{n % 5 + 1}]/cname"))
                assert int(value.split()[-1]) >= n
            assert session.repeat_count("child") >= min(5, last + 1)
            resumed.close()


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    folder.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                       check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("mounting a small tmpfs needs root (the RLIMIT_FSIZE test covers the rest)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)


def test_disk_full_is_reported_and_the_last_commit_survives(
    fresh_profiles: ProfileService, tmp_path: Path
) -> None:
    with tmpfs(tmp_path / "small", "4m") as disk:
        profiles = ProfileService(disk)
        subprocess.run(["cp", "-a", f"{fresh_profiles.data_dir}/.", str(disk)], check=True)
        with profiles.unlock(profiles.select(), PASSPHRASE) as ctx:
            record = ctx.records.create(ctx.studies.resolve("svc_test").id)
            record.set("name", "before the disk filled")
            used = sum(f.stat().st_size for f in disk.rglob("*") if f.is_file())
            (disk / "filler").write_bytes(b"\0" * (4 * 1024 * 1024 - used - 200_000))
            with pytest.raises(DiskFull) as full:
                for n in range(1000):
                    record.set("notes", f"{n} " + "long note " * 2000)
            assert "disk is full" in full.value.message
            written = ctx.store.records.get_record(record.record_id).answers
            # The session went back to what is stored: the UI shows what is on disk.
            assert record.session.raw("notes") == written.get("notes", "")
            assert written["name"] == "before the disk filled"

            (disk / "filler").unlink()  # space freed: saving works again
            record.set("age", 33)
            assert ctx.store.records.get_record(record.record_id).answers["age"] == "33"
            assert ctx.store.check().ok
            record.close()


def test_a_write_refused_by_the_os_is_reported_and_nothing_half_written(
    fresh_profiles: ProfileService,
) -> None:
    """RLIMIT_FSIZE makes write(2) fail with EFBIG (SIGXFSZ ignored): the unprivileged way
    to make the OS refuse a write. SQLite reports it as an I/O error."""

    def work(say: Callable[[str], None]) -> None:
        ctx = fresh_profiles.unlock(fresh_profiles.select(), PASSPHRASE)
        record = ctx.records.create(ctx.studies.resolve("svc_test").id)
        say(f"record {record.record_id}")
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        biggest = max(f.stat().st_size for f in Path(ctx.folder).rglob("*") if f.is_file())
        resource.setrlimit(resource.RLIMIT_FSIZE, (biggest + 150_000, resource.RLIM_INFINITY))
        try:
            for n in range(1000):
                record.set("notes", f"{n} " + "long note " * 2000)
                say(f"ack {n}")
        except (WriteFailed, DiskFull) as error:
            say(f"error {error.code} {record.session.raw('notes').split()[0]}")
        os._exit(0)  # like a crash after the error: nothing closed

    code, lines = Child(work).wait()
    assert code == 0, lines
    record_id = uuid.UUID(lines[0].split()[1])
    acked = [int(line.split()[1]) for line in lines if line.startswith("ack")]
    kind, shown = lines[-1].split()[1:]
    assert kind == "write_failed"
    assert int(shown) == max(acked)  # the session was put back to the stored answer
    with fresh_profiles.unlock(fresh_profiles.select(), PASSPHRASE) as ctx:
        assert ctx.store.check().ok
        notes = str(ctx.store.records.get_record(record_id).answers["notes"])
        assert int(notes.split()[0]) == max(acked)
