"""The records of one form as an export reads them: every record (deleted and
conflicted ones too, flagged) with its displayed winner's answers.

The form's current revisions, read in batches on one connection inside one read
transaction (one snapshot: a merge committed meanwhile is either wholly in or wholly
out), with only the columns used. On SQLite each batch is one row: its records joined
into one JSON text by SQLite itself (`_BATCH_SQL`) and decoded in one call; see there for
why. `ExportSource.batches` hands them out column by column
(`ExportBatch`), which is what the export engine reads; iterating the source gives one
`ExportRecord` per record, for callers that want records.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import msgspec
import orjson
from sqlalchemy import Connection, Engine, String, select, type_coerce

from qi_capture.central import export_copies, sql
from qi_capture.central.dto import ExportBatch, ExportRecord
from qi_capture.central.export_copies import RangeChunk
from qi_capture.central.models import CentralRecordRow, CentralReviewRow, CentralRevisionRow
from qi_capture.storage.canonical import JsonValue

_RECORD = sql.table(CentralRecordRow)
_REVISION = sql.table(CentralRevisionRow)
_REVIEW = sql.table(CentralReviewRow)

#: SQLCipher decrypts a page each time it is read into its page cache. The revisions
#: are looked up by id (their primary key's index is as large as 75 bytes a revision)
#: in record-id order, so with the default cache (8 MB) the same index and table pages
#: are read, and decrypted, several times over. This much cache (KiB; freed when the
#: read ends) holds the index of 800,000 revisions.
SQLITE_CACHE_KIB = 65_536

#: Answer value types orjson reads exactly as `json` does.
_EXACT_TYPES = frozenset({str, int, bool, type(None)})


def decode(text: str) -> JsonValue:
    """A stored revision's JSON, as `json` reads it. orjson is several times faster, and
    reads what the app writes (answers are text) the same; but it reads a number beyond
    64 bits as a float, and refuses a lone surrogate. So a revision whose answers hold a
    float or a nested value (where such a number could hide), or that orjson refuses, is
    read by `json`."""
    try:
        value: JsonValue = orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)  # type: ignore[no-any-return]
    answers = value.get("answers") if isinstance(value, dict) else None
    if not isinstance(answers, dict) or not _EXACT_TYPES.issuperset(map(type, answers.values())):
        return json.loads(text)  # type: ignore[no-any-return]
    return value


class _Answers(msgspec.Struct):
    """A stored revision as an export reads it: its answers alone, each a value that
    msgspec reads exactly as `json` does (text, an integer of any size, a boolean, null);
    the revision's other fields are skipped, not decoded."""

    answers: dict[str, str | int | bool | None] = {}


_ANSWERS = msgspec.json.Decoder(_Answers)


def answers_of(text: str) -> dict[str, JsonValue]:
    """A stored revision's answers, as ``json.loads(text)["answers"]`` gives them ({}
    when it has none). A revision that msgspec will not read so (a float or a nested
    value among its answers, a lone surrogate, not an object) is read by `decode`."""
    try:
        return _ANSWERS.decode(text).answers  # type: ignore[return-value]
    except (msgspec.ValidationError, msgspec.DecodeError):
        doc = decode(text)
    answers = doc.get("answers") if isinstance(doc, dict) else None
    return answers if isinstance(answers, dict) else {}


#: Records per statement of `_BATCH_SQL` (at most; a source's batches are no larger).
#: The text SQLite builds and its decoded rows are held at once, a few times over while
#: the export works on the batch before: 100,000 records exported to csv peaked at 438
#: MiB with 2,000, 509 with 5,000 and 633 with 10,000 (one statement per batch), and
#: took about 10% longer with 2,000 than with 10,000.
SQL_CHUNK = 5_000

#: A batch of a form's records, past an id, as one row: how many, the last id, and the
#: records as one JSON array of arrays (the columns of `ExportSource._query`, the
#: revision's canonical JSON as it is stored), made by SQLite. Read row by row, the
#: driver lets go of Python's lock around each row's step and takes it back after: while
#: the export's other thread runs Python (building and writing the batch before), every
#: one of those takes waits for it, up to the interpreter's switch interval (5 ms), and a
#: read of 100,000 records that takes 5 s alone took minutes beside a busy thread. As one
#: row, the whole batch is read in one step without the lock.
_BATCH_SQL = """
SELECT count(*), max(id), '[' || group_concat(
    '[' || json_quote(id) || ',' || json_quote(device_id) || ',' || json_quote(interviewer)
    || ',' || json_quote(form_version) || ',' || json_quote(status) || ','
    || json_quote(submitted) || ',' || json_quote(updated) || ',' || json_quote(winner)
    || ',' || in_conflict || ',' || deleted || ',' || canonical_json || ']', ',') || ']'
FROM (
    SELECT r.id AS id, r.device_id AS device_id, r.interviewer AS interviewer,
           r.form_version AS form_version, v.status AS status, r.submitted AS submitted,
           r.updated AS updated, r.winner AS winner, r.in_conflict AS in_conflict,
           r.deleted AS deleted, x.canonical_json AS canonical_json
    FROM {record} AS r
    JOIN {revision} AS x ON x.id = r.winner
    LEFT OUTER JOIN {review} AS v ON v.record_id = r.id
    WHERE r.form_id = ? AND r.id > ? {through}
    ORDER BY r.id
    LIMIT ?
)
"""

_BATCH_ALL, _BATCH_THROUGH, _BATCH_IDS = (
    _BATCH_SQL.format(record=_RECORD.name, revision=_REVISION.name, review=_REVIEW.name,
                      through=through)
    for through in ("", "AND r.id <= ?", "AND r.id IN (SELECT value FROM json_each(?))"))

#: One batch as `_BATCH_SQL` writes it. A NULL where text is due would make its whole
#: row NULL, left out of the array: the count tells (and the batch is read row by row).
_BATCH = msgspec.json.Decoder(
    list[tuple[str, str, str | None, str, str | None, str, str, str, int, int, _Answers]])


def _id_text(raw: object) -> str:
    """A UUID column read raw (SQLite's 32 hex digits, or the driver's UUID) as the
    canonical text ``str(uuid.UUID(...))`` gives, without making a UUID."""
    if isinstance(raw, str) and len(raw) == 32:
        return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}".lower()
    return str(raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw)))


def _batch(rows: Sequence[Sequence[Any]], answers: list[dict[str, JsonValue]],
           devices: dict[object, str]) -> ExportBatch:
    """Rows of `ExportSource._query`'s columns (the last, the revision, is read as
    ``answers``) as an `ExportBatch`; ``devices`` holds the device ids made so far."""
    (ids, device_ids, interviewers, versions, statuses, submitted, updated,
     winners, in_conflict, deleted, _revisions) = map(list, zip(*rows, strict=True))
    return ExportBatch(
        record_ids=list(map(_id_text, ids)),
        device_ids=[devices.get(d) or devices.setdefault(d, _id_text(d)) for d in device_ids],
        interviewers=interviewers,
        form_versions=versions,
        review_statuses=[s or "received" for s in statuses],
        submitted=submitted,
        updated=updated,
        revision_ids=winners,
        in_conflict=[bool(v) for v in in_conflict],
        deleted=[bool(v) for v in deleted],
        answers=answers,
    )


@contextlib.contextmanager
def _snapshot(conn: Connection) -> Iterator[None]:
    """One read snapshot on SQLite, with `SQLITE_CACHE_KIB` of page cache while it lasts."""
    # The PRAGMA begins the connection's transaction (the engine's BEGIN): every
    # statement after it reads the snapshot the first one takes.
    previous = int(conn.exec_driver_sql("PRAGMA cache_size").scalar() or -8000)
    conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        # The connection goes back to the pool: with the cache it had.
        conn.exec_driver_sql(f"PRAGMA cache_size = {previous}")


class ExportSource:
    """Every record of ``form_id`` in record-id order, at most ``batch`` at a time (on
    SQLite at most `SQL_CHUNK`)."""

    def __init__(self, engine: Engine, form_id: str, batch: int = 10_000) -> None:
        self.engine = engine
        self.form_id = form_id
        self.batch = batch

    def _query(self) -> Any:
        # Raw ids: the UUIDs are made (or not) by the caller, once per distinct device.
        return (
            select(
                type_coerce(_RECORD.c.id, String),
                type_coerce(_RECORD.c.device_id, String),
                _RECORD.c.interviewer,
                _RECORD.c.form_version,
                _REVIEW.c.status,
                _RECORD.c.submitted,
                _RECORD.c.updated,
                _RECORD.c.winner,
                _RECORD.c.in_conflict,
                _RECORD.c.deleted,
                _REVISION.c.canonical_json,
            )
            .join(_REVISION, _REVISION.c.id == _RECORD.c.winner)
            .outerjoin(_REVIEW, _REVIEW.c.record_id == _RECORD.c.id)
            .where(_RECORD.c.form_id == self.form_id)
            .order_by(_RECORD.c.id)
        )

    def _sqlite_rows(self, conn: Connection, after: str = "", through: str | None = None,
                     ids: Sequence[str] | None = None) -> Iterator[Sequence[Sequence[Any]]]:
        """The query's rows (ids past ``after``, up to ``through``; among ``ids``, raw,
        when given), ``batch`` at a time,
        from SQLite's own cursor on this connection: SQLAlchemy would make a Row of each
        (about a third of the read's time) for values that need no conversion (text, and
        0/1 for the flags)."""
        query = self._query().where(_RECORD.c.id > after)
        if through is not None:
            query = query.where(_RECORD.c.id <= through)
        if ids is not None:
            query = query.where(type_coerce(_RECORD.c.id, String).in_(ids))
        compiled = query.compile(dialect=conn.dialect)
        params = [compiled.params[name] for name in compiled.positiontup or ()]
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(str(compiled), params)
            while rows := cursor.fetchmany(self.batch):
                yield rows
        finally:
            cursor.close()

    def _sqlite_batches(self, conn: Connection, devices: dict[object, str], after: str = "",
                        through: str | None = None,
                        ids: Sequence[str] | None = None) -> Iterator[ExportBatch]:
        """The records, ``batch`` (at most `SQL_CHUNK`) at a time, each batch read as
        one JSON text that SQLite builds (`_BATCH_SQL`) and msgspec decodes in one call.
        A batch msgspec will not read so (an answer `answers_of` would read with `json`,
        a field that is not what the schema says) is read again row by row, with the
        same result. ``after`` and ``through`` bound the ids (raw, as the store orders
        them); ``ids`` (raw) picks records among them."""
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        size = min(self.batch, SQL_CHUNK)
        try:
            while True:
                if ids is not None:
                    cursor.execute(_BATCH_IDS, (self.form_id, after, json.dumps(list(ids)),
                                                size))
                elif through is None:
                    cursor.execute(_BATCH_ALL, (self.form_id, after, size))
                else:
                    cursor.execute(_BATCH_THROUGH, (self.form_id, after, through, size))
                # An aggregate: one row, whatever matched.
                count, last, text = cursor.fetchone() or (0, "", "")
                if not count:
                    return
                try:
                    rows = _BATCH.decode(text)
                except (msgspec.ValidationError, msgspec.DecodeError, TypeError):
                    rows = []
                if len(rows) == count:
                    # Concatenation order is SQLite's choice; the batch's is id order.
                    if any(rows[i][0] > rows[i + 1][0] for i in range(len(rows) - 1)):
                        rows.sort(key=lambda row: row[0])
                    answers: list[dict[str, JsonValue]] = [
                        row[-1].answers for row in rows]  # type: ignore[misc]
                    yield _batch(rows, answers, devices)
                else:
                    for part in self._sqlite_rows(conn, after, last, ids):
                        yield _batch(part, [answers_of(row[-1]) for row in part], devices)
                after = last
        finally:
            cursor.close()

    def _rows(self, conn: Connection) -> Iterator[Sequence[Sequence[Any]]]:
        # One statement, streamed (a server-side cursor on PostgreSQL).
        result = conn.execution_options(stream_results=True, yield_per=self.batch
                                        ).execute(self._query())
        with result:  # the server-side cursor closed even when not read to the end
            yield from result.partitions()

    def batches(self) -> Iterator[ExportBatch]:
        """The records, column by column, at most ``batch`` at a time."""
        # Device id (as read) -> its text: a few devices send all the records.
        devices: dict[object, str] = {}
        with self.engine.connect() as conn:
            if conn.dialect.name != "sqlite":
                for rows in self._rows(conn):
                    yield _batch(rows, [answers_of(row[-1]) for row in rows], devices)
                return
            with _snapshot(conn):
                yield from self._sqlite_batches(conn, devices)

    @property
    def copies(self) -> bool:
        """Whether `chunks` can hand out export-ready copies (both backends can)."""
        return self.engine.dialect.name in ("sqlite", "postgresql")

    def chunks(self, layout_key: str) -> Iterator[RangeChunk]:
        """The form's records in ranges, each with its export-ready copy when one is
        stored for ``layout_key`` and still current (`qi_capture.central.export_copies`),
        all in one read snapshot (on PostgreSQL a repeatable-read transaction). Each
        range's `RangeChunk.batches` reads its records, to be called before the next
        range is asked for."""
        devices: dict[object, str] = {}
        if self.engine.dialect.name != "sqlite":
            with self.engine.connect().execution_options(
                    isolation_level="REPEATABLE READ") as conn:

                def read_pg(after: str, through: str | None,
                            ids: Sequence[str] | None) -> Iterator[ExportBatch]:
                    for rows in self._bounded_rows(conn, after, through, ids):
                        yield _batch(rows, [answers_of(row[-1]) for row in rows], devices)

                yield from export_copies.ranges(self.engine, conn, self.form_id, layout_key,
                                                read_pg)
            return
        with self.engine.connect() as conn, _snapshot(conn):

            def read(after: str, through: str | None,
                     ids: Sequence[str] | None) -> Iterator[ExportBatch]:
                return self._sqlite_batches(conn, devices, after, through, ids)

            yield from export_copies.ranges(self.engine, conn, self.form_id, layout_key, read)

    def _bounded_rows(self, conn: Connection, after: str, through: str | None,
                      ids: Sequence[str] | None) -> Iterator[Sequence[Sequence[Any]]]:
        """On PostgreSQL: the query's rows with ids past ``after`` (raw uuid text; ''
        for none) up to ``through``, among ``ids`` when given, streamed (a server-side
        cursor) ``batch`` at a time."""
        query = self._query()
        if after:
            query = query.where(_RECORD.c.id > uuid.UUID(after))
        if through is not None:
            query = query.where(_RECORD.c.id <= uuid.UUID(through))
        if ids is not None:
            query = query.where(_RECORD.c.id.in_([uuid.UUID(i) for i in ids]))
        result = conn.execution_options(stream_results=True, yield_per=self.batch
                                        ).execute(query)
        with result:  # the server-side cursor closed even when not read to the end
            yield from result.partitions()

    def __iter__(self) -> Iterator[ExportRecord]:
        ids: dict[str, uuid.UUID] = {}
        for b in self.batches():
            for i in range(len(b)):
                device = b.device_ids[i]
                yield ExportRecord(
                    record_id=uuid.UUID(b.record_ids[i]),
                    device_id=ids.get(device) or ids.setdefault(device, uuid.UUID(device)),
                    interviewer=b.interviewers[i],
                    form_version=b.form_versions[i],
                    review_status=b.review_statuses[i],
                    submitted=b.submitted[i],
                    updated=b.updated[i],
                    revision_id=b.revision_ids[i],
                    in_conflict=b.in_conflict[i],
                    deleted=b.deleted[i],
                    answers=b.answers[i],
                )
