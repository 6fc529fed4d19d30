"""The one device registry, end to end: ``admin enrol --device-key`` trusts a key before
any bundle from its device arrives (a device known by its key alone, not listed by
``devices list`` until its first bundle tells its id, then listed with the name given);
``admin revoke`` is final for every device holding the key; an admin profile made
before the one registry, with its own list of keys, has that list moved into the
central store on first use (names kept, revoked kept revoked, the old list gone, a
second run changing nothing); a folder holding only the keys of a PostgreSQL store is
refused with the command to use."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from qi_capture.central.store import CentralStore
from qi_capture.cli import main
from qi_capture.crypto import signing
from qi_capture.crypto.kdf import floor_params
from qi_capture.storage.profile import Profile
from qi_capture.sync.admin import LEGACY_DEVICES_SETTING, AdminProfile, init_admin
from qi_capture.sync.folder import sync_folder
from tests.e2e.conftest import MERGE_FORM as FORM
from tests.e2e.conftest import PASSPHRASE, MakeWorld, finalise_records


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def admin_devices(capsys: pytest.CaptureFixture[str], data: Path,
                  central: Path) -> list[dict[str, object]]:
    code, out = cli(capsys, "--data-dir", str(data), "admin", "devices", "--central",
                    str(central), "--json")
    assert code == 0, out
    listing: list[dict[str, object]] = json.loads(out)
    return listing


def listed_devices(capsys: pytest.CaptureFixture[str], data: Path,
                   central: Path) -> list[dict[str, object]]:
    code, out = cli(capsys, "--data-dir", str(data), "devices", "list", "--central",
                    str(central), "--json")
    assert code == 0, out
    listing: list[dict[str, object]] = json.loads(out)
    return listing


def laptop_bundle(laptop: Path, folder: Path, count: int = 2) -> tuple[str, str, str]:
    """Records synced to ``folder``; the laptop's id, key (base64) and fingerprint."""
    with Profile.unlock(laptop, PASSPHRASE) as store:
        finalise_records(store, count)
        sync_folder(store, folder)
        device = store.device()
    return (str(device.id), base64.b64encode(device.public_key).decode("ascii"),
            device.fingerprint)


def test_a_key_enrolled_first_is_taken_over_by_its_device(
    make_world: MakeWorld, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    central, laptop, folder = make_world("merge_e2e.md", FORM)
    data = tmp_path / "d"
    device_id, key, fingerprint = laptop_bundle(laptop, folder)

    code, out = cli(capsys, "--data-dir", str(data), "admin", "enrol", "--central",
                    str(central), "--device-key", key, "--name", "Laptop A")
    assert (code, out.strip()) == (0, f"{fingerprint}: enrolled")
    assert admin_devices(capsys, data, central) == [
        {"fingerprint": fingerprint, "name": "Laptop A", "revoked": False}]
    assert listed_devices(capsys, data, central) == []  # no device id known yet

    code, out = cli(capsys, "--data-dir", str(data), "merge", "--central", str(central),
                    str(folder), "--json")
    assert code == 0, out
    assert [b["outcome"] for b in json.loads(out)["bundles"]] == ["imported"]
    [device] = listed_devices(capsys, data, central)
    assert (device["id"], device["name"], device["status"], device["fingerprint"]) == (
        device_id, "Laptop A", "enrolled", fingerprint)
    # The key-only entry went into the device: still one key, with its name.
    assert admin_devices(capsys, data, central) == [
        {"fingerprint": fingerprint, "name": "Laptop A", "revoked": False}]

    code, out = cli(capsys, "--data-dir", str(data), "admin", "enrol", "--central",
                    str(central), "--device-key", key)
    assert (code, out.strip()) == (0, f"{fingerprint}: enrolled")  # idempotent


def test_revoking_a_key_is_final_for_every_device_holding_it(
    make_world: MakeWorld, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    central, laptop, folder = make_world("merge_e2e.md", FORM)
    data = tmp_path / "d"
    device_id, key, fingerprint = laptop_bundle(laptop, folder)
    assert cli(capsys, "--data-dir", str(data), "admin", "enrol", "--central", str(central),
               "--device-key", key)[0] == 0
    assert cli(capsys, "--data-dir", str(data), "merge", "--central", str(central),
               str(folder))[0] == 0

    code, out = cli(capsys, "--data-dir", str(data), "admin", "revoke", "--central",
                    str(central), fingerprint)
    assert (code, out.strip()) == (0, f"{fingerprint}: revoked")
    assert [(d["id"], d["status"]) for d in listed_devices(capsys, data, central)] == [
        (device_id, "revoked")]
    code, out = cli(capsys, "--data-dir", str(data), "admin", "enrol", "--central",
                    str(central), "--device-key", key)
    assert (code, out.strip()) == (0, f"{fingerprint}: revoked (revocation is final)")

    bundle = next((folder / "outbox").glob("*.qibundle"))
    code, out = cli(capsys, "--data-dir", str(data), "bundle", "verify", str(bundle),
                    "--central", str(central), "--json")
    assert code == 1 and json.loads(out)["code"] == "bundle_revoked_device", out

    code, out = cli(capsys, "--data-dir", str(data), "admin", "revoke", "--central",
                    str(central), "ed25519:" + "0" * 64)
    assert code != 0 and "No enrolled device has fingerprint" in out


def test_a_key_revoked_before_its_device_is_known_is_not_enrolled_again(
    make_world: MakeWorld, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    central, laptop, folder = make_world("merge_e2e.md", FORM)
    data = tmp_path / "d"
    device_id, key, fingerprint = laptop_bundle(laptop, folder)
    assert cli(capsys, "--data-dir", str(data), "admin", "enrol", "--central", str(central),
               "--device-key", key)[0] == 0
    assert cli(capsys, "--data-dir", str(data), "admin", "revoke", "--central", str(central),
               fingerprint)[0] == 0

    code, out = cli(capsys, "--data-dir", str(data), "devices", "enrol", "--central",
                    str(central), device_id, "--device-key", key)
    assert code != 0 and "a revoked device is not re-enrolled" in out
    assert listed_devices(capsys, data, central) == []
    assert admin_devices(capsys, data, central) == [
        {"fingerprint": fingerprint, "name": "", "revoked": True}]


def _old_style_list(central: Path, entries: dict[str, tuple[bytes, str, bool]]) -> None:
    """What profiles made before the one registry kept in their settings."""
    with AdminProfile.open(central, PASSPHRASE) as admin:
        admin.store.settings.set(LEGACY_DEVICES_SETTING, {
            fp: {"public_key": base64.b64encode(public).decode("ascii"), "name": name,
                 "revoked": revoked, "enrolled": "2025-03-01T10:00:00+00:00",
                 **({"revoked_at": "2025-04-01T10:00:00+00:00"} if revoked else {})}
            for fp, (public, name, revoked) in entries.items()})


def test_an_old_profiles_device_list_moves_into_the_registry_once(
    make_world: MakeWorld, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    central, laptop, folder = make_world("merge_e2e.md", FORM)
    data = tmp_path / "d"
    device_id, key, fingerprint = laptop_bundle(laptop, folder)
    gone = signing.public_key(signing.generate_signing_key())
    gone_fp = signing.fingerprint(gone)
    _old_style_list(central, {fingerprint: (base64.b64decode(key), "Laptop A", False),
                              gone_fp: (gone, "Stolen laptop", True)})

    expected = sorted([{"fingerprint": fingerprint, "name": "Laptop A", "revoked": False},
                       {"fingerprint": gone_fp, "name": "Stolen laptop", "revoked": True}],
                      key=lambda d: str(d["fingerprint"]))
    assert admin_devices(capsys, data, central) == expected
    with AdminProfile.open(central, PASSPHRASE) as admin:
        assert admin.legacy_devices() is None  # moved, and no longer read or written
        assert admin.store.settings.get(LEGACY_DEVICES_SETTING) is None
    with CentralStore.open(central, PASSPHRASE) as store:
        audit = len(store.audit_log())
    assert admin_devices(capsys, data, central) == expected  # a second opening: the same
    with CentralStore.open(central, PASSPHRASE) as store:
        assert len(store.audit_log()) == audit

    # The device the old list trusted merges without quarantine, under the list's name.
    code, out = cli(capsys, "--data-dir", str(data), "merge", "--central", str(central),
                    str(folder), "--json")
    assert code == 0 and [b["outcome"] for b in json.loads(out)["bundles"]] == ["imported"]
    [device] = listed_devices(capsys, data, central)
    assert (device["id"], device["name"], device["status"]) == (device_id, "Laptop A",
                                                                "enrolled")


def test_an_old_list_revoking_a_device_the_store_holds_revokes_it(
    make_world: MakeWorld, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Both registries had the device; the old list alone had revoked it."""
    central, laptop, folder = make_world("merge_e2e.md", FORM)
    data = tmp_path / "d"
    _device_id, key, fingerprint = laptop_bundle(laptop, folder)
    assert cli(capsys, "--data-dir", str(data), "admin", "enrol", "--central", str(central),
               "--device-key", key)[0] == 0
    assert cli(capsys, "--data-dir", str(data), "merge", "--central", str(central),
               str(folder))[0] == 0
    _old_style_list(central, {fingerprint: (base64.b64decode(key), "Old name", True)})

    [device] = listed_devices(capsys, data, central)  # the desk opens with the keys
    assert (device["status"], device["name"]) == ("revoked", "Old name")  # it had none
    assert str(device["revoked"]).startswith("2025-04-01T10:00")  # when the list revoked it


def test_a_folder_holding_the_keys_of_a_postgres_store_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QI_CAPTURE_PASSPHRASE", PASSPHRASE)
    keys = tmp_path / "keys"
    init_admin(keys, PASSPHRASE, study_id="s", study_title="S", kdf=floor_params(),
               central_store="postgresql://qi@db.example/qi")
    public = base64.b64encode(signing.public_key(signing.generate_signing_key())).decode()
    code, out = cli(capsys, "--data-dir", str(tmp_path / "d"), "admin", "enrol",
                    "--central", str(keys), "--device-key", public)
    assert code != 0
    assert "PostgreSQL store postgresql://qi@db.example/qi" in out
    assert f"--admin {keys}" in out
    with AdminProfile.open(keys, PASSPHRASE) as admin, \
            admin.store.engine.connect() as conn:  # no central table was made
        assert not any(name.startswith("central_")
                           for name in admin.store.engine.dialect.get_table_names(conn))

    code, out = cli(capsys, "--data-dir", str(tmp_path / "d"), "admin", "devices",
                    "--central", "postgresql://qi@db.example/qi")
    assert code != 0 and "also give --admin DIR" in out
