"""Keyset paging of the records listing (the admin's records table over 100,000
records): each page starts past the (submitted, id) of the last row of the page before,
so pages never overlap or skip a record, even when many records share a submission
time, in both orders, with filters and with a text search; counted once, apart."""

from __future__ import annotations

import uuid

import pytest

from qi_capture.central.dto import RecordListing
from qi_capture.central.store import CentralStore
from tests.core.central.helpers import FakeDevice

FORM = "baseline"


def _fill(central: CentralStore) -> tuple[list[FakeDevice], list[uuid.UUID]]:
    """Three laptops, seven records each: the laptops' clocks run alike, so every
    submission time is shared by three records (from different laptops)."""
    devices = [FakeDevice(f"Laptop {c}") for c in "ABC"]
    ids: list[uuid.UUID] = []
    for d in devices:
        central.enrol(d.id, name=d.name, fingerprint=d.fingerprint, public_key=d.public_key)
        mine = [uuid.uuid4() for _ in range(7)]
        central.merge(d.bundle([d.revision(r, {"org": f"Site {d.name[-1]}{i}"})
                                for i, r in enumerate(mine)]))
        ids += mine
    return devices, ids


def _walk(central: CentralStore, page: int, **filters: object) -> list[RecordListing]:
    """Every page of the listing, each asked for past the last row of the one before."""
    out: list[RecordListing] = []
    after: tuple[str, uuid.UUID] | None = None
    while True:
        rows, total = central.records(FORM, limit=page, after=after, count=False,
                                      **filters)  # type: ignore[arg-type]
        assert total is None  # not counted: the table counts once per query
        out += rows
        if len(rows) < page:
            return out
        after = (rows[-1].submitted, rows[-1].record_id)


def _key(r: RecordListing) -> tuple[str, str]:
    return (r.submitted, r.record_id.hex)


@pytest.mark.parametrize("page", [1, 2, 3, 5, 21, 50])
def test_pages_keep_the_order_across_equal_submission_times(central: CentralStore,
                                                            page: int) -> None:
    _devices, ids = _fill(central)
    whole, total = central.records(FORM)
    assert total == 21 and len({r.submitted for r in whole}) == 7
    walked = _walk(central, page)
    assert [r.record_id for r in walked] == [r.record_id for r in whole]
    assert [_key(r) for r in walked] == sorted(_key(r) for r in walked)
    assert sorted(r.record_id for r in walked) == sorted(ids)


@pytest.mark.parametrize("page", [1, 4])
def test_newest_first_pages_go_backwards(central: CentralStore, page: int) -> None:
    _fill(central)
    oldest_first = [r.record_id for r in _walk(central, page)]
    newest_first = _walk(central, page, newest_first=True)
    assert [r.record_id for r in newest_first] == oldest_first[::-1]
    assert [_key(r) for r in newest_first] == sorted((_key(r) for r in newest_first),
                                                     reverse=True)


def test_filters_and_search_page_past_the_cursor(central: CentralStore) -> None:
    devices, ids = _fill(central)
    for record_id in ids[::3]:
        central.set_review(record_id, "approved")
    head = next(r.winner for r in central.records(FORM)[0] if r.record_id == ids[1])
    central.merge(devices[0].bundle([devices[0].revision(ids[1], {}, parents=[head],
                                                         deleted=True)]))

    cases: list[dict[str, object]] = [
        {"status": "approved"},
        {"status": "received", "newest_first": True},
        {"device_id": devices[1].id},
        {"deleted": True},
        {"search": "site b"},
        {"search": "site", "status": "approved", "newest_first": True},
    ]
    for filters in cases:
        whole, total = central.records(FORM, **filters)  # type: ignore[arg-type]
        assert total == len(whole) > 0, filters
        assert central.count_records(FORM, **{  # type: ignore[arg-type]
            k: v for k, v in filters.items() if k != "newest_first"}) == total
        for page in (1, 2, 5):
            walked = _walk(central, page, **filters)
            assert [r.record_id for r in walked] == [r.record_id for r in whole], (
                filters, page)
    assert central.records(FORM)[1] == 20  # the deleted one left out
    assert central.records(FORM, deleted=True)[1] == 21


def test_a_cursor_with_an_offset_and_a_count(central: CentralStore) -> None:
    _fill(central)
    whole, _ = central.records(FORM)
    cursor = (whole[4].submitted, whole[4].record_id)
    rows, total = central.records(FORM, after=cursor, offset=2, limit=3)
    assert [r.record_id for r in rows] == [r.record_id for r in whole[7:10]]
    assert total == 21  # counted over the whole query, not past the cursor
    found, counted = central.records(FORM, search="site c", after=cursor, limit=2)
    assert counted == 7 and all(r.record_id in {w.record_id for w in whole[5:]}
                                for r in found)


def test_instance_names_are_read_as_the_winner_holds_them(central: CentralStore) -> None:
    """The listing reads each winner's instance name from its stored document (on
    SQLite inside the database): text as written, whatever its characters; an empty
    one, or none, is no name (a merge refuses any other type)."""
    device = FakeDevice("Laptop N")
    central.enrol(device.id, name=device.name, fingerprint=device.fingerprint,
                  public_key=device.public_key)
    names: list[str | None] = ["Guy's – ward 7 \"east\" 🏥 漢字", "a\\b\u00e9\t\n/", "",
                               None, " "]
    ids = [uuid.UUID(int=i + 1) for i in range(len(names))]
    central.merge(device.bundle([device.revision(r, {"org": "x"}, instance_name=n)
                                 for r, n in zip(ids, names, strict=True)]))
    for page in (1, 3, 50):
        read = {r.record_id: r.instance_name for r in _walk(central, page)}
        assert read == {r: n or None for r, n in zip(ids, names, strict=True)}
