"""Thematic coding's tables in the central store: coders, codes, passages, codings and
memos (migration c0004), read and written on a caller's connection so that a change and
its audit entry commit together (`qi_capture.services.admin.coding` holds the logic).

Rows come back as SQLAlchemy Core rows (named tuples), never ORM objects; the service
turns them into frozen values. Audit entries hold guids and counts, never the words of a
passage or a memo.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, select, update

from qi_capture.central import sql
from qi_capture.central.models import (
    CentralCodeRow,
    CentralCoderRow,
    CentralCodingRow,
    CentralMemoRow,
    CentralPassageRow,
    CentralRecordRow,
    CentralReviewRow,
    CentralRevisionRow,
)
from qi_capture.storage.models import utcnow

#: A row as read: a Core row (named tuple) of any columns.
DbRow = Row[*tuple[Any, ...]]

CODER = sql.table(CentralCoderRow)
CODE = sql.table(CentralCodeRow)
PASSAGE = sql.table(CentralPassageRow)
CODING = sql.table(CentralCodingRow)
MEMO = sql.table(CentralMemoRow)
_REC = sql.table(CentralRecordRow)
_REV = sql.table(CentralRevisionRow)
_RV = sql.table(CentralReviewRow)

#: Columns of a coding as the service reads it: the coding, its passage, its coder's name.
CODING_COLUMNS = (
    CODING.c.guid, CODING.c.passage, PASSAGE.c.record_id, PASSAGE.c.field,
    PASSAGE.c.revision, PASSAGE.c.start, PASSAGE.c.end, PASSAGE.c.text, CODING.c.code,
    CODER.c.name.label("coder"), CODING.c.origin, CODING.c.confirmed, PASSAGE.c.flagged,
    PASSAGE.c.start_ms, PASSAGE.c.end_ms,
)


def audit(conn: Connection, actor: str, action: str, params: Mapping[str, Any]) -> None:
    sql.audit(conn, actor, action, dict(params), utcnow())


# -- coders ---------------------------------------------------------------------------------
def coder_guid(conn: Connection, name: str, *, create: bool = True) -> uuid.UUID | None:
    """The coder called ``name`` (made on first use when ``create``)."""
    found = conn.scalar(select(CODER.c.guid).where(CODER.c.name == name))
    if found is not None or not create:
        return found
    guid = uuid.uuid4()
    sql.insert_ignore(conn, CODER, [{"guid": guid, "name": name, "created": utcnow()}])
    return conn.scalar(select(CODER.c.guid).where(CODER.c.name == name))


def coders(conn: Connection) -> list[DbRow]:
    return list(conn.execute(select(CODER.c.guid, CODER.c.name).order_by(CODER.c.name)))


def add_coder(conn: Connection, guid: uuid.UUID, name: str) -> None:
    conn.execute(CODER.insert(), {"guid": guid, "name": name, "created": utcnow()})


# -- codes ----------------------------------------------------------------------------------
def codes(conn: Connection, study_id: str) -> list[DbRow]:
    return list(conn.execute(select(CODE).where(CODE.c.study_id == study_id)
                             .order_by(CODE.c.name, CODE.c.guid)))


def code(conn: Connection, guid: uuid.UUID) -> DbRow | None:
    return conn.execute(select(CODE).where(CODE.c.guid == guid)).one_or_none()


def code_counts(conn: Connection, study_id: str) -> dict[uuid.UUID, tuple[int, int]]:
    """Code -> (codings, interviews) over codings not undone (from one index)."""
    rows = conn.execute(
        select(CODING.c.code, func.count(), func.count(CODING.c.record_id.distinct()))
        .where(CODING.c.study_id == study_id, CODING.c.undone.is_(False))
        .group_by(CODING.c.code))
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def coder_names(conn: Connection, study_id: str) -> set[str]:
    """Names of the coders with a coding (not undone) in the study."""
    return {r[0] for r in conn.execute(
        select(CODER.c.name).where(select(CODING.c.guid).where(
            CODING.c.coder == CODER.c.guid, CODING.c.study_id == study_id,
            CODING.c.undone.is_(False)).exists()))}


def insert_code(conn: Connection, values: Mapping[str, Any]) -> None:
    conn.execute(CODE.insert(), {"created": utcnow(), **values})


def update_code(conn: Connection, guid: uuid.UUID, **values: Any) -> None:
    conn.execute(update(CODE).where(CODE.c.guid == guid).values(**values))


def move_codings(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> int:
    """Every coding of ``source`` to ``target``; a passage that had both keeps one per
    coder (the duplicate is deleted). Returns how many moved."""
    other = CODING.alias("other")
    dups = [r[0] for r in conn.execute(
        select(CODING.c.guid).where(
            CODING.c.code == source,
            select(other.c.guid).where(other.c.code == target,
                                       other.c.passage == CODING.c.passage,
                                       other.c.coder == CODING.c.coder).exists()))]
    for chunk in sql.chunks(dups):
        conn.execute(delete(CODING).where(CODING.c.guid.in_(chunk)))
    moved = conn.execute(update(CODING).where(CODING.c.code == source).values(code=target))
    return int(moved.rowcount or 0)


# -- passages and codings -------------------------------------------------------------------
def find_passage(conn: Connection, record_id: uuid.UUID, field: str, start: int,
                 end: int) -> DbRow | None:
    return conn.execute(select(PASSAGE).where(
        PASSAGE.c.record_id == record_id, PASSAGE.c.field == field,
        PASSAGE.c.start == start, PASSAGE.c.end == end)
        .order_by(PASSAGE.c.guid).limit(1)).one_or_none()


def find_audio_passage(conn: Connection, record_id: uuid.UUID, start_ms: int,
                       end_ms: int) -> DbRow | None:
    """The passage over that stretch of the record's recording, if one was coded."""
    return conn.execute(select(PASSAGE).where(
        PASSAGE.c.record_id == record_id, PASSAGE.c.start_ms == start_ms,
        PASSAGE.c.end_ms == end_ms)
        .order_by(PASSAGE.c.guid).limit(1)).one_or_none()


def passage(conn: Connection, guid: uuid.UUID) -> DbRow | None:
    return conn.execute(select(PASSAGE).where(PASSAGE.c.guid == guid)).one_or_none()


def insert_passages(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(PASSAGE.insert(), [dict(r) for r in rows])


def insert_codings(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        now = utcnow()
        conn.execute(CODING.insert(), [{"created": now, **r} for r in rows])


def codings_query(study_id: str, *, by_passage: bool = False) -> Any:
    """Codings not undone with their passage and coder. ``by_passage``: the caller
    narrows the passages (one record), so the study is tested on the passage and the
    planner walks from the passage index to the codings, never the study's codings."""
    study = PASSAGE.c.study_id == study_id if by_passage else CODING.c.study_id == study_id
    return (select(*CODING_COLUMNS)
            .select_from(PASSAGE if by_passage else CODING)
            .join(CODING if by_passage else PASSAGE, PASSAGE.c.guid == CODING.c.passage)
            .join(CODER, CODER.c.guid == CODING.c.coder)
            .where(study, CODING.c.undone.is_(False)))


def codings(conn: Connection, study_id: str, *, record_id: uuid.UUID | None = None,
            code: uuid.UUID | None = None, coders_named: Sequence[str] | None = None
            ) -> list[DbRow]:
    query = codings_query(study_id, by_passage=record_id is not None)
    if record_id is not None:
        query = query.where(PASSAGE.c.record_id == record_id)
    if code is not None:
        query = query.where(CODING.c.code == code)
    if coders_named is not None:
        query = query.where(CODER.c.name.in_(list(coders_named)))
    return list(conn.execute(query.order_by(PASSAGE.c.record_id, PASSAGE.c.field,
                                            PASSAGE.c.start, PASSAGE.c.start_ms,
                                            CODING.c.guid)))


def coding_row(conn: Connection, guid: uuid.UUID) -> DbRow | None:
    return conn.execute(select(CODING).where(CODING.c.guid == guid)).one_or_none()


def update_coding(conn: Connection, guid: uuid.UUID, **values: Any) -> None:
    conn.execute(update(CODING).where(CODING.c.guid == guid).values(**values))


def delete_coding(conn: Connection, guid: uuid.UUID) -> None:
    conn.execute(delete(CODING).where(CODING.c.guid == guid))


def coding_keys(conn: Connection, study_id: str
                ) -> tuple[set[uuid.UUID], set[uuid.UUID],
                           set[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]]:
    """(guids of the study's codings, undone ones too; guids of every coding in the
    store; (passage, code, coder) of the study's codings not undone)."""
    study: set[uuid.UUID] = set()
    keys: set[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = set()
    for r in conn.execute(select(CODING.c.guid, CODING.c.passage, CODING.c.code,
                                 CODING.c.coder, CODING.c.undone)
                          .where(CODING.c.study_id == study_id)):
        study.add(r[0])
        if not r[4]:
            keys.add((r[1], r[2], r[3]))
    everyone = {r[0] for r in conn.execute(select(CODING.c.guid))}
    return study, everyone, keys


def field_coding_keys(conn: Connection, study_id: str) -> set[tuple[uuid.UUID, str, uuid.UUID]]:
    """(record, field, code) of every coding from the field, undone ones too: seeding
    skips them."""
    rows = conn.execute(
        select(PASSAGE.c.record_id, PASSAGE.c.field, CODING.c.code)
        .join(PASSAGE, PASSAGE.c.guid == CODING.c.passage)
        .where(CODING.c.study_id == study_id, CODING.c.origin == "field"))
    return {(r[0], r[1], r[2]) for r in rows}


def stale_passages(conn: Connection, study_id: str) -> list[DbRow]:
    """Passages whose record's displayed revision is no longer the one they were coded
    on, with that revision's JSON."""
    return list(conn.execute(
        select(PASSAGE.c.guid, PASSAGE.c.record_id, PASSAGE.c.field, PASSAGE.c.start,
               PASSAGE.c.end, PASSAGE.c.text, PASSAGE.c.flagged, _REC.c.winner,
               _REV.c.canonical_json)
        .join(_REC, _REC.c.id == PASSAGE.c.record_id)
        .join(_REV, _REV.c.id == _REC.c.winner)
        .where(PASSAGE.c.study_id == study_id, PASSAGE.c.revision != _REC.c.winner,
               # A stretch of the recording has no words to follow: it stays put.
               PASSAGE.c.start_ms.is_(None))))


def update_passage(conn: Connection, guid: uuid.UUID, **values: Any) -> None:
    conn.execute(update(PASSAGE).where(PASSAGE.c.guid == guid).values(**values))


# -- memos ----------------------------------------------------------------------------------
def memos(conn: Connection, study_id: str) -> list[DbRow]:
    return list(conn.execute(
        select(MEMO.c.guid, MEMO.c.text, CODER.c.name.label("author"), MEMO.c.code,
               MEMO.c.passage, MEMO.c.updated)
        .join(CODER, CODER.c.guid == MEMO.c.author)
        .where(MEMO.c.study_id == study_id).order_by(MEMO.c.updated, MEMO.c.guid)))


def memo_of(conn: Connection, *, code: uuid.UUID | None = None,
            passage: uuid.UUID | None = None) -> DbRow | None:
    where = MEMO.c.code == code if code is not None else MEMO.c.passage == passage
    return conn.execute(select(MEMO).where(where)).first()


def set_memo(conn: Connection, values: Mapping[str, Any]) -> None:
    sql.upsert(conn, MEMO, [{"updated": utcnow(), **values}], ["guid"])


def delete_memo(conn: Connection, guid: uuid.UUID) -> None:
    conn.execute(delete(MEMO).where(MEMO.c.guid == guid))


# -- the interviews -------------------------------------------------------------------------
def interviews(conn: Connection, study_id: str, form_ids: Sequence[str],
               record_ids: Iterable[uuid.UUID] | None = None) -> Iterator[DbRow]:
    """The study's interview records not deleted: id, winner, review status, submitted,
    the winner's JSON; by submission time then id."""
    query = (select(_REC.c.id, _REC.c.winner, _RV.c.status, _REC.c.submitted,
                    _REV.c.canonical_json)
             .join(_REV, _REV.c.id == _REC.c.winner)
             .outerjoin(_RV, _RV.c.record_id == _REC.c.id)
             .where(_REC.c.study_id == study_id, _REC.c.form_id.in_(list(form_ids)),
                    _REC.c.deleted.is_(False))
             .order_by(_REC.c.submitted, _REC.c.id))
    if record_ids is not None:
        ids = list(record_ids)
        for chunk in sql.chunks(ids):
            yield from conn.execute(query.where(_REC.c.id.in_(chunk)))
        return
    yield from conn.execute(query)


def now() -> datetime:
    return utcnow()
