"""``qi-capture profile ...`` end to end, in subprocesses: create, list, change the
passphrase, rotate the key, recover, check; and every error a user can cause (weak or
missing passphrase, wrong passphrase, several or no profiles, a profile open elsewhere,
a damaged database) with its message and exit code.

Independent invocations run concurrently (`run_all`) to keep the module quick."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from qi_capture.crypto.recovery import generate_recovery_identity
from qi_capture.storage.lockfile import ProfileLock

PASSPHRASE = "copper kettle harbour 42"
NEW_PASSPHRASE = "velvet otter grammar 19"

Call = tuple[Path, Sequence[str], dict[str, str] | None]


def _start(data: Path, args: Sequence[str], env: dict[str, str] | None) -> subprocess.Popen[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("QI_CAPTURE_")}
    if env is None:
        env = {"QI_CAPTURE_PASSPHRASE": PASSPHRASE}
    return subprocess.Popen(
        [sys.executable, "-m", "qi_capture", "--data-dir", str(data), *args],
        env={**base, **env}, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )


def run(data: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_all([(data, args, env)])[0]


def run_all(calls: Sequence[Call]) -> list[subprocess.CompletedProcess[str]]:
    procs = [(_start(d, a, e), a) for d, a, e in calls]
    done = []
    for proc, args in procs:
        out, err = proc.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(list(args), proc.returncode, out, err))
    return done


def profile_folder(data: Path) -> Path:
    (folder,) = (data / "profiles").iterdir()
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.fixture(scope="module")
def recovery() -> tuple[str, str]:
    return generate_recovery_identity()


@pytest.fixture(scope="module")
def created(tmp_path_factory: pytest.TempPathFactory, recovery: tuple[str, str]) -> Path:
    """A data folder with one profile, made by the CLI (passphrase from a file)."""
    data = tmp_path_factory.mktemp("cli-profile") / "data"
    secret = data.parent / "pass.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    out = run(data, "profile", "create", "--name", "Ann Field", "--kdf", "floor",
              "--recovery-key", recovery[1], "--passphrase-file", str(secret), env={})
    assert out.returncode == 0, out.stderr
    assert "created profile Ann Field" in out.stdout and "recovery key: yes" in out.stdout
    return data


@pytest.fixture
def copy(created: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(created, target)
    return target


def test_list_shows_the_profile_without_a_passphrase(created: Path) -> None:
    out = run(created, "profile", "list", "--json", env={})
    assert out.returncode == 0, out.stderr
    (entry,) = json.loads(out.stdout)
    assert entry["name"] == "Ann Field" and entry["recovery"] is True and entry["error"] is None


def test_create_refusals(created: Path, tmp_path: Path) -> None:
    weak, taken, no_passphrase, no_file, bad_recipient = run_all([
        (tmp_path / "a", ["profile", "create", "--name", "X", "--kdf", "floor"],
         {"QI_CAPTURE_PASSPHRASE": "short"}),
        (created, ["profile", "create", "--name", "ann field", "--kdf", "floor"], None),
        (tmp_path / "b", ["profile", "create", "--name", "Y"], {}),
        (tmp_path / "c", ["profile", "create", "--name", "Z", "--passphrase-file",
                          str(tmp_path / "missing.txt")], {}),
        (tmp_path / "d", ["profile", "create", "--name", "W", "--kdf", "floor",
                          "--recovery-key", "age1notakey"], None),
    ])
    assert weak.returncode == 1 and "at least 12 characters" in weak.stderr
    assert taken.returncode == 1 and "already exists" in taken.stderr
    assert no_passphrase.returncode == 2 and "--passphrase-file" in no_passphrase.stderr
    assert no_file.returncode == 2 and "cannot read the passphrase file" in no_file.stderr
    assert bad_recipient.returncode == 1 and "recovery key" in bad_recipient.stderr
    assert not (tmp_path / "a" / "profiles").exists() or not any(
        (tmp_path / "a" / "profiles").iterdir())


def test_guessable_passphrases_are_refused_with_feedback(copy: Path, tmp_path: Path) -> None:
    # Passes the plain rules (length, variety, not on the common list); zxcvbn scores it 3.
    folder = profile_folder(copy)
    before = snapshot(folder)
    create, change = run_all([
        (tmp_path / "new", ["profile", "create", "--name", "M", "--kdf", "floor"],
         {"QI_CAPTURE_PASSPHRASE": "Manchester2024!"}),
        (copy, ["profile", "change-passphrase"],
         {"QI_CAPTURE_PASSPHRASE": PASSPHRASE, "QI_CAPTURE_NEW_PASSPHRASE": "Jonathan1987!"}),
    ])
    assert create.returncode == 1, create.stderr
    assert "too easy to guess (strength 3 of 4, at least 4 is needed)" in create.stderr
    assert "Add another word or two" in create.stderr  # the estimator's suggestion
    assert "Manchester2024!" not in create.stderr + create.stdout
    assert not (tmp_path / "new" / "profiles").exists() or not any(
        (tmp_path / "new" / "profiles").iterdir())
    assert change.returncode == 1, change.stderr
    assert "Common names and surnames are easy to guess." in change.stderr
    assert snapshot(folder) == before


def test_wrong_passphrase_exits_2_and_writes_nothing(created: Path) -> None:
    folder = profile_folder(created)
    before = snapshot(folder)
    out = run(created, "record", "list", env={"QI_CAPTURE_PASSPHRASE": "not the passphrase 1"})
    assert out.returncode == 2
    assert "passphrase is not correct" in out.stderr
    assert snapshot(folder) == before


def test_change_passphrase(copy: Path, tmp_path: Path) -> None:
    folder = profile_folder(copy)
    db_before = (folder / "profile.db").read_bytes()
    new_file = tmp_path / "new.txt"
    new_file.write_text(NEW_PASSPHRASE, encoding="utf-8")
    # The weak one is refused before the profile is even read, so both can run at once.
    weak, changed = run_all([
        (copy, ["profile", "change-passphrase"], {
            "QI_CAPTURE_PASSPHRASE": PASSPHRASE, "QI_CAPTURE_NEW_PASSPHRASE": "password1234"}),
        (copy, ["profile", "change-passphrase", "--new-passphrase-file", str(new_file)], None),
    ])
    assert weak.returncode == 1 and "most commonly used" in weak.stderr
    assert changed.returncode == 0, changed.stderr
    assert (folder / "profile.db").read_bytes() == db_before
    old, new = run_all([
        (copy, ["profile", "check"], None),
        (copy, ["profile", "check"], {"QI_CAPTURE_PASSPHRASE": NEW_PASSPHRASE}),
    ])
    assert old.returncode == 2 and "not correct" in old.stderr
    assert new.returncode == 0 and "ok" in new.stdout


def test_rotate_then_check_then_a_damaged_page_is_reported(copy: Path) -> None:
    rotated = run(copy, "profile", "rotate-key")
    assert rotated.returncode == 0, rotated.stderr
    check = run(copy, "profile", "check", "--json")
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout)["ok"] is True
    assert json.loads(check.stdout)["attachment_problems"] == []

    db = profile_folder(copy) / "profile.db"
    data = bytearray(db.read_bytes())
    data[len(data) // 2] ^= 0x40  # one bit in a page past the first
    db.write_bytes(bytes(data))
    damaged = run(copy, "profile", "check")
    assert damaged.returncode in (1, 2), damaged.stderr
    assert "PROBLEMS FOUND" in damaged.stdout or "damaged" in damaged.stderr
    assert db.read_bytes() == bytes(data)  # never repaired behind the user's back


def test_recover_with_the_recovery_key(copy: Path, tmp_path: Path, recovery: tuple[str, str]) -> None:
    identity = tmp_path / "recovery.txt"
    identity.write_text(f"# recovery key\n{recovery[0]}\n", encoding="utf-8")
    other = tmp_path / "other.txt"
    other.write_text(generate_recovery_identity()[0], encoding="utf-8")
    env = {"QI_CAPTURE_NEW_PASSPHRASE": NEW_PASSPHRASE}
    missing, wrong = run_all([
        (copy, ["profile", "recover", "--recovery-identity", str(tmp_path / "none.txt")], env),
        (copy, ["profile", "recover", "--recovery-identity", str(other)], env),
    ])
    assert missing.returncode == 2 and "cannot read the recovery key file" in missing.stderr
    assert wrong.returncode == 2 and "does not open this profile" in wrong.stderr
    done = run(copy, "profile", "recover", "--recovery-identity", str(identity), env=env)
    assert done.returncode == 0, done.stderr
    check = run(copy, "profile", "check", env={"QI_CAPTURE_PASSPHRASE": NEW_PASSPHRASE})
    assert check.returncode == 0, check.stderr


@pytest.mark.slow
def test_choosing_among_profiles(copy: Path, tmp_path: Path) -> None:
    second = run(copy, "profile", "create", "--name", "Bo Second", "--kdf", "floor")
    assert second.returncode == 0, second.stderr
    unsure, unknown, chosen, empty = run_all([
        (copy, ["record", "list"], None),
        (copy, ["record", "list", "--profile", "Nobody"], None),
        (copy, ["record", "list", "--profile", "Bo Second"], None),
        (tmp_path / "empty", ["record", "list"], None),
    ])
    assert unsure.returncode == 2 and "--profile" in unsure.stderr
    assert unknown.returncode == 2 and "matches none" in unknown.stderr
    assert chosen.returncode == 0 and "no records" in chosen.stdout
    assert empty.returncode == 2 and "profile create" in empty.stderr


def test_a_profile_open_elsewhere_is_refused(created: Path) -> None:
    with ProfileLock(profile_folder(created) / "profile.lock"):
        out = run(created, "record", "list")
    assert out.returncode == 2
    assert "open in another" in out.stderr


def test_a_truncated_database_is_refused_untouched(copy: Path) -> None:
    db = profile_folder(copy) / "profile.db"
    with db.open("r+b") as f:
        f.truncate(db.stat().st_size - 100)
    before = db.read_bytes()
    out = run(copy, "record", "list")
    assert out.returncode == 2
    assert "damaged" in out.stderr and "backup" in out.stderr
    assert db.read_bytes() == before
