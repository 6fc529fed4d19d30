"""``qi-capture erase`` and ``qi-capture retention`` on a real (SQLCipher) central store:
one record, a laptop's records only where the policy allows it, the retention dry run
(nothing erased) and run (erased, audited)."""

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

Central = tuple[Path, FakeDevice, list[uuid.UUID]]


@pytest.fixture
def central_dir(admin_template: Path, tmp_path: Path) -> Central:
    folder = tmp_path / "central"
    shutil.copytree(admin_template, folder)
    laptop = FakeDevice("Laptop A")
    records = [uuid.uuid4() for _ in range(4)]
    with CentralStore.open(folder, PASSPHRASE) as central:
        central.enrol(laptop.id, name=laptop.name, fingerprint=laptop.fingerprint,
                      public_key=laptop.public_key)
        central.merge(laptop.bundle([laptop.revision(r, {"q1": "secret answer"})
                                     for r in records]))
    return folder, laptop, records


def cli(capsys: pytest.CaptureFixture[str], folder: Path, *args: str) -> tuple[int, str, str]:
    secret = folder.parent / "pass.txt"
    secret.write_text(PASSPHRASE)
    code = main([*args, "--central", str(folder), "--passphrase-file", str(secret)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_erase_one_record_then_again(central_dir: Central,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    folder, _laptop, records = central_dir
    code, out, _ = cli(capsys, folder, "erase", str(records[0])[:8], "--reason",
                       "consent withdrawn", "--json")
    assert code == 0
    [stone] = json.loads(out)
    assert stone["record_id"] == str(records[0]) and stone["origin"] == "centre"
    code, _, err = cli(capsys, folder, "erase", str(records[0]), "--reason", "again")
    assert code != 0 and "erased already" in err
    code, _, err = cli(capsys, folder, "erase", str(records[1]), "--reason", " ")
    assert code != 0 and "needs a reason" in err


def test_bulk_erasure_only_where_the_policy_allows_it(
        central_dir: Central, capsys: pytest.CaptureFixture[str]) -> None:
    folder, laptop, _records = central_dir
    code, _, err = cli(capsys, folder, "erase", "--device", str(laptop.id), "--reason", "x")
    assert code != 0 and "does not allow" in err
    with CentralStore.open(folder, PASSPHRASE) as central:
        assert central.tombstones() == []
    code, out, _ = cli(capsys, folder, "retention", "--allow-bulk-erasure")
    assert code == 0 and "bulk erasure allowed" in out and "nothing erased" in out
    code, out, _ = cli(capsys, folder, "erase", "--interviewer", "Laptop A", "--reason",
                       "entered for the wrong organisation")
    assert code == 0 and "4 record(s) erased" in out


def test_retention_dry_run_then_run(central_dir: Central,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder, _laptop, records = central_dir
    code, out, _ = cli(capsys, folder, "retention", "--dry-run")
    assert code == 0 and "the study is open: nothing is due" in out
    cli(capsys, folder, "retention", "--study-closed", "2026-01-01", "--keep-days", "10000")
    code, out, _ = cli(capsys, folder, "retention", "--dry-run", "--json")
    assert json.loads(out)["due"] == []
    cli(capsys, folder, "retention", "--keep-days", "30")
    code, out, _ = cli(capsys, folder, "retention", "--dry-run", "--json")
    plan = json.loads(out)
    assert sorted(plan["due"]) == sorted(str(r) for r in records)
    assert plan["policy"]["due_on"] == "2026-01-31" and plan["erased"] is False
    with CentralStore.open(folder, PASSPHRASE) as central:
        assert central.tombstones() == []  # the dry run erased nothing
    code, out, _ = cli(capsys, folder, "retention")
    assert code == 0 and "4 record(s) erased" in out
    with CentralStore.open(folder, PASSPHRASE) as central:
        stones = central.tombstones()
        assert {t.record_id for t in stones} == set(records)
        assert {t.reason for t in stones} == {"retention period ended"}
        actions = [e.action for e in central.audit_log()]
    assert actions.count("retention_erase") == 4 and "retention_run" in actions
    code, out, _ = cli(capsys, folder, "retention", "--dry-run")
    assert "0 record(s) due for erasure; 4 erased before" in out
