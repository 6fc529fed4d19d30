"""Every file a command is told to read is read to its limit and no further: a wrong
file of gigabytes (here a sparse one) or ``/dev/zero`` (which stat calls empty and which
never ends) named as a study pack, a form, a passphrase or recovery key file is one
error naming the file and its limit, never minutes of reading or all the memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from qi_capture.cli import main
from qi_capture.crypto.kdf import floor_params
from qi_capture.services import ProfileService

PASSPHRASE = "copper kettle harbour 42"

SOURCES = ["sparse", *(["/dev/zero"] if Path("/dev/zero").exists() else [])]


@pytest.fixture(params=SOURCES)
def endless(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param != "sparse":
        return Path(request.param)
    path = tmp_path / "huge.bin"
    with path.open("wb") as f:
        f.truncate(8 * 1024**3)  # 8 GiB that take no disk
    return path


@pytest.mark.parametrize(("argv", "message", "code"), [
    (["study", "import", "{f}"], "too large to be a study pack", 2),
    (["study", "pack", "--central", "{tmp}/central", "--forms", "{f}", "--out", "{tmp}/p"],
     "is larger than", 2),
    (["profile", "show", "--passphrase-file", "{f}"], "is larger than 64 KiB", 2),
    (["profile", "recover", "--recovery-identity", "{f}"], "is larger than 64 KiB", 2),
    (["export", "--central", "{tmp}/central", "--form", "x", "--format", "csv", "--out",
      "{tmp}/e", "--form-file", "{f}"], "a form may be at most", 1),
    (["form", "check", "{f}"], "a form may be at most", 1),
    (["form", "run", "{f}", "--answers", "{tmp}/a.json"], "a form may be at most", 2),
    (["record", "fill", "x", "--answers", "{f}"], "larger than 16 MiB", 1),
])
def test_an_endless_file_is_one_error(
    endless: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
    message: str, code: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    if argv[0] in ("profile", "record") or argv[:2] == ["study", "import"]:  # the file is read once a profile is chosen
        ProfileService(tmp_path / "d").create("Ann Example", PASSPHRASE, kdf=floor_params())
    monkeypatch.setenv("QI_CAPTURE_PASSPHRASE", PASSPHRASE)
    args = [a.replace("{f}", str(endless)).replace("{tmp}", str(tmp_path)) for a in argv]
    before = sorted(p.name for p in tmp_path.iterdir())
    got = main(["--data-dir", str(tmp_path / "d"), *args])
    out, err = capsys.readouterr()
    assert got == code, out + err
    assert message in out + err and "Traceback" not in out + err
    if argv[0] != "form":  # form check and form run read one file: they need not name it
        assert str(endless) in err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "d") == \
        [n for n in before if n != "d"]
