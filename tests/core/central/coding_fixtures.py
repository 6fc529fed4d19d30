"""A central store holding the built-in study with a few hand-written interviews, for
the thematic coding tests (every count in them is worked out by hand)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping

from sqlalchemy import update

from qi_capture.central import sql
from qi_capture.central.models import CentralRecordRow, CentralRevisionRow
from qi_capture.central.store import CentralStore
from qi_capture.services.admin.demo import (
    INTERVIEW,
    STUDY_ID,
    DemoRecord,
    insert_records,
    register_builtin,
)
from qi_capture.storage.canonical import JsonValue, canonical_json, revision_id

#: (role, footprint, consent to quotes, {field: text}) per interview.
INTERVIEWS: list[tuple[str, str, str, dict[str, str]]] = [
    ("medical_director", "north_west", "yes", {
        "approach/approach_overview": "Staff have no protected time #barrier",
        "approach/key_quote_approach": "We need time, not another method. #barrier",
        "what_works/works_example": "The sepsis work had a sponsor #enabler #example",
    }),
    ("medical_director", "north_west", "yes", {
        "approach/approach_overview": "Board sponsorship helped #enabler",
        "barriers/barriers_main": "Funding is year to year #barrier #funding",
    }),
    ("commissioner", "south_east", "no", {
        "approach/approach_overview": "Data analysts are hard to find #barrier",
        "approach/key_quote_approach": "Nobody can build the charts. #barrier",
    }),
    ("commissioner", "south_east", "yes", {
        "approach/approach_overview": "A London faculty of coaches #idea",
    }),
]


def answers(role: str, footprint: str, quotes: str,
            texts: Mapping[str, str]) -> dict[str, JsonValue]:
    out: dict[str, JsonValue] = {"consent": "yes", "consent_quotes": quotes,
                                 "participant/participant_role": role,
                                 "participant/footprint": footprint,
                                 "participant/org_name": "Somewhere NHS Trust"}
    out.update(texts)
    return out


def fill(central: CentralStore, rows: list[tuple[str, str, str, dict[str, str]]] | None = None,
         *, status: str = "approved") -> list[uuid.UUID]:
    versions = register_builtin(central)
    records = [DemoRecord(answers(*row), status, f"2026-02-0{i + 1}T10:00:00.000000Z")
               for i, row in enumerate(rows if rows is not None else INTERVIEWS)]
    return insert_records(central, STUDY_ID, INTERVIEW, versions[INTERVIEW], records)


def new_revision(central: CentralStore, record_id: uuid.UUID,
                 changes: Mapping[str, JsonValue]) -> str:
    """Give a record a new displayed revision with ``changes`` to its answers."""
    rec = sql.table(CentralRecordRow)
    rev = sql.table(CentralRevisionRow)
    with central.engine.begin() as conn:
        winner = conn.execute(
            rev.select().where(rev.c.id == conn.scalar(
                rec.select().with_only_columns(rec.c.winner).where(rec.c.id == record_id)))
        ).one()
        doc = json.loads(winner.canonical_json)
        doc["answers"].update(changes)
        doc["parents"] = [winner.id]
        doc["device_seq"] = winner.device_seq + 1000
        text = canonical_json(doc)
        rid = revision_id(text)
        conn.execute(rev.insert(), {
            "id": rid, "record_id": record_id, "device_id": winner.device_id,
            "device_seq": winner.device_seq + 1000, "parents_json": json.dumps([winner.id]),
            "kind": "edit", "deleted": False, "study_id": winner.study_id,
            "form_id": winner.form_id, "form_version": winner.form_version,
            "interviewer": winner.interviewer, "created": winner.created,
            "canonical_json": text})
        conn.execute(update(rec).where(rec.c.id == record_id)
                     .values(winner=rid, heads_json=json.dumps([rid])))
    return rid
