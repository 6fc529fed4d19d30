"""Where profiles live: one folder each under ``<data dir>/profiles/`` (platformdirs, or
``--data-dir``). Folder names are random ids, so they say nothing about the person."""

from __future__ import annotations

import uuid
from pathlib import Path

from qi_capture.paths import data_dir
from qi_capture.storage.dto import ProfileInfo
from qi_capture.storage.profile import KEYFILE_NAME, Profile

PROFILES_DIR = "profiles"


def profiles_root(override: str | Path | None = None) -> Path:
    return data_dir(override) / PROFILES_DIR


def new_profile_folder(override: str | Path | None = None) -> Path:
    """A fresh, not yet existing folder for `Profile.create`."""
    return profiles_root(override) / uuid.uuid4().hex


def list_profiles(override: str | Path | None = None) -> list[ProfileInfo]:
    root = profiles_root(override)
    if not root.is_dir():
        return []
    found = [Profile.info(p) for p in sorted(root.iterdir()) if (p / KEYFILE_NAME).is_file()]
    return sorted(found, key=lambda i: (i.label or "", str(i.folder)))
