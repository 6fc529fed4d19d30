"""kill -9 at any moment of a merge leaves the store as it was before the bundle, and
merging again completes it (real processes, both backends)."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from qi_capture.central.store import CentralStore
from tests.core.central.conftest import PASSPHRASE, MakeCentral
from tests.core.central.helpers import FakeDevice

CHILD = Path(__file__).with_name("child_merge.py")
ROOT = Path(__file__).resolve().parents[3]


def _target(central: CentralStore) -> str:
    if central.profile is not None:
        return str(central.profile.folder)
    return central.engine.url.render_as_string(hide_password=False)


@pytest.mark.slow
def test_kill_during_merge_leaves_whole_transactions(
    make_central: MakeCentral, tmp_path: Path
) -> None:
    a = FakeDevice("Laptop A")
    answers = {f"q{i}": f"answer {i}" for i in range(40)}
    first = a.bundle([a.revision(uuid.uuid4(), answers) for _ in range(200)])
    big = a.bundle([a.revision(uuid.uuid4(), answers) for _ in range(3000)])
    bundle_file = tmp_path / "bundle.pickle"
    bundle_file.write_bytes(pickle.dumps(big))

    central = make_central()
    central.enrol(a.id, name=a.name, fingerprint=a.fingerprint)
    central.merge(first)
    before = central.content_hash()
    target = _target(central)
    central.close()

    def run_child(kill_after: float | None) -> str:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, str(CHILD), target, PASSPHRASE, str(bundle_file)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "merging", proc.stderr.read() if proc.stderr else ""
        if kill_after is None:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            return out.strip()
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        return "killed"

    # Kills from the first statement to well into the merge (3,000 revisions take a
    # few tenths of a second); each leaves exactly the state before the bundle, unless
    # the merge had already committed (then it is whole, and we stop).
    interrupted = 0
    for delay in (0.0, 0.02, 0.08, 0.2):
        run_child(delay)
        with CentralStore.open(target, PASSPHRASE) as check:
            state = check.content_hash()
            if check.profile is not None:
                assert check.profile.check(full=True).ok
            if state != before:
                assert len(check.device_revisions(a.id)) == 3200
                break
        interrupted += 1
    assert interrupted >= 2
    assert run_child(None).startswith("done")
    with CentralStore.open(target, PASSPHRASE) as after:
        assert after.content_hash() != before
        assert len(after.device_revisions(a.id)) == 3200
        assert after.merge(big).outcome == "already_imported"
