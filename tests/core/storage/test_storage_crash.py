"""Crashes: kill -9 during key rotation and during autosave, in real child processes.

After every kill the profile must open with the passphrase (old or new key, whichever the
database has), pass the integrity checks, and hold everything acknowledged before the kill.
"""

from __future__ import annotations

import os
import random
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from qi_capture.crypto import keyfile
from qi_capture.storage import backup as backup_files
from qi_capture.storage.engine import raw_connection
from qi_capture.storage.paradata import SessionClock
from qi_capture.storage.profile import DB_NAME, KEYFILE_NAME, Profile
from tests.core.forked import Child

PASSPHRASE = "copper kettle harbour 42"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="kill -9 tests need fork")


def _rotate(folder: Path, kill_at: str) -> Callable[[Callable[[str], None]], None]:
    def work(say: Callable[[str], None]) -> None:
        def fault(step: str) -> None:
            say(step)
            if step == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

        Profile.rotate_data_key(folder, PASSPHRASE, fault=fault)
        say("done")

    return work


def _autosave(folder: Path, run: int) -> Callable[[Callable[[str], None]], None]:
    def work(say: Callable[[str], None]) -> None:
        store = Profile.unlock(folder, PASSPHRASE)
        form = store.catalog.latest_form_version("qi", "baseline").id
        record = store.records.create_record(form, interviewer="jo", session_state={"run": run})
        clock = SessionClock()
        say(f"record {record.id}")
        for n in range(1_000_000):
            store.records.save_answer_change(
                record.id,
                f"/q{n % 50}",
                f"run {run} answer {n}",
                session_state={"screen": n},
                event=clock.event("value_changed", {"n": n}),
            )
            say(f"ack {n}")  # only after the commit returned

    return work


def _answers(profile: Path, passphrase: str = PASSPHRASE) -> dict[str, dict[str, object]]:
    with Profile.unlock(profile, passphrase) as store:
        assert store.check().ok
        return {
            str(r.id): store.records.get_record(r.id).answers for r in store.records.list_records()
        }


@pytest.mark.parametrize(
    "kill_at", ["pending_written", "rekeyed", "checkpointed", "promoted", "backed_up", "none"]
)
def test_rotation_killed_at_each_step(
    profile: Path, recovery_identity: tuple[str, str], kill_at: str
) -> None:
    with Profile.unlock(profile, PASSPHRASE) as store:
        form = store.catalog.latest_form_version("qi", "baseline").id
        record = store.records.create_record(form, interviewer="jo")
        store.records.save_answer_change(record.id, "/q", "survives rotation")
    expected = _answers(profile)
    old_key_id = keyfile.read(profile / KEYFILE_NAME).current.key_id

    code, lines = Child(_rotate(profile, kill_at)).wait()
    if kill_at == "none":
        assert (code, lines[-1]) == (0, "done")
    else:
        assert (code, lines[-1]) == (-signal.SIGKILL, kill_at)
    assert _answers(profile) == expected  # opens, integrity clean, data intact

    kf = keyfile.read(profile / KEYFILE_NAME)
    assert kf.pending is None  # the open settled the interrupted rotation
    rotated = kill_at not in ("pending_written",)
    assert (kf.current.key_id != old_key_id) == rotated
    # The recovery key still opens it, whatever happened.
    Profile.recover(profile, recovery_identity[0], "new passphrase for recovery 7")
    assert _answers(profile, "new passphrase for recovery 7") == expected
    # A backup is always restorable with the current key.
    assert backup_files.list_backups(profile, kf.current.key_id)


def test_rotation_killed_at_random_moments(profile: Path) -> None:
    expected = _answers(profile)
    rng = random.Random(4)
    for _ in range(6):
        child = Child(_rotate(profile, "none"))
        time.sleep(rng.uniform(0.05, 0.4))  # Argon2 alone takes ~0.15 s here
        child.kill()
        child.wait()
        assert _answers(profile) == expected


@pytest.mark.slow
def test_kill_during_autosave_loses_nothing_acknowledged(profile: Path) -> None:
    rng = random.Random(20240601)
    kf = keyfile.read(profile / KEYFILE_NAME)
    with kf.derive(PASSPHRASE) as kek:
        key, _ = kf.unwrap(kek)
    runs = 20
    for run in range(runs):
        child = Child(_autosave(profile, run))
        first = child.stdout.readline().split()
        assert first and first[0] == "record"
        record_id = uuid.UUID(first[1])
        child.stdout.readline()  # at least one acknowledged answer
        time.sleep(rng.uniform(0.0, 0.1))
        child.kill()
        code, rest = child.wait()
        assert code == -signal.SIGKILL
        acked = [int(line.split()[1]) for line in rest if line.startswith("ack")]
        last = max(acked, default=0)

        # Check with the raw key (one Argon2 run for all 20 kills), exactly as left.
        assert backup_files.check_file(profile / DB_NAME, key, kf.database_salt, full=True) == []
        with raw_connection(profile / DB_NAME, key, kf.database_salt) as conn:
            rows = dict(
                conn.execute(
                    "SELECT path, value_json FROM draft_answer WHERE record_id = ?",
                    (record_id.hex,),
                ).fetchall()
            )
            events = conn.execute(
                "SELECT count(*) FROM paradata_event WHERE record_id = ?", (record_id.hex,)
            ).fetchone()[0]
        # Every acknowledged answer is there (the newest write per path wins).
        for n in range(max(0, last - 49), last + 1):
            value = rows[f"/q{n % 50}"]
            assert int(value.strip('"').split()[-1]) >= n
        assert events >= last + 1
    assert _answers(profile)  # and the profile still opens normally
