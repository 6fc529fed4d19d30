"""The central store's export source hands out what each record's winner holds: on SQLite
each batch is joined into one JSON text by SQLite and decoded in one call, and a batch
that call will not read exactly (a float, a nested value, an integer past 64 bits) is
read again row by row. Either way the batches must equal what reading every record's
winner one at a time gives: ids, flags, review states, answers and their types, in
record-id order, whatever the batch size."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from qi_capture.central import sql
from qi_capture.central.dto import ExportBatch
from qi_capture.central.export_source import ExportSource, answers_of
from qi_capture.central.models import CentralRecordRow, CentralRevisionRow
from qi_capture.central.store import CentralStore
from tests.core.central.helpers import FakeDevice
from tests.core.export.forms import FORM_ID, fill


def _odd(central: CentralStore) -> None:
    """Records whose answers the one-call read refuses, among plain ones."""
    b = FakeDevice("Laptop B")
    central.enrol(b.id, name=b.name, fingerprint=b.fingerprint, public_key=b.public_key)
    answers: list[dict[str, object]] = [
        {"org": "Float", "staff": 1.5},
        {"org": "Huge", "staff": 2**70},
        {"org": "Nested", "team[1]/role": {"x": [1, 2.0]}},
        {"org": "Quote \" and \\ and \u2028 and 🏥", "staff": None, "flag": True},
        {"org": "Plain", "staff": "7"},
    ]
    ids = [uuid.UUID(int=(i + 1) << 64) for i in range(len(answers))]
    central.merge(b.bundle([b.revision(r, a, version="2", form_id=FORM_ID)  # type: ignore[arg-type]
                            for r, a in zip(ids, answers, strict=True)]))


def _expected(central: CentralStore) -> list[tuple[str, str, bool, dict[str, object]]]:
    record, revision = sql.table(CentralRecordRow), sql.table(CentralRevisionRow)
    with central.engine.connect() as conn:
        rows = conn.execute(
            select(record.c.id, record.c.winner, record.c.deleted, revision.c.canonical_json)
            .join(revision, revision.c.id == record.c.winner)
            .where(record.c.form_id == FORM_ID)).all()
    return sorted((str(r[0]), r[1], bool(r[2]), answers_of(r[3])) for r in rows)


def _read(batches: list[ExportBatch]) -> list[tuple[str, str, bool, dict[str, object]]]:
    return [(b.record_ids[i], b.revision_ids[i], b.deleted[i], b.answers[i])
            for b in batches for i in range(len(b))]


@pytest.mark.parametrize("batch", [1, 2, 3, 4, 1000])
def test_batches_hold_what_each_winner_holds(central: CentralStore, batch: int,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    fill(central)
    _odd(central)
    expected = _expected(central)
    assert len(expected) == 9
    row_by_row: list[object] = []
    original = ExportSource._sqlite_rows

    def spy(self: ExportSource, *args: object, **kwargs: object) -> object:
        row_by_row.append(args)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ExportSource, "_sqlite_rows", spy)
    batches = list(ExportSource(central.engine, FORM_ID, batch=batch).batches())
    read = _read(batches)
    assert read == expected
    # Types too: an integer stays an integer (past 64 bits), a float a float.
    assert [[type(v) for v in a[3].values()] for a in read] == \
        [[type(v) for v in e[3].values()] for e in expected]
    assert all(len(b) <= batch for b in batches)
    if central.engine.dialect.name == "sqlite":
        # The batches with a float or a nested value were read again row by row; the
        # others in one call each.
        assert len(row_by_row) >= 1
        assert len(row_by_row) < len(batches) or len(batches) == 1
