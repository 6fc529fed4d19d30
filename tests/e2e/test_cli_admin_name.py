"""The admin's name at the command line: ``admin init --name`` keeps it, ``admin show``
prints it, ``study import`` prints "Signed by NAME, check code ..." as the import dialog
does; a profile made without a name keeps working and shows "(no name)"; an odd name is
refused before anything is created; on a terminal a missing name is asked for."""

from __future__ import annotations

import contextlib
import io
import textwrap
from pathlib import Path

import pytest

from qi_capture.cli import admin as admin_cli
from qi_capture.cli import common, main
from qi_capture.services.dto import short_fingerprint

PASSPHRASE = "copper kettle harbour 42"
NAME = "Dr Amara Okafor"
FORM = textwrap.dedent("""
    | survey   |           |          |              |
    |          | type      | name     | label        |
    |          | text      | org      | Organisation |
    | settings |           |          |              |
    |          | form_id   | version  | form_title   |
    |          | named     | 1        | Named form   |
""")


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue() + err.getvalue()


def fingerprint_in(out: str) -> str:
    line = next(x for x in out.splitlines() if x.startswith("Signing key:"))
    return line.split()[-1]


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QI_CAPTURE_PASSPHRASE", PASSPHRASE)


def test_the_name_goes_from_admin_init_to_study_import(tmp_path: Path) -> None:
    central, data = str(tmp_path / "central"), str(tmp_path / "d")
    code, out = run("--data-dir", data, "admin", "init", "--central", central,
                    "--study-id", "named-study", "--name", NAME, "--kdf", "floor")
    assert code == 0, out
    assert f"Admin:              {NAME}" in out
    code, shown = run("--data-dir", data, "admin", "show", "--central", central)
    assert code == 0 and f"Admin:              {NAME}" in shown
    code_text = short_fingerprint(fingerprint_in(shown))

    form = tmp_path / "named.md"
    form.write_text(FORM)
    pack = str(tmp_path / "named.qipack")
    code, out = run("--data-dir", data, "study", "pack", "--central", central,
                    "--forms", str(form), "--out", pack, "--quiet")
    assert code == 0, out
    laptop = str(tmp_path / "laptop")
    assert run("--data-dir", laptop, "profile", "create", "--name", "Ann Example",
               "--kdf", "floor")[0] == 0
    code, out = run("--data-dir", laptop, "study", "import", pack)
    assert code == 0, out
    assert f"Signed by {NAME}, check code {code_text}" in out.splitlines()


def test_a_profile_without_a_name_shows_no_name(tmp_path: Path) -> None:
    central, data = str(tmp_path / "central"), str(tmp_path / "d")
    # No --name and no terminal (a script): no name, and nothing is asked.
    code, out = run("--data-dir", data, "admin", "init", "--central", central,
                    "--kdf", "floor")
    assert code == 0, out
    assert "Admin:              (no name)" in out
    code, shown = run("--data-dir", data, "admin", "show", "--central", central)
    assert code == 0 and "Admin:              (no name)" in shown
    form = tmp_path / "named.md"
    form.write_text(FORM)
    pack = str(tmp_path / "p.qipack")
    assert run("--data-dir", data, "study", "pack", "--central", central, "--forms",
               str(form), "--out", pack, "--quiet")[0] == 0
    laptop = str(tmp_path / "laptop")
    assert run("--data-dir", laptop, "profile", "create", "--name", "Ann Example",
               "--kdf", "floor")[0] == 0
    code, out = run("--data-dir", laptop, "study", "import", pack)
    assert code == 0, out
    check = short_fingerprint(fingerprint_in(shown))
    assert f"Signed by (no name), check code {check}" in out.splitlines()


@pytest.mark.parametrize(("name", "why"), [
    ("Ann\tExample", "U+0009"),
    ("x" * 200, "200 characters long"),
    ("Ann\u202eelpmaxE", "U+202E"),
])
def test_an_odd_name_is_refused_before_anything_is_made(
    tmp_path: Path, name: str, why: str
) -> None:
    central = tmp_path / "central"
    code, out = run("--data-dir", str(tmp_path / "d"), "admin", "init", "--central",
                    str(central), "--name", name, "--kdf", "floor")
    assert code == 2
    assert "error: The admin's name cannot be used" in out and why in out
    assert not central.exists()


def test_on_a_terminal_a_missing_name_is_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def answer(prompt: str) -> str:
        asked.append(prompt)
        return f"  {NAME}  "

    monkeypatch.setattr(common, "is_interactive", lambda: True)
    monkeypatch.setattr("builtins.input", answer)
    central = str(tmp_path / "central")
    code, out = run("--data-dir", str(tmp_path / "d"), "admin", "init", "--central",
                    central, "--kdf", "floor")
    assert code == 0, out
    assert len(asked) == 1 and "Your name" in asked[0]
    code, shown = run("--data-dir", str(tmp_path / "d"), "admin", "show", "--central",
                      central)
    assert f"Admin:              {NAME}" in shown
    assert admin_cli.NO_NAME not in shown
