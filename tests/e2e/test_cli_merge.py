"""End to end with real bundles: a laptop syncs to a folder, the admin merges it with
``qi-capture merge`` (unknown device -> quarantine -> ``devices enrol`` merges it),
re-merging is "already imported", the acknowledgement written to the folder's inbox is
accepted by the laptop's next sync; conflicts list/show/resolve; devices revoke;
a tampered bundle is refused with its reason and exit code 1."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import pytest

from qi_capture.central.store import CentralStore
from qi_capture.cli import main
from qi_capture.forms import load_form_bytes
from qi_capture.services.admin.exports import copies_due
from qi_capture.storage.profile import Profile
from qi_capture.sync.folder import sync_folder
from tests.e2e.conftest import MERGE_FORM as FORM
from tests.e2e.conftest import PASSPHRASE, MakeWorld
from tests.e2e.conftest import finalise_records as _finalise


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture
def world(make_world: MakeWorld) -> tuple[Path, Path, Path]:
    return make_world("merge_e2e.md", FORM)


def test_merge_quarantine_enrol_ack_roundtrip(
    world: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    central, laptop, folder = world
    with Profile.unlock(laptop, PASSPHRASE) as store:
        records = _finalise(store, 3)
        device_id = store.device().id
        sync_folder(store, folder)

    code, out = cli(capsys, "--data-dir", str(tmp_path / "d"), "merge", "--central",
                    str(central), str(folder), "--json")
    assert code == 3, out  # EXIT_QUARANTINED: something waits for enrolment
    report = json.loads(out)
    assert [b["outcome"] for b in report["bundles"]] == ["quarantined"]
    assert report["bundles"][0]["device_id"] == str(device_id)

    code, out = cli(capsys, "--data-dir", str(tmp_path / "d"), "devices", "list", "--central",
                    str(central))
    assert code == 0 and "unknown" in out and "1 quarantined" in out

    code, out = cli(capsys, "--data-dir", str(tmp_path / "d"), "devices", "enrol",
                    "--central", str(central), str(device_id), "--name", "Laptop A")
    assert code == 0, out
    assert "imported: 3 new revisions" in out

    code, out = cli(capsys, "--data-dir", str(tmp_path / "d"), "merge", "--central",
                    str(central), str(folder))
    assert code == 0, out
    assert "already imported" in out and "acknowledgement for device" in out
    assert len(list((folder / "inbox").glob("*.qiack"))) == 1

    with Profile.unlock(laptop, PASSPHRASE) as store:
        result = sync_folder(store, folder)
        assert result.acknowledged == 3
        assert {store.records.get_record(r).summary.status for r in records} == {"acknowledged"}
        # An edit on the laptop after the merge: a new bundle, merged, chained.
        store.records.begin_edit(records[0])
        store.records.save_answer_change(records[0], "staff", "99")
        store.records.finalise(records[0])
        sync_folder(store, folder)
    code, out = cli(capsys, "--data-dir", str(tmp_path / "d"), "merge", "--central",
                    str(central), str(folder), "--json")
    report = json.loads(out)
    assert code == 0
    assert sorted(b["outcome"] for b in report["bundles"]) == ["already_imported", "imported"]
    assert report["devices"][0]["missing_seqs"] == []
    assert report["devices"][0]["missing_manifests"] == []

    code, out = cli(capsys, "--data-dir", str(tmp_path / "d"), "conflicts", "list",
                    "--central", str(central))
    assert code == 0 and "no open conflicts" in out

    # Tampered: one flipped bit in the encrypted payload -> refused, exit 1.
    bundle = next((folder / "outbox").glob("*.qibundle"))
    data = bytearray(bundle.read_bytes())
    data[-100] ^= 1
    bad = tmp_path / "bad.qibundle"
    bad.write_bytes(bytes(data))
    code, out = cli(capsys, "--data-dir", str(tmp_path / "d"), "merge", "--central",
                    str(central), str(bad), "--no-ack")
    assert code == 1 and "refused (bundle_payload_tampered)" in out

    code, out = cli(capsys, "--data-dir", str(tmp_path / "d"), "devices", "revoke",
                    "--central", str(central), str(device_id))
    assert code == 0, out
    with Profile.unlock(laptop, PASSPHRASE) as store:
        store.records.begin_edit(records[1])
        store.records.save_answer_change(records[1], "staff", "7")
        store.records.finalise(records[1])
        sync_folder(store, folder)
    code, out = cli(capsys, "--data-dir", str(tmp_path / "d"), "merge", "--central",
                    str(central), str(folder), "--no-ack")
    assert code == 1 and "bundle_revoked_device" in out


def test_conflicts_cli(
    world: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Two heads made directly in the central store (fake devices), resolved by the CLI."""
    from qi_capture.central.store import CentralStore
    from tests.core.central.helpers import FakeDevice

    central, _laptop, _folder = world
    a, b = FakeDevice("A"), FakeDevice("B")
    record = uuid.uuid4()
    with CentralStore.open(central, PASSPHRASE) as store:
        for d in (a, b):
            store.enrol(d.id, name=d.name, fingerprint=d.fingerprint, public_key=d.public_key)
        base = a.revision(record, {"org": "x"})
        store.merge(a.bundle([base]))
        left = a.revision(record, {"org": "left"}, parents=[base.id])
        store.merge(a.bundle([left]))
        right = b.revision(record, {"org": "right"}, parents=[base.id])
        store.merge(b.bundle([right]))

    d = str(tmp_path / "d")
    code, out = cli(capsys, "--data-dir", d, "conflicts", "list", "--central", str(central),
                    "--json")
    (conflict,) = json.loads(out)
    assert conflict["kind"] == "heads"
    code, out = cli(capsys, "--data-dir", d, "conflicts", "show", "--central", str(central),
                    conflict["id"][:10])
    assert code == 0 and "org:" in out and "left" in out and "right" in out
    merged = tmp_path / "merged.json"
    merged.write_text(json.dumps({"org": "both"}))
    code, out = cli(capsys, "--data-dir", d, "conflicts", "resolve", "--central",
                    str(central), conflict["id"][:10], "--merge", str(merged),
                    "--reason", "agreed with both interviewers")
    assert code == 0, out
    code, out = cli(capsys, "--data-dir", d, "conflicts", "resolve", "--central",
                    str(central), conflict["id"][:10], "--keep", right.id[:10], "--reason", "x")
    assert code == 2 and "not open" in out
    code, out = cli(capsys, "--data-dir", d, "conflicts", "list", "--central", str(central),
                    "--all")
    assert "resolved" in out
    _ = io


def _due(central: Path) -> bool:
    with CentralStore.open(central, PASSPHRASE) as store:
        return copies_due(store, "merge_e2e")


def test_merge_keeps_the_export_copies_current(
    world: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    central, laptop, folder = world
    d = str(tmp_path / "d")
    with Profile.unlock(laptop, PASSPHRASE) as store:
        _finalise(store, 3)
        device_id = store.device().id
        sync_folder(store, folder)
    assert cli(capsys, "--data-dir", d, "merge", "--central", str(central), str(folder))[0] == 3
    form = load_form_bytes(FORM.encode(), "merge_e2e.md")
    with CentralStore.open(central, PASSPHRASE) as store:  # as `study pack` records it
        store.add_form(study_id="qi-london", form_id="merge_e2e", version="1", title="E2E",
                       sha256=form.source_sha256, compiled_json=json.dumps(form.to_json()))
    assert not _due(central)  # no record yet: no copy to make
    code, out = cli(capsys, "--data-dir", d, "devices", "enrol", "--central", str(central),
                    str(device_id), "--name", "Laptop A")
    assert code == 0, out
    assert not _due(central)  # the enrolment imported the records, and copied them
    code, out = cli(capsys, "--data-dir", d, "export", "--central", str(central), "--form",
                    "merge_e2e", "--format", "csv", "--out", str(tmp_path / "first"))
    assert code == 0, out
    assert not _due(central)

    def more(count: int) -> None:
        with Profile.unlock(laptop, PASSPHRASE) as store:
            _finalise(store, count)
            sync_folder(store, folder)

    more(2)
    code, out = cli(capsys, "--data-dir", d, "merge", "--central", str(central), str(folder),
                    "--defer-export-copies")
    assert code == 0, out
    assert _due(central)  # left for the export

    more(1)
    code, out = cli(capsys, "--data-dir", d, "merge", "--central", str(central), str(folder),
                    "--json")
    assert code == 0, out
    assert json.loads(out)["totals"]["imported"] == 1  # the JSON report is the merge's alone
    assert not _due(central)
    code, out = cli(capsys, "--data-dir", d, "export", "--central", str(central), "--form",
                    "merge_e2e", "--format", "csv", "--out", str(tmp_path / "second"))
    assert code == 0, out
    assert len((tmp_path / "second" / "merge_e2e.csv").read_text("utf-8-sig")
               .splitlines()) == 1 + 6
