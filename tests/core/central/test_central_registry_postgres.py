"""The device registry of a PostgreSQL store is in the database: ``admin enrol``,
``admin revoke`` and ``admin devices`` take ``--central URL --admin DIR``. An admin
profile made before the one registry has its list of keys moved into the database the
first time both are open (the list then deleted from the profile, which remembers the
store), after which the folder alone is refused with the command to use."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from qi_capture.cli import main
from qi_capture.crypto import signing
from qi_capture.crypto.kdf import floor_params
from qi_capture.sync.admin import LEGACY_DEVICES_SETTING, AdminProfile, init_admin
from tests.core.central.conftest import PASSPHRASE, PostgresServer


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_keys_folder_list_moves_into_postgres_and_the_folder_alone_is_refused(
    postgres: PostgresServer, pg_template: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QI_CAPTURE_PASSPHRASE", PASSPHRASE)
    url = postgres.url(postgres.create_database(template=pg_template))
    keys = tmp_path / "keys"
    init_admin(keys, PASSPHRASE, study_id="s", study_title="S", kdf=floor_params())
    old = signing.public_key(signing.generate_signing_key())
    old_fp = signing.fingerprint(old)
    with AdminProfile.open(keys, PASSPHRASE) as admin:  # as profiles made before kept it
        admin.store.settings.set(LEGACY_DEVICES_SETTING, {old_fp: {
            "public_key": base64.b64encode(old).decode(), "name": "Laptop A",
            "revoked": False, "enrolled": "2025-03-01T10:00:00+00:00"}})
    data = ["--data-dir", str(tmp_path / "d")]
    on_pg = ["--central", url, "--admin", str(keys)]

    code, out, err = cli(capsys, *data, "admin", "devices", *on_pg, "--json")
    assert code == 0, err
    assert json.loads(out) == [{"fingerprint": old_fp, "name": "Laptop A", "revoked": False}]
    with AdminProfile.open(keys, PASSPHRASE) as admin:
        assert admin.legacy_devices() is None
        assert admin.central_store() is not None and "127.0.0.1" in admin.central_store()

    new = signing.public_key(signing.generate_signing_key())
    code, out, err = cli(capsys, *data, "admin", "enrol", *on_pg, "--device-key",
                         base64.b64encode(new).decode(), "--name", "Laptop B")
    assert code == 0, err
    code, out, err = cli(capsys, *data, "admin", "revoke", *on_pg, old_fp)
    assert (code, out.strip()) == (0, f"{old_fp}: revoked")
    code, out, err = cli(capsys, *data, "admin", "devices", *on_pg, "--json")
    assert sorted((d["name"], d["revoked"]) for d in json.loads(out)) == [
        ("Laptop A", True), ("Laptop B", False)]

    code, out, err = cli(capsys, *data, "admin", "devices", "--central", str(keys))
    assert code == 2 and "--admin" in err and "PostgreSQL store" in err
