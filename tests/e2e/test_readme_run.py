"""The README's end-to-end run, as a test: the commands between the ``readme-run``
markers of README.md, in order, on the built-in study (a record filled before the pack is
imported included), each with the exit code the README gives (0 unless a trailing
``# exit N`` says otherwise); then an export in every format, read back. When the README
changes, this test runs the new commands.

The only liberty taken: ``--kdf floor`` on the two commands that create keys (Argon2id at
the floor instead of calibrated to about a second), and the device id the interviewer
reads out (``profile show``) replaces ``DEVICE_ID``.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from qi_capture.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "Tangerine-Viaduct-Orbit-58"
FORMATS = ("csv", "xlsx", "sav", "dta", "parquet")


def readme_commands() -> list[tuple[list[str], int]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- readme-run:begin -->\n```sh\n(.*?)```\n<!-- readme-run:end -->",
                      text, re.S)
    assert found is not None, "README.md lost its readme-run block"
    commands = []
    for line in found.group(1).splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        command, _, comment = line.partition("#")
        expected = re.search(r"exit (\d+)", comment)
        commands.append((shlex.split(command), int(expected.group(1)) if expected else 0))
    return commands


def run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(argv)
    return code, out.getvalue() + err.getvalue()


@pytest.mark.slow
def test_the_readme_run_gets_every_record_to_the_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QI_CAPTURE_PASSPHRASE", PASSPHRASE)
    monkeypatch.chdir(tmp_path)
    for folder in ("resources", "docs"):  # the README's paths are the checkout's
        (tmp_path / folder).symlink_to(ROOT / folder)
    outputs: list[str] = []
    device_id: str | None = None
    commands = readme_commands()
    assert len(commands) >= 12
    for argv, expected in commands:
        if argv[0] == "mkdir":
            for name in argv[1:]:
                (tmp_path / name).mkdir()
            continue
        assert argv[0] == "qi-capture", argv
        args = argv[1:]
        if any(args[i:i + 2] in (["admin", "init"], ["profile", "create"])
               for i in range(len(args))):
            args = [*args, "--kdf", "floor"]
        if "DEVICE_ID" in args:
            assert device_id is not None, "profile show came first in the README"
            args = [device_id if a == "DEVICE_ID" else a for a in args]
        code, output = run(args)
        outputs.append(output)
        assert code == expected, (argv, code, output)
        shown = re.search(r"^device id:\s+(\S+)", output, re.M)
        if shown:
            device_id = shown.group(1)

    text = "\n".join(outputs)
    assert "stays on laptop" in text  # the record made before the pack, listed as such
    assert "1 record(s) made before the pack moved into study" in text
    assert "acknowledged by the admin" in text  # the last sync read the acknowledgement
    listing = run(["devices", "list", "--central", "central"])[1]
    assert "missing" not in listing
    # What the interviewer reads out is what the admin sees, digit for digit.
    read_out = re.search(r"^read out as: (ed25519: [0-9a-f ]+)$", text, re.M)
    assert read_out is not None and device_id is not None
    # The table shows the device's short id (the first eight hex digits).
    (line,) = [entry for entry in listing.splitlines()
               if entry.startswith(device_id.replace("-", "")[:8])]
    assert line.split()[1] == "enrolled" and read_out.group(1).strip() in line

    for fmt in FORMATS:
        code, output = run(["export", "--central", "central", "--form", "qi_baseline",
                            "--format", fmt, "--out", f"out-{fmt}"])
        assert code == 0, (fmt, output)
    frames = {
        "csv": pd.read_csv(tmp_path / "out-csv" / "qi_baseline.csv"),
        "xlsx": pd.read_excel(tmp_path / "out-xlsx" / "qi_baseline.xlsx",
                              sheet_name="qi_baseline"),
        "sav": pyreadstat.read_sav(str(tmp_path / "out-sav" / "qi_baseline.sav"))[0],
        "dta": pyreadstat.read_dta(str(tmp_path / "out-dta" / "qi_baseline.dta"))[0],
        "parquet": pd.read_parquet(tmp_path / "out-parquet" / "qi_baseline.parquet"),
    }
    for fmt, frame in frames.items():
        assert len(frame) == 2, fmt  # both records, the one made before the pack included
        assert set(frame["org_name"]) == {"St Elsewhere NHS Foundation Trust"}, fmt
        # The "other, specify" text is its own column beside the choice's 0/1 column.
        assert list(frame["methods_other"]) == ["Kaizen events"] * 2, fmt
        assert [float(v) for v in frame["trained_total"]] == [156.0, 156.0], fmt
    assert list(frames["csv"]["methods/other"]) == [1, 1]
