"""Merging bundles into the central store, on SQLCipher and PostgreSQL: replay, order
independence (all 24 orders of 4 overlapping bundles), conflicts, deletion beside edit,
clones, gaps, quarantine and enrolment, revocation, refusals."""

from __future__ import annotations

import dataclasses
import itertools
import uuid

import pytest

from qi_capture.central.bundle import BundleRevision, VerifiedBundle
from qi_capture.central.errors import (
    BundleRefused,
    DeviceKeyMismatch,
    DeviceRevoked,
    DeviceUnknown,
)
from qi_capture.central.store import CentralStore
from tests.core.central.conftest import MakeCentral
from tests.core.central.helpers import FakeDevice, wipe


def enrol(central: CentralStore, *devices: FakeDevice) -> None:
    for d in devices:
        central.enrol(d.id, name=d.name, fingerprint=d.fingerprint, public_key=d.public_key)


def test_import_then_replay_is_a_noop(central: CentralStore) -> None:
    a = FakeDevice("Laptop A")
    enrol(central, a)
    records = [uuid.uuid4() for _ in range(3)]
    bundle = a.bundle([a.revision(r, {"q1": str(i)}) for i, r in enumerate(records)])

    report = central.merge(bundle)
    assert report.outcome == "imported"
    assert (report.new_revisions, report.known_revisions) == (3, 0)
    assert report.conflicts_opened == ()
    state = central.content_hash()

    again = central.merge(bundle)
    assert again.outcome == "already_imported"
    assert again.new_revisions == 0
    assert central.content_hash() == state
    assert [d.last_seq for d in central.devices()] == [3]
    assert central.review(records[0]).status == "received"


def test_an_old_bundle_after_a_new_one_changes_nothing(central: CentralStore) -> None:
    a = FakeDevice("Laptop A")
    enrol(central, a)
    record = uuid.uuid4()
    v1 = a.revision(record, {"q1": "a"})
    old = a.bundle([v1])
    new = a.bundle([v1, a.revision(record, {"q1": "b"}, parents=[v1.id])], seq_first=1)
    assert central.merge(new).new_revisions == 2
    state = central.content_hash()
    report = central.merge(old)
    # A different manifest whose revisions are all known: imported, nothing new.
    assert (report.new_revisions, report.known_revisions) == (0, 1)
    assert central.heads(record) == (new.revisions[1].id,)
    assert central.conflicts() == []
    assert central.content_hash() != ""
    # The bundle list grew (it is content), the records did not change.
    assert central.heads(record) == (new.revisions[1].id,)
    assert state != central.content_hash()  # the old bundle's manifest is now known


def four_overlapping_bundles() -> tuple[list[VerifiedBundle], FakeDevice, FakeDevice, dict[str, uuid.UUID]]:
    a, b = FakeDevice("Laptop A"), FakeDevice("Laptop B")
    r1, r2, r3, r4 = (uuid.uuid4() for _ in range(4))
    a_r1v1 = a.revision(r1, {"q1": "yes", "q2": "3"})
    a_r2v1 = a.revision(r2, {"q1": "no"})
    a_r4v1 = a.revision(r4, {"q1": "yes", "q2": "1"})
    a1 = a.bundle([a_r1v1, a_r2v1, a_r4v1])
    a_r1v2 = a.revision(r1, {"q1": "yes", "q2": "4"}, parents=[a_r1v1.id])
    a_r4v2 = a.revision(r4, {"q1": "yes", "q2": "2"}, parents=[a_r4v1.id])
    a2 = a.bundle([a_r2v1, a_r1v2, a_r4v2], seq_first=2)  # re-sends seq 2
    b_r3v1 = b.revision(r3, {"q1": "no"})
    b_r4x = b.revision(r4, {"q1": "no", "q2": "9"}, parents=[a_r4v1.id])
    b1 = b.bundle([b_r3v1, b_r4x])
    b_r1del = b.revision(r1, {}, parents=[a_r1v1.id], deleted=True)
    b2 = b.bundle([b_r4x, b_r1del], seq_first=2)
    return [a1, a2, b1, b2], a, b, {"r1": r1, "r2": r2, "r3": r3, "r4": r4}


def test_all_24_orders_give_the_same_store(make_central: MakeCentral) -> None:
    bundles, a, b, recs = four_overlapping_bundles()
    hashes = set()
    central = make_central()
    for order in itertools.permutations(range(4)):
        wipe(central)
        enrol(central, a, b)
        for i in order:
            assert central.merge(bundles[i]).outcome == "imported"
        hashes.add(central.content_hash())
    assert len(hashes) == 1
    # A separately created store agrees too.
    central = make_central()
    enrol(central, a, b)
    for bundle in bundles:
        central.merge(bundle)
    assert central.content_hash() in hashes
    conflicts = {c.record_id: c for c in central.conflicts()}
    assert set(conflicts) == {recs["r1"], recs["r4"]}
    assert conflicts[recs["r1"]].kind == "edit_beside_deletion"
    assert conflicts[recs["r4"]].kind == "heads"
    # The displayed winner of edit-beside-deletion is the edit.
    assert conflicts[recs["r1"]].winner == bundles[1].revisions[1].id
    assert all(not g.any for g in (central.device_gaps(a.id), central.device_gaps(b.id)))


def test_conflict_resolution_stays_resolved_after_reimport(central: CentralStore) -> None:
    bundles, a, b, recs = four_overlapping_bundles()
    enrol(central, a, b)
    opened: list[str] = []
    for bundle in bundles:
        opened.extend(central.merge(bundle).conflicts_opened)
    assert len(opened) == 2
    heads_conflict = next(c for c in central.conflicts() if c.record_id == recs["r4"])
    detail = central.conflict(heads_conflict.id[:12])
    assert len(detail.heads) == 2 and detail.differing_paths == ("q1", "q2")

    keep = bundles[1].revisions[2].id  # A's second version of r4
    resolved = central.resolve(heads_conflict.id, keep=keep, reason="A phoned the ward")
    assert resolved.status == "resolved" and resolved.reason == "A phoned the ward"
    (head,) = central.heads(recs["r4"])
    assert head == resolved.resolution
    resolution = central.conflict(heads_conflict.id).conflict
    assert resolution.status == "resolved"

    deletion = next(c for c in central.conflicts() if c.record_id == recs["r1"])
    central.resolve(deletion.id, merged={"q1": "yes", "q2": "5"}, reason="kept, corrected")
    assert central.conflicts() == []
    state = central.content_hash()

    for bundle in reversed(bundles):
        report = central.merge(bundle)
        assert report.outcome == "already_imported"
    # The same old branches in new bundles (new manifests): still resolved.
    a.prev_manifest = None
    report = central.merge(a.bundle(list(bundles[0].revisions) + list(bundles[1].revisions)))
    assert report.new_revisions == 0 and report.conflicts_opened == ()
    assert central.conflicts() == []
    assert central.heads(recs["r4"]) == (head,)
    assert state != central.content_hash()  # one more manifest known, nothing else

    # A genuinely new edit beside the resolution is a new conflict.
    late = a.revision(recs["r4"], {"q1": "yes", "q2": "7"}, parents=[keep])
    assert len(central.merge(a.bundle([late])).conflicts_opened) == 1


def test_resolution_refusals(central: CentralStore) -> None:
    from qi_capture.central.errors import ConflictNotOpen, InvalidResolution, RevisionNotAHead

    bundles, a, b, _ = four_overlapping_bundles()
    enrol(central, a, b)
    for bundle in bundles:
        central.merge(bundle)
    conflict = central.conflicts()[0]
    with pytest.raises(InvalidResolution):
        central.resolve(conflict.id, keep=conflict.heads[0], reason=" ")
    with pytest.raises(RevisionNotAHead):
        central.resolve(conflict.id, keep="f" * 64, reason="x")
    central.resolve(conflict.id, keep=conflict.heads[0], reason="x")
    with pytest.raises(ConflictNotOpen):
        central.resolve(conflict.id, keep=conflict.heads[0], reason="again")


def test_clone_alert_keeps_both_revisions(central: CentralStore) -> None:
    a = FakeDevice("Laptop A")
    enrol(central, a)
    r1, r2 = uuid.uuid4(), uuid.uuid4()
    first = a.bundle([a.revision(r1, {"q1": "a"})])
    # A restored copy of the laptop's database numbers its next revision 1 again.
    clone = a.bundle([a.revision(r2, {"q1": "b"}, seq=1)], chain=False)
    central.merge(first)
    report = central.merge(clone)
    assert report.outcome == "imported"
    (alert,) = report.clone_alerts
    assert alert.device_seq == 1
    assert set(alert.revisions) == {first.revisions[0].id, clone.revisions[0].id}
    assert central.clone_alerts(a.id) == [alert]
    assert central.heads(r1) and central.heads(r2)


def test_gap_in_sequence_and_chain_is_reported(central: CentralStore) -> None:
    a = FakeDevice("Laptop A")
    enrol(central, a)
    bundles = [a.bundle([a.revision(uuid.uuid4(), {"q": str(i)}) for i in range(2)])
               for _ in range(3)]
    central.merge(bundles[0])
    central.merge(bundles[2])
    gaps = central.device_gaps(a.id)
    assert [(r.first, r.last) for r in gaps.missing_seqs] == [(3, 4)]
    assert gaps.missing_manifests == (bundles[1].manifest_hash,)
    central.merge(bundles[1])
    assert not central.device_gaps(a.id).any


def test_unknown_device_is_quarantined_then_merged_after_enrolment(central: CentralStore) -> None:
    a = FakeDevice("Laptop A")
    bundle = a.bundle([a.revision(uuid.uuid4(), {"q1": "x"})])
    empty = central.content_hash()
    with pytest.raises(DeviceUnknown):
        central.merge(bundle)
    assert central.content_hash() == empty
    assert central.quarantine(data=b"encrypted bundle bytes", device_id=a.id,
                              fingerprint=a.fingerprint)
    assert not central.quarantine(data=b"encrypted bundle bytes", device_id=a.id,
                                  fingerprint=a.fingerprint)
    (waiting,) = central.quarantined()
    assert waiting.device_id == a.id
    (listed,) = central.devices()
    assert (listed.status, listed.quarantined) == ("unknown", 1)

    enrol(central, a)
    assert central.merge(bundle).new_revisions == 1
    central.release(waiting.file_sha256)
    assert central.quarantined() == []
    assert central.device(a.id).status == "enrolled"


def test_revoked_device_and_wrong_key_are_refused(central: CentralStore) -> None:
    a, impostor = FakeDevice("Laptop A"), FakeDevice("Impostor")
    enrol(central, a)
    central.merge(a.bundle([a.revision(uuid.uuid4(), {"q1": "x"})]))
    before = central.content_hash()
    forged = dataclasses.replace(
        impostor.bundle([impostor.revision(uuid.uuid4(), {"q1": "y"})]), device_id=a.id
    )
    with pytest.raises(DeviceKeyMismatch):
        central.merge(forged)
    central.revoke(a.id)
    before = central.content_hash()
    with pytest.raises(DeviceRevoked):
        central.merge(a.bundle([a.revision(uuid.uuid4(), {"q1": "z"})]))
    assert central.content_hash() == before
    assert central.device(a.id).status == "revoked"


def test_refusals_leave_the_store_unchanged(central: CentralStore) -> None:
    a, b = FakeDevice("Laptop A"), FakeDevice("Laptop B")
    enrol(central, a, b)
    before = central.content_hash()
    good = a.revision(uuid.uuid4(), {"q1": "x"})
    tampered = BundleRevision(good.id, good.canonical_json.replace('"x"', '"y"'))
    with pytest.raises(BundleRefused) as err:
        central.merge(a.bundle([a.revision(uuid.uuid4(), {}), tampered]))
    assert err.value.reason == "revision_hash"
    with pytest.raises(BundleRefused) as err:
        central.merge(a.bundle([b.revision(uuid.uuid4(), {"q1": "x"})]))
    assert err.value.reason == "revision_foreign_device"
    with pytest.raises(BundleRefused) as err:
        central.merge(a.bundle([a.revision(uuid.uuid4(), {"q1": "x"})], seq_first=90,
                               seq_last=99))
    assert err.value.reason == "revision_outside_range"
    assert central.content_hash() == before


def test_review_states_with_comments(central: CentralStore) -> None:
    from qi_capture.central.errors import InvalidReviewStatus, RecordNotFound

    a = FakeDevice("Laptop A")
    enrol(central, a)
    record = uuid.uuid4()
    central.merge(a.bundle([a.revision(record, {"q1": "x"})]))
    assert central.review(record).status == "received"
    central.set_review(record, "has_issues", "q2 missing")
    info = central.set_review(record, "approved", "fixed by phone")
    assert info.status == "approved"
    assert [c[2:] for c in info.comments] == [("has_issues", "q2 missing"),
                                               ("approved", "fixed by phone")]
    with pytest.raises(InvalidReviewStatus):
        central.set_review(record, "great")
    with pytest.raises(RecordNotFound):
        central.set_review(uuid.uuid4(), "approved")
    actions = [e.action for e in central.audit_log()]
    assert actions == ["enrol_device", "merge_bundle", "review", "review"]
