"""deployment.json's declared schema: every setting of the right type is read, and each
refusal (unknown, missing, another type, out of bounds) carries the message IT has always
been given, for the first wrong setting in the order they have always been checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qi_capture import deployment
from qi_capture.deployment import DeploymentInvalid

VALID: dict[str, Any] = {"format": deployment.FORMAT, "version": 1}
NOT_A_PATH = ('holds a NUL or an unpaired surrogate (\\ud800-\\udfff) character, which no '
              "path can contain")
DAYS = '"backup_keep_days" must be a whole number of days from 1 to 365'


def parse(tmp_path: Path, **settings: Any) -> deployment.Deployment:
    return deployment.parse({**VALID, **settings}, tmp_path / deployment.FILE_NAME)


def test_every_setting_is_read(tmp_path: Path) -> None:
    (tmp_path / "study.qipack").write_bytes(b"{}")
    read = parse(tmp_path, study_pack=" study.qipack ", sync_folder="/srv/sync",
                 data_dir="/srv/data", comment={"by": "IT", "lines": [1, 2]},
                 backup_keep_days=365)
    assert read.study_pack == tmp_path / "study.qipack"
    assert (read.sync_folder, read.data_dir) == (Path("/srv/sync"), Path("/srv/data"))
    assert read.backup_keep_days == 365
    # null is the same as absent; a comment may be any JSON, or none
    empty = parse(tmp_path, study_pack=None, sync_folder=None, data_dir=None, comment=None,
                  backup_keep_days=None)
    assert empty == deployment.Deployment(tmp_path / deployment.FILE_NAME)


@pytest.mark.parametrize(("settings", "reason"), [
    ({"colour": "blue", "size": 1}, "unknown setting(s): colour, size"),
    ({"format": None}, '"format" must be "qi-capture-deployment"'),
    ({"format": "qi-capture-deployment\ud800"}, '"format" must be "qi-capture-deployment"'),
    ({"version": True}, '"version" must be a whole number'),
    ({"version": 1.0}, '"version" must be a whole number'),
    ({"version": 0}, '"version" must be a whole number'),
    ({"version": "1"}, '"version" must be a whole number'),
    ({"version": 2**70}, f"version {2**70} is newer than this app understands (1)"),
    ({"sync_folder": 5}, '"sync_folder" must be a non-empty string'),
    ({"sync_folder": " \t\n"}, '"sync_folder" must be a non-empty string'),
    ({"data_dir": ["/srv"]}, '"data_dir" must be a non-empty string'),
    ({"data_dir": "/srv/\x00"}, f'"data_dir" {NOT_A_PATH}'),
    ({"study_pack": "\udfffa"}, f'"study_pack" {NOT_A_PATH}'),
    ({"backup_keep_days": True}, DAYS),
    ({"backup_keep_days": 7.0}, DAYS),
    ({"backup_keep_days": 0}, DAYS),
    ({"backup_keep_days": 366}, DAYS),
    # the first wrong setting in the order they have always been checked
    ({"backup_keep_days": 0, "version": "one", "format": "x"},
     '"format" must be "qi-capture-deployment"'),
    ({"backup_keep_days": 0, "sync_folder": 1}, '"sync_folder" must be a non-empty string'),
])
def test_a_setting_of_the_wrong_type_is_refused_by_name(
    tmp_path: Path, settings: dict[str, Any], reason: str
) -> None:
    with pytest.raises(DeploymentInvalid) as refused:
        parse(tmp_path, **settings)
    assert refused.value.message == f"deployment settings {tmp_path / 'deployment.json'}: {reason}"
    assert refused.value.code == "deployment_invalid"


@pytest.mark.parametrize("missing", ["format", "version"])
def test_a_missing_required_setting_is_refused(tmp_path: Path, missing: str) -> None:
    doc = {k: v for k, v in VALID.items() if k != missing}
    with pytest.raises(DeploymentInvalid, match=f'"{missing}" must be'):
        deployment.parse(doc, tmp_path / deployment.FILE_NAME)


@pytest.mark.parametrize("data", [None, [], "qi", 1])
def test_a_file_that_is_no_object_is_refused(tmp_path: Path, data: object) -> None:
    with pytest.raises(DeploymentInvalid, match="the file must hold a JSON object"):
        deployment.parse(data, tmp_path / deployment.FILE_NAME)
