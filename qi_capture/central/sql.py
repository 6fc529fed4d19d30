"""Dialect helpers shared by the central store's modules: the same statements on
SQLCipher (SQLite) and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, text
from sqlalchemy.dialects import postgresql, sqlite

from qi_capture.central.models import CentralAuditRow, CentralBase
from qi_capture.storage.canonical import JsonValue, dumps

T = TypeVar("T")

#: Rows per IN (...) list: far below SQLite's and PostgreSQL's parameter limits.
CHUNK = 900
#: Key of the PostgreSQL transaction-level advisory lock that serialises the derive
#: phase of concurrent merges (and resolutions); any fixed 64-bit number will do.
MERGE_LOCK_KEY = 0x51_4943_4D45_5247  # "QICMERG"


def table(model: type[CentralBase]) -> Table:
    """The Core table of a model (``__table__`` is typed as a plain FromClause)."""
    result = model.__table__
    assert isinstance(result, Table)
    return result


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_stmt(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT (with ``on_conflict_do_nothing``/``_do_update``)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """``INSERT ... ON CONFLICT DO NOTHING`` for many rows (concurrency-safe on both)."""
    if rows:
        conn.execute(insert_stmt(conn, table).on_conflict_do_nothing(), list(rows))


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
) -> None:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE`` setting every other column."""
    if not rows:
        return
    stmt = insert_stmt(conn, table)
    columns = [c for c in rows[0] if c not in keys]
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: stmt.excluded[c] for c in columns}
    )
    conn.execute(stmt, list(rows))


def lock_merges(conn: Connection) -> None:
    """Serialise the part of a merge that derives heads and conflicts. SQLite already
    has one writer at a time; PostgreSQL takes a transaction-scoped advisory lock
    (released at commit or rollback), after which READ COMMITTED statements see every
    revision the previous holder committed."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MERGE_LOCK_KEY})


def audit(conn: Connection, actor: str, action: str, params: JsonValue, at: datetime) -> None:
    conn.execute(
        table(CentralAuditRow).insert(),
        {"at": at, "actor": actor, "action": action, "params_json": dumps(params)},
    )


def json_list(text_value: str) -> list[str]:
    value = json.loads(text_value)
    return [str(v) for v in value] if isinstance(value, list) else []


def flatten(values: Iterable[Iterable[T]]) -> list[T]:
    return [v for group in values for v in group]
