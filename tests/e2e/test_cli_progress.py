"""The long commands show their work: a progress bar under a pseudo-terminal, one line
per step when piped, nothing with --json or --quiet; Ctrl+C (a real SIGINT) stops them
between units of work with a message, exit 130 and nothing half-written. Real
subprocesses, real bundles, a real central folder."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qi_capture.cli import main
from qi_capture.storage.profile import Profile
from qi_capture.sync.folder import sync_folder
from tests.e2e.conftest import MERGE_FORM, PASSPHRASE, MakeWorld, finalise_records

ROOT = Path(__file__).resolve().parents[2]
BUNDLES = 3


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(ROOT), QI_CAPTURE_PASSPHRASE=PASSPHRASE, TERM="xterm",
               COLUMNS="120", LINES="40")
    env.pop("NO_COLOR", None)
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "qi_capture", *args]


@pytest.fixture
def world(make_world: MakeWorld, tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """A central folder that knows the laptop, and a sync folder with BUNDLES bundles
    not merged yet. Returns (central, sync folder, --data-dir option)."""
    central, laptop, folder = make_world("merge_e2e.md", MERGE_FORM)
    data = ["--data-dir", str(tmp_path / "d")]
    with Profile.unlock(laptop, PASSPHRASE) as store:
        finalise_records(store, 1)
        device_id = store.device().id
        sync_folder(store, folder)
    assert main([*data, "merge", "--central", str(central), str(folder)]) == 3
    assert main([*data, "devices", "enrol", "--central", str(central), str(device_id)]) == 0
    with Profile.unlock(laptop, PASSPHRASE) as store:
        for _ in range(BUNDLES):
            finalise_records(store, 2)
            sync_folder(store, folder)
    return central, folder, data


def _under_pty(argv: list[str]) -> tuple[int, str]:
    """Run ``argv`` with stdout and stderr on a pseudo-terminal; its exit code and all
    it wrote there."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                            env=_env(), cwd=ROOT)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return proc.wait(timeout=300), b"".join(chunks).decode("utf-8", "replace")


def test_merge_on_a_terminal_draws_a_bar_with_counts_and_time_left(
        world: tuple[Path, Path, list[str]]) -> None:
    central, folder, data = world
    code, screen = _under_pty(_cli(*data, "merge", "--central", str(central), str(folder)))
    assert code == 0, screen
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)
    assert "\x1b[" in screen  # drawn in place, with terminal controls
    assert re.search(r"merge: [0-9a-f]+\.qibundle", plain), plain  # what is being done
    assert re.search(rf"\b[0-{BUNDLES}]/{BUNDLES + 1}\b", plain), plain  # counts
    assert "left" in plain and "elapsed" in plain  # and time
    assert f"{BUNDLES + 1} bundles" in plain or "already imported" in plain


def test_export_piped_prints_one_line_per_step_and_json_prints_none(
        world: tuple[Path, Path, list[str]], tmp_path: Path) -> None:
    central, folder, data = world
    assert main([*data, "merge", "--central", str(central), str(folder), "--quiet"]) == 0
    form = tmp_path / "merge_e2e.md"
    form.write_text(MERGE_FORM)
    base = [*data, "export", "--central", str(central), "--form", "merge_e2e", "--format",
            "csv", "--form-file", str(form)]
    piped = subprocess.run(_cli(*base, "--out", str(tmp_path / "a")), capture_output=True,
                           text=True, env=_env(), cwd=ROOT, timeout=300, check=False)
    assert piped.returncode == 0, piped.stderr
    lines = [line for line in piped.stderr.splitlines() if line.startswith("export")]
    total = 1 + 2 * BUNDLES
    assert lines[0] == f"export: reading records: 0/{total}", lines
    assert lines[-1] == f"export: writing the files: {total}/{total}", lines
    assert "\x1b" not in piped.stderr and "\r" not in piped.stderr  # plain lines
    assert piped.stdout.startswith(f"exported {total} records of merge_e2e")

    quiet = subprocess.run(_cli(*base, "--out", str(tmp_path / "b"), "--json"),
                           capture_output=True, text=True, env=_env(), cwd=ROOT,
                           timeout=300, check=False)
    assert quiet.returncode == 0, quiet.stderr
    assert not [x for x in quiet.stderr.splitlines() if x.startswith("export")]
    assert f'"included": {total}' in quiet.stdout


def test_ctrl_c_stops_merge_between_bundles_and_the_rest_waits(
        world: tuple[Path, Path, list[str]]) -> None:
    central, folder, data = world
    stopped = subprocess.run(
        [sys.executable, "-m", "tests.e2e.cli_sigint_driver", "1", "1", *data, "merge",
         "--central", str(central), str(folder)],
        capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=300, check=False)
    assert stopped.returncode == 130, stopped.stderr
    assert "merge: stopping after the current step" in stopped.stderr
    assert "cancelled: the bundles not listed above were left for the next merge" \
        in stopped.stdout
    merged = len(re.findall(r"\.qibundle: (imported:|already imported)", stopped.stdout))
    assert 1 <= merged < BUNDLES + 1, stopped.stdout
    # Nothing half-done: the next merge imports exactly the bundles left over.
    again = subprocess.run(_cli(*data, "merge", "--central", str(central), str(folder)),
                           capture_output=True, text=True, env=_env(), cwd=ROOT,
                           timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    # (One bundle was merged at enrolment, before either run.)
    new_before = stopped.stdout.count(".qibundle: imported:")
    assert again.stdout.count(".qibundle: imported:") == BUNDLES - new_before, again.stdout


@pytest.mark.slow
def test_ctrl_c_during_export_writes_nothing_and_twice_stops_at_once(
        world: tuple[Path, Path, list[str]], tmp_path: Path) -> None:
    central, folder, data = world
    assert main([*data, "merge", "--central", str(central), str(folder), "--quiet"]) == 0
    form = tmp_path / "merge_e2e.md"
    form.write_text(MERGE_FORM)
    out = tmp_path / "out"
    args = [*data, "export", "--central", str(central), "--form", "merge_e2e", "--format",
            "xlsx", "--form-file", str(form), "--out", str(out)]
    once = subprocess.run(
        [sys.executable, "-m", "tests.e2e.cli_sigint_driver", "0", "1", *args],
        capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=300, check=False)
    assert once.returncode == 130, once.stderr
    assert re.search(r"cancelled: export: stopped after \d of 7", once.stderr), once.stderr
    assert "nothing is half-written" in once.stderr
    assert not out.exists() or list(out.iterdir()) == []

    twice = subprocess.run(
        [sys.executable, "-m", "tests.e2e.cli_sigint_driver", "0", "2", *args],
        capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=300, check=False)
    assert twice.returncode == 130, twice.stderr
    assert "interrupted: the step under way was dropped" in twice.stderr
    assert not out.exists() or list(out.iterdir()) == []
