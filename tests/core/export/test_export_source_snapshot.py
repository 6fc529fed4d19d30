"""The central store's export source reads one snapshot: records merged while an export
is part-way through its batches are not in it (on SQLite it reads from the driver's own
cursor, on PostgreSQL through a server-side cursor; both must hold the snapshot)."""

from __future__ import annotations

import uuid

from qi_capture.central.export_source import ExportSource
from qi_capture.central.store import CentralStore
from tests.core.central.helpers import FakeDevice
from tests.core.export.forms import FORM_ID, fill


def test_a_merge_during_the_read_is_wholly_out(central: CentralStore) -> None:
    fill(central)
    before = sorted(str(r.record_id) for r in central.export_records(FORM_ID))
    assert len(before) >= 3
    batches = ExportSource(central.engine, FORM_ID, batch=1).batches()
    seen = list(next(batches).record_ids)
    late = FakeDevice("Laptop L")
    central.enrol(late.id, name=late.name, fingerprint=late.fingerprint,
                  public_key=late.public_key)
    # The largest id: read after every other record, were it read at all.
    last = uuid.UUID("ffffffff-ffff-4fff-bfff-ffffffffffff")
    central.merge(late.bundle([late.revision(last, {"org": "Trust Late"},
                                             version="2", form_id=FORM_ID)]))
    for batch in batches:
        seen += batch.record_ids
    assert seen == before
    # Read again, the merged record is there.
    assert len(list(central.export_records(FORM_ID))) == len(before) + 1
