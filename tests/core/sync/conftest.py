"""Fixtures for bundle, pack and sync tests.

Argon2id costs ~0.3 s per unlock even at the floor, so the admin profile and one
laptop template (study pack imported, records finalised) are made once per session;
tests that change a laptop get a fresh copy (`laptop`). Bundles for the adversarial
tests are built once and verified in memory.
"""

from __future__ import annotations

import io
import shutil
import textwrap
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from qi_capture.crypto.envelope import encrypt_stream
from qi_capture.crypto.kdf import floor_params
from qi_capture.forms import load_form_bytes
from qi_capture.storage.profile import Profile
from qi_capture.storage.store import Store
from qi_capture.sync import folder as sync_folder_module
from qi_capture.sync.admin import AdminKeys, AdminProfile, init_admin
from qi_capture.sync.bundle import KnownDevice, Member, TarStream, bundle_members
from qi_capture.sync.manifest import Manifest, signed_message
from qi_capture.sync.pack import PackForm, StudyPolicy, build_pack, import_pack, installed_study

PASSPHRASE = "copper kettle harbour 42"
STUDY_ID = "qi-london"

FORM = textwrap.dedent("""
    | survey   |           |          |          |
    |          | type      | name     | label    |
    |          | text      | org      | Org      |
    |          | text      | role     | Role     |
    |          | integer   | staff    | Staff    |
    | settings |           |          |          |
    |          | form_id   | version  |          |
    |          | sync_test | 1        |          |
""")


@dataclass(frozen=True)
class Admin:
    central: Path
    keys: AdminKeys
    recovery_identity: str
    pack: bytes


@pytest.fixture(scope="session")
def admin(tmp_path_factory: pytest.TempPathFactory) -> Admin:
    central = tmp_path_factory.mktemp("central")
    created = init_admin(central, PASSPHRASE, study_id=STUDY_ID, study_title="QI London",
                         kdf=floor_params())
    with AdminProfile.open(central, PASSPHRASE) as profile:
        keys = profile.keys()
    pack = build_pack(keys, [PackForm("sync_test.md", FORM.encode())],
                      StudyPolicy(idle_lock_minutes=5, retention_days=30, sync_folder=None))
    return Admin(central, keys, created.recovery_identity, pack)


def install_form(store: Store) -> Callable[[bytes, str, str, str], bool]:
    def install(data: bytes, filename: str, study_id: str, title: str) -> bool:
        form = load_form_bytes(data, filename)
        store.catalog.add_study(study_id, title)
        before = {f.id for f in store.catalog.list_form_versions(study_id)}
        info = store.catalog.add_form_version(study_id, form.form_id, form.version or "1",
                                              title=form.title or form.form_id, xlsform=data,
                                              compiled_json="{}")
        return info.id not in before

    return install


@pytest.fixture(scope="session")
def installer() -> Callable[[Store], Callable[[bytes, str, str, str], bool]]:
    return install_form


def add_records(store: Store, count: int, *, attachment_bytes: int = 0) -> list[uuid.UUID]:
    (form,) = [f for f in store.catalog.list_form_versions(STUDY_ID)][-1:]
    ids = []
    for i in range(count):
        record = store.records.create_record(form.id, interviewer="Jo Bloggs")
        store.records.save_answer_changes(
            record.id, {"/org": f"Trust {i}", "/role": "Improvement lead", "/staff": i}
        )
        if attachment_bytes:
            data = bytes((i * 7 + n) % 251 for n in range(attachment_bytes))
            store.attachments.add(record.id, f"interview-{i}.m4a", "audio/mp4", io.BytesIO(data))
        store.records.finalise(record.id)
        ids.append(record.id)
    return ids


@pytest.fixture(scope="session")
def records_adder() -> Callable[..., list[uuid.UUID]]:
    return add_records


@pytest.fixture(scope="session")
def template_laptop(tmp_path_factory: pytest.TempPathFactory, admin: Admin) -> Path:
    folder = tmp_path_factory.mktemp("laptop-template") / "profile"
    Profile.create(folder, "Jo Bloggs", PASSPHRASE, kdf=floor_params())
    with Profile.unlock(folder, PASSPHRASE) as store:
        import_pack(store, admin.pack, install_form(store))
    return folder


@pytest.fixture
def laptop(template_laptop: Path, tmp_path: Path) -> Iterator[Store]:
    """A fresh, unlocked copy of the laptop (pack imported, no records)."""
    folder = tmp_path / "laptop"
    shutil.copytree(template_laptop, folder)
    store = Profile.unlock(folder, PASSPHRASE)
    yield store
    store.lock()


@dataclass
class BundleKit:
    """A laptop with records, and a way to build bundles from it, honest or forged."""

    store: Store
    admin: Admin

    @property
    def devices(self) -> dict[str, KnownDevice]:
        device = self.store.device()
        return {device.fingerprint: KnownDevice(device.public_key, "Laptop A")}

    def build(
        self,
        *,
        manifest: Callable[[Manifest], Manifest] | None = None,
        sign: Callable[[bytes], bytes] | None = None,
        members: Callable[[list[Member]], list[Member]] | None = None,
        recipients: list[str] | None = None,
    ) -> bytes:
        """A bundle of every revision on the laptop, with optional forgeries: change
        the manifest (after which it is re-signed unless ``sign`` says otherwise),
        sign with another function, change the member list, encrypt to others."""
        study = installed_study(self.store, STUDY_ID)
        assert study is not None
        revisions = self.store.sync.outgoing(STUDY_ID, include_sent=True)
        now = datetime(2025, 3, 1, tzinfo=UTC)
        m, payloads, readers = sync_folder_module._compose(self.store, study, revisions, now=now)
        if manifest is not None:
            m = manifest(m)
        signer = sign or self.store.sign
        signature = signer(signed_message(m.to_bytes()))
        items = bundle_members(m, signature, payloads, readers)
        if members is not None:
            items = members(items)
        out = io.BytesIO()
        encrypt_stream(TarStream(items), out, recipients or study.recipients)
        return out.getvalue()


@pytest.fixture(scope="module")
def kit(
    template_laptop: Path, tmp_path_factory: pytest.TempPathFactory, admin: Admin
) -> Iterator[BundleKit]:
    """Module-shared laptop with 4 records, one with a 150 kB attachment, so a bundle
    spans several 64 KiB chunks."""
    folder = tmp_path_factory.mktemp("kit") / "laptop"
    shutil.copytree(template_laptop, folder)
    store = Profile.unlock(folder, PASSPHRASE)
    add_records(store, 3)
    add_records(store, 1, attachment_bytes=150_000)
    yield BundleKit(store, admin)
    store.lock()


@pytest.fixture(scope="module")
def good_bundle(kit: BundleKit) -> bytes:
    return kit.build()


@pytest.fixture(scope="session")
def manifest_replace() -> Callable[..., Callable[[Manifest], Manifest]]:
    def change(**fields: object) -> Callable[[Manifest], Manifest]:
        return lambda m: replace(m, **fields)  # type: ignore[arg-type]

    return change
