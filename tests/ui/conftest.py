"""UI test fixtures: one real profile (fast Argon2id floor parameters) per test session,
unlocked once; a TaskRunner per test, drained at teardown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from qi_capture.crypto.kdf import floor_params
from qi_capture.services import CoreContext, ProfileService
from ui.tasks import TaskRunner

PASSPHRASE = "violet tractor mango 42"


@pytest.fixture(scope="session")
def profile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("profiles")
    ProfileService(root).create("Test interviewer", PASSPHRASE, kdf=floor_params())
    return root


@pytest.fixture(scope="session")
def core(profile_dir: Path) -> Iterator[CoreContext]:
    service = ProfileService(profile_dir)
    ctx = service.unlock(service.select(), PASSPHRASE)
    yield ctx
    ctx.lock()


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.wait()
    qtbot.wait(10)


def form_id(core: CoreContext, form: str) -> int:
    return core.studies.resolve(form).id


@pytest.fixture(autouse=True)
def told(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Messages the UI showed the interviewer (instead of dialogs); a test that did not
    expect one fails, naming it."""
    from ui.dialogs import confirm

    messages: list[str] = []
    monkeypatch.setattr(confirm, "tell", lambda parent, title, text: messages.append(text))
    yield messages
    assert not messages, f"the interviewer was shown: {messages}"
