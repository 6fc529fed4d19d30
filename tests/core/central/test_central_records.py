"""The records listing the admin door pages through, on both backends: pages that
do not overlap and add up to the total, filters (review status, device, deleted), a text
search over values (not question names), id prefixes as UUID ranges, revisions and
device renaming."""

from __future__ import annotations

import uuid

from qi_capture.central.store import CentralStore
from tests.core.central.helpers import FakeDevice


def _fill(central: CentralStore) -> tuple[FakeDevice, FakeDevice, list[uuid.UUID]]:
    a, b = FakeDevice("Laptop A"), FakeDevice("Laptop B")
    for d in (a, b):
        central.enrol(d.id, name=d.name, fingerprint=d.fingerprint, public_key=d.public_key)
    ids = [uuid.UUID(f"abcd{i:04x}-0000-4000-8000-000000000000") for i in range(5)]
    central.merge(a.bundle([a.revision(r, {"org": f"Trust {i}", "staff": i})
                            for i, r in enumerate(ids[:3])]))
    central.merge(b.bundle([b.revision(r, {"org": f"Hôpital {i}"})
                            for i, r in enumerate(ids[3:])]))
    return a, b, ids


def test_pages_filters_and_search(central: CentralStore) -> None:
    a, b, ids = _fill(central)
    first, total = central.records("baseline", limit=2)
    second, _ = central.records("baseline", offset=2, limit=2)
    third, _ = central.records("baseline", offset=4, limit=2)
    assert total == 5 and [len(first), len(second), len(third)] == [2, 2, 1]
    assert {r.record_id for r in first + second + third} == set(ids)

    central.set_review(ids[1], "approved")
    approved, count = central.records("baseline", status="approved")
    assert count == 1 and [r.record_id for r in approved] == [ids[1]]
    assert approved[0].review_status == "approved"
    received, count = central.records("baseline", status="received")
    assert count == 4 and ids[1] not in {r.record_id for r in received}

    mine, count = central.records("baseline", device_id=b.id)
    assert count == 2 and {r.record_id for r in mine} == set(ids[3:])

    found, count = central.records("baseline", search="hÔpital 1")
    assert count == 1 and found[0].record_id == ids[4]
    # A question's name is in every revision's JSON, but not among its values.
    assert central.records("baseline", search="org")[1] == 0
    assert central.records("baseline", search="laptop b")[1] == 2  # the interviewer
    # Searching pages too.
    page, count = central.records("baseline", search="trust", offset=1, limit=1)
    assert count == 3 and len(page) == 1

    # Deleted records are left out unless asked for.
    central.merge(a.bundle([a.revision(ids[0], {}, parents=[first[0].winner], deleted=True)]))
    assert central.records("baseline")[1] == 4
    assert central.records("baseline", deleted=True)[1] == 5


def test_prefixes_revisions_and_rename(central: CentralStore) -> None:
    a, _b, ids = _fill(central)
    matched, count = central.record_ids_with_prefix("abcd")
    assert count == 5 and len(matched) == 2
    assert central.record_ids_with_prefix("abcd0002") == ([ids[2]], 1)
    assert central.record_ids_with_prefix("ffff") == ([], 0)

    listing = central.record_listing(ids[0])
    edit = a.revision(ids[0], {"org": "Trust 0", "staff": 7}, parents=[listing.winner])
    central.merge(a.bundle([edit]))
    history = central.record_revisions(ids[0])
    assert [r.id for r in history] == [listing.winner, edit.id]
    assert history[1].parents == (listing.winner,)

    renamed = central.rename_device(a.id, "Ward 3 laptop")
    assert renamed.name == "Ward 3 laptop" and central.device(a.id).name == "Ward 3 laptop"
    assert central.audit_log()[-1].action == "rename_device"
    assert "Ward 3" not in str(central.audit_log()[-1].params)
