"""Study packs: signed by the admin, verified on import, forms installed as new versions
beside the old ones, admin keys recorded; a pack altered after signing, or signed by
another key for an installed study, is refused and changes nothing."""

from __future__ import annotations

import base64
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from qi_capture.crypto.kdf import floor_params
from qi_capture.forms import FormError
from qi_capture.sync.admin import AdminProfile, init_admin
from qi_capture.sync.errors import (
    AdminExists,
    PackBadSignature,
    PackInvalid,
    PackSignedByOtherKey,
)
from qi_capture.sync.pack import (
    PackForm,
    StudyPolicy,
    build_pack,
    import_pack,
    installed_study,
    read_pack,
)

STUDY_ID = "qi-london"
PASSPHRASE = "copper kettle harbour 42"

FORM_V2 = textwrap.dedent("""
    | survey   |           |          |          |
    |          | type      | name     | label    |
    |          | text      | org      | Organisation |
    | settings |           |          |          |
    |          | form_id   | version  |          |
    |          | sync_test | 2        |          |
""")


def test_the_installed_pack_records_keys_and_policy(laptop: Any, admin: Any) -> None:
    study = installed_study(laptop, STUDY_ID)
    assert study is not None
    assert study.bundle_recipient == admin.keys.bundle_recipient
    assert study.recovery_recipient == admin.keys.recovery_recipient
    assert study.signing_public_key == admin.keys.signing_public_key
    assert (study.policy.idle_lock_minutes, study.policy.retention_days) == (5, 30)
    assert [f.form_id for f in laptop.catalog.list_form_versions(STUDY_ID)] == ["sync_test"]


def test_a_new_pack_adds_versions_beside_the_old(
    laptop: Any, admin: Any, installer: Any
) -> None:
    pack = build_pack(admin.keys, [PackForm("sync_test.md", FORM_V2.encode())],
                      StudyPolicy(idle_lock_minutes=15, retention_days=7, sync_folder="S:/qi"))
    imported = import_pack(laptop, pack, installer(laptop))
    assert (imported.forms_added, imported.first_install) == (1, False)
    versions = [f.version for f in laptop.catalog.list_form_versions(STUDY_ID)]
    assert versions == ["1", "2"]
    study = installed_study(laptop, STUDY_ID)
    assert study is not None and study.policy.sync_folder == "S:/qi"
    again = import_pack(laptop, pack, installer(laptop))
    assert (again.forms_added, again.forms_already_present) == (0, 1)


def test_an_altered_pack_is_refused(laptop: Any, admin: Any, installer: Any) -> None:
    doc = json.loads(admin.pack)
    doc["body"]["policy"]["retention_days"] = 3650
    with pytest.raises(PackBadSignature):
        import_pack(laptop, json.dumps(doc).encode(), installer(laptop))
    doc = json.loads(admin.pack)
    form = doc["body"]["forms"][0]
    form["data"] = base64.b64encode(base64.b64decode(form["data"]) + b"\n").decode()
    with pytest.raises(PackBadSignature):
        read_pack(json.dumps(doc).encode())
    with pytest.raises(PackInvalid):
        read_pack(b"not a pack")
    study = installed_study(laptop, STUDY_ID)
    assert study is not None and study.policy.retention_days == 30


def test_a_pack_signed_by_another_key_is_refused(
    laptop: Any, installer: Any, tmp_path: Path
) -> None:
    init_admin(tmp_path / "rogue", PASSPHRASE, study_id=STUDY_ID, study_title="QI London",
               kdf=floor_params())
    with AdminProfile.open(tmp_path / "rogue", PASSPHRASE) as rogue:
        pack = build_pack(rogue.keys(), [PackForm("sync_test.md", FORM_V2.encode())],
                          StudyPolicy())
    before = laptop.catalog.list_form_versions(STUDY_ID)
    with pytest.raises(PackSignedByOtherKey) as refused:
        import_pack(laptop, pack, installer(laptop))
    assert "already installed" in refused.value.message
    assert laptop.catalog.list_form_versions(STUDY_ID) == before
    with pytest.raises(AdminExists):
        init_admin(tmp_path / "rogue", PASSPHRASE, study_id="x", study_title="x",
                   kdf=floor_params())


def test_a_broken_form_is_refused_when_packing(admin: Any) -> None:
    broken = "| survey | | | |\n| | type | name | label |\n| | integer | q | Q |\n| | text | q | Q |\n"
    with pytest.raises(FormError):
        build_pack(admin.keys, [PackForm("broken.md", broken.encode())], StudyPolicy())
