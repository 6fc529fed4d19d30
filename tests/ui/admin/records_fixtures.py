"""Shared fixtures of the admin console's records, conflicts and exports pages: a real
central folder (admin keys, SQLCipher), a signed study pack with one form (groups, a
repeat, a footprint question, two languages), real laptop profiles that fill and sync
real bundles, merged through the admin door; a conflict made by two copies of one laptop
editing the same records. Built once per test module (floor key derivation) and
reached through `AdminDesk` only, as the pages do.

Not a conftest.py: the console shell's tests share this folder.
"""

from __future__ import annotations

import shutil
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from qi_capture.central.store import CentralStore
from qi_capture.crypto.kdf import floor_params
from qi_capture.services import CoreContext
from qi_capture.services.admin import AdminDesk
from qi_capture.services.central_forms import register_forms
from qi_capture.storage.profile import Profile
from qi_capture.sync.admin import AdminProfile, init_admin
from qi_capture.sync.folder import sync_folder
from qi_capture.sync.pack import PackForm, StudyPolicy, build_pack, import_pack
from tests.core.central.helpers import FORM as HELPER_FORM
from tests.core.central.helpers import FakeDevice
from ui.admin.pages.records import RecordsPage
from ui.tasks import TaskRunner

PASSPHRASE = "copper kettle harbour 42"
STUDY_ID = "qi-london"
FORM_ID = "console_check"
FORM_NAME = "console_check.md"
FORM = textwrap.dedent("""
    | survey   |               |           |                      |                        |
    |          | type          | name      | label::English (en)  | label::Français (fr)   |
    |          | text          | site      | Site                 | Site                   |
    |          | begin group   | about     | About the site       | Le site                |
    |          | note          | intro     | Ask the lead         | Demander au responsable |
    |          | select_one fp | footprint | London footprint     | Secteur de Londres     |
    |          | select_one role | role    | Role                 | Rôle                   |
    |          | integer       | staff     | QI staff             | Personnel QI           |
    |          | end group     |           |                      |                        |
    |          | begin repeat  | project   | Project              | Projet                 |
    |          | text          | ptitle    | Project title        | Titre du projet        |
    |          | end repeat    |           |                      |                        |
    |          | text          | key_quote_approach | Key quote | Citation clé          |
    | choices  |               |           |                      |                        |
    |          | list_name     | name      | label::English (en)  | label::Français (fr)   |
    |          | fp            | nw        | North West           | Nord-Ouest             |
    |          | fp            | ne        | North East           | Nord-Est               |
    |          | role          | nurse     | Nurse                | Infirmier              |
    |          | role          | doctor    | Doctor               | Médecin                |
    | settings |               |           |                      |                        |
    |          | form_id       | version   | instance_name        | default_language       |
    |          | console_check | 1         | concat(${site}, ' - ', ${role}) | English (en) |
""")
#: (site, footprint, role, staff): the records the first laptop sends.
SITES = [("Royal Free", "nw", "nurse", 4), ("Whittington", "ne", "doctor", 7),
         ("Homerton", "ne", "nurse", 2), ("Barts", "nw", "doctor", 11),
         ("Guy's", "ne", "doctor", 5)]


@dataclass
class World:
    central: Path
    laptop: Path
    desk: AdminDesk
    #: Record ids in `SITES` order.
    ids: list[uuid.UUID]
    #: Records two copies of the laptop both edited (open conflicts), when made.
    conflicted: list[uuid.UUID]


def fill(ctx: CoreContext, site: str, footprint: str, role: str, staff: int) -> uuid.UUID:
    form = ctx.studies.resolve(FORM_ID)
    with ctx.records.create(form.id) as record:
        record.set("site", site)
        record.set("about/footprint", footprint)
        record.set("about/role", role)
        record.set("about/staff", staff)
        record.ensure_instances("project[1]/ptitle")
        record.set("project[1]/ptitle", f"Flow at {site}")
        record.set("key_quote_approach", "We test small, and we test often.")
        record.finalise()
        return record.record_id


#: The form of the many small records `build_world(paging=N)` merges (no stored version).
PAGING_FORM = HELPER_FORM


def build_world(root: Path, *, conflicts: int = 0, paging: int = 0) -> World:
    """The admin, one laptop's records merged and enrolled, and ``conflicts`` records
    edited on two copies of the laptop (the role changed differently on each); with
    ``paging``, that many more one-answer records of `PAGING_FORM` from a simulated
    laptop (one bundle: fast)."""
    central = root / "central"
    init_admin(central, PASSPHRASE, study_id=STUDY_ID, study_title="QI London",
               kdf=floor_params())
    with AdminProfile.open(central, PASSPHRASE) as admin:
        pack = build_pack(admin.keys(), [PackForm(FORM_NAME, FORM.encode())],
                          StudyPolicy(idle_lock_minutes=5, retention_days=30,
                                      sync_folder=None))
    with CentralStore.open(central, PASSPHRASE) as store:
        register_forms(store, STUDY_ID, [(FORM_NAME, FORM.encode())])
        if paging:
            sim = FakeDevice("Laptop P")
            store.enrol(sim.id, name=sim.name, fingerprint=sim.fingerprint,
                        public_key=sim.public_key)
            store.merge(sim.bundle([sim.revision(uuid.uuid4(), {"q1": f"answer {i}"})
                                    for i in range(paging)]))
    laptop = root / "laptop"
    Profile.create(laptop, "Jo Bloggs", PASSPHRASE, kdf=floor_params())
    folder = root / "sync"
    folder.mkdir()
    with Profile.unlock(laptop, PASSPHRASE) as store:
        ctx = CoreContext(store)
        import_pack(store, pack, lambda data, name, study, title: ctx.studies.add_form_bytes(
            data, name, study_id=study, study_title=title).created)
        device = store.device()
        ids = [fill(ctx, *site) for site in SITES]
        sync_folder(store, folder)
    desk = AdminDesk.open(central, PASSPHRASE)
    desk.merge([folder])
    desk.enrol(device.id, name="Laptop A")
    conflicted = ids[1:1 + conflicts]
    if conflicted:
        second = root / "laptop-b"
        shutil.copytree(laptop, second)
        folders = []
        for profile, role, staff, name in ((laptop, "nurse", 8, "a"),
                                           (second, "doctor", 9, "b")):
            out = root / f"sync-{name}"
            out.mkdir()
            with Profile.unlock(profile, PASSPHRASE) as store:
                ctx = CoreContext(store)
                for record_id in conflicted:
                    with ctx.records.edit(record_id) as record:
                        record.set("about/role", role)
                        record.set("about/staff", staff)
                        record.finalise()
                sync_folder(store, out)
            folders.append(out)
        desk.merge(folders)
    return World(central, laptop, desk, ids, conflicted)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = build_world(tmp_path_factory.mktemp("admin-world"), conflicts=2)
    yield made
    made.desk.close()


def open_records_page(qtbot: QtBot, world: World, runner: TaskRunner,
                      form_id: str = FORM_ID, **kwargs: int) -> RecordsPage:
    """A records page at 1366x768, shown, with ``form_id``'s first records read in."""
    page = RecordsPage(world.desk, runner, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.form.findData(form_id) >= 0)
    page.form.setCurrentIndex(page.form.findData(form_id))
    qtbot.waitUntil(lambda: page.model.query is not None
                    and page.model.query.form_id == form_id and page.model.rowCount() > 0
                    and not page.model.loading)
    return page
