"""Erasure at the centre (withdrawal of consent), on SQLCipher and PostgreSQL: the
erasure revision from a laptop and the centre's own, in every order against the record's
bundles; nothing of the record left (answers, attachments, paradata, codings, memos,
report quotes); conflicts closed; refusals."""

from __future__ import annotations

import itertools
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from qi_capture.central import sql
from qi_capture.central.bundle import BundleAttachment, BundleParadata, BundleRevision
from qi_capture.central.errors import ErasureRefused, RecordAlreadyErased, RecordNotFound
from qi_capture.central.models import (
    CentralAttachmentRow,
    CentralParadataRow,
    CentralRevisionRow,
)
from qi_capture.central.store import CentralStore
from qi_capture.services.admin.coding import CodingDesk
from qi_capture.services.admin.report import preview
from qi_capture.storage.canonical import JsonValue, canonical_json, revision_id, sha256_hex
from tests.core.central.coding_fixtures import fill
from tests.core.central.conftest import MakeCentral
from tests.core.central.helpers import FORM, STUDY, FakeDevice, iso, wipe

CANARY = "withdrawn-canary-7f3e9a"
AUDIO = b"RIFF" + b"canary-audio-5d1c" * 64


def enrol(central: CentralStore, *devices: FakeDevice) -> None:
    for d in devices:
        central.enrol(d.id, name=d.name, fingerprint=d.fingerprint, public_key=d.public_key)


def erasure_revision(device: FakeDevice, record_id: uuid.UUID, parents: list[str],
                     reason: str = "consent withdrawn") -> BundleRevision:
    """What `qi_capture.storage.erasure.Erasures.erase` writes on a laptop."""
    device.seq += 1
    device.clock = device.clock.replace(hour=device.clock.hour + 1)
    doc: dict[str, JsonValue] = {
        "type": "qi-capture.revision", "schema": 1, "record_id": str(record_id),
        "form": {"study_id": STUDY, "form_id": FORM, "version": "1", "sha256": "0" * 64},
        "parents": list[JsonValue](parents), "device_id": str(device.id),
        "device_seq": device.seq, "created": iso(device.clock), "interviewer": device.name,
        "instance_name": None, "answers": {}, "deleted": True,
        "erasure": {"by": device.name, "reason": reason, "origin": "laptop"},
    }
    text = canonical_json(doc)
    return BundleRevision(revision_id(text), text)


def paradata(record_id: uuid.UUID, seq: int) -> BundleParadata:
    return BundleParadata(record_id, seq, "answer_changed", uuid.uuid4(),
                          "2025-03-01T09:00:00.000000Z", seq * 10,
                          json.dumps({"path": "q1", "new": CANARY}))


def attachment(record_id: uuid.UUID) -> BundleAttachment:
    return BundleAttachment.from_bytes(uuid.uuid4(), record_id, "voice.wav", "audio/wav",
                                       sha256_hex(AUDIO), AUDIO)


def three_bundles() -> tuple[list, FakeDevice, uuid.UUID, uuid.UUID]:  # type: ignore[type-arg]
    """A record's first answers (canary, attachment, paradata), an edit, and its erasure,
    from one laptop; another record that stays."""
    import dataclasses

    a = FakeDevice("Laptop A")
    record, other = uuid.uuid4(), uuid.uuid4()
    v1 = a.revision(record, {"q1": CANARY})
    keep = a.revision(other, {"q1": "stays"})
    b1 = dataclasses.replace(a.bundle([v1, keep], paradata=[paradata(record, 1)]),
                             attachments=(attachment(record),))
    v2 = a.revision(record, {"q1": CANARY + " again"}, parents=[v1.id])
    b2 = a.bundle([v2], paradata=[paradata(record, 2)])
    b3 = a.bundle([erasure_revision(a, record, [v2.id])])
    return [b1, b2, b3], a, record, other


def left_of(central: CentralStore, record: uuid.UUID) -> dict[str, int]:
    rev = sql.table(CentralRevisionRow)
    with central.engine.connect() as conn:
        texts = list(conn.scalars(select(rev.c.canonical_json).where(rev.c.record_id == record)))
        return {
            "canary_revisions": sum(CANARY in t for t in texts),
            "revisions": len(texts),
            # Every attachment's row (its key) and its encrypted file: the other record
            # has none, so any left is the erased one's.
            "attachments": len(conn.execute(select(sql.table(CentralAttachmentRow))).all())
                           + len(list(central.attachments.files.root.rglob("*.qiatt"))),
            "paradata": len(conn.execute(select(sql.table(CentralParadataRow)).where(
                sql.table(CentralParadataRow).c.record_id == record)).all()),
        }


def test_the_erasure_in_every_order_of_the_records_bundles(make_central: MakeCentral) -> None:
    bundles, a, record, other = three_bundles()
    central = make_central()
    hashes = set()
    for order in itertools.permutations(range(3)):
        wipe(central)
        enrol(central, a)
        for step, i in enumerate(order):
            if i == 2 and 0 in order[:step]:  # the attachment is there: its row and file
                assert left_of(central, record)["attachments"] == 2, order
            assert central.merge(bundles[i]).outcome == "imported"
        hashes.add(central.content_hash())
        assert left_of(central, record) == {"canary_revisions": 0, "revisions": 1,
                                            "attachments": 0, "paradata": 0}, order
        listing = central.record_listing(record)
        assert listing.deleted and not listing.in_conflict
        assert central.record_listing(other).deleted is False
        [stone] = central.tombstones(STUDY)
        assert (stone.record_id, stone.reason, stone.origin) == (record, "consent withdrawn",
                                                                 "laptop")
        assert central.conflicts() == []
    assert len(hashes) == 1
    # Replaying every bundle again brings nothing back.
    for bundle in bundles:
        central.merge(bundle)
    assert left_of(central, record)["revisions"] == 1


def test_the_centre_erases_and_old_bundles_stay_out(central: CentralStore) -> None:
    bundles, a, record, _other = three_bundles()
    b = FakeDevice("Laptop B")
    enrol(central, a, b)
    central.merge(bundles[0])
    # A second laptop edits the same revision: a conflict that the erasure closes.
    first = bundles[0].revisions[0].id
    central.merge(b.bundle([b.revision(record, {"q1": CANARY + " b"}, parents=[first])]))
    central.merge(bundles[1])
    assert [c.record_id for c in central.conflicts()] == [record]
    [stone] = central.erase([record], reason="Consent withdrawn by phone")
    assert (stone.origin, stone.by, stone.reason) == ("centre", "admin",
                                                      "Consent withdrawn by phone")
    assert central.conflicts() == []
    assert [c.status for c in central.conflicts(status=None)] == ["closed"]
    assert left_of(central, record)["canary_revisions"] == 0
    # The laptop's own erasure confirms it: still one tombstone, no conflict between the two.
    central.merge(bundles[2])
    assert left_of(central, record) == {"canary_revisions": 0, "revisions": 2,
                                        "attachments": 0, "paradata": 0}
    assert not central.record_listing(record).in_conflict
    assert len(central.tombstones()) == 1
    assert STUDY and central.erased_record_ids(STUDY) == [str(record)]
    actions = [e.action for e in central.audit_log()]
    assert "erase_record" in actions


def test_erasure_refusals_change_nothing(central: CentralStore) -> None:
    bundles, a, record, _other = three_bundles()
    enrol(central, a)
    central.merge(bundles[0])
    state = central.content_hash()
    with pytest.raises(ErasureRefused, match="reason"):
        central.erase([record], reason="  ")
    with pytest.raises(RecordNotFound):
        central.erase([record, uuid.uuid4()], reason="duplicate")
    assert central.content_hash() == state
    central.erase([record], reason="duplicate")
    with pytest.raises(RecordAlreadyErased):
        central.erase([record], reason="duplicate")


def test_codings_memos_and_report_quotes_go_with_the_record(central: CentralStore) -> None:
    ids = fill(central)
    desk = CodingDesk(central, coder="alice")
    desk.codebook()
    code = desk.create_code("Workforce")
    desk.apply_codes(ids[0], "approach/approach_overview", 0, 5, [code.guid])
    [passage] = desk.passages(code.guid)
    desk.set_memo("Staff memo on the first interview", passage=passage.coding.passage)
    heard = preview(central, min_cell=1).report.heard
    assert heard is not None
    quotes = [q.text for t in heard.themes for q in t.quotes]
    assert "We need time, not another method." in quotes

    memos_before = desk.memos()
    central.erase([ids[0]], reason="consent withdrawn")
    assert desk.passages(code.guid) == ()
    assert all("Staff memo" not in m.text for m in desk.memos())
    assert any("Staff memo" in m.text for m in memos_before)
    heard = preview(central, min_cell=1).report.heard
    assert heard is not None
    quotes = [q.text for t in heard.themes for q in t.quotes]
    assert "We need time, not another method." not in quotes
    notes = preview(central, min_cell=1).report.methods.notes
    assert any(n.startswith("1 record(s) of the study were erased") for n in notes)


def scan(folder: Path, needle: bytes) -> list[str]:
    """Files under ``folder`` holding ``needle`` (as bytes, and as UTF-16)."""
    found = []
    forms = (needle, needle.decode().encode("utf-16-le"))
    for path in folder.rglob("*"):
        if path.is_file():
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if any(f in data for f in forms):
                found.append(str(path.relative_to(folder)))
    return found


def dump_contains(central: CentralStore, needle: str) -> list[str]:
    """Tables of the store (every one, central and profile) with ``needle`` in a row."""
    from sqlalchemy import MetaData

    meta = MetaData()
    meta.reflect(central.engine)
    found = []
    with central.engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                if any(needle.encode() in (v if isinstance(v, bytes) else str(v).encode())
                       for v in row):
                    found.append(table.name)
                    break
    return found


def test_nothing_of_an_erased_record_left_in_the_store_files(
    make_central: MakeCentral, backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    bundles, a, record, other = three_bundles()
    central = make_central()
    enrol(central, a)
    for bundle in bundles[:2]:
        central.merge(bundle)
    assert set(dump_contains(central, CANARY)) >= {"central_revision", "central_paradata"}
    if backend == "postgresql":
        server = request.getfixturevalue("postgres")
        # The tables' files (base/) and the cluster-wide ones (global/). pg_wal keeps
        # the rows as written until the server recycles the segment: see
        # docs/information-governance.md ("What PostgreSQL cannot promise").
        folders = [server.data / "base", server.data / "global"]
        central.compact()  # a checkpoint: the rows reach the table files
        assert scan(server.data / "base", CANARY.encode()) != []  # the scan can see them
    else:
        folders = [tmp_path]
    central.erase([record], reason="consent withdrawn")
    central.merge(bundles[2])
    assert dump_contains(central, CANARY) == []
    assert dump_contains(central, "canary-audio-5d1c") == []
    for folder in folders:
        assert scan(folder, CANARY.encode()) == []
        assert scan(folder, b"canary-audio-5d1c") == []
    if backend == "sqlcipher":
        # secure_delete zeroed the freed pages; the WAL was checkpointed and truncated.
        assert all(w.stat().st_size == 0 for w in tmp_path.rglob("*-wal"))
    assert central.record_listing(other).deleted is False


@pytest.mark.parametrize("bad", ["answers", "not_deleted", "no_reason"])
def test_a_malformed_erasure_revision_refuses_the_bundle(central: CentralStore,
                                                         bad: str) -> None:
    from qi_capture.central.errors import BundleRefused

    a = FakeDevice("Laptop A")
    enrol(central, a)
    record = uuid.uuid4()
    rev = erasure_revision(a, record, [])
    doc = json.loads(rev.canonical_json)
    if bad == "answers":
        doc["answers"] = {"q1": CANARY}
    elif bad == "not_deleted":
        del doc["deleted"]
    else:
        del doc["erasure"]["reason"]
    text = canonical_json(doc)
    state = central.content_hash()
    with pytest.raises(BundleRefused, match="not a valid revision"):
        central.merge(a.bundle([BundleRevision(revision_id(text), text)]))
    assert central.content_hash() == state


def test_a_merge_role_merges_an_erasure_and_the_owner_finishes_it(
        postgres: object, pg_template: str, tmp_path: Path) -> None:
    """A PostgreSQL merge role may not delete: the erasure it merges makes the record a
    tombstone at once (out of listings and exports) and the owner's next erase or
    retention run removes the rest."""
    from sqlalchemy.engine import make_url

    from qi_capture.central import migrate
    from qi_capture.central.models import CentralBase
    from qi_capture.central.postgres import create_merge_role
    from qi_capture.services.admin import erasure as admin_erasure

    server = postgres
    database = server.create_database(pg_template)  # type: ignore[attr-defined]
    owner_url = server.url(database)  # type: ignore[attr-defined]
    role = "qi_merge_" + uuid.uuid4().hex[:6]
    create_merge_role(make_url(owner_url), role, None,
                      [t.name for t in CentralBase.metadata.sorted_tables],
                      version_table=migrate.VERSION_TABLE)
    bundles, a, record, other = three_bundles()
    role_url = owner_url.replace("postgres@", f"{role}@", 1)
    folder = tmp_path / "attachments"  # the attachments folder every admin shares
    with CentralStore.open(role_url, actor=role, attachments=folder) as merger:
        merger.enrol(a.id, name=a.name, fingerprint=a.fingerprint, public_key=a.public_key)
        for bundle in bundles:
            assert merger.merge(bundle).outcome == "imported"
        assert merger.record_listing(record).deleted
        assert left_of(merger, record)["canary_revisions"] == 2  # not purged: no DELETE
    with CentralStore.open(owner_url, attachments=folder) as owner:
        admin_erasure.run_retention(owner)  # nothing due; finishes the pending erasure
        assert left_of(owner, record) == {"canary_revisions": 0, "revisions": 1,
                                          "attachments": 0, "paradata": 0}
        assert owner.record_listing(other).deleted is False


def test_erased_ids_are_read_from_the_deletions_index(central: CentralStore) -> None:
    """Acknowledgements carry the erased ids after every merge: read from an index
    (migration c0007), not from every revision's row."""
    from sqlalchemy import inspect, text

    bundles, a, record, _other = three_bundles()
    enrol(central, a)
    for bundle in bundles:
        central.merge(bundle)
    assert central.erased_record_ids(STUDY) == [str(record)]
    from qi_capture.central.erasure import _ERASURE, _REVISION
    indexes = {i["name"]: i["column_names"]
               for i in inspect(central.engine).get_indexes("central_revision")}
    assert indexes["ix_central_revision_deletions"] == ["deleted", "study_id", "record_id"]
    if central.engine.dialect.name != "sqlite":
        return  # PostgreSQL plans a table this small as a scan, whatever its indexes
    query = select(_REVISION.c.record_id).distinct().where(
        _ERASURE, _REVISION.c.study_id == STUDY)
    with central.engine.connect() as conn:
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        plan = " ".join(str(row[-1]) for row in conn.execute(
            text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "ix_central_revision_deletions" in plan, plan
