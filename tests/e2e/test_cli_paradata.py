"""End to end, paradata: a record filled through RecordDraft (real FormSession events)
is synced, merged with ``qi-capture merge`` and exported; the export's audit table lists
its events with their durations. Re-sending everything (``sync --all``) and re-merging
adds no duplicate event; a format-1 bundle (no paradata) still merges."""

from __future__ import annotations

import json
import textwrap
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from qi_capture.central.store import CentralStore
from qi_capture.cli import main
from qi_capture.services import CoreContext
from qi_capture.storage.profile import Profile
from qi_capture.storage.store import Store
from qi_capture.sync.bundle import TarStream, bundle_members, write_bundle_file
from qi_capture.sync.folder import OUTBOX, _compose, sync_folder
from qi_capture.sync.manifest import signed_message
from qi_capture.sync.pack import installed_study
from tests.e2e.conftest import PASSPHRASE, STUDY_ID, MakeWorld

FORM = textwrap.dedent("""
    | survey   |           |          |          |
    |          | type      | name     | label    |
    |          | text      | org      | Org      |
    |          | integer   | staff    | Staff    |
    | settings |           |          |          |
    |          | form_id   | version  |          |
    |          | para_e2e  | 1        |          |
""")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def fill(store: Store, org: str) -> uuid.UUID:
    ctx = CoreContext(store)
    (form,) = store.catalog.list_form_versions(STUDY_ID)[-1:]
    with ctx.records.create(form.id) as record:
        record.go_to("org")
        record.set("org", org)
        record.next_screen()
        record.set("staff", 12)
        record.finalise()
        return record.record_id


@pytest.fixture
def world(make_world: MakeWorld, tmp_path: Path) -> tuple[Path, Path, Path]:
    central, laptop, folder = make_world("para_e2e.md", FORM)
    (tmp_path / "para_e2e.md").write_text(FORM)
    return central, laptop, folder


def test_paradata_synced_merged_and_exported(
    world: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    central, laptop, folder = world
    d = str(tmp_path / "d")
    with Profile.unlock(laptop, PASSPHRASE) as store:
        record_id = fill(store, "Trust A")
        local = store.paradata.list(record_id)
        device_id = store.device().id
        assert sync_folder(store, folder).wrote_anything

    code, out = cli(capsys, "--data-dir", d, "merge", "--central", str(central), str(folder))
    assert code == 3 and "quarantined" in out, out  # waits for enrolment
    code, out = cli(capsys, "--data-dir", d, "devices", "enrol", "--central", str(central),
                    str(device_id), "--name", "Laptop A")
    assert code == 0 and "imported: 1 new revisions" in out, out

    with CentralStore.open(central, PASSPHRASE) as cs:
        stored = list(cs.export_paradata([record_id]))
    assert [(e.device_id, e.seq, e.kind, e.elapsed_ms) for e in stored] == [
        (device_id, e.seq, e.event.kind, e.event.elapsed_ms) for e in local
    ]
    assert [json.loads(e.payload_json) for e in stored] == [e.event.payload for e in local]

    out_dir = tmp_path / "export"
    code, out = cli(capsys, "--data-dir", d, "export", "--central", str(central), "--form",
                    "para_e2e", "--format", "csv", "--out", str(out_dir), "--form-file",
                    str(tmp_path / "para_e2e.md"))
    assert code == 0, out
    audit = pd.read_csv(out_dir / "para_e2e-audit.csv", encoding="utf-8-sig")
    assert len(audit) == len(local)
    assert set(audit["record_id"]) == {str(record_id)}
    assert {"question_entered", "question_left", "value_changed"} <= set(audit["kind"])
    left = [json.loads(p) for k, p in zip(audit["kind"], audit["payload"], strict=True)
            if k == "question_left"]
    assert left and all(p["duration_ms"] >= 0 and p["path"] for p in left)

    # Sync with nothing new writes nothing; --all re-sends every revision and event, and
    # merging that adds no duplicate.
    with Profile.unlock(laptop, PASSPHRASE) as store:
        before = sorted(p.name for p in (folder / OUTBOX).iterdir())
        assert not sync_folder(store, folder).wrote_anything
        assert sorted(p.name for p in (folder / OUTBOX).iterdir()) == before
        assert sync_folder(store, folder, resend_all=True).wrote_anything
    code, out = cli(capsys, "--data-dir", d, "merge", "--central", str(central), str(folder),
                    "--json")
    assert code == 0, out
    assert sorted(b["outcome"] for b in json.loads(out)["bundles"]) == [
        "already_imported", "imported"]
    with CentralStore.open(central, PASSPHRASE) as cs:
        assert len(list(cs.export_paradata([record_id]))) == len(local)


def test_format_1_bundle_without_paradata_still_merges(
    world: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    central, laptop, folder = world
    d = str(tmp_path / "d")
    with Profile.unlock(laptop, PASSPHRASE) as store:
        record_id = fill(store, "Trust B")
        device_id = store.device().id
        study = installed_study(store, STUDY_ID)
        assert study is not None
        revisions = store.sync.outgoing(STUDY_ID)
        m, payloads, readers = _compose(store, study, revisions, now=datetime.now(UTC))
        assert m.paradata  # what format 2 would carry
        v1 = replace(m, format_version=1, paradata=())
        signature = store.sign(signed_message(v1.to_bytes()))
        (folder / OUTBOX).mkdir()
        write_bundle_file(folder / OUTBOX,
                          TarStream(bundle_members(v1, signature, payloads, readers)),
                          study.recipients)
        assert store.paradata.list(record_id)

    code, out = cli(capsys, "--data-dir", d, "merge", "--central", str(central), str(folder))
    assert code == 3 and "quarantined" in out, out  # waits for enrolment
    code, out = cli(capsys, "--data-dir", d, "devices", "enrol", "--central", str(central),
                    str(device_id), "--name", "Laptop A")
    assert code == 0 and "imported: 1 new revisions" in out, out
    with CentralStore.open(central, PASSPHRASE) as cs:
        assert list(cs.export_paradata([record_id])) == []
        assert cs.revision_ids_by_device([device_id])[device_id]
