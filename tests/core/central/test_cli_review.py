"""``qi-capture review list|show|set`` on a real (SQLCipher) central store."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from qi_capture.central.store import CentralStore
from qi_capture.cli import main
from tests.core.central.conftest import PASSPHRASE
from tests.core.central.helpers import FakeDevice


@pytest.fixture
def central_dir(admin_template: Path, tmp_path: Path) -> tuple[Path, list[uuid.UUID]]:
    folder = tmp_path / "central"
    shutil.copytree(admin_template, folder)
    laptop = FakeDevice("Laptop A")
    records = [uuid.uuid4(), uuid.uuid4()]
    with CentralStore.open(folder, PASSPHRASE) as central:
        central.enrol(laptop.id, name=laptop.name, fingerprint=laptop.fingerprint,
                      public_key=laptop.public_key)
        central.merge(laptop.bundle([laptop.revision(r, {"q1": "x"}) for r in records]))
    return folder, records


def _cli(capsys: pytest.CaptureFixture[str], folder: Path, tmp_path: Path,
         *args: str) -> tuple[int, str, str]:
    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASE)
    code = main(["review", *args, "--central", str(folder), "--passphrase-file", str(secret)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_set_show_and_list_by_status(central_dir: tuple[Path, list[uuid.UUID]],
                                     tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, (first, second) = central_dir
    code, out, _ = _cli(capsys, folder, tmp_path, "set", str(first), "has_issues",
                        "--comment", "q2 missing")
    assert (code, out.strip()) == (0, f"{first}: has_issues")
    _cli(capsys, folder, tmp_path, "set", str(first), "approved", "--comment", "fixed")
    code, out, _ = _cli(capsys, folder, tmp_path, "show", str(first), "--json")
    shown = json.loads(out)
    assert shown["status"] == "approved"
    assert [(c["status"], c["comment"]) for c in shown["comments"]] == [
        ("has_issues", "q2 missing"), ("approved", "fixed")]
    code, out, _ = _cli(capsys, folder, tmp_path, "list", "--form", "baseline", "--json")
    assert {(r["record_id"], r["status"]) for r in json.loads(out)} == {
        (str(first), "approved"), (str(second), "received")}
    code, out, _ = _cli(capsys, folder, tmp_path, "list", "--form", "baseline",
                        "--status", "approved")
    # The text lists short ids (the first eight hex digits), which any command takes.
    assert first.hex[:8] in out and second.hex[:8] not in out


def test_errors_are_named(central_dir: tuple[Path, list[uuid.UUID]], tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    folder, _ = central_dir
    code, _, err = _cli(capsys, folder, tmp_path, "set", "not-a-uuid", "approved")
    assert code == 2 and "not a record id" in err
    code, _, err = _cli(capsys, folder, tmp_path, "show", str(uuid.uuid4()))
    assert code != 0 and err.strip()
    with pytest.raises(SystemExit) as bad_status:
        main(["review", "set", str(uuid.uuid4()), "great", "--central", str(folder)])
    assert bad_status.value.code == 2
