"""One admin and one laptop run through the commands whose ``--json`` output scripts
read; the output, with ids, times and temporary paths replaced by placeholders, is kept in
``data/cli_json_outputs.json`` (written from the code before the terminal tables and
progress came in) and compared by ``test_cli_json_stable.py``: ``--json`` must not move.

Regenerate (only when a JSON change is meant, and say so in the README):
``QI_WRITE_CLI_JSON=1 pytest tests/e2e/test_cli_json_stable.py``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from qi_capture.cli import main
from qi_capture.storage.profile import Profile
from qi_capture.storage.profile_folders import PROFILES_DIR
from qi_capture.sync.folder import sync_folder
from tests.e2e.conftest import MERGE_FORM, PASSPHRASE, MakeWorld, finalise_records

GOLDEN = Path(__file__).parent / "data" / "cli_json_outputs.json"

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HEX = re.compile(r"\b[0-9a-f]{8,}\b")
_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?")
_FINGERPRINT = re.compile(r"\b[0-9A-Z]{4}(-[0-9A-Z]{4}){3,}\b")


def normalised(value: Any, tmp: str) -> Any:
    """``value`` with what differs from run to run replaced by placeholders."""
    if isinstance(value, dict):
        return {normalised(k, tmp): normalised(v, tmp) for k, v in value.items()}
    if isinstance(value, list):
        return [normalised(v, tmp) for v in value]
    if isinstance(value, str):
        text = value.replace(tmp, "<tmp>")
        text = _UUID.sub("<uuid>", text)
        text = _TIME.sub("<time>", text)
        text = _HEX.sub("<hex>", text)
        return _FINGERPRINT.sub("<fingerprint>", text)
    return value


def run_scenario(make_world: MakeWorld, capsys: pytest.CaptureFixture[str],
                 tmp_path: Path) -> dict[str, Any]:
    """Each command's exit code and parsed, normalised ``--json`` output, by name."""
    central, laptop, folder = make_world("merge_e2e.md", MERGE_FORM)
    with Profile.unlock(laptop, PASSPHRASE) as store:
        finalise_records(store, 3)
        device_id = store.device().id
        sync_folder(store, folder)
    # The laptop commands find profiles under DATA_DIR/profiles.
    laptop_data = tmp_path / "laptop_data"
    (laptop_data / PROFILES_DIR).mkdir(parents=True)
    laptop = Path(shutil.move(laptop, laptop_data / PROFILES_DIR / "laptop"))
    data = str(tmp_path / "d")
    form_file = tmp_path / "merge_e2e.md"
    form_file.write_text(MERGE_FORM)
    c = ("--central", str(central))
    steps: list[tuple[str, tuple[str, ...]]] = [
        ("merge quarantined", ("merge", *c, str(folder), "--json")),
        ("devices list before", ("devices", "list", *c, "--json")),
    ]
    outputs: dict[str, Any] = {}

    def run(name: str, args: tuple[str, ...]) -> None:
        code = main(["--data-dir", data, *args])
        captured = capsys.readouterr()
        assert captured.out, f"{name}: exit {code}, {captured.err}"
        out = captured.out
        outputs[name] = {"exit": code, "json": normalised(json.loads(out), str(tmp_path))}

    for name, args in steps:
        run(name, args)
    assert main(["--data-dir", data, "devices", "enrol", *c, str(device_id)]) == 0
    capsys.readouterr()
    for name, args in [
        ("merge again", ("merge", *c, str(folder), "--json")),
        ("devices list", ("devices", "list", *c, "--json")),
        ("review list", ("review", "list", *c, "--form", "merge_e2e", "--json")),
        ("conflicts list", ("conflicts", "list", *c, "--all", "--json")),
        ("export", ("export", *c, "--form", "merge_e2e", "--format", "csv", "--out",
                    str(tmp_path / "out"), "--form-file", str(form_file), "--json")),
        ("record list", ("--data-dir", str(laptop_data), "record", "list",
                         "--profile", "Jo Bloggs", "--json")),
        ("study list", ("--data-dir", str(laptop_data), "study", "list",
                        "--profile", "Jo Bloggs", "--json")),
        ("profile check", ("--data-dir", str(laptop_data), "profile", "check",
                           "--profile", "Jo Bloggs", "--json")),
    ]:
        run(name, args)
    return outputs
