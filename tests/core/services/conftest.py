"""Fixtures for the service tests.

One template profile (Argon2id at the floor, the built-in study plus `FORM`) is made per
session and copied for each module or test that needs its own; unlocking a copy costs
one Argon2id run (~0.3 s).
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from qi_capture.crypto.kdf import floor_params
from qi_capture.services import CoreContext, ProfileService

PASSPHRASE = "copper kettle harbour 42"

FORM = textwrap.dedent("""
    | survey |              |           |            |            |          |                 |                     |
    |        | type         | name      | label      | required   | constraint | calculation   | appearance          |
    |        | text         | name      | Name       | yes        |          |                 |                     |
    |        | text         | notes     | Notes      |            |          |                 | multiline           |
    |        | integer      | age       | Age        | yes        | . < 120  |                 |                     |
    |        | calculate    | age2      |            |            |          | ${age} * 2      |                     |
    |        | begin repeat | child     | Child      |            |          |                 |                     |
    |        | text         | cname     | Child name |            |          |                 |                     |
    |        | end repeat   |           |            |            |          |                 |                     |
    |        | calculate    | children  |            |            |          | count(${child}) |                     |
    |        | image        | photo     | Photo      |            |          |                 |                     |
    | settings |            |           |            |            |          |                 |                     |
    |        | form_id      | version   |            |            |          |                 |                     |
    |        | svc_test     | 1         |            |            |          |                 |                     |
""")


@pytest.fixture(scope="session")
def form_source() -> bytes:
    return FORM.encode()


@pytest.fixture(scope="session")
def template_data_dir(tmp_path_factory: pytest.TempPathFactory, form_source: bytes) -> Path:
    data = tmp_path_factory.mktemp("services-template")
    profiles = ProfileService(data)
    info = profiles.create("Jo Tester", PASSPHRASE, kdf=floor_params())
    with profiles.unlock(info, PASSPHRASE) as ctx:
        ctx.studies.add_form_bytes(form_source, "svc_test.md")
    return data


def _copy(template: Path, target: Path) -> ProfileService:
    shutil.copytree(template, target)
    return ProfileService(target)


@pytest.fixture
def fresh_profiles(template_data_dir: Path, tmp_path: Path) -> ProfileService:
    """A private copy of the template data folder (closed)."""
    return _copy(template_data_dir, tmp_path / "data")


@pytest.fixture(scope="module")
def ctx(template_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoreContext]:
    """An unlocked copy shared by a module's tests."""
    profiles = _copy(template_data_dir, tmp_path_factory.mktemp("services") / "data")
    opened = profiles.unlock(profiles.select(), PASSPHRASE)
    yield opened
    opened.lock()


@pytest.fixture(scope="module")
def form_version_id(ctx: CoreContext) -> int:
    return ctx.studies.resolve("svc_test").id
