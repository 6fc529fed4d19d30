"""Erasure at the centre: a record's tombstone, and everything personal of it removed.

An erased record keeps only *erasure revisions* (revision documents with no answers,
``"deleted": true`` and ``"erasure": {"by", "reason", "origin"}``): the one a laptop
sent (`qi_capture.storage.erasure`) or the one the centre wrote (`erase_records`),
signed and merged like any revision. Their presence is what "erased" means here, so it
is a fact of the grow-only set like every other: whichever order the bundles of a
record and its erasure arrive in, `purge` (run by every merge that touches an erased
record, under the merge lock) leaves the same state: the other revisions, their
attachments, paradata, review notes, coded passages with their codings and memos are
deleted, and never stored again when an old bundle brings them back. Conflicts of the
record close (`qi_capture.central.merge.derive_records`).

Afterwards `compact` makes the deletion stick on disk: SQLCipher (``secure_delete`` is
on) checkpoints and truncates its WAL; PostgreSQL rewrites the touched tables
(``VACUUM FULL``) and checkpoints. What PostgreSQL cannot promise is said in
``docs/information-governance.md``: WAL segments already written keep the old rows until
the server recycles them, as do base backups and replicas.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, text, true, update
from sqlalchemy.exc import DBAPIError

from qi_capture.central import sql
from qi_capture.central.attachments import Attachments
from qi_capture.central.errors import ErasureRefused, RecordAlreadyErased, RecordNotFound
from qi_capture.central.models import (
    CentralAttachmentRow,
    CentralCodingRow,
    CentralDeviceRow,
    CentralExportChunkRow,
    CentralMemoRow,
    CentralParadataRow,
    CentralPassageRow,
    CentralRecordRow,
    CentralReviewCommentRow,
    CentralReviewRow,
    CentralRevisionRow,
)
from qi_capture.storage.canonical import JsonValue, canonical_json, revision_id
from qi_capture.storage.models import utcnow

_REVISION = sql.table(CentralRevisionRow)
_RECORD = sql.table(CentralRecordRow)
#: An erasure revision: a deletion whose canonical JSON has the top-level ``erasure``
#: object (keys are sorted, so it follows ``device_seq``; inside an answer the quotes
#: would be escaped). A deletion without it (a resolution's) is not an erasure.
# "deleted = true", not "IS TRUE": PostgreSQL reads only the former from an index.
_ERASURE = (_REVISION.c.deleted == true()) & \
    _REVISION.c.canonical_json.contains(',"erasure":{"by":')
MAX_REASON_CHARS = 500

#: The tables an erasure deletes from (what `compact` rewrites on PostgreSQL).
TOUCHED_TABLES = (
    "central_revision", "central_attachment", "central_paradata",
    "central_review", "central_review_comment", "central_passage", "central_coding",
    "central_memo", "central_record", "central_export_chunk",
)


@dataclass(frozen=True, slots=True)
class Tombstone:
    """What is left of an erased record: no answers, no respondent's name."""

    record_id: uuid.UUID
    study_id: str
    form_id: str
    erased_at: str
    by: str
    reason: str
    origin: str
    revision_id: str
    device_id: uuid.UUID


def erased_among(conn: Connection, record_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The records of ``record_ids`` that have an erasure revision."""
    found: set[uuid.UUID] = set()
    for chunk in sql.chunks(sorted(set(record_ids))):
        found.update(
            uuid.UUID(str(r)) for r in conn.scalars(
                select(_REVISION.c.record_id).distinct()
                .where(_REVISION.c.record_id.in_(chunk), _ERASURE)
            )
        )
    return found


def erasure_ids(conn: Connection, record_ids: Iterable[uuid.UUID]) -> set[str]:
    """The ids of the erasure revisions of ``record_ids``."""
    found: set[str] = set()
    for chunk in sql.chunks(sorted(set(record_ids))):
        found.update(
            conn.scalars(select(_REVISION.c.id).where(_REVISION.c.record_id.in_(chunk), _ERASURE))
        )
    return found


def purge(conn: Connection, record_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """Delete everything personal of these (erased) records but their erasure revisions.
    Idempotent; call under `sql.lock_merges`, before `derive_records`. Returns the ids of
    the attachments whose rows (and keys) went: the caller removes their files once the
    transaction has committed (`Attachments.remove_files`)."""
    removed: list[uuid.UUID] = []
    for chunk in sql.chunks(sorted(set(record_ids))):
        conn.execute(delete(_REVISION).where(_REVISION.c.record_id.in_(chunk), ~_ERASURE))
        for record_id in chunk:
            removed += _erase_attachments(conn, record_id)
        for model in (CentralParadataRow, CentralReviewCommentRow, CentralReviewRow):
            t = sql.table(model)
            conn.execute(delete(t).where(t.c.record_id.in_(chunk)))
        passage = sql.table(CentralPassageRow)
        passages = list(conn.scalars(select(passage.c.guid).where(passage.c.record_id.in_(chunk))))
        for part in sql.chunks(passages):
            memo, coding = sql.table(CentralMemoRow), sql.table(CentralCodingRow)
            conn.execute(delete(memo).where(memo.c.passage.in_(part)))
            conn.execute(delete(coding).where(coding.c.passage.in_(part)))
            conn.execute(delete(passage).where(passage.c.guid.in_(part)))
    # Export-ready copies hold the answers too: every one goes (erasure is rare; the
    # next export of each form builds its copies again).
    if record_ids:
        conn.execute(delete(sql.table(CentralExportChunkRow)))
    return removed


def purge_if_allowed(conn: Connection, record_ids: Sequence[uuid.UUID]) -> list[uuid.UUID] | None:
    """`purge`, unless the connection's role may not delete (a PostgreSQL merge role,
    `qi_capture.central.postgres.create_merge_role`): then nothing is purged, the
    erasure revisions still make the records tombstones (listings and exports leave
    them out), and the owner's next ``qi-capture erase`` or ``retention`` run finishes
    the job (`purge_pending`). Returns `purge`'s attachment ids, None when it could not
    purge."""
    if conn.dialect.name != "postgresql":
        return purge(conn, record_ids)
    try:
        with conn.begin_nested():
            return purge(conn, record_ids)
    except DBAPIError as exc:
        if "permission denied" not in str(exc.orig):
            raise
        return None


def purge_pending(engine: Engine, attachments: Attachments | None = None) -> int:
    """Purge every erased record (what a merge role could not), removing their
    attachment files through ``attachments``; returns how many erased records there
    are. Idempotent."""
    with engine.begin() as conn:
        sql.lock_merges(conn)
        erased = sorted(uuid.UUID(str(r)) for r in conn.scalars(
            select(_REVISION.c.record_id).distinct().where(_ERASURE)))
        removed = purge(conn, erased)
    if attachments is not None:
        attachments.remove_files(removed)
    return len(erased)


def _erase_attachments(conn: Connection, record_id: uuid.UUID) -> list[uuid.UUID]:
    """Delete a record's attachment rows, and with them the keys of their encrypted files
    (`qi_capture.central.attachments`): from the commit on the files cannot be read; the
    caller unlinks them then. Returns their ids."""
    att = sql.table(CentralAttachmentRow)
    ids = [uuid.UUID(str(i)) for i in
           conn.scalars(select(att.c.id).where(att.c.record_id == record_id))]
    for part in sql.chunks(ids):
        conn.execute(delete(att).where(att.c.id.in_(part)))
    return ids


def erase_records(
    engine: Engine,
    record_ids: Sequence[uuid.UUID],
    *,
    reason: str,
    actor: str,
    action: str = "erase_record",
    now: datetime | None = None,
    attachments: Attachments | None = None,
) -> list[Tombstone]:
    """Erase records at the centre in one transaction: an erasure revision each (by the
    central device, parents: the record's heads), then `purge` and the records derived
    again; audited (ids only). Raises `ErasureRefused` (no reason), `RecordNotFound` or
    `RecordAlreadyErased`; nothing is erased then. Call `compact` after."""
    # Here, not at the top: the merge (which devices imports) imports this module.
    from qi_capture.central.devices import CENTRAL_DEVICE_ID
    from qi_capture.central.merge import REVISION_TYPE, derive_records, parse_revision

    reason = " ".join(reason.split())[:MAX_REASON_CHARS]
    if not reason:
        raise ErasureRefused("an erasure needs a reason (do not write the person's name in it)")
    moment = now or utcnow()
    wanted = sorted(set(record_ids))
    revision_ids: list[str] = []
    with engine.begin() as conn:
        sql.lock_merges(conn)
        dev = sql.table(CentralDeviceRow)
        seq = int(conn.scalar(select(dev.c.last_seq).where(dev.c.id == CENTRAL_DEVICE_ID)) or 0)
        for record_id in wanted:
            row = conn.execute(select(_RECORD.c.heads_json, _RECORD.c.winner, _RECORD.c.deleted)
                               .where(_RECORD.c.id == record_id)).one_or_none()
            if row is None:
                raise RecordNotFound(str(record_id))
            if erased_among(conn, [record_id]):
                raise RecordAlreadyErased(str(record_id))
            base = json.loads(conn.scalar(select(_REVISION.c.canonical_json)
                                          .where(_REVISION.c.id == row.winner)) or "{}")
            seq += 1
            document: dict[str, JsonValue] = {
                "type": REVISION_TYPE,
                "schema": 1,
                "record_id": str(record_id),
                "form": base["form"],
                "parents": list[JsonValue](sql.json_list(row.heads_json)),
                "device_id": str(CENTRAL_DEVICE_ID),
                "device_seq": seq,
                "created": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "interviewer": base.get("interviewer"),
                "instance_name": None,
                "answers": {},
                "deleted": True,
                "erasure": {"by": actor, "reason": reason, "origin": "centre"},
            }
            canonical = canonical_json(document)
            parsed = parse_revision(revision_id(canonical), canonical)
            sql.insert_ignore(conn, _REVISION, [parsed.row()])
            revision_ids.append(parsed.id)
        conn.execute(update(dev).where(dev.c.id == CENTRAL_DEVICE_ID).values(last_seq=seq))
        removed = purge(conn, wanted)
        derive_records(conn, wanted, moment)
        for record_id, rev in zip(wanted, revision_ids, strict=True):
            sql.audit(conn, actor, action,
                      {"record_id": str(record_id), "erasure_revision": rev}, moment)
    if attachments is not None:  # the keys went with the commit; now the files
        attachments.remove_files(removed)
    found = {t.record_id: t for t in tombstones(engine, record_ids=wanted)}
    return [found[r] for r in wanted if r in found]


def tombstones(
    engine: Engine,
    *,
    study_id: str | None = None,
    record_ids: Sequence[uuid.UUID] | None = None,
) -> list[Tombstone]:
    """The erased records (of a study, or these), oldest erasure first; a record erased
    twice (at the centre and on its laptop) is listed once, by its first erasure."""
    query = select(
        _REVISION.c.record_id,
        _REVISION.c.study_id,
        _REVISION.c.form_id,
        _REVISION.c.created,
        _REVISION.c.id,
        _REVISION.c.device_id,
        _REVISION.c.canonical_json,
    ).where(_ERASURE)
    if study_id is not None:
        query = query.where(_REVISION.c.study_id == study_id)
    rows: list[Any] = []
    with engine.connect() as conn:
        if record_ids is None:
            rows = list(conn.execute(query))
        else:
            for chunk in sql.chunks(sorted(set(record_ids))):
                rows.extend(conn.execute(query.where(_REVISION.c.record_id.in_(chunk))))
    first: dict[uuid.UUID, Tombstone] = {}
    for r in sorted(rows, key=lambda r: (r.created, r.id)):
        erasure = json.loads(r.canonical_json).get("erasure")
        if not isinstance(erasure, dict):
            continue  # a deletion that is not an erasure (none are written today)
        rid = uuid.UUID(str(r.record_id))
        first.setdefault(
            rid,
            Tombstone(
                rid,
                r.study_id,
                r.form_id,
                r.created,
                str(erasure.get("by") or ""),
                str(erasure.get("reason") or ""),
                str(erasure.get("origin") or ""),
                r.id,
                uuid.UUID(str(r.device_id)),
            ),
        )
    return sorted(first.values(), key=lambda t: (t.erased_at, str(t.record_id)))


def erased_record_ids(engine: Engine, study_id: str) -> list[str]:
    """The ids of a study's erased records (what acknowledgements carry)."""
    with engine.connect() as conn:
        return sorted(
            str(r)
            for r in conn.scalars(
                select(_REVISION.c.record_id)
                .distinct()
                .where(_ERASURE, _REVISION.c.study_id == study_id)
            )
        )


def compact(engine: Engine) -> None:
    """Make deletions stick on disk (see the module docstring). PostgreSQL's
    ``CHECKPOINT`` needs a superuser or ``pg_checkpoint``; without it the server's own
    next checkpoint does the same a few minutes later."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for name in TOUCHED_TABLES:
                conn.execute(text(f"VACUUM FULL {name}"))
            with contextlib.suppress(DBAPIError):  # a role without the right: said above
                conn.execute(text("CHECKPOINT"))
        return
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        raw.close()


def record_ids(
    engine: Engine,
    *,
    study_id: str | None = None,
    device_id: uuid.UUID | None = None,
    interviewer: str | None = None,
) -> list[uuid.UUID]:
    """The records not erased (of a study, a laptop's, an interviewer's), by id: what a
    bulk erasure or the retention run would erase."""
    query = select(_RECORD.c.id)
    if study_id is not None:
        query = query.where(_RECORD.c.study_id == study_id)
    if device_id is not None:
        query = query.where(_RECORD.c.device_id == device_id)
    if interviewer is not None:
        query = query.where(_RECORD.c.interviewer == interviewer)
    with engine.connect() as conn:
        found = sorted(uuid.UUID(str(r)) for r in conn.scalars(query))
        erased = erased_among(conn, found)
    return [r for r in found if r not in erased]
