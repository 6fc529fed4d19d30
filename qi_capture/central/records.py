"""Reading a form's records for people: a paged, filtered listing (the admin's records
table, which may hold 100,000 rows, so it is fetched a page at a time), a record's
revision history and its attachments' descriptions.

Ids may be given as prefixes of their hex digits: `uuid_range` turns a prefix into the
closed range of UUIDs it covers, which compares the same way on SQLite (32 hex digits
as text) and PostgreSQL (the ``uuid`` type, ordered by its bytes).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Select, and_, func, literal, or_, select, tuple_

from qi_capture.central import sql
from qi_capture.central.dto import AttachmentMeta, RecordListing, RevisionSummary
from qi_capture.central.models import (
    CentralAttachmentRow,
    CentralFormRow,
    CentralRecordRow,
    CentralReviewRow,
    CentralRevisionRow,
)

_RECORD = sql.table(CentralRecordRow)
_REVISION = sql.table(CentralRevisionRow)
_REVIEW = sql.table(CentralReviewRow)
_ATTACHMENT = sql.table(CentralAttachmentRow)
_FORM = sql.table(CentralFormRow)

#: What a listing row reads, in the positions `_listing` takes them from.
_COLUMNS = (
    _RECORD.c.id,
    _RECORD.c.form_id,
    _RECORD.c.form_version,
    _RECORD.c.device_id,
    _RECORD.c.interviewer,
    func.coalesce(_REVIEW.c.status, "received"),
    _RECORD.c.submitted,
    _RECORD.c.updated,
    _RECORD.c.in_conflict,
    _RECORD.c.deleted,
    _RECORD.c.winner,
    _REVISION.c.canonical_json,
)
_SIEVE_RUN = re.compile(r"[ !#-\[\]-~]+")
#: Rows read per query when a text search has to look inside the answers.
_SEARCH_BATCH = 2_000


def uuid_range(hex_prefix: str) -> tuple[uuid.UUID, uuid.UUID]:
    """The lowest and highest UUID starting with ``hex_prefix`` (lower-case hex, 1-32)."""
    return (uuid.UUID(hex_prefix.ljust(32, "0")), uuid.UUID(hex_prefix.ljust(32, "f")))


def record_ids_with_prefix(
    engine: Engine, hex_prefix: str, limit: int = 2
) -> tuple[list[uuid.UUID], int]:
    """Up to ``limit`` record ids starting with ``hex_prefix``, and how many there are."""
    low, high = uuid_range(hex_prefix)
    where = and_(_RECORD.c.id >= low, _RECORD.c.id <= high)
    with engine.connect() as conn:
        count = int(conn.scalar(select(func.count()).select_from(_RECORD).where(where)) or 0)
        ids = list(
            conn.scalars(select(_RECORD.c.id).where(where).order_by(_RECORD.c.id).limit(limit))
        )
    return ids, count


def _filtered(
    query: Select[Any],
    form_id: str,
    *,
    status: str | None,
    device_id: uuid.UUID | None,
    deleted: bool,
    joined: bool = False,
) -> Select[Any]:
    query = query.where(_RECORD.c.form_id == form_id)
    if status is not None or joined:
        # Only when its status is needed: the join costs as much as the rest together.
        query = query.outerjoin(_REVIEW, _REVIEW.c.record_id == _RECORD.c.id)
    if status is not None:
        query = query.where(func.coalesce(_REVIEW.c.status, "received") == status)
    if device_id is not None:
        query = query.where(_RECORD.c.device_id == device_id)
    if not deleted:
        query = query.where(_RECORD.c.deleted.is_(False))
    return query


def _listing_query(
    form_id: str,
    *,
    status: str | None,
    device_id: uuid.UUID | None,
    deleted: bool,
    search: str | None,
    answer: tuple[str, str] | None = None,
) -> Select[Any]:
    query = _filtered(
        select(*_COLUMNS).select_from(_RECORD).join(_REVISION, _REVISION.c.id == _RECORD.c.winner),
        form_id, status=status, device_id=device_id, deleted=deleted, joined=True,
    )
    sieve = _sieve(search or "")
    if sieve:
        # A first sieve in SQL (the winner's canonical JSON holds the instance name and
        # every answer); `_matches` then looks at the values only, so a search for a
        # question's name does not match every record.
        pattern = "%" + _escape(sieve) + "%"
        query = query.where(or_(_REVISION.c.canonical_json.ilike(pattern, escape="\\"),
                                _RECORD.c.interviewer.ilike(pattern, escape="\\")))
    if answer is not None:
        # Canonical JSON is compact with sorted keys: the answer's key is spelled
        # '"path":' and its value follows; `_answer_matches` then checks the value.
        path, value = answer
        key = json.dumps(path, ensure_ascii=False) + ":"
        query = query.where(_REVISION.c.canonical_json.like("%" + _escape(key) + "%", escape="\\"))
        value_sieve = _sieve(value)
        if value_sieve:
            query = query.where(
                _REVISION.c.canonical_json.like("%" + _escape(value_sieve) + "%", escape="\\"))
    return query


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sieve(search: str) -> str:
    """The longest run of the search that SQL can look for case-insensitively on both
    backends, as it is spelled inside the JSON: printable ASCII (SQLite folds the case of
    ASCII letters only) without the quote and backslash JSON escapes. "" if none."""
    runs = _SIEVE_RUN.findall(search)
    return max(runs, key=len) if runs else ""


def _listing(r: Any, doc: dict[str, Any]) -> RecordListing:
    name = doc.get("instance_name")
    return RecordListing(
        record_id=r[0], form_id=r[1], form_version=r[2], device_id=r[3], interviewer=r[4],
        instance_name=name if isinstance(name, str) and name else None,
        review_status=r[5], submitted=r[6], updated=r[7], in_conflict=bool(r[8]),
        deleted=bool(r[9]), winner=r[10],
    )


def _matches(doc: dict[str, Any], interviewer: str, needle: str) -> bool:
    texts = [interviewer, str(doc.get("instance_name") or "")]
    answers = doc.get("answers")
    if isinstance(answers, dict):
        texts.extend(str(v) for v in answers.values())
    return any(needle in t.casefold() for t in texts)


def _answer_matches(doc: dict[str, Any], path: str, value: str) -> bool:
    """The stored answer at ``path`` is ``value``, or (a multiple choice, stored as its
    choice names separated by spaces) holds it."""
    answers = doc.get("answers")
    stored = answers.get(path) if isinstance(answers, dict) else None
    if stored is None:
        return False
    text = stored if isinstance(stored, str) else json.dumps(stored)
    return text == value or value in text.split()


def _decode(text: str) -> dict[str, Any]:
    doc = json.loads(text)
    return doc if isinstance(doc, dict) else {}


#: Where a page starts: the (submitted, record id) of the last row of the page before.
#: The listing's order is (submitted, id), so the next page is the rows after it in that
#: order (before it, newest first): read from the listing index, however deep the page.
Cursor = tuple[str, uuid.UUID]


def _order(newest_first: bool) -> tuple[Any, Any]:
    return ((_RECORD.c.submitted.desc(), _RECORD.c.id.desc()) if newest_first
            else (_RECORD.c.submitted.asc(), _RECORD.c.id.asc()))


def _after(query: Select[Any], after: Cursor | None, newest_first: bool) -> Select[Any]:
    """Only the rows past ``after`` in the listing's order (keyset paging)."""
    if after is None:
        return query
    key = tuple_(_RECORD.c.submitted, _RECORD.c.id)
    # Typed binds: a UUID is hex text on SQLite and the uuid type on PostgreSQL. A row
    # value comparison is a range on the listing index on both.
    past = tuple_(literal(after[0], _RECORD.c.submitted.type), literal(after[1], _RECORD.c.id.type))
    return query.where(key < past if newest_first else key > past)


def list_records(
    engine: Engine,
    form_id: str,
    *,
    status: str | None = None,
    device_id: uuid.UUID | None = None,
    search: str | None = None,
    deleted: bool = False,
    offset: int = 0,
    limit: int | None = None,
    answer: tuple[str, str] | None = None,
    newest_first: bool = False,
    after: Cursor | None = None,
    count: bool = True,
) -> tuple[list[RecordListing], int | None]:
    """One page of the form's records (oldest submission first, then by id; or newest
    first) and how many match in all (None when ``count`` is false: a table asks once
    per query, not once per page). ``after``: start past this row (keyset paging: the
    cursor of the last row of the page before); ``offset`` skips rows past it.
    ``answer``: (path, choice name) only records whose answer at that path is (or, a
    multiple choice, holds) it. Without a search or an answer filter, the page is one
    range read on the listing index; with one, the candidates the SQL sieve lets
    through are read in batches and checked (and, uncounted, only until the page is
    full)."""
    order = _order(newest_first)
    if not search and answer is None:
        # The page's ids first, from the record and review tables alone (nothing large is
        # sorted), then those records' rows with their winners' JSON.
        ids_query = _filtered(select(_RECORD.c.id), form_id, status=status,
                              device_id=device_id, deleted=deleted)
        page = _after(ids_query, after, newest_first).order_by(*order).offset(offset)
        if limit is not None:
            page = page.limit(limit)
        with engine.connect() as conn:
            total = (int(conn.scalar(select(func.count()).select_from(ids_query.subquery()))
                          or 0) if count else None)
            if conn.dialect.name == "sqlite":
                return _sqlite_page(conn, page, newest_first), total
            ids = list(conn.scalars(page))
            # By primary key alone: with the filters repeated, SQLite may pick the form
            # index and scan the whole form for the page's rows.
            found = {r[0]: r for chunk in sql.chunks(ids)
                     for r in conn.execute(_by_id().where(_RECORD.c.id.in_(chunk)))}
        return [_listing(found[i], _decode(found[i][11])) for i in ids if i in found], total
    query = _listing_query(form_id, status=status, device_id=device_id, deleted=deleted,
                           search=search, answer=answer)
    needle = (search or "").casefold()
    rows: list[RecordListing] = []
    seen = 0
    for r in _batches(engine, query.order_by(*order), after, newest_first):
        doc = _decode(r[11])
        if needle and not _matches(doc, r[4], needle):
            continue
        if answer is not None and not _answer_matches(doc, *answer):
            continue
        if seen >= offset and (limit is None or len(rows) < limit):
            rows.append(_listing(r, doc))
        seen += 1
        if not count and limit is not None and len(rows) >= limit:
            break
    if not count:
        return rows, None
    if after is None:
        return rows, seen
    # Counted past a cursor: the rows before it match too.
    return rows, count_records(engine, form_id, status=status, device_id=device_id,
                               search=search, deleted=deleted, answer=answer)


def _sqlite_page(conn: Connection, page: Select[Any], newest_first: bool) -> list[RecordListing]:
    """The page's rows in one step: SQLite joins the page's ids (``page``) to their
    records, reviews and winners' instance names and hands them over as one JSON text.
    Read as rows, the driver lets go of Python's lock around each row's step and takes
    it back after: the records table reads pages on a worker while the window paints,
    and each of those takes waits for the painting's Python to let go (the export's
    reader, `ExportSource`, for the same reason)."""
    ids = page.cte("page").prefix_with("MATERIALIZED")
    # By primary key alone: with the filters repeated, SQLite may pick the form index and
    # scan the whole form for the page's rows.
    found = (
        select(func.json_group_array(func.json_array(
            _RECORD.c.id, _RECORD.c.form_id, _RECORD.c.form_version, _RECORD.c.device_id,
            _RECORD.c.interviewer, func.coalesce(_REVIEW.c.status, "received"),
            _RECORD.c.submitted, _RECORD.c.updated, _RECORD.c.in_conflict, _RECORD.c.deleted,
            _RECORD.c.winner,
            # As JSON (the -> operator): what the document holds there, of whatever type.
            _REVISION.c.canonical_json.op("->")(literal("$.instance_name")))))
        .select_from(ids)
        .join(_RECORD, _RECORD.c.id == ids.c.id)
        .join(_REVISION, _REVISION.c.id == _RECORD.c.winner)
        .outerjoin(_REVIEW, _REVIEW.c.record_id == _RECORD.c.id)
    )
    # One row: SQLAlchemy's row handling costs nothing here. The ids come as SQLite
    # holds them (hex text), made into UUIDs below.
    text = conn.execute(found).scalar()
    try:
        rows = orjson.loads(text or "[]")
    except orjson.JSONDecodeError:  # e.g. a lone surrogate in a name, which json reads
        rows = json.loads(text or "[]")
    # The aggregate's order is SQLite's choice: the listing's is (submitted, id).
    rows.sort(key=lambda r: (r[6], r[0]), reverse=newest_first)
    return [_listing((uuid.UUID(r[0]), r[1], r[2], uuid.UUID(r[3]), *r[4:11]),
                     {"instance_name": r[11]}) for r in rows]


def count_records(
    engine: Engine,
    form_id: str,
    *,
    status: str | None = None,
    device_id: uuid.UUID | None = None,
    search: str | None = None,
    deleted: bool = False,
    answer: tuple[str, str] | None = None,
) -> int:
    """How many of the form's records match the filters (as `list_records` counts)."""
    if not search and answer is None:
        ids_query = _filtered(select(_RECORD.c.id), form_id, status=status,
                              device_id=device_id, deleted=deleted)
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(ids_query.subquery()))
                       or 0)
    _rows, total = list_records(engine, form_id, status=status, device_id=device_id,
                                search=search, deleted=deleted, answer=answer, limit=0)
    return total or 0


def _batches(engine: Engine, query: Select[Any], after: Cursor | None,
             newest_first: bool) -> Iterator[Any]:
    """The query's rows, read ``_SEARCH_BATCH`` at a time, each batch past the last row
    of the one before (so reading deep into the form costs no more than the start)."""
    while True:
        with engine.connect() as conn:
            rows = conn.execute(_after(query, after, newest_first)
                                .limit(_SEARCH_BATCH)).all()
        yield from rows
        if len(rows) < _SEARCH_BATCH:
            return
        after = (rows[-1][6], rows[-1][0])


def _by_id() -> Select[Any]:
    return (
        select(*_COLUMNS)
        .select_from(_RECORD)
        .join(_REVISION, _REVISION.c.id == _RECORD.c.winner)
        .outerjoin(_REVIEW, _REVIEW.c.record_id == _RECORD.c.id)
    )


def get_listing(engine: Engine, record_id: uuid.UUID) -> RecordListing | None:
    """The listing row of one record (deleted or not), or None."""
    with engine.connect() as conn:
        row = conn.execute(_by_id().where(_RECORD.c.id == record_id)).one_or_none()
    return None if row is None else _listing(row, _decode(row[11]))


def revision_summary(r: Any) -> RevisionSummary:
    """A revision row as the desk shows it (its answers read from the canonical JSON)."""
    answers = _decode(r.canonical_json).get("answers")
    return RevisionSummary(
        id=r.id,
        record_id=r.record_id,
        device_id=r.device_id,
        device_seq=r.device_seq,
        parents=tuple(sql.json_list(r.parents_json)),
        kind=r.kind,
        deleted=bool(r.deleted),
        form_version=r.form_version,
        interviewer=r.interviewer,
        created=r.created,
        answers=dict(answers) if isinstance(answers, dict) else {},
    )


def revisions(engine: Engine, record_id: uuid.UUID) -> list[RevisionSummary]:
    """Every revision of the record, oldest first (by creation time, then id)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(_REVISION)
            .where(_REVISION.c.record_id == record_id)
            .order_by(_REVISION.c.created, _REVISION.c.id)
        ).all()
    return [revision_summary(r) for r in rows]


def attachments(engine: Engine, record_id: uuid.UUID) -> list[AttachmentMeta]:
    with engine.connect() as conn:
        return [
            AttachmentMeta(r.id, r.record_id, r.name, r.media_type, r.size, r.sha256)
            for r in conn.execute(
                select(
                    _ATTACHMENT.c.id,
                    _ATTACHMENT.c.record_id,
                    _ATTACHMENT.c.name,
                    _ATTACHMENT.c.media_type,
                    _ATTACHMENT.c.size,
                    _ATTACHMENT.c.sha256,
                )
                .where(_ATTACHMENT.c.record_id == record_id)
                .order_by(_ATTACHMENT.c.name, _ATTACHMENT.c.id)
            )
        ]


def forms(engine: Engine) -> list[tuple[str, str | None, int]]:
    """Every form the store knows (packed, or with merged records): (form id, its newest
    title if a version of it is stored, how many records not deleted), by form id."""
    with engine.connect() as conn:
        counts: dict[str, int] = dict(conn.execute(
            select(_RECORD.c.form_id, func.count()).where(_RECORD.c.deleted.is_(False))
            .group_by(_RECORD.c.form_id)).all())
        titles: dict[str, str] = {}
        for form_id, title in conn.execute(
                select(_FORM.c.form_id, _FORM.c.title).order_by(_FORM.c.added, _FORM.c.version)):
            titles[form_id] = title  # the newest version's title wins
    return [(f, titles.get(f), int(counts.get(f, 0))) for f in sorted(set(counts) | set(titles))]
