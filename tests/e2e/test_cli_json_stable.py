"""``--json`` output is for scripts: the terminal tables and progress must not change it.
The expected output was captured from the commands before they drew tables and progress
(see `tests.e2e.cli_json_scenario`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.e2e.cli_json_scenario import GOLDEN, run_scenario
from tests.e2e.conftest import MakeWorld


def test_json_output_is_unchanged(make_world: MakeWorld, capsys: pytest.CaptureFixture[str],
                                  tmp_path: Path) -> None:
    outputs = run_scenario(make_world, capsys, tmp_path)
    if os.environ.get("QI_WRITE_CLI_JSON") == "1":
        GOLDEN.write_text(json.dumps(outputs, indent=2, sort_keys=True) + "\n")
    expected = json.loads(GOLDEN.read_text())
    assert set(outputs) == set(expected)
    for name, output in outputs.items():
        assert output == expected[name], name
