"""The self-test passes from source and reports a failing step instead of raising."""

from __future__ import annotations

from pathlib import Path

import pytest

from qi_capture import selftest
from qi_capture.cli import main as cli_main


@pytest.mark.slow
def test_self_test_passes_and_cleans_up(tmp_path: Path) -> None:
    report = selftest.run_self_test(work_dir=tmp_path)
    assert report.ok, report.to_text()
    assert report.exit_code == 0
    names = [s.name for s in report.steps]
    assert {"argon2id", "sqlcipher", "record", "bundle", "audio", "admin", "encrypted",
            "cleanup"} <= set(names)
    assert all(s.status == "ok" for s in report.steps)
    audio = next(s for s in report.steps if s.name == "audio")
    assert audio.detail.startswith("3.00 s decoded, correlation 0.9")
    admin = next(s for s in report.steps if s.name == "admin")
    assert "played at the centre: 3.00 s decoded, correlation 0.9" in admin.detail
    assert list(tmp_path.iterdir()) == []


def test_a_failing_step_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> object:
        raise RuntimeError("no Argon2id here")

    monkeypatch.setattr(selftest, "derive_kek", broken)
    report = selftest.run_self_test(work_dir=tmp_path)
    assert report.exit_code == 1
    failed = [s for s in report.steps if s.status == "failed"]
    assert [s.name for s in failed] == ["argon2id"]
    assert "no Argon2id here" in failed[0].detail
    assert report.steps[-1].name == "cleanup" and report.steps[-1].status == "ok"
    assert "FAILED" in report.to_text()


def test_cli_self_test_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["--data-dir", str(tmp_path), "self-test", "--json"]) == 0
    assert '"ok": true' in capsys.readouterr().out


def test_the_tone_check_refuses_a_recording_that_does_not_match() -> None:
    """What the centre's playback door decodes is compared for real: a shorter or a
    different signal fails the step with what was wrong."""
    import numpy as np

    from qi_capture.audio.sources import tone

    good = tone(selftest.AUDIO_SECONDS)
    assert "correlation 1.0000" in selftest._compare_tone(selftest.AUDIO_SECONDS, good, "x")
    with pytest.raises(selftest.SelfTestFailed, match=r"the centre's copy plays 2\.000 s"):
        selftest._compare_tone(2.0, good[: len(good) * 2 // 3], "the centre's copy")
    noise = np.random.default_rng(7).standard_normal(len(good)).astype(np.float32)
    with pytest.raises(selftest.SelfTestFailed, match="the centre's copy correlates"):
        selftest._compare_tone(selftest.AUDIO_SECONDS, noise, "the centre's copy")
