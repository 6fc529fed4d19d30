"""Opening a SQLCipher database: the key, the pragmas, and the SQLAlchemy engine.

Exactly the recipe in SECURITY.md: ``create_engine("sqlite+pysqlite:///...",
module=sqlcipher3.dbapi2)`` with a ``connect`` listener inserted before SQLAlchemy's own,
which sets the raw key, then the pragmas, then reads ``sqlite_master`` so a wrong key fails
on the spot rather than at some later query.

The key is the 256-bit data key plus the profile's 16-byte database salt in SQLCipher's
raw-key form ``x'<64 hex><32 hex>'``: no PBKDF2 runs (Argon2id already did the work), and
the salt is fixed by the key file so a database from another profile is recognised by
its first 16 bytes before any key is tried.

``cipher_log_level``: SECURITY.md asks for ``ERROR``. With sqlcipher3 0.6.4 (SQLCipher
4.19) that pragma is accepted but does not stop the stderr output it was meant to stop:
the HMAC failures of a wrong key or a damaged page are logged *at* ERROR level (three
lines per failure). ``NONE`` silences them; we detect and report those failures
ourselves. The level is process-wide in SQLCipher, not per connection.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import ConnectionPoolEntry

from qi_capture.crypto.secret import SecretBytes

CIPHER_LOG_LEVEL = "NONE"
PRAGMAS = (
    f"PRAGMA cipher_log_level = {CIPHER_LOG_LEVEL}",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA secure_delete = ON",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
)
PAGE_SIZE = 4096  # SQLCipher 4 default
SALT_BYTES = 16

DatabaseError = sqlcipher.DatabaseError
OperationalError = sqlcipher.OperationalError


def key_pragma(key: SecretBytes, salt: bytes, verb: str = "key") -> str:
    # The resulting str cannot be wiped; it lives only for this call.
    return f"PRAGMA {verb} = \"x'{key.hex()}{salt.hex()}'\""


def configure(dbapi_connection: Any, key: SecretBytes, salt: bytes) -> None:
    """Key and configure a fresh sqlcipher3 connection; raise at once on a wrong key."""
    # Autocommit at the driver level; transactions are begun explicitly (below and in
    # `open_engine`) because pysqlite's implicit BEGIN does not cover SELECTs.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(key_pragma(key, salt))
        for pragma in PRAGMAS:
            cursor.execute(pragma)
        cursor.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        cursor.close()


def connect_raw(path: Path, key: SecretBytes, salt: bytes) -> Any:
    """A plain sqlcipher3 connection (for probing, integrity checks, backup and rekey)."""
    conn = sqlcipher.connect(str(path), check_same_thread=False)
    try:
        configure(conn, key, salt)
    except BaseException:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def raw_connection(path: Path, key: SecretBytes, salt: bytes) -> Iterator[Any]:
    conn = connect_raw(path, key, salt)
    try:
        yield conn
    finally:
        conn.close()


def open_readonly(path: Path) -> Iterator[tuple[str, Any]]:
    """Read-only connections to try in turn, none of which writes to the folder.

    With no WAL content pending, ``immutable=1`` keeps SQLite from even creating the
    -wal/-shm side files, so checking a damaged or foreign file leaves the folder exactly
    as it was. With a WAL left by a crash, a plain read-only open reads it; read-write is
    the last resort for a WAL that has no shared-memory file beside it.
    """
    wal = Path(f"{path}-wal")
    modes = ["mode=ro", "mode=rw"]
    if not wal.exists() or wal.stat().st_size == 0:
        modes.insert(0, "mode=ro&immutable=1")
    uri = path.resolve().as_uri()
    for mode in modes:
        try:
            conn = sqlcipher.connect(f"{uri}?{mode}", uri=True, check_same_thread=False)
        except sqlcipher.OperationalError:
            continue
        conn.isolation_level = None
        yield mode, conn


def probe(conn: Any, key: SecretBytes, salt: bytes) -> bool | None:
    """Key ``conn`` and read page 1: True (key opens it), False (it does not), None (the
    file could not be read this way; try another)."""
    try:
        conn.execute(key_pragma(key, salt))
        conn.execute(f"PRAGMA cipher_log_level = {CIPHER_LOG_LEVEL}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher.OperationalError:
        return None
    except sqlcipher.DatabaseError:
        return False
    return True


def key_opens(path: Path, key: SecretBytes, salt: bytes) -> bool:
    """True if ``key`` decrypts page 1 of the database at ``path``; never writes."""
    for _mode, conn in open_readonly(path):
        try:
            result = probe(conn, key, salt)
        finally:
            conn.close()
        if result is not None:
            return result
    return False


def integrity_problems(conn: Any, *, full: bool) -> tuple[list[str], list[str]]:
    """(page problems, structural problems) of the database behind ``conn``.

    ``full`` (``profile check``, choosing a backup to restore): SQLCipher's
    ``cipher_integrity_check`` (the HMAC of every page in the file) and SQLite's
    ``integrity_check``.

    Otherwise (every open, where it is on the way to the home screen): ``quick_check``
    plus a check that the file holds exactly the pages the header counts. The trade-off:
    ``quick_check`` walks every table and index b-tree, their overflow chains and the
    freelist trunk pages, and SQLCipher checks the HMAC of each page as it is read, so a
    flipped bit in any page that holds data is still caught at open; the page count
    catches a file cut short or with pages appended. What only the full check sees is
    damage to freelist leaf pages (unused, zeroed by ``secure_delete``; SQLite overwrites
    them without reading them when it reuses them) and index entries that disagree with
    their tables. It costs about 40% of the open-time check (0.07 s instead of 0.19 s
    for a 24 MB profile here).
    """
    cipher: list[str] = []
    structural: list[str] = []
    try:
        if full:
            cipher = [str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check")]
        else:
            cipher = _page_extent_problems(conn)
        check = "integrity_check" if full else "quick_check"
        structural = [str(r[0]) for r in conn.execute(f"PRAGMA {check}")]
        structural = [r for r in structural if r != "ok"]
    except sqlcipher.DatabaseError as exc:
        structural.append(str(exc))
    return cipher, structural


def _page_extent_problems(conn: Any) -> list[str]:
    """The main file's size against the page count in its header. Only meaningful with
    the WAL checkpointed (as the open path does first); a live WAL holds pages of its own."""
    pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    files = [str(r[2]) for r in conn.execute("PRAGMA database_list") if r[1] == "main"]
    if not files or not files[0] or has_wal_content(Path(files[0])):
        return []
    size = Path(files[0]).stat().st_size
    if size != pages * page_size:
        return [f"the file holds {size} bytes; its header counts {pages} pages of {page_size}"]
    return []


def open_engine(path: Path, key: SecretBytes, salt: bytes) -> Engine:
    engine = create_engine(f"sqlite+pysqlite:///{path}", module=sqlcipher)

    def on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        configure(dbapi_connection, key, salt)

    # insert=True: ours must run before SQLAlchemy's own connect handlers, which already
    # query the database.
    event.listen(engine, "connect", on_connect, insert=True)

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def has_wal_content(path: Path) -> bool:
    wal = Path(f"{path}-wal")
    return wal.exists() and wal.stat().st_size > 0


def checkpoint(path: Path, key: SecretBytes, salt: bytes) -> None:
    """Copy committed WAL frames into the database file and empty the WAL.

    Needed before ``cipher_integrity_check``, which reads the main file only: after a
    crash between a ``PRAGMA rekey`` commit and its checkpoint, the file's pages are still
    under the old key while the WAL holds them under the new one.
    """
    with raw_connection(path, key, salt) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def database_salt(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(SALT_BYTES)
