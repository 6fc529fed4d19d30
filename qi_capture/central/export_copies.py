"""Where an export finds the export-ready copies of a form's records, and keeps new ones
(`CentralExportChunkRow`), on SQLite and PostgreSQL alike (`_Sql` writes each one's
statements).

A form's record ids are cut into ranges of about `RANGE_RECORDS`, kept as the stored
copies' bounds. Each record has a *state*: one line of what its copy is built from (its
id, winner, flags and metadata; the answers are the winner's, and a revision never
changes), and a range's digest is that of the states of its records that are not
deleted (a deleted record is in no copy). In the export's one read snapshot, each range is
handed out (`RangeChunk`) with:

- its stored copy (``blob``) when the copy's layout and digest are the range's now;
- else the stored copy as it was (``stale``, same layout), which the export patches: it
  builds only the records whose state is new (merged, resolved, edited since) and drops
  those that went (`qi_capture.export.chunks.patch`);
- its records' review statuses (the one column read at every export) and, on demand, the
  states and ids of the records that are not deleted.

A copy is kept (`RangeChunk.keep`) in a write transaction of its own that first checks
that no record changed since the snapshot: a copy of records that changed meanwhile (a
merge, an erasure) is never kept.

While no record of the form changed since every stored copy was last found current
(`CentralExportFormRow`: triggers count every change to a record row), the stored
digests stand for the ranges' and nothing but the statuses is read.

What the copies hold is as personal as the records: they live in the same store (the
SQLCipher file, or the PostgreSQL database with the records), and erasure deletes them
all (`qi_capture.central.erasure.purge`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from qi_capture.central import sql
from qi_capture.central.dto import ExportBatch
from qi_capture.central.models import (
    CentralExportChunkRow,
    CentralExportFormRow,
    CentralRecordRow,
    CentralReviewRow,
)

log = logging.getLogger(__name__)

_CHUNK = sql.table(CentralExportChunkRow).name
_FORM = sql.table(CentralExportFormRow).name
_RECORD = sql.table(CentralRecordRow).name
_REVIEW = sql.table(CentralReviewRow).name

#: Records per range. A stale range grown past twice this is cut again when rebuilt.
RANGE_RECORDS = 5_000



@dataclass(frozen=True)
class _Sql:
    """The statements this module runs, as one backend writes them: SQLite (``?``
    parameters, ids as their 32-digit text) or PostgreSQL (``%s``, native uuid ids,
    booleans). A range's bounds are raw id text as the store orders it: SQLite's own, or
    PostgreSQL's uuid text (which orders as the uuids do); '' for no lower bound."""

    postgres: bool

    def sql(self, text: str) -> str:
        """``text`` written with ``?`` parameters, in this backend's parameter style."""
        return text.replace("?", "%s") if self.postgres else text

    def _text(self, column: str) -> str:
        return f"{column}::text" if self.postgres else column

    def _flag(self, column: str) -> str:
        return f"({column}::int)::text" if self.postgres else column

    def state(self, r: str) -> str:
        """A record's state, its columns read from ``r`` (NULL-safe, quoted)."""
        quote = "quote_nullable" if self.postgres else "quote"
        parts = [f"{quote}({self._text(r + 'id')})", f"{quote}({r}winner)",
                 self._flag(r + "deleted"), self._flag(r + "in_conflict"),
                 f"{quote}({self._text(r + 'device_id')})", f"{quote}({r}interviewer)",
                 f"{quote}({r}form_version)", f"{quote}({r}submitted)",
                 f"{quote}({r}updated)"]
        return "(" + " || ',' || ".join(parts) + ")"

    def bounds(self, column: str, lo: str, hi: str | None) -> str:
        param = "CAST(? AS uuid)" if self.postgres else "?"
        return (f" AND {column} > {param}" if lo else "") + \
            (f" AND {column} <= {param}" if hi is not None else "")

    def count(self, lo: str, hi: str | None) -> str:
        """A range's records and the deleted among them."""
        deleted = "deleted::int" if self.postgres else "deleted"
        return self.sql(f"SELECT count(*), coalesce(sum({deleted}), 0) FROM {_RECORD} "
                        f"WHERE form_id = ?{self.bounds('id', lo, hi)}")

    def rows(self, lo: str, hi: str | None, *, states: bool) -> str:
        """The records of a range that are not deleted, in id order: review status (and
        with ``states``, raw id and state)."""
        more = f", r.id, {self.state('r.')}" if states else ""
        live = "NOT r.deleted" if self.postgres else "r.deleted = 0"
        return self.sql(
            f"SELECT coalesce(v.status, 'received'){more} FROM {_RECORD} AS r "
            f"LEFT OUTER JOIN {_REVIEW} AS v ON v.record_id = r.id "
            f"WHERE r.form_id = ?{self.bounds('r.id', lo, hi)} AND {live} ORDER BY r.id")


_SQLITE = _Sql(postgres=False)
_POSTGRES = _Sql(postgres=True)


def _sql_of(conn: Connection) -> _Sql:
    return _POSTGRES if conn.dialect.name == "postgresql" else _SQLITE


_UPSERT = f"""
INSERT INTO {_CHUNK} (form_id, lo, hi, layout_key, digest, records, deleted, blob)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (form_id, lo) DO UPDATE SET hi = excluded.hi, layout_key = excluded.layout_key,
    digest = excluded.digest, records = excluded.records, deleted = excluded.deleted,
    blob = excluded.blob
"""

#: The digest of a range with no records.
_EMPTY = hashlib.blake2b(b"", digest_size=32).hexdigest()


def _params(form_id: str, lo: str, hi: str | None) -> tuple[str, ...]:
    return (form_id, *([lo] if lo else []), *([hi] if hi is not None else []))


@dataclass(frozen=True)
class _Summary:
    """A range as a copy depends on it: its records, the deleted among them, and the
    digest of the states of the others (a deleted record is in no copy)."""

    records: int
    deleted: int
    digest: str


@dataclass(frozen=True)
class _Rows:
    """The records of a range that are not deleted, in id order."""

    statuses: list[str]
    ids: list[str]
    states: list[str]


def _rows(q: _Sql, cursor: Any, form_id: str, lo: str, hi: str | None) -> _Rows:
    cursor.execute(q.rows(lo, hi, states=True), _params(form_id, lo, hi))
    rows = cursor.fetchall()
    return _Rows([str(r[0]) for r in rows], [str(r[1]) for r in rows],
                 [str(r[2]) for r in rows])


def _summary(q: _Sql, cursor: Any, form_id: str, lo: str, hi: str | None,
             rows: _Rows | None = None) -> _Summary:
    cursor.execute(q.count(lo, hi), _params(form_id, lo, hi))
    records, deleted = cursor.fetchone()
    rows = rows if rows is not None else _rows(q, cursor, form_id, lo, hi)
    digest = hashlib.blake2b(digest_size=32)
    for state in rows.states:
        digest.update(state.encode("utf-8", "surrogatepass"))
        digest.update(b"\n")
    return _Summary(int(records), int(deleted), digest.hexdigest())


def _generation(conn: Connection, form_id: str) -> tuple[int, int]:
    """The form's (generation, checked): see `CentralExportFormRow`."""
    row = conn.exec_driver_sql(_sql_of(conn).sql(
        f"SELECT generation, checked FROM {_FORM} WHERE form_id = ?"), (form_id,)).first()
    return (int(row[0]), int(row[1])) if row is not None else (0, -1)


def _write(engine: Engine, form_id: str, statement: str, params: tuple[object, ...],
           *more: tuple[str, tuple[object, ...]]) -> bool:
    """Statements in a write transaction of their own; False when the store cannot be
    written now (the copies are only a shortcut: the export goes on)."""
    try:
        with engine.begin() as conn:
            q = _sql_of(conn)
            for text, values in ((statement, params), *more):
                conn.exec_driver_sql(q.sql(text), values)
        return True
    except DBAPIError as exc:
        log.warning("the export-ready copies of %s were not updated: %s", form_id,
                    type(exc.orig).__name__)
        return False


#: Reads records of the form as the export does: (after, through) bounds, or raw ids.
Reader = Callable[[str, "str | None", "Sequence[str] | None"], Iterator[ExportBatch]]


@dataclass
class RangeChunk:
    """One range of a form's records, as an export uses it (what
    `qi_capture.export.chunks.SourceChunk` asks of a source's chunks). Its reading
    methods read in the export's snapshot, and are to be called before the next range
    is asked for."""

    form_id: str
    lo: str
    hi: str | None
    summary: _Summary
    layout_key: str
    #: The stored copy, when it is the copy of these records with this layout.
    blob: bytes | None
    #: The stored copy with this layout, when its records have changed since.
    stale: bytes | None
    #: The review status of each record that is not deleted, in id order.
    statuses: list[str]
    generation: int
    _sql: _Sql
    _cursor: Any
    _read: Reader
    _engine: Engine
    _read_rows: _Rows | None = field(default=None, repr=False)
    #: Whether `keep` was asked to store a copy, and whether it did.
    tried: bool = False
    kept: bool = False

    @property
    def records(self) -> int:
        return self.summary.records

    @property
    def deleted(self) -> int:
        return self.summary.deleted

    def _rows(self) -> _Rows:
        if self._read_rows is None:
            self._read_rows = _rows(self._sql, self._cursor, self.form_id, self.lo, self.hi)
        return self._read_rows

    def states(self) -> list[str]:
        """The state of each record that is not deleted, in id order."""
        return self._rows().states

    def ids(self) -> list[str]:
        """The raw id of each record that is not deleted, in id order (what
        `batches_of` takes)."""
        return self._rows().ids

    def batches(self) -> Iterator[ExportBatch]:
        """The range's records."""
        return self._read(self.lo, self.hi, None)

    def batches_of(self, ids: Sequence[str]) -> Iterator[ExportBatch]:
        """The range's records of these raw ids (from `ids`), in id order."""
        return self._read(self.lo, self.hi, ids)

    def keep(self, blob: bytes) -> None:
        """Store ``blob`` as the range's copy, if the records are still those it was
        built from (else the range is kept with no copy: the next export builds it).
        A store that cannot be written now (another writer, a full disk) keeps nothing;
        the export goes on."""
        self.tried = True
        try:
            with self._engine.begin() as conn:
                generation, _checked = _generation(conn, self.form_id)
                current = generation == self.generation
                if not current:  # some record changed: perhaps not these
                    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                    current = _summary(self._sql, cursor, self.form_id, self.lo,
                                       self.hi) == self.summary
                conn.exec_driver_sql(self._sql.sql(_UPSERT), (
                    self.form_id, self.lo, self.hi, self.layout_key,
                    self.summary.digest if current else "", self.summary.records,
                    self.summary.deleted, blob if current else b""))
            self.kept = current
        except DBAPIError as exc:
            log.warning("an export-ready copy of %s was not kept: %s", self.form_id,
                        type(exc.orig).__name__)


@dataclass(frozen=True)
class _Range:
    lo: str
    hi: str | None
    layout_key: str = ""
    summary: _Summary = _Summary(0, 0, "")


def _stored(conn: Connection, form_id: str) -> list[_Range]:
    """The stored ranges, if they cut the ids whole; [] when there are none or they do
    not (then they are planned again)."""
    rows = [_Range(str(lo), None if hi is None else str(hi), str(key),
                   _Summary(int(records), int(deleted), str(digest)))
            for lo, hi, key, digest, records, deleted in conn.exec_driver_sql(_sql_of(conn).sql(
                f"SELECT lo, hi, layout_key, digest, records, deleted FROM {_CHUNK} "
                "WHERE form_id = ? ORDER BY lo"), (form_id,))]
    expected: str | None = ""
    for row in rows:
        if expected is None or row.lo != expected or (row.hi is not None and row.hi <= row.lo):
            return []
        expected = row.hi
    return rows if expected is None else []


def _cut(conn: Connection, form_id: str, lo: str, hi: str | None) -> list[tuple[str, str | None]]:
    """The ids past ``lo`` through ``hi`` cut into ranges of `RANGE_RECORDS` (the last
    keeps ``hi`` as its end, and takes a short tail rather than make a small range)."""
    q = _sql_of(conn)
    ids = [str(i) for (i,) in conn.exec_driver_sql(q.sql(
        f"SELECT id FROM {_RECORD} WHERE form_id = ?{q.bounds('id', lo, hi)} ORDER BY id"),
        _params(form_id, lo, hi))]
    ends = ids[RANGE_RECORDS - 1:-1:RANGE_RECORDS] if len(ids) > RANGE_RECORDS else []
    if ends and len(ids) - (len(ends) * RANGE_RECORDS) < RANGE_RECORDS // 2:
        ends.pop()
    return list(zip([lo, *ends], [*ends, hi], strict=True))


def _blob(conn: Connection, form_id: str, lo: str) -> bytes | None:
    found = conn.exec_driver_sql(_sql_of(conn).sql(
        f"SELECT blob FROM {_CHUNK} WHERE form_id = ? AND lo = ?"), (form_id, lo)).scalar()
    return bytes(found) if found else None


def due(conn: Connection, form_id: str, layout_key: str) -> bool:
    """Whether the next export of the form would build or patch a copy: it has records
    and either no stored copies, copies of another layout, or copies some record
    changed since they were last found current."""
    stored = _stored(conn, form_id)
    if stored:
        generation, checked = _generation(conn, form_id)
        return generation != checked or any(r.layout_key != layout_key for r in stored)
    return conn.exec_driver_sql(_sql_of(conn).sql(
        f"SELECT 1 FROM {_RECORD} WHERE form_id = ? LIMIT 1"), (form_id,)).first() is not None


def ranges(engine: Engine, conn: Connection, form_id: str, layout_key: str,
           read: Reader) -> Iterator[RangeChunk]:
    """The form's ranges in id order, read on ``conn`` (the export's read snapshot).

    At the end, if every range's copy was current or kept, the form is marked checked at
    the snapshot's generation (only if no record changed since: else the generation
    moved on)."""
    q = _sql_of(conn)
    generation, checked = _generation(conn, form_id)
    stored = _stored(conn, form_id)
    if not stored and conn.exec_driver_sql(q.sql(
            f"SELECT 1 FROM {_CHUNK} WHERE form_id = ? LIMIT 1"), (form_id,)).first():
        # Stored ranges that do not cut the ids whole (left by a failed write): start over
        # (in a write transaction of its own; this one only reads).
        _write(engine, form_id, f"DELETE FROM {_CHUNK} WHERE form_id = ?", (form_id,))
    trusted = bool(stored) and generation == checked and all(
        r.layout_key == layout_key for r in stored)
    planned: Sequence[_Range] = stored or [
        _Range(lo, hi) for lo, hi in _cut(conn, form_id, "", None)]
    current = True
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for was in planned:
            lo, hi = was.lo, was.hi
            rows = None if trusted else _rows(q, cursor, form_id, lo, hi)
            summary = was.summary if trusted else _summary(q, cursor, form_id, lo, hi, rows)
            same_layout = was.layout_key == layout_key
            fresh = same_layout and was.summary.digest == summary.digest
            parts = [(lo, hi)]
            if not fresh and summary.records > 2 * RANGE_RECORDS:
                parts = _cut(conn, form_id, lo, hi)
            for part_lo, part_hi in parts:
                whole = (part_lo, part_hi) == (lo, hi)
                if not whole:
                    rows = _rows(q, cursor, form_id, part_lo, part_hi)
                    summary = _summary(q, cursor, form_id, part_lo, part_hi, rows)
                if not summary.records:
                    # No records (any more): nothing to copy. A stored range stays, as an
                    # empty one, so that it is never taken for its old copy.
                    if stored and was.summary.digest != _EMPTY:
                        current &= _write(
                            engine, form_id,
                            f"UPDATE {_CHUNK} SET digest = ?, records = 0, deleted = 0, "
                            "blob = ? WHERE form_id = ? AND lo = ?",
                            (_EMPTY, b"", form_id, lo))
                    continue
                found = _blob(conn, form_id, lo) if same_layout and whole else None
                if rows is None:  # trusted: the statuses alone
                    cursor.execute(q.rows(part_lo, part_hi, states=False),
                                   _params(form_id, part_lo, part_hi))
                    statuses = [str(s) for (s,) in cursor.fetchall()]
                else:
                    statuses = rows.statuses
                chunk = RangeChunk(form_id, part_lo, part_hi, summary, layout_key,
                                   found if fresh else None, None if fresh else found,
                                   statuses, generation, q, cursor, read, engine, rows)
                yield chunk
                # The export has used the copy, or built and kept a new one, by now.
                current &= chunk.kept if chunk.tried else chunk.blob is not None
    finally:
        cursor.close()
    if current and not trusted:
        # A store whose records were all written before the triggers has no count yet:
        # its count starts at 0, unless a record has changed since the snapshot.
        _write(engine, form_id,
               f"UPDATE {_FORM} SET checked = ? WHERE form_id = ? AND generation = ?",
               (generation, form_id, generation),
               (f"INSERT INTO {_FORM} (form_id, generation, checked) SELECT ?, 0, 0 "
                f"WHERE ? = 0 AND NOT EXISTS (SELECT 1 FROM {_FORM} WHERE form_id = ?)",
                (form_id, generation, form_id)))
