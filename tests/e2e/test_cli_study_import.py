"""``study import PACK --keep-separate`` at the command line, as the README gives it: a
record made in the built-in study before its pack arrives is listed as staying on the
laptop; importing the pack with ``--keep-separate`` says how many were kept apart and
leaves it so (the default, which moves it, is the README run's own test), and a later
sync does not send it."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from qi_capture.cli import main

ROOT = Path(__file__).resolve().parents[2]
STUDY = ROOT / "resources" / "studies" / "london-qi-baseline"
ANSWERS = ROOT / "docs" / "examples" / "qi_baseline_answers.json"
PASSPHRASE = "copper kettle harbour 42"


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue() + err.getvalue()


def test_keep_separate_leaves_the_record_on_the_laptop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QI_CAPTURE_PASSPHRASE", PASSPHRASE)
    central, laptop, pack = (str(tmp_path / n) for n in ("central", "laptop", "l.qipack"))
    assert run("--data-dir", str(tmp_path / "d"), "admin", "init", "--central", central,
               "--title", "London QI", "--kdf", "floor")[0] == 0
    code, out = run("--data-dir", str(tmp_path / "d"), "study", "pack", "--central", central,
                    "--forms", str(STUDY / "qi_baseline_questionnaire.xlsx"),
                    str(STUDY / "stakeholder_interview_guide.xlsx"), "--out", pack)
    assert code == 0, out
    assert run("--data-dir", laptop, "profile", "create", "--name", "Ann Example",
               "--kdf", "floor")[0] == 0
    code, out = run("--data-dir", laptop, "record", "fill", "qi_baseline", "--answers",
                    str(ANSWERS), "--finalise")
    assert code == 0, out

    code, out = run("--data-dir", laptop, "study", "import", pack, "--keep-separate")
    assert code == 0, out
    assert "1 record(s) made before the pack were kept apart (--keep-separate)" in out
    assert "moved into study" not in out
    code, out = run("--data-dir", laptop, "record", "list")
    assert code == 0 and "stays on laptop" in out

    usb = tmp_path / "usb"
    usb.mkdir()
    code, out = run("--data-dir", laptop, "sync", "--to", str(usb))
    assert code == 0, out
    assert not list(usb.rglob("*.qibundle"))  # nothing of the kept record went
