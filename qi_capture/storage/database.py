"""Sessions over the open engine: reads in parallel, writes one at a time, each write one
transaction. Maps SQLite's "disk full" to `DiskFull`, a failed write to `WriteFailed`, and
refuses use after lock."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from qi_capture.storage.errors import DiskFull, StoreClosed, WriteFailed


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine: Engine | None = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        # One writer per process (the profile lock gives one process per profile); WAL
        # lets readers proceed meanwhile. This avoids SQLITE_BUSY on read-to-write upgrades.
        self._write_lock = threading.Lock()

    def _check_open(self) -> None:
        if self.engine is None:
            raise StoreClosed()

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        self._check_open()
        with self.sessions() as db_session:
            yield db_session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed (durably: WAL + synchronous=FULL) when the block
        ends, rolled back if it raises."""
        self._check_open()
        with self._write_lock, _mapped_errors(), self.sessions() as db_session, db_session.begin():
            yield db_session

    @contextlib.contextmanager
    def write_core(self) -> Iterator[Connection]:
        """`write` for SQLAlchemy Core statements: the same single durable transaction
        and error mapping, without an ORM session (autosave's hot path, where the
        session's identity map and flush cost more than the SQL itself)."""
        self._check_open()
        assert self.engine is not None
        with self._write_lock, _mapped_errors(), self.engine.begin() as conn:
            yield conn

    def vacuum(self) -> None:
        """Rebuild the database file without its free pages (after a large deletion).
        One transaction inside SQLite; its temporary copy stays in memory
        (``temp_store = MEMORY``), so nothing decrypted reaches a temp file."""
        self._check_open()
        assert self.engine is not None
        with self._write_lock, _mapped_errors():
            raw = self.engine.raw_connection()
            try:
                # The driver is in autocommit mode (see engine.configure); VACUUM cannot
                # run inside a transaction.
                conn = raw.driver_connection
                assert conn is not None
                conn.execute("VACUUM")
            finally:
                raw.close()

    def checkpoint(self) -> None:
        """``PRAGMA wal_checkpoint(TRUNCATE)``: copy the WAL into the database and cut it
        to zero bytes, so that pages freed by an erasure (overwritten in the database by
        ``secure_delete``) leave no older copy in the ``-wal`` file."""
        self._check_open()
        assert self.engine is not None
        with self._write_lock, _mapped_errors():
            raw = self.engine.raw_connection()
            try:
                conn = raw.driver_connection
                assert conn is not None
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                raw.close()

    def close(self) -> None:
        with self._write_lock:
            if self.engine is not None:
                self.engine.dispose()
                self.engine = None


@contextlib.contextmanager
def _mapped_errors() -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        text = str(exc.orig).lower()
        if "full" in text:  # SQLITE_FULL: ENOSPC
            raise DiskFull() from exc
        if "disk i/o error" in text:  # SQLITE_IOERR_*: EIO, EFBIG (RLIMIT_FSIZE)...
            raise WriteFailed() from exc
        raise
