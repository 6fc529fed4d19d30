"""SyncService and PackService: inspecting a pack (contents, signer, whether it matches
the installed key), installing it, the idle-lock policy, the suggested folder (pack,
then deployment.json), one sync (counts, acknowledgements read back, nothing marked
sent when the folder cannot be used, cancel), the passphrase check, the deployment
pack at profile creation, and a draft's instance name on home."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from qi_capture.central.store import CentralStore
from qi_capture.crypto.kdf import floor_params
from qi_capture.deployment import Deployment
from qi_capture.progress import Cancelled, SimpleCancelToken
from qi_capture.services import CoreContext, ProfileService
from qi_capture.services.device_registry import DeviceRegistry
from qi_capture.sync.ack import acknowledgement_for, write_acknowledgement
from qi_capture.sync.admin import AdminProfile, init_admin
from qi_capture.sync.bundle import verify_bundle_file
from qi_capture.sync.errors import (
    NoStudyPack,
    PackBadSignature,
    PackSignedByOtherKey,
    SyncFolderUnavailable,
)
from qi_capture.sync.pack import PackForm, StudyPolicy, build_pack
from tests.core.services.conftest import PASSPHRASE

STUDY_ID = "qi-svc"
PACK_FORM = textwrap.dedent("""
    | survey   |           |          |          |
    |          | type      | name     | label    |
    |          | text      | org      | Organisation |
    |          | integer   | staff    | Staff    |
    | settings |           |          |          |
    |          | form_id   | version  | form_title | instance_name |
    |          | svc_sync  | 3        | Sync test  | concat('Org: ', ${org}) |
""")


def make_pack(central: Path, out: Path, *, sync_folder: str | None = None,
              idle: int = 7) -> Path:
    if not (central / "admin").exists():
        init_admin(central, PASSPHRASE, study_id=STUDY_ID, study_title="QI services",
                   kdf=floor_params())
    with AdminProfile.open(central, PASSPHRASE) as admin:
        data = build_pack(admin.keys(), [PackForm("svc_sync.md", PACK_FORM.encode())],
                          StudyPolicy(idle_lock_minutes=idle, retention_days=30,
                                      sync_folder=sync_folder))
    out.write_bytes(data)
    return out


@pytest.fixture
def opened(fresh_profiles: ProfileService) -> Iterator[CoreContext]:
    ctx = fresh_profiles.unlock(fresh_profiles.select(), PASSPHRASE)
    yield ctx
    ctx.lock()


def finalise(ctx: CoreContext, org: str) -> None:
    form = ctx.studies.resolve(f"{STUDY_ID}/svc_sync")
    with ctx.records.create(form.id) as record:
        record.set("org", org)
        record.set("staff", "12")
        record.finalise()


def test_inspect_install_signer_and_policy(opened: CoreContext, tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "central", tmp_path / "study.qipack", idle=7)
    info = opened.packs.inspect(pack)
    assert (info.study_id, info.study_title, info.signer) == (STUDY_ID, "QI services", "new")
    assert [(f.form_id, f.title, f.version) for f in info.forms] == [
        ("svc_sync", "Sync test", "3")]
    assert info.signing_fingerprint.startswith("ed25519:")
    assert info.policy.idle_lock_minutes == 7
    assert opened.packs.idle_lock_minutes() is None  # inspecting installs nothing

    installed = opened.packs.install(pack)
    assert installed.first_install and installed.forms_added == 1
    assert opened.packs.idle_lock_minutes() == 7
    assert opened.packs.inspect(pack).signer == "same"

    other = make_pack(tmp_path / "other-central", tmp_path / "other.qipack")
    foreign = opened.packs.inspect(other)
    assert foreign.signer == "different"
    assert foreign.installed_fingerprint == info.signing_fingerprint
    with pytest.raises(PackSignedByOtherKey):
        opened.packs.install(other)

    altered = tmp_path / "altered.qipack"
    doc = json.loads(pack.read_bytes())
    doc["body"]["study"]["title"] = "Something else"
    altered.write_text(json.dumps(doc))
    with pytest.raises(PackBadSignature):
        opened.packs.inspect(altered)
    with pytest.raises(Exception, match="cannot be read") as missing:
        opened.packs.inspect(tmp_path / "nowhere.qipack")
    assert getattr(missing.value, "code", "") == "pack_unreadable"


def test_sync_counts_ack_and_bundle_verifies(opened: CoreContext, tmp_path: Path) -> None:
    central = tmp_path / "central"
    pack = make_pack(central, tmp_path / "study.qipack", sync_folder=str(tmp_path / "sync"))
    with pytest.raises(NoStudyPack):
        opened.sync.sync(tmp_path)
    opened.packs.install(pack)
    assert opened.sync.suggested_folder() == tmp_path / "sync"
    finalise(opened, "Riverside")
    finalise(opened, "Hilltop")
    folder = tmp_path / "sync"
    folder.mkdir()
    steps: list[tuple[int, int]] = []
    result = opened.sync.sync(folder, progress=lambda d, t, _m="": steps.append((d, t)))
    assert (result.bundles_written, result.records_sent, result.acknowledged) == (1, 2, 0)
    assert steps[-1][0] == steps[-1][1] and steps[0][0] == 0
    assert {r.status for r in opened.records.list_records() if r.status != "draft"} == {"sent"}

    again = opened.sync.sync(folder)
    assert (again.bundles_written, again.records_sent) == (0, 0)
    assert opened.sync.sync(folder, send_all=True).records_sent == 2

    bundle = result.bundles[0].path
    with CentralStore.open(central, PASSPHRASE) as store:
        assert store.profile is not None
        registry = DeviceRegistry(store)
        registry.enrol_key(opened.device.public_key, "laptop")
        keys = AdminProfile(store.profile).keys()
        verified = verify_bundle_file(bundle, study_id=keys.study_id,
                                      identity=keys.bundle_identity, devices=registry.known())
        write_acknowledgement(folder, acknowledgement_for(verified, keys.signing_key))
    acked = opened.sync.sync(folder)
    assert acked.acknowledged == 2
    assert {r.status for r in opened.records.list_records()} == {"acknowledged"}


def test_unusable_folder_marks_nothing_sent(opened: CoreContext, tmp_path: Path) -> None:
    opened.packs.install(make_pack(tmp_path / "central", tmp_path / "study.qipack"))
    finalise(opened, "Riverside")
    with pytest.raises(SyncFolderUnavailable, match="does not exist"):
        opened.sync.sync(tmp_path / "missing")
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "outbox").write_text("not a folder")  # the bundle cannot be written
    with pytest.raises(SyncFolderUnavailable, match="Nothing was marked as sent"):
        opened.sync.sync(blocked)
    token = SimpleCancelToken()
    token.cancel()
    folder = tmp_path / "sync"
    folder.mkdir()
    with pytest.raises(Cancelled):
        opened.sync.sync(folder, cancel=token)
    assert [r.status for r in opened.records.list_records()] == ["finalised"]
    assert not (folder / "outbox").exists()


def test_suggested_folder_from_deployment(
    opened: CoreContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert opened.sync.suggested_folder() is None
    settings = tmp_path / "deployment.json"
    settings.write_text(json.dumps({"format": "qi-capture-deployment", "version": 1,
                                    "sync_folder": str(tmp_path / "it-sync")}))
    monkeypatch.setenv("QI_CAPTURE_DEPLOYMENT", str(settings))
    assert opened.sync.suggested_folder() == tmp_path / "it-sync"
    settings.write_text("{not json")
    assert opened.sync.suggested_folder() is None


def test_deployment_pack_installed_at_profile_creation(tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "central", tmp_path / "study.qipack", idle=4)
    profiles = ProfileService(tmp_path / "data",
                              deployment=Deployment(source=tmp_path / "deployment.json",
                                                    study_pack=pack))
    info = profiles.create("Jo", PASSPHRASE, kdf=floor_params())
    with profiles.unlock(info, PASSPHRASE) as ctx:
        assert ctx.packs.idle_lock_minutes() == 4
        assert ctx.studies.resolve(f"{STUDY_ID}/svc_sync").version == "3"


def test_check_passphrase() -> None:
    assert ProfileService.check_passphrase("violet tractor mango 42") is None
    reason, message = ProfileService.check_passphrase("short") or ("", "")
    assert reason == "too_short" and "12" in message
    assert (ProfileService.check_passphrase("password2024") or ("",))[0] == "common"


def test_draft_instance_name_on_autosave(opened: CoreContext, tmp_path: Path) -> None:
    opened.packs.install(make_pack(tmp_path / "central", tmp_path / "study.qipack"))
    form = opened.studies.resolve(f"{STUDY_ID}/svc_sync")
    with opened.records.create(form.id) as record:
        record.set("org", "Riverside")
        record_id = record.record_id
        assert opened.records.summary(record_id).instance_name == "Org: Riverside"
        record.set("staff", "3")
        assert opened.records.summary(record_id).instance_name == "Org: Riverside"
    with opened.records.resume(record_id) as again:
        again.set("org", "Hilltop")
    assert opened.records.summary(record_id).instance_name == "Org: Hilltop"
