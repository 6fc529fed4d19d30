"""Fixtures for the store tests.

Creating a profile costs an Argon2id run, so one template profile is made per session (at
the floor parameters) and copied for each test that needs a fresh one.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from qi_capture.crypto.kdf import floor_params
from qi_capture.crypto.recovery import generate_recovery_identity
from qi_capture.storage.profile import Profile
from qi_capture.storage.store import Store

PASSPHRASE = "copper kettle harbour 42"


@pytest.fixture(scope="session")
def recovery_identity() -> tuple[str, str]:
    return generate_recovery_identity()


@pytest.fixture(scope="session")
def template_profile(
    tmp_path_factory: pytest.TempPathFactory, recovery_identity: tuple[str, str]
) -> Path:
    folder = tmp_path_factory.mktemp("template") / "profile"
    Profile.create(folder, "Laptop A", PASSPHRASE, recovery_identity[1], kdf=floor_params())
    store = Profile.unlock(folder, PASSPHRASE)
    try:
        store.catalog.add_study("qi", "QI baseline")
        store.catalog.add_form_version(
            "qi", "baseline", "1", title="Baseline", xlsform=b"xlsx bytes", compiled_json="{}"
        )
    finally:
        store.lock()
    return folder


@pytest.fixture
def profile(template_profile: Path, tmp_path: Path) -> Path:
    """A fresh copy of the template profile (closed)."""
    folder = tmp_path / "profile"
    shutil.copytree(template_profile, folder)
    return folder


@pytest.fixture(scope="module")
def store(template_profile: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """An unlocked copy of the template profile shared by a module's tests."""
    folder = tmp_path_factory.mktemp("store") / "profile"
    shutil.copytree(template_profile, folder)
    opened = Profile.unlock(folder, PASSPHRASE)
    yield opened
    opened.lock()
