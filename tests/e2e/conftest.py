"""Fixtures for the end-to-end tests of the admin and laptop commands."""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from qi_capture.crypto.kdf import floor_params
from qi_capture.services import CoreContext
from qi_capture.storage.profile import Profile
from qi_capture.storage.store import Store
from qi_capture.sync.admin import AdminProfile, init_admin
from qi_capture.sync.pack import PackForm, StudyPolicy, build_pack, import_pack

PASSPHRASE = "copper kettle harbour 42"
STUDY_ID = "qi-london"

#: (form file name, form text) -> (central folder, laptop profile folder, sync folder)
MakeWorld = Callable[[str, str], tuple[Path, Path, Path]]


@pytest.fixture
def make_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MakeWorld:
    """An admin with the study's keys, a signed pack of one form, and a laptop profile that
    installed the pack; the CLI reads the passphrase from the environment."""

    def make(form_name: str, form_text: str) -> tuple[Path, Path, Path]:
        monkeypatch.setenv("QI_CAPTURE_PASSPHRASE", PASSPHRASE)
        central = tmp_path / "central"
        init_admin(central, PASSPHRASE, study_id=STUDY_ID, study_title="QI London",
                   kdf=floor_params())
        with AdminProfile.open(central, PASSPHRASE) as admin:
            pack = build_pack(admin.keys(), [PackForm(form_name, form_text.encode())],
                              StudyPolicy(idle_lock_minutes=5, retention_days=30,
                                          sync_folder=None))
        laptop = tmp_path / "laptop"
        Profile.create(laptop, "Jo Bloggs", PASSPHRASE, kdf=floor_params())
        with Profile.unlock(laptop, PASSPHRASE) as store:
            ctx = CoreContext(store)
            import_pack(store, pack, lambda data, name, study, title: ctx.studies.add_form_bytes(
                data, name, study_id=study, study_title=title).created)
        folder = tmp_path / "sync"
        folder.mkdir()
        return central, laptop, folder

    return make


#: A one-screen form the merge tests fill and sync.
MERGE_FORM = textwrap.dedent("""
    | survey   |           |          |          |
    |          | type      | name     | label    |
    |          | text      | org      | Org      |
    |          | integer   | staff    | Staff    |
    | settings |           |          |          |
    |          | form_id   | version  |          |
    |          | merge_e2e | 1        |          |
""")


def finalise_records(store: Store, count: int) -> list[uuid.UUID]:
    (form,) = store.catalog.list_form_versions(STUDY_ID)[-1:]
    ids = []
    for i in range(count):
        record = store.records.create_record(form.id, interviewer="Jo Bloggs")
        store.records.save_answer_changes(record.id, {"org": f"Trust {i}", "staff": str(i)})
        store.records.finalise(record.id)
        ids.append(record.id)
    return ids
