"""Fuzzing deployment.json, the file IT places beside the app (or anyone who can write to
that folder): whatever it holds, `deployment.load` and `deployment.parse` return settings
that hold what the module promises, or raise `DeploymentInvalid`, never another
exception, in bounded time.

Inputs: arbitrary bytes, arbitrary JSON, and a valid file with each setting replaced by
arbitrary JSON or by path-like text (variables, ``~``, NUL, lone surrogates, names too
long for the file system, OneDrive folders)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qi_capture import deployment
from qi_capture.deployment import Deployment, DeploymentInvalid

FUZZ = settings(max_examples=60, deadline=2000,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
BOUND_SECONDS = 1.0

TRICKY = ("\ud800", "\x00", "", " ", "\u00e9", "a" * 300)
any_text = st.sampled_from(TRICKY) | st.text(
    st.characters(codec=None, exclude_categories=()), max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats() | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)
#: Text built from the pieces a path setting is made of.
path_text = st.lists(
    st.sampled_from(["study.qipack", "/", "\\", "~", "~root", "~nobody-here", "$HOME",
                     "${HOME}", "%USERPROFILE%", "$QI_FUZZ_UNSET", "OneDrive", "..", ".",
                     "C:", "\x00", "\ud800", "a" * 300, " ", "\u00e9"]) | any_text,
    max_size=6,
).map("".join)
SETTINGS = ("format", "version", "study_pack", "sync_folder", "data_dir", "comment")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a study pack beside the deployment file, so ``study_pack`` can be
    found."""
    folder = tmp_path_factory.mktemp("deployment")
    (folder / "study.qipack").write_bytes(b"{}")
    return folder


def check(data: object, folder: Path) -> Deployment | None:
    """``parse`` on ``data``; the settings it accepts hold what the module promises."""
    path = folder / deployment.FILE_NAME
    start = time.perf_counter()
    try:
        result = deployment.parse(data, path)
    except DeploymentInvalid as invalid:
        assert str(invalid).startswith(f"deployment settings {path}: ")
        str(invalid).encode("utf-8")  # printable as it is: no lone surrogate in it
        return None
    finally:
        assert time.perf_counter() - start < BOUND_SECONDS
    assert result.source == path and result.configured
    if result.study_pack is not None:
        assert result.study_pack.is_file()
    for folder_setting in (result.sync_folder, result.data_dir):
        if folder_setting is not None:
            assert folder_setting.is_absolute()
            assert "\x00" not in str(folder_setting)
            str(folder_setting).encode("utf-8")
    if result.data_dir is not None:
        assert not deployment.is_onedrive_path(result.data_dir)
    return result


def test_a_valid_file_is_accepted(folder: Path) -> None:
    result = check({"format": deployment.FORMAT, "version": 1, "study_pack": "study.qipack",
                    "sync_folder": "/srv/sync", "data_dir": "/srv/data"}, folder)
    assert result is not None and result.study_pack == folder / "study.qipack"


@pytest.mark.parametrize(("setting", "value"), [
    ("sync_folder", "/a\x00b"),  # was accepted: a path no file call can use
    ("data_dir", "/a\x00b"),
    ("study_pack", "~\x00"),
    ("study_pack", "\ud800"),  # was refused with a message that cannot be printed
    ("data_dir", "/\ud800"),
    ("study_pack", "a" * 5000),  # was OSError (file name too long)
    ("study_pack", "a/" * 3000),
    ("study_pack", "~nobody-here-qi"),  # was RuntimeError from Path.expanduser
    ("data_dir", "~nobody-here-qi/data"),
])
def test_settings_that_broke_parse(setting: str, value: str, folder: Path) -> None:
    with pytest.raises(DeploymentInvalid):
        deployment.parse({"format": deployment.FORMAT, "version": 1, setting: value},
                         folder / deployment.FILE_NAME)


def test_an_unknown_setting_is_named_printably(folder: Path) -> None:
    """A lone surrogate in a setting's name (a ``\\ud800`` escape) is shown escaped:
    the message goes to a terminal, a log and the UI."""
    with pytest.raises(DeploymentInvalid) as info:
        deployment.parse({"format": deployment.FORMAT, "version": 1, "x\ud800": 1},
                         folder / deployment.FILE_NAME)
    assert "unknown setting(s): x\\ud800" in str(info.value)
    str(info.value).encode("utf-8")


@pytest.mark.parametrize("text", [
    "[" * 50_000,  # was RecursionError
    "1" * 5000,  # was ValueError (integer past the digit limit)
    '{"format": "qi-capture-deployment", "version": ' + "9" * 5000 + "}",
])
def test_json_that_json_loads_refuses_untyped(text: str, folder: Path) -> None:
    path = folder / "deep.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DeploymentInvalid, match="is not valid JSON"):
        deployment.load(path)


@FUZZ
@given(data=json_values)
def test_parse_arbitrary_json(data: Any, folder: Path) -> None:
    check(data, folder)


@FUZZ
@given(data=st.data(), setting=st.sampled_from(SETTINGS))
def test_parse_a_valid_file_with_one_setting_replaced(
    data: st.DataObject, setting: str, folder: Path
) -> None:
    doc: dict[str, Any] = {"format": deployment.FORMAT, "version": 1,
                           "study_pack": "study.qipack", "sync_folder": "/srv/sync",
                           "data_dir": "/srv/data"}
    doc[setting] = data.draw(path_text | json_values)
    check(doc, folder)


@FUZZ
@given(study_pack=st.none() | path_text, sync_folder=st.none() | path_text,
       data_dir=st.none() | path_text)
def test_parse_any_path_settings(
    study_pack: str | None, sync_folder: str | None, data_dir: str | None, folder: Path
) -> None:
    doc = {"format": deployment.FORMAT, "version": 1, "study_pack": study_pack,
           "sync_folder": sync_folder, "data_dir": data_dir}
    check(doc, folder)


def _load(raw: bytes, folder: Path) -> None:
    path = folder / "fuzz.json"
    path.write_bytes(raw)
    start = time.perf_counter()
    try:
        result = deployment.load(path)
    except DeploymentInvalid:
        return
    finally:
        assert time.perf_counter() - start < BOUND_SECONDS
    assert result.source == path


@FUZZ
@given(raw=st.binary(max_size=2048))
def test_load_arbitrary_bytes(raw: bytes, folder: Path) -> None:
    _load(raw, folder)


@FUZZ
@given(data=json_values, ascii_only=st.booleans(), bom=st.booleans())
def test_load_arbitrary_json(data: Any, ascii_only: bool, bom: bool, folder: Path) -> None:
    try:
        text = json.dumps(data, ensure_ascii=ascii_only).encode()
    except UnicodeEncodeError:
        assume(False)
        raise
    _load((b"\xef\xbb\xbf" if bom else b"") + text, folder)
