"""The records of one form as an export reads them: every record (deleted and
conflicted ones too, flagged) with its displayed winner's answers.

One query over the form's current revisions, streamed in batches on one connection
(one snapshot: a merge committed meanwhile is either wholly in or wholly out), with only
the columns used. `ExportSource.batches` hands them out column by column
(`ExportBatch`), which is what the export engine reads; iterating the source gives one
`ExportRecord` per record, for callers that want records.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import msgspec
import orjson
from sqlalchemy import Connection, Engine, String, select, type_coerce

from qi_capture.central import sql
from qi_capture.central.dto import ExportBatch, ExportRecord
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


def _id_text(raw: object) -> str:
    """A UUID column read raw (SQLite's 32 hex digits, or the driver's UUID) as the
    canonical text ``str(uuid.UUID(...))`` gives, without making a UUID."""
    if isinstance(raw, str) and len(raw) == 32:
        return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}".lower()
    return str(raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw)))


class ExportSource:
    """Every record of ``form_id`` in record-id order, ``batch`` at a time."""

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

    def _sqlite_rows(self, conn: Connection) -> Iterator[Sequence[Sequence[Any]]]:
        """The query's rows, ``batch`` at a time, from SQLite's own cursor on this
        connection: SQLAlchemy would make a Row of each (about a third of the read's time)
        for values that need no conversion (text, and 0/1 for the flags). One statement:
        one snapshot, as below."""
        compiled = self._query().compile(dialect=conn.dialect)
        params = [compiled.params[name] for name in compiled.positiontup or ()]
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(str(compiled), params)
            while rows := cursor.fetchmany(self.batch):
                yield rows
        finally:
            cursor.close()

    def _rows(self, conn: Connection) -> Iterator[Sequence[Sequence[Any]]]:
        if conn.dialect.name == "sqlite":
            yield from self._sqlite_rows(conn)
            return
        # One statement, streamed (a server-side cursor on PostgreSQL).
        result = conn.execution_options(stream_results=True, yield_per=self.batch
                                        ).execute(self._query())
        yield from result.partitions()

    def batches(self) -> Iterator[ExportBatch]:
        """The records, column by column, ``batch`` at a time."""
        devices: dict[object, str] = {}
        with self.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                previous = int(conn.exec_driver_sql("PRAGMA cache_size").scalar() or -8000)
                conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            try:
                for rows in self._rows(conn):
                    (ids, device_ids, interviewers, versions, statuses, submitted, updated,
                     winners, in_conflict, deleted, texts) = map(list, zip(*rows, strict=True))
                    yield ExportBatch(
                        record_ids=list(map(_id_text, ids)),
                        device_ids=[devices.get(d) or devices.setdefault(d, _id_text(d))
                                    for d in device_ids],
                        interviewers=interviewers,
                        form_versions=versions,
                        review_statuses=[s or "received" for s in statuses],
                        submitted=submitted,
                        updated=updated,
                        revision_ids=winners,
                        in_conflict=[bool(v) for v in in_conflict],
                        deleted=[bool(v) for v in deleted],
                        answers=list(map(answers_of, texts)),
                    )
            finally:
                if sqlite:
                    # The connection goes back to the pool: with the cache it had.
                    conn.exec_driver_sql(f"PRAGMA cache_size = {previous}")

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
