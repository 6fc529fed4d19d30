"""How long backups keep what was erased: deployment.json's ``backup_keep_days``, checked,
and what the laptop and the admin profile are opened with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qi_capture import deployment
from qi_capture.services.profiles import backup_keep_days
from qi_capture.storage.backup import DEFAULT_KEEP_DAYS


def write(tmp_path: Path, **settings: object) -> Path:
    path = tmp_path / "deployment.json"
    path.write_text(json.dumps({"format": "qi-capture-deployment", "version": 1, **settings}))
    return path


def test_backup_retention_is_configurable(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(deployment.ENV_VAR, raising=False)
    assert backup_keep_days() == DEFAULT_KEEP_DAYS == 14
    monkeypatch.setenv(deployment.ENV_VAR, str(write(tmp_path, backup_keep_days=3)))
    assert backup_keep_days() == 3


@pytest.mark.parametrize("value", [0, 366, "7", True, 2.5])
def test_an_unusable_backup_retention_is_refused(tmp_path: Path, value: object) -> None:
    with pytest.raises(deployment.DeploymentInvalid, match="backup_keep_days"):
        deployment.load(write(tmp_path, backup_keep_days=value))
