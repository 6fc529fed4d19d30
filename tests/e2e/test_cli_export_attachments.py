"""``qi-capture export --attachments``: a recorded interview's audio decrypted into the
export folder under its record's id, counted in the export report with its warning;
what was written plays back as what was recorded. Without the flag, no attachment is
written; a folder that cannot take them is a clear error that leaves no attachment."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from qi_capture.audio.sources import tone
from qi_capture.cli import main
from qi_capture.export.attachments import NOT_ENCRYPTED, safe_name
from tests.e2e.conftest import MERGE_FORM, MakeWorld
from tests.e2e.recorded import recorded_centre

SECONDS = 6.0


def export(tmp_path: Path, central: Path, out: Path, *extra: str) -> list[str]:
    form = tmp_path / "merge_e2e.md"
    form.write_text(MERGE_FORM)
    return ["--data-dir", str(tmp_path / "d"), "export", "--central", str(central),
            "--form", "merge_e2e", "--format", "csv", "--out", str(out),
            "--form-file", str(form), *extra]


def test_export_with_attachments(
    make_world: MakeWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    central, record_id, _ = recorded_centre(make_world, tone(SECONDS))
    plain = tmp_path / "plain"
    assert main(export(tmp_path, central, plain)) == 0
    assert not (plain / "attachments").exists()
    assert "attachments" not in json.loads((plain / "export_report.json").read_text())
    capsys.readouterr()

    out = tmp_path / "out"
    assert main(export(tmp_path, central, out, "--attachments")) == 0
    captured = capsys.readouterr()
    assert "attachments: 1 files of 1 records" in captured.out
    audio = out / "attachments" / str(record_id) / "interview.opus"
    samples, rate = soundfile.read(audio, dtype="float32")
    expected = tone(SECONDS)
    assert rate == 16000 and len(samples) == len(expected)
    assert float(np.corrcoef(samples, expected)[0, 1]) > 0.99
    report = json.loads((out / "export_report.json").read_text())
    assert report["attachments"] == {"folder": "attachments", "files": 1, "records": 1,
                                     "bytes": audio.stat().st_size, "encrypted": False}
    assert report["warnings"][-1] == NOT_ENCRYPTED
    text = (out / "export_report.txt").read_text()
    assert "attachments: 1 file(s) of 1 record(s)" in text and NOT_ENCRYPTED in text
    assert not [p for p in out.rglob("*.partial")]


def test_a_folder_that_cannot_take_attachments_is_a_clear_error(
    make_world: MakeWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    central, _record_id, _ = recorded_centre(make_world, tone(2.0))
    out = tmp_path / "out"
    out.mkdir()
    (out / "attachments").write_text("in the way")
    code = main(export(tmp_path, central, out, "--attachments"))
    err = capsys.readouterr().err
    assert code != 0
    assert str(out) in err and "not a folder" in err
    assert (out / "attachments").read_text() == "in the way"
    assert "attachments" not in json.loads((out / "export_report.json").read_text())


def test_attachment_names_are_safe_and_unique() -> None:
    taken: set[str] = set()
    assert safe_name("../../etc/passwd", taken) == "passwd"
    assert safe_name("a:b?.opus", taken) == "a_b_.opus"
    assert safe_name("A_B_.opus", taken) == "A_B_ (2).opus"
    assert safe_name("...", taken) == "attachment"
