"""Folders from elsewhere, driven as a careless user or an attacker would use them:
exports, reports and merges into folders nobody may write to (a write-protected USB
stick, a read-only share), and a sync folder whose "bundles" are a 5 GiB sparse file,
a pipe, a link loop, a dangling link, an outbox linked back to its own folder. Each
ends with one clear error (never a traceback) and nothing written or lost; nothing
hangs on a pipe or spends minutes hashing a file that is too large to be a bundle."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from qi_capture.central.store import CentralStore
from qi_capture.cli import main
from qi_capture.crypto.kdf import floor_params
from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.demo import fill_builtin
from qi_capture.services.errors import AcknowledgementUnwritable
from qi_capture.services.merge import open_bundle_file
from qi_capture.storage.profile import Profile
from qi_capture.sync.bundle import MAX_BUNDLE_BYTES
from qi_capture.sync.errors import BundleNotAFile
from qi_capture.sync.folder import sync_folder
from tests.e2e.conftest import MERGE_FORM, PASSPHRASE, MakeWorld, finalise_records
from tests.readonly import read_only_folder


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def results_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A central folder with the built-in study and a few dozen responses."""
    monkeypatch.setenv("QI_CAPTURE_PASSPHRASE", PASSPHRASE)
    folder = tmp_path / "central"
    Profile.create(folder, "Central admin", PASSPHRASE, kdf=floor_params())
    with CentralStore.open(folder, PASSPHRASE) as central:
        fill_builtin(central, responses=12, interviews=2, seed=5)
    return folder


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav", "dta"])
def test_export_into_a_read_only_folder_is_one_clear_error(
    results_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    with read_only_folder(tmp_path / "stick") as stick:
        for out in (stick, stick / "new"):  # the folder itself, and one to be made in it
            code, _out, err = cli(capsys, "--data-dir", str(tmp_path / "d"), "export",
                                  "--central", str(results_store), "--form", "qi_baseline",
                                  "--format", fmt, "--out", str(out))
            assert code == 2, err
            assert "Cannot write the export folder" in err and "Traceback" not in err
            assert "choose a folder you may write to" in err
        assert list(stick.iterdir()) == []


def test_report_into_a_read_only_folder_is_one_clear_error(
    results_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with read_only_folder(tmp_path / "stick") as stick:
        code, _out, err = cli(capsys, "--data-dir", str(tmp_path / "d"), "report",
                              "--central", str(results_store), "--out", str(stick),
                              "--format", "json,html")
        assert code == 2, err
        assert "Cannot write the report into" in err and "Nothing was written" in err
        assert "Traceback" not in err
        assert list(stick.iterdir()) == []


def test_merge_from_a_write_protected_stick_says_the_acknowledgement_was_not_written(
    make_world: MakeWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    central, laptop, folder = make_world("merge_e2e.md", MERGE_FORM)
    with Profile.unlock(laptop, PASSPHRASE) as store:
        finalise_records(store, 2)
        device_id = store.device().id
        sync_folder(store, folder)
    data = str(tmp_path / "d")
    code, _out, _err = cli(capsys, "--data-dir", data, "merge", "--central", str(central),
                           str(folder))
    assert code == 3  # quarantined until enrolled, then merged by the enrolment
    code, _out, _err = cli(capsys, "--data-dir", data, "devices", "enrol", "--central",
                           str(central), str(device_id))
    assert code == 0
    assert not (folder / "inbox").exists()
    with read_only_folder(tmp_path / "stick", copy_from=folder) as stick:
        with AdminDesk.open(central, PASSPHRASE) as desk, \
                pytest.raises(AcknowledgementUnwritable) as refused:
            desk.merge([stick])
        assert refused.value.params["merged"] == 1
        assert str(stick) in refused.value.message
        assert "merge it again" in refused.value.message
        # The revisions are in: merged once, whatever the acknowledgement did.
        with CentralStore.open(central, PASSPHRASE) as store:
            assert store.count_records("merge_e2e") == 2
        code, out, err = cli(capsys, "--data-dir", data, "merge", "--central", str(central),
                             str(stick))
        assert code == 2 and "Traceback" not in err
        assert "no acknowledgement could be written" in err
        assert not (stick / "inbox").exists()
    # The same folder, writable: nothing imported twice, the acknowledgement written.
    code, out, err = cli(capsys, "--data-dir", data, "merge", "--central", str(central),
                         str(folder), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["totals"]["already_imported"] == 1 and result["totals"]["imported"] == 0
    assert len(list((folder / "inbox").glob("*.qiack"))) == 1


@pytest.fixture
def odd_folder(tmp_path: Path) -> Path:
    """A sync folder holding everything but bundles under bundle names."""
    odd = tmp_path / "odd"
    odd.mkdir()
    with (odd / "sparse.qibundle").open("wb") as f:
        f.truncate(MAX_BUNDLE_BYTES + 1024**3)  # 5 GiB that take no disk
    (odd / "loop.qibundle").symlink_to(odd / "loop.qibundle")
    (odd / "dangling.qibundle").symlink_to(tmp_path / "nowhere")
    (odd / "folder.qibundle").mkdir()
    os.mkfifo(odd / "pipe.qibundle")
    (odd / "junk.qibundle").write_bytes(b"not a bundle at all")
    (odd / "outbox").symlink_to(odd)  # the same files again, through the outbox
    return odd


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_the_inbox_and_the_merge_take_odd_files_in_their_stride(
    make_world: MakeWorld, odd_folder: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    central, _laptop, _folder = make_world("merge_e2e.md", MERGE_FORM)
    with AdminDesk.open(central, PASSPHRASE) as desk:
        (listed,) = desk.inbox([odd_folder])
    assert listed.error is None
    by_name = {b.path.name: b for b in listed.bundles}
    # Each file once (not again through the outbox link); no pipe, link or folder.
    assert sorted(by_name) == ["junk.qibundle", "sparse.qibundle"]
    sparse = by_name["sparse.qibundle"]
    # Refused by its size before a byte was hashed.
    assert (sparse.state, sparse.reason, sparse.file_sha256) == (
        "refused", "bundle_too_large", None)
    assert sparse.size == MAX_BUNDLE_BYTES + 1024**3
    assert (by_name["junk.qibundle"].state, by_name["junk.qibundle"].reason) == (
        "refused", "bundle_not_age")

    code, out, err = cli(capsys, "--data-dir", str(tmp_path / "d"), "merge", "--central",
                         str(central), str(odd_folder), "--json")
    assert code == 1, err
    result = json.loads(out)
    assert sorted((Path(b["source"]).name, b["reason"]) for b in result["bundles"]) == [
        ("junk.qibundle", "bundle_not_age"), ("sparse.qibundle", "bundle_too_large")]
    assert not (odd_folder / "inbox").exists()  # nothing acknowledged, nothing written
    with CentralStore.open(central, PASSPHRASE) as store:
        assert store.count_records("merge_e2e") == 0 and store.quarantine_waiting() == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_under_a_bundle_name_is_refused_without_waiting_for_a_writer(
    tmp_path: Path
) -> None:
    pipe = tmp_path / "swapped.qibundle"
    os.mkfifo(pipe)
    outcome: list[BaseException | None] = []

    def open_it() -> None:
        try:
            open_bundle_file(pipe).close()
            outcome.append(None)
        except BaseException as exc:  # handed to the test below
            outcome.append(exc)

    worker = threading.Thread(target=open_it, daemon=True)
    worker.start()
    worker.join(60)  # a blocking open would wait for a writer forever
    if worker.is_alive():
        with pipe.open("wb"):  # release it, so that no thread outlives the test
            pass
        worker.join()
        pytest.fail("opening a pipe under a bundle's name waited for a writer")
    assert len(outcome) == 1 and isinstance(outcome[0], BundleNotAFile)
