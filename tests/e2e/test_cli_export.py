"""``qi-capture export`` end to end on a central folder: --form-file registers the
versions, every format is written, the report warns the files are not encrypted,
--status filters, an unknown form is a clear error (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from qi_capture.central.store import CentralStore
from qi_capture.cli import main
from qi_capture.crypto.kdf import floor_params
from qi_capture.storage.profile import Profile
from tests.core.export.forms import V1, V2, fill

PASSPHRASE = "copper kettle harbour 42"


@pytest.fixture
def central(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("QI_CAPTURE_PASSPHRASE", PASSPHRASE)
    folder = tmp_path / "central"
    Profile.create(folder / "admin", "Central admin", PASSPHRASE, kdf=floor_params())
    with CentralStore.open(folder, PASSPHRASE) as store:
        ids = fill(store)
        store.set_review(ids["r1"], "approved", "ok")
    (tmp_path / "v1.md").write_text(V1)
    (tmp_path / "v2.md").write_text(V2)
    return folder


def test_export_cli(central: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = str(tmp_path / "d")
    out = tmp_path / "out"
    code = main(["--data-dir", d, "export", "--central", str(central), "--form", "exp",
                 "--format", "sav", "--out", str(out), "--form-file", str(tmp_path / "v1.md"),
                 "--form-file", str(tmp_path / "v2.md"), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)
    assert report["included"] == 3 and report["form_versions_known"] == ["1", "2"]
    assert "NOT encrypted" in captured.err
    assert {p.name for p in out.iterdir()} >= {"exp.sav", "exp-team.sav", "exp-audit.sav",
                                                "codebook.csv", "export_report.txt"}

    # The versions are now stored: no --form-file needed; filter on review status.
    code = main(["--data-dir", d, "export", "--central", str(central), "--form", "exp",
                 "--format", "csv", "--out", str(tmp_path / "csv"), "--status", "approved"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "exported 1 records" in captured.out
    assert len(pd.read_csv(tmp_path / "csv" / "exp.csv", encoding="utf-8-sig")) == 1

    code = main(["--data-dir", d, "export", "--central", str(central), "--form", "nope",
                 "--format", "csv", "--out", str(tmp_path / "x")])
    assert code == 2 and "No version of form nope" in capsys.readouterr().err


def test_export_cli_options(central: Path, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    d = str(tmp_path / "d")
    out = tmp_path / "labels"
    code = main(["--data-dir", d, "export", "--central", str(central), "--form", "exp",
                 "--format", "csv", "--out", str(out), "--form-file", str(tmp_path / "v1.md"),
                 "--form-file", str(tmp_path / "v2.md"), "--headers", "labels", "--values",
                 "labels", "--language", "English (en)", "--csv-raw", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)
    assert report["options"] == {"headers": "labels", "values": "labels",
                                 "group_prefix": False, "csv_injection": "raw"}
    main_table = pd.read_csv(out / "exp.csv", encoding="utf-8-sig")
    assert "Main method" in main_table.columns and "Barriers: No time" in main_table.columns
    assert set(main_table["Main method"].dropna()) == {"PDSA cycles", "Lean"}
    assert "No time; No money" in set(main_table["Barriers"].dropna())
    assert "written raw" in (out / "export_report.txt").read_text()


def test_export_to_an_unwritable_folder_is_one_clear_error(
    central: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code = main(["--data-dir", str(tmp_path / "d"), "export", "--central", str(central),
                 "--form", "exp", "--format", "csv", "--out", str(blocker / "out"),
                 "--form-file", str(tmp_path / "v1.md")])
    err = capsys.readouterr().err
    assert code != 0 and "Cannot write the export folder" in err and "Traceback" not in err
    assert "choose a folder you may write to" in err
