"""100,000 records export completely (no paging limit, no truncation): a generated store
(rows bulk-inserted, as merge would leave them) exported to CSV, row counts compared."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pandas as pd
import pytest

from qi_capture.central import sql
from qi_capture.central.models import CentralRecordRow, CentralReviewRow, CentralRevisionRow
from qi_capture.central.store import CentralStore
from qi_capture.export import export_form
from qi_capture.storage.canonical import canonical_json, revision_id
from qi_capture.storage.models import utcnow
from tests.core.central.conftest import PASSPHRASE
from tests.core.export.forms import FORM_ID, add_forms

RECORDS = 100_000


def generate(central: CentralStore, count: int) -> None:
    device = uuid.uuid4()
    now = utcnow()
    revs, recs, reviews = [], [], []
    for i in range(count):
        record = uuid.UUID(int=i + 1)
        doc = {"type": "qi-capture.revision", "schema": 1, "record_id": str(record),
               "form": {"study_id": "qi", "form_id": FORM_ID, "version": "2", "sha256": ""},
               "parents": [], "device_id": str(device), "device_seq": i + 1,
               "created": "2025-03-01T09:00:00.000000Z", "interviewer": "Jo",
               "instance_name": None,
               "answers": {"org": f"Trust {i}", "staff": str(i % 50), "method": "lean",
                           "barriers": "time", "team[1]/role": "Lead"}}
        text = canonical_json(doc)  # type: ignore[arg-type]
        rid = revision_id(text)
        revs.append({"id": rid, "record_id": record, "device_id": device, "device_seq": i + 1,
                     "parents_json": "[]", "kind": "edit", "deleted": False, "study_id": "qi",
                     "form_id": FORM_ID, "form_version": "2", "interviewer": "Jo",
                     "created": doc["created"], "canonical_json": text})
        recs.append({"id": record, "study_id": "qi", "form_id": FORM_ID,
                     "heads_json": json.dumps([rid]), "winner": rid, "in_conflict": False,
                     "deleted": False, "form_version": "2", "device_id": device,
                     "interviewer": "Jo", "submitted": doc["created"], "updated": doc["created"]})
        reviews.append({"record_id": record, "status": "received", "updated": now, "by": None})
    with central.engine.begin() as conn:
        for table, rows in ((CentralRevisionRow, revs), (CentralRecordRow, recs),
                            (CentralReviewRow, reviews)):
            for start in range(0, len(rows), 20_000):
                conn.execute(sql.table(table).insert(), rows[start:start + 20_000])


def test_paging_returns_every_record_once(central: CentralStore) -> None:
    """On both backends: pages by record id, small pages, nothing lost or repeated."""
    generate(central, 57)
    ids = [r.record_id for r in central.export_records(FORM_ID, batch=7)]
    assert len(ids) == len(set(ids)) == 57


@pytest.mark.slow
def test_100k_records_export_completely(admin_template: Path, tmp_path: Path) -> None:
    """On the default backend (SQLCipher); PostgreSQL pages the same query (above)."""
    shutil.copytree(admin_template, tmp_path / "admin")
    central = CentralStore.open(tmp_path / "admin", PASSPHRASE)
    generate(central, RECORDS)
    forms = add_forms(central)
    result = export_form(forms=forms, records=central.export_records(FORM_ID),
                         out_dir=tmp_path / "out", fmt="csv")
    assert result.report["included"] == RECORDS
    main = pd.read_csv(tmp_path / "out" / "exp.csv", encoding="utf-8-sig", usecols=["record_id",
                                                                             "staff"])
    team = pd.read_csv(tmp_path / "out" / "exp-team.csv", encoding="utf-8-sig", usecols=["record_id"])
    assert len(main) == RECORDS and main.record_id.nunique() == RECORDS
    assert len(team) == RECORDS
    assert main.staff.sum() == sum(i % 50 for i in range(RECORDS))
    central.close()
