"""Deployment settings an IT team places beside the installed executable.

A managed install may carry a ``deployment.json`` next to ``QI Capture.exe`` (Windows,
Linux) or next to ``QI Capture.app`` (macOS), for example::

    {
      "format": "qi-capture-deployment",
      "version": 1,
      "study_pack": "london-qi.qipack",
      "sync_folder": "%USERPROFILE%\\\\NHS Trust\\\\QI Capture sync"
    }

``study_pack`` (optional) is a signed study pack to install when a profile is created,
relative to the file's folder or absolute. ``sync_folder`` (optional) is the folder the
sync screen suggests; ``%VAR%``, ``$VAR`` and ``~`` are expanded for the user running the
app, so one file serves every user of a machine. ``data_dir`` (optional) moves the
profiles away from the per-user local application-data folder; it is refused when it
points into a OneDrive-synced folder, because OneDrive copies a database while it is
open (see SECURITY.md). ``backup_keep_days`` (optional, 1-365, default 14) is how long
the laptop keeps its rolling encrypted backups; a backup holds records erased since it was
made until it is pruned, so this is also how long an erasure takes to reach the backups
(docs/information-governance.md). Unknown keys are refused too, so a typo never goes
unnoticed.

The ``QI_CAPTURE_DEPLOYMENT`` environment variable names a file to use instead (tests,
pilots). No file means no deployment settings: the app runs with its defaults.

This module only reads and checks the file; the services decide what to do with it.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from qi_capture.errors import QICaptureError

FILE_NAME = "deployment.json"
FORMAT = "qi-capture-deployment"
VERSION = 1
ENV_VAR = "QI_CAPTURE_DEPLOYMENT"
MAX_BACKUP_KEEP_DAYS = 365
_ONEDRIVE_VARS = ("OneDrive", "OneDriveCommercial", "OneDriveConsumer")


class DeploymentInvalid(QICaptureError):
    """The deployment file exists but cannot be used; the message says why and where."""

    code = "deployment_invalid"

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"deployment settings {path}: {reason}", path=str(path), reason=reason)


@dataclass(frozen=True)
class Deployment:
    """What IT configured (every field None when there is no file)."""

    source: Path | None = None
    study_pack: Path | None = None
    sync_folder: Path | None = None
    data_dir: Path | None = None
    #: Days the laptop keeps its backups (None: the default, 14).
    backup_keep_days: int | None = None

    @property
    def configured(self) -> bool:
        return self.source is not None


def candidate_files(
    executable: str | Path | None = None, *, frozen: bool | None = None
) -> list[Path]:
    """Where the deployment file is looked for, first match wins: the environment
    variable's file; then, in a packaged build, beside the executable and (macOS) beside
    the ``.app`` bundle. Running from source only the environment variable counts."""
    found: list[Path] = []
    env = os.environ.get(ENV_VAR)
    if env:
        found.append(Path(env).expanduser())
    is_frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    if is_frozen:
        exe = Path(sys.executable if executable is None else executable).resolve()
        found.append(exe.parent / FILE_NAME)
        for parent in exe.parents:
            if parent.suffix == ".app":
                found.append(parent.parent / FILE_NAME)
                break
    return found


def find_file(executable: str | Path | None = None, *, frozen: bool | None = None) -> Path | None:
    for path in candidate_files(executable, frozen=frozen):
        if path.is_file():
            return path
    return None


def _expand(value: str, key: str, path: Path) -> Path:
    try:
        return Path(os.path.expandvars(value)).expanduser()
    except RuntimeError:  # "~name" for a user this machine does not know
        raise DeploymentInvalid(
            path, f'"{key}" starts with ~ but names no user of this machine'
        ) from None


def is_onedrive_path(path: Path) -> bool:
    """True if ``path`` lies in a OneDrive-synced folder (by the folders OneDrive sets in
    the environment, or a path component starting "OneDrive")."""
    resolved = path.absolute()
    for var in _ONEDRIVE_VARS:
        root = os.environ.get(var)
        if root and resolved.is_relative_to(Path(root).absolute()):
            return True
    return any(part.casefold().startswith("onedrive") for part in resolved.parts)


# -- the declared schema ------------------------------------------------------------------
#: A path setting: text with something besides white space, and no NUL or unpaired
#: surrogate (\ud800-\udfff: a "\ud800" escape in the file), which no path can hold.
#: Leading white space, then one character that is not, then the rest: one way to match.
_PathText = Annotated[
    str, msgspec.Meta(pattern=r"\A\s*[^\s\x00\ud800-\udfff][^\x00\ud800-\udfff]*\Z")]
_KeepDays = Annotated[int, msgspec.Meta(ge=1, le=MAX_BACKUP_KEEP_DAYS)]


class _Settings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """deployment.json, its settings in the order they are checked (and refused).
    Absent and null are the same: not set."""

    format: Literal["qi-capture-deployment"]
    #: Whole and positive; newer than `VERSION` is refused with its own message.
    version: Annotated[int, msgspec.Meta(ge=1)]
    study_pack: _PathText | None = None
    sync_folder: _PathText | None = None
    data_dir: _PathText | None = None
    #: IT's own note, any JSON: never read.
    comment: Any = None
    backup_keep_days: _KeepDays | None = None


_FIELDS = msgspec.structs.fields(_Settings)
_KEYS = frozenset(f.encode_name for f in _FIELDS)


def _problem(key: str, value: object) -> str:
    """The message for setting ``key`` holding ``value``, which its type refuses."""
    if key == "format":
        return f'"format" must be "{FORMAT}"'
    if key == "version":
        return '"version" must be a whole number'
    if key == "backup_keep_days":
        return (f'"backup_keep_days" must be a whole number of days from 1 to '
                f"{MAX_BACKUP_KEEP_DAYS}")
    if not isinstance(value, str) or not value.strip():
        return f'"{key}" must be a non-empty string'
    return (f'"{key}" holds a NUL or an unpaired surrogate (\\ud800-\\udfff) '
            "character, which no path can contain")


def _refusal(data: dict[str, Any]) -> str:
    """Why ``data`` (with no unknown setting) is refused: the first setting, in the
    order they have always been checked, that its declared type refuses."""
    for field in _FIELDS:
        if field.required and field.encode_name not in data:
            return _problem(field.encode_name, None)
        try:
            msgspec.convert(data.get(field.encode_name), field.type)
        except (msgspec.ValidationError, UnicodeEncodeError):
            # (msgspec cannot word its refusal of a lone surrogate: the second.)
            return _problem(field.encode_name, data.get(field.encode_name))
    return "the settings are not valid"


def _checked(data: object, path: Path) -> _Settings:
    """``data`` as the declared settings, or `DeploymentInvalid` naming the first
    problem."""
    if not isinstance(data, dict):
        raise DeploymentInvalid(path, "the file must hold a JSON object")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        # Escaped so a lone surrogate (a "\\ud800" escape in the file) can be printed.
        shown = ", ".join(name.encode("utf-8", "backslashreplace").decode() for name in unknown)
        raise DeploymentInvalid(path, f"unknown setting(s): {shown}")
    try:
        settings = msgspec.convert(data, _Settings)
    except (msgspec.ValidationError, UnicodeEncodeError):
        raise DeploymentInvalid(path, _refusal(data)) from None
    if settings.version > VERSION:
        raise DeploymentInvalid(
            path, f"version {settings.version} is newer than this app understands ({VERSION})"
        )
    return settings


def parse(data: object, path: Path) -> Deployment:
    """Check a decoded deployment file; ``path`` resolves relative paths and names errors."""
    settings = _checked(data, path)
    base = path.parent
    pack_text = None if settings.study_pack is None else settings.study_pack.strip()
    pack = None if pack_text is None else base / _expand(pack_text, "study_pack", path)
    if pack is not None:
        try:
            found = pack.is_file()
        except OSError as exc:  # a name too long for the file system, say
            raise DeploymentInvalid(
                path, f"the study pack {pack} cannot be checked ({exc.strerror})"
            ) from None
        if not found:
            raise DeploymentInvalid(path, f"the study pack {pack} does not exist")
    sync_text = None if settings.sync_folder is None else settings.sync_folder.strip()
    sync = None if sync_text is None else _expand(sync_text, "sync_folder", path)
    if sync is not None and not sync.is_absolute():
        raise DeploymentInvalid(path, '"sync_folder" must be an absolute path')
    data_text = None if settings.data_dir is None else settings.data_dir.strip()
    data_dir = None if data_text is None else _expand(data_text, "data_dir", path)
    if data_dir is not None:
        if not data_dir.is_absolute():
            raise DeploymentInvalid(path, '"data_dir" must be an absolute path')
        if is_onedrive_path(data_dir):
            raise DeploymentInvalid(
                path, f'"data_dir" {data_dir} is in a OneDrive-synced folder; profiles '
                "must live in local application data, which OneDrive does not sync",
            )
    return Deployment(path, pack, sync, data_dir, settings.backup_keep_days)


def load(path: Path | None = None) -> Deployment:
    """The deployment settings from ``path``, or from the first file `candidate_files`
    finds; an empty `Deployment` when there is none. Raises `DeploymentInvalid`."""
    file = path if path is not None else find_file()
    if file is None:
        return Deployment()
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DeploymentInvalid(file, f"cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise DeploymentInvalid(file, "is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DeploymentInvalid(
            file, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except ValueError:  # an integer too long to convert
        raise DeploymentInvalid(file, "is not valid JSON (a number is too long)") from None
    except RecursionError:
        raise DeploymentInvalid(file, "is not valid JSON (nested too deeply)") from None
    return parse(data, file)
