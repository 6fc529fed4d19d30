"""The admin's name in the study pack: kept in the admin profile by ``init_admin``,
carried in the pack's signed content, recorded on the laptop; a pack without it (made
before names were asked for) still installs; a name that could not come from
``admin init`` (control characters, text-direction tricks, a page of text, not text)
refuses the pack with a clear error and changes nothing."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from qi_capture.crypto import signing
from qi_capture.crypto.kdf import floor_params
from qi_capture.storage.canonical import canonical_json
from qi_capture.sync.admin import MAX_ADMIN_NAME_CHARS, AdminProfile, init_admin
from qi_capture.sync.errors import AdminNameInvalid, PackBadSignature, PackInvalid
from qi_capture.sync.pack import (
    SIGNATURE_DOMAIN,
    PackForm,
    StudyPolicy,
    build_pack,
    import_pack,
    installed_study,
    read_pack,
)
from tests.core.sync.conftest import FORM, PASSPHRASE, STUDY_ID

NAME = "Dr Amara Okafor-Nwosu"


def resigned(admin: Any, pack: bytes, change: Any) -> bytes:
    """``pack`` with its body changed by ``change`` and signed again with the admin's own
    key: what a broken or hostile admin tool could write."""
    doc = json.loads(pack)
    change(doc["body"])
    message = SIGNATURE_DOMAIN + canonical_json(doc["body"]).encode("utf-8")
    doc["signature"] = base64.b64encode(signing.sign(admin.keys.signing_key,
                                                     message)).decode("ascii")
    return canonical_json(doc).encode("utf-8")


def named_pack(admin: Any, name: str) -> bytes:
    return build_pack(replace(admin.keys, admin_name=name),
                      [PackForm("sync_test.md", FORM.encode())], StudyPolicy())


def test_init_keeps_the_name_and_refuses_an_odd_one_before_creating_anything(
    tmp_path: Path,
) -> None:
    created = init_admin(tmp_path / "c", PASSPHRASE, study_id="s", study_title="S",
                         admin_name=f"  {NAME} ", kdf=floor_params())
    assert created.admin_name == NAME
    with AdminProfile.open(tmp_path / "c", PASSPHRASE) as profile:
        assert profile.keys().admin_name == NAME
    with pytest.raises(AdminNameInvalid) as refused:
        init_admin(tmp_path / "bad", PASSPHRASE, study_id="s", study_title="S",
                   admin_name="Ann\nExample", kdf=floor_params())
    assert "U+000A" in refused.value.message and "one line" in refused.value.message
    assert not (tmp_path / "bad").exists()


def test_a_profile_without_a_name_keeps_working(admin: Any) -> None:
    # The session's admin was made without a name, as profiles before names were.
    assert admin.keys.admin_name == ""
    assert "name" not in json.loads(admin.pack)["body"]["admin"]
    assert read_pack(admin.pack).admin_name == ""


def test_the_name_is_signed_carried_and_recorded(
    laptop: Any, admin: Any, installer: Any
) -> None:
    # The laptop already holds the nameless pack: a named one from the same key updates it.
    assert installed_study(laptop, STUDY_ID).admin_name == ""  # type: ignore[union-attr]
    pack = named_pack(admin, NAME)
    assert json.loads(pack)["body"]["admin"]["name"] == NAME
    assert read_pack(pack).admin_name == NAME
    imported = import_pack(laptop, pack, installer(laptop))
    assert imported.study.admin_name == NAME
    study = installed_study(laptop, STUDY_ID)
    assert study is not None and study.admin_name == NAME
    # Changing the name after signing breaks the signature like any other change.
    doc = json.loads(pack)
    doc["body"]["admin"]["name"] = "Someone Else"
    with pytest.raises(PackBadSignature):
        read_pack(json.dumps(doc).encode())


@pytest.mark.parametrize(("name", "why"), [
    ("Ann\x1b[2JExample", "U+001B"),
    ("Ann\nExample", "U+000A"),
    ("Ann\u202eelpmaxE", "U+202E"),
    ("Ann\u2028Example", "U+2028"),
    ("Ann\ue000", "U+E000"),
    ("A" * 200, "200 characters long"),
    ("A" * (MAX_ADMIN_NAME_CHARS + 1), f"more than the {MAX_ADMIN_NAME_CHARS} allowed"),
    (" Ann", "starts or ends with a space"),
    ("", "it is empty"),
])
def test_an_odd_name_refuses_the_pack(
    laptop: Any, admin: Any, installer: Any, name: str, why: str
) -> None:
    before = installed_study(laptop, STUDY_ID)
    with pytest.raises(PackInvalid) as refused:
        import_pack(laptop, named_pack(admin, name) if name else
                    resigned(admin, admin.pack, lambda b: b["admin"].update(name="")),
                    installer(laptop))
    assert "the admin's name cannot be shown" in refused.value.message
    assert why in refused.value.message
    assert installed_study(laptop, STUDY_ID) == before


@pytest.mark.parametrize("value", [None, 42, ["Ann"], {"first": "Ann"}])
def test_a_name_that_is_not_text_refuses_the_pack(admin: Any, value: object) -> None:
    pack = resigned(admin, admin.pack, lambda body: body["admin"].update(name=value))
    with pytest.raises(PackInvalid, match="the admin's name must be text"):
        read_pack(pack)


def test_other_unknown_admin_fields_are_still_refused(admin: Any) -> None:
    pack = resigned(admin, admin.pack, lambda body: body["admin"].update(email="a@b.c"))
    with pytest.raises(PackInvalid, match="admin does not have the expected fields"):
        read_pack(pack)


def test_names_from_other_scripts_are_kept(admin: Any) -> None:
    # Joiners are part of some scripts' names (Persian uses U+200C).
    for name in ("Zoë Ó Briain", "محمد\u200cرضا", "李小龙", "Ngũgĩ wa Thiong'o"):
        assert read_pack(named_pack(admin, name)).admin_name == name
