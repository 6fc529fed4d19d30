"""Admin console fixtures: a real central folder (SQLCipher, floor KDF) with a study
pack of one form, and laptop profiles that installed the pack and write real bundles.

Building the study is the slow part, so it is made once per session as a template and
copied for each test (folders are plain files; copying them is quick and each test gets
a store nobody else changes)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from pytestqt.qtbot import QtBot

from qi_capture.crypto.kdf import floor_params
from qi_capture.services import CoreContext
from qi_capture.services.admin import AdminDesk
from qi_capture.services.central_forms import register_forms
from qi_capture.storage.profile import Profile
from qi_capture.sync.admin import AdminProfile, init_admin
from qi_capture.sync.folder import sync_folder
from qi_capture.sync.pack import PackForm, StudyPolicy, build_pack, import_pack
from tests.e2e.conftest import MERGE_FORM, finalise_records
from ui.admin.console import AdminConsole, register_pages
from ui.app import keep_settings_in
from ui.tasks import TaskRunner

PASSPHRASE = "copper kettle harbour 42"
STUDY_ID = "qi-london"
FORM_ID = "merge_e2e"
T = TypeVar("T")


@dataclass(frozen=True)
class World:
    central: Path
    laptops: tuple[Path, ...]
    sync: Path

    def write_bundles(self, laptop: int = 0, count: int = 1, records: int = 1) -> list[Path]:
        """``count`` bundles from the laptop, each of ``records`` new finalised records."""
        written = []
        with Profile.unlock(self.laptops[laptop], PASSPHRASE) as store:
            for _ in range(count):
                finalise_records(store, records)
                written.extend(b.path for b in sync_folder(store, self.sync).bundles)
        return written

    def device_id(self, laptop: int = 0) -> uuid.UUID:
        with Profile.unlock(self.laptops[laptop], PASSPHRASE) as store:
            return store.device().id


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("admin-world")
    central = root / "central"
    init_admin(central, PASSPHRASE, study_id=STUDY_ID, study_title="QI London",
               kdf=floor_params())
    with AdminProfile.open(central, PASSPHRASE) as admin:
        pack = build_pack(admin.keys(), [PackForm("merge_e2e.md", MERGE_FORM.encode())],
                          StudyPolicy(idle_lock_minutes=5, retention_days=30,
                                      sync_folder=None))
    with AdminDesk.open(central, PASSPHRASE) as desk:
        del desk  # creates the central tables once, in the template
    from qi_capture.central.store import CentralStore

    with CentralStore.open(central, PASSPHRASE) as store:
        register_forms(store, STUDY_ID, [("merge_e2e.md", MERGE_FORM.encode())])
    laptops = []
    for name in ("Jo Bloggs",):
        laptop = root / name.replace(" ", "-").lower()
        Profile.create(laptop, name, PASSPHRASE, kdf=floor_params())
        with Profile.unlock(laptop, PASSPHRASE) as store:
            ctx = CoreContext(store)
            import_pack(store, pack, lambda data, fname, study, title, ctx=ctx:
                        ctx.studies.add_form_bytes(data, fname, study_id=study,
                                                   study_title=title).created)
        laptops.append(laptop)
    (root / "sync").mkdir()
    return World(central, tuple(laptops), root / "sync")


@pytest.fixture
def world(template: World, tmp_path: Path) -> World:
    """A copy of the template that this test may change."""
    root = tmp_path / "world"
    shutil.copytree(template.central.parent, root)
    base = template.central.parent
    return World(root / template.central.relative_to(base),
                 tuple(root / p.relative_to(base) for p in template.laptops),
                 root / template.sync.relative_to(base))


@pytest.fixture(autouse=True)
def own_settings(tmp_path: Path) -> Iterator[None]:
    """QSettings in this test's folder: nothing remembered leaks between tests or into
    the user's own settings."""
    keep_settings_in(tmp_path / "settings")
    yield


@pytest.fixture
def console(qtbot: QtBot, world: World, runner: TaskRunner) -> Iterator[AdminConsole]:
    desk = AdminDesk.open(world.central, PASSPHRASE)
    widget = AdminConsole(desk, runner, target=str(world.central))
    register_pages(widget)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    yield widget
    task = widget.close_desk()
    if task is not None:
        runner.wait()


def on_runner(qtbot: QtBot, console: AdminConsole, fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)`` run as the pages run it (on the task runner), its result awaited:
    the console's desk is never called from the test's (UI) thread either."""
    got: list[T] = []
    failed: list[object] = []
    task = console.runner.run(fn, *args)
    task.finished.connect(got.append)
    task.failed.connect(failed.append)
    qtbot.waitUntil(lambda: bool(got or failed), timeout=20_000)
    assert not failed, failed
    return got[0]


def desk_records(qtbot: QtBot, console: AdminConsole) -> int:
    """How many records of the form the central store holds (through its own door)."""
    return on_runner(qtbot, console, lambda: console.desk.records(FORM_ID).total)
