"""deployment.json: found beside the executable, checked strictly, OneDrive refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qi_capture import deployment
from qi_capture.deployment import DeploymentInvalid


def write(folder: Path, **settings: object) -> Path:
    path = folder / deployment.FILE_NAME
    doc = {"format": deployment.FORMAT, "version": 1, **settings}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_no_file_means_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(deployment.ENV_VAR, raising=False)
    assert deployment.find_file(tmp_path / "QI Capture.exe", frozen=True) is None
    assert not deployment.load().configured


def test_found_beside_the_executable_and_beside_a_mac_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(deployment.ENV_VAR, raising=False)
    path = write(tmp_path)
    assert deployment.find_file(tmp_path / "QI Capture.exe", frozen=True) == path
    exe = tmp_path / "QI Capture.app" / "Contents" / "MacOS" / "QI Capture"
    assert deployment.find_file(exe, frozen=True) == path
    assert deployment.find_file(tmp_path / "QI Capture.exe", frozen=False) is None


def test_settings_are_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "study.qipack").write_bytes(b"{}")
    monkeypatch.setenv("QI_TEST_HOME", str(tmp_path / "home"))
    path = write(tmp_path, study_pack="study.qipack", sync_folder="$QI_TEST_HOME/sync")
    monkeypatch.setenv(deployment.ENV_VAR, str(path))
    settings = deployment.load()
    assert settings.source == path
    assert settings.study_pack == tmp_path / "study.qipack"
    assert settings.sync_folder == tmp_path / "home" / "sync"
    assert settings.data_dir is None


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"study_pack": "missing.qipack"}, "does not exist"),
        ({"sync_folder": "relative/folder"}, "absolute"),
        ({"sync_folder": ""}, "non-empty string"),
        ({"colour": "blue"}, "unknown setting(s): colour"),
        ({"version": 2}, "newer than this app"),
        ({"format": "something-else"}, '"format" must be'),
        ({"data_dir": "/home/jo/OneDrive - NHS/QI"}, "OneDrive"),
    ],
)
def test_mistakes_are_refused(tmp_path: Path, settings: dict[str, object], reason: str) -> None:
    path = write(tmp_path, **settings)
    with pytest.raises(DeploymentInvalid, match="deployment settings") as info:
        deployment.load(path)
    assert reason in info.value.message
    assert info.value.code == "deployment_invalid"


def test_onedrive_environment_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OneDriveCommercial", str(tmp_path / "Synced"))
    assert deployment.is_onedrive_path(tmp_path / "Synced" / "QI")
    assert not deployment.is_onedrive_path(tmp_path / "Local" / "QI")


def test_broken_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / deployment.FILE_NAME
    path.write_text('{"format": \n', encoding="utf-8")
    with pytest.raises(DeploymentInvalid, match="line 2"):
        deployment.load(path)
