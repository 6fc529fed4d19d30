"""What the central store accepts as a database URL, and how PostgreSQL is reached,
reported on and prepared for a least-privilege merge role.

Only two kinds of central store exist: a central folder (SQLCipher, encrypted with the
admin passphrase) and a PostgreSQL database. Anything else that looks like a URL
(``sqlite://``, ``mysql://``, ``file://``...) is refused before anything is created:
SQLAlchemy would happily make an unencrypted SQLite file from ``sqlite:///x.db``.

The password need not be in the URL (where the process list shows it): with none there,
libpq looks in the standard places itself: ``PGPASSWORD``, the password file
(``PGPASSFILE``, else ``~/.pgpass``), and a connection service (``PGSERVICE`` or
``?service=NAME`` in the URL, from ``PGSERVICEFILE`` or ``~/.pg_service.conf``).
Every URL this module hands back for people to read has its password masked, and a
failed connection becomes one `CentralUnavailable` line, never a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from qi_capture.central.errors import (
    CentralRoleRefused,
    CentralTargetRefused,
    CentralUnavailable,
)

#: URL schemes taken as PostgreSQL (``postgres`` is libpq's short form).
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
ACCEPTED = "a central folder (encrypted with SQLCipher) or a postgresql:// URL"


def is_url(target: str) -> bool:
    """Whether ``target`` is meant as a URL rather than a folder."""
    return "://" in target


def _scheme(target: str) -> str:
    return target.split("://", 1)[0].lower()


def parse_url(target: str) -> URL:
    """``target`` as a psycopg 3 SQLAlchemy URL, or `CentralTargetRefused` naming what is
    accepted. Nothing is connected to or created."""
    scheme = _scheme(target)
    if scheme not in POSTGRES_SCHEMES:
        raise CentralTargetRefused(scheme)
    try:
        url = make_url(target)
    except (ArgumentError, ValueError):
        raise CentralTargetRefused(scheme, detail="it is not a valid URL") from None
    return url.set(drivername="postgresql+psycopg")


def mask(target: str | URL) -> str:
    """A URL fit to print or log: the password, if any, as ``***``. Text that is not a
    URL SQLAlchemy can parse loses everything between ``://`` and ``@``."""
    if isinstance(target, URL):
        return target.render_as_string(hide_password=True)
    try:
        url = make_url(target)
    except (ArgumentError, ValueError):
        return re.sub(r"://[^/@]*@", "://***@", target)
    return url.render_as_string(hide_password=True)


# -- connection failures -------------------------------------------------------------------
_REASONS: tuple[tuple[str, str, str], ...] = (
    ("password authentication failed", "auth_failed",
     "the server refused the user name or password"),
    ("no password supplied", "no_password",
     "the server asks for a password and none was found (give it in PGPASSWORD, a "
     "password file (PGPASSFILE or ~/.pgpass) or a service file, not on the command line)"),
    ("does not exist", "no_database", "the database or role does not exist"),
    ("connection refused", "refused",
     "nothing is listening there (is the server running, and on that port?)"),
    ("could not translate host name", "unknown_host", "the host name is not known"),
    ("failed to resolve host", "unknown_host", "the host name is not known"),
    ("timeout expired", "timeout", "the server did not answer in time"),
    ("certificate", "tls", "the server's TLS certificate could not be verified"),
    ("ssl", "tls", "the TLS connection failed"),
    ("permission denied", "permission",
     "the role lacks a right the central store needs (see admin init --create-role)"),
)


def _first_line(message: str, secret: str | None) -> str:
    line = next((s.strip() for s in message.splitlines() if s.strip()), "")
    line = re.sub(r"^(connection failed: )?", "", line)
    if secret:
        line = line.replace(secret, "***")
    return line[:300]


def unavailable(error: DBAPIError, url: URL) -> CentralUnavailable:
    """One line for a failure to reach or use the database: which kind, where (password
    masked), and what the server said (with the password removed, should it echo it)."""
    message = str(error.orig) if error.orig is not None else str(error)
    lowered = message.lower()
    reason, what = next(((r, w) for needle, r, w in _REASONS if needle in lowered),
                        ("failed", "the connection failed"))
    return CentralUnavailable(mask(url), reason, what, _first_line(message, url.password))


def check_connection(engine: Engine, url: URL) -> None:
    """Connect once, so that every problem reaching the server is reported here, as one
    `CentralUnavailable`, before anything else is tried."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        raise unavailable(exc, url) from None


# -- the merge's own role --------------------------------------------------------------------
_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")
#: Tables whose rows are never changed once written: the role may add, never alter.
APPEND_ONLY = frozenset({
    "central_revision", "central_audit", "central_bundle", "central_bundle_file",
    "central_attachment", "central_paradata",
    "central_review_comment",
})


def create_merge_role(
    owner_url: URL, role: str, password: str | None, tables: Sequence[str],
    *, version_table: str,
) -> None:
    """Create ``role`` with only what the admin commands (merge, enrol, review, resolve,
    export) need on ``tables``, the central store's, which the owner created first:
    CONNECT to the database, USAGE on the schema, SELECT and INSERT everywhere, UPDATE
    only where rows change (devices, records, conflicts, review, quarantine), USAGE on
    the sequences, SELECT on the migration version. No DELETE, no CREATE, no ownership,
    no superuser: the role can neither change the schema nor erase a revision. The
    schema is migrated by the owner (``admin init``, or any command run with the owner's
    URL) after an upgrade; tables it adds then get SELECT, INSERT, UPDATE by default."""
    if _ROLE.fullmatch(role) is None:
        raise CentralRoleRefused(role, "it is not a plain role name (lower-case letters, "
                                 "digits and _, at most 63, not starting with a digit)")
    engine = create_engine(owner_url)
    try:
        with engine.begin() as conn:
            _create_role(conn, role, password, tables, version_table)
    except DBAPIError as exc:
        raise unavailable(exc, owner_url) from None
    finally:
        engine.dispose()


def _create_role(conn: Connection, role: str, password: str | None,
                 tables: Sequence[str], version_table: str) -> None:
    if conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
        raise CentralRoleRefused(role, "a role of that name exists already; choose another "
                                 "name, or grant the rights yourself (see the README)")
    # psycopg composes the statements: identifiers and the password literal are quoted
    # by the driver (DDL takes no bound parameters). The password is never logged.
    # Imported here: the packaged app leaves PostgreSQL support out unless built with it,
    # and every CLI command imports this module.
    from psycopg import sql as pgsql

    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    who = pgsql.Identifier(role)

    def run(statement: str, *parts: Any) -> None:
        cursor.execute(pgsql.SQL(statement).format(*parts))

    run("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION "
        "NOBYPASSRLS", who)
    if password:
        run("ALTER ROLE {} PASSWORD {}", who, pgsql.Literal(password))
    database = pgsql.Identifier(str(conn.scalar(text("SELECT current_database()"))))
    schema = pgsql.Identifier(str(conn.scalar(text("SELECT current_schema()"))))
    run("GRANT CONNECT ON DATABASE {} TO {}", database, who)
    run("GRANT USAGE ON SCHEMA {} TO {}", schema, who)
    run("GRANT SELECT ON {}.{} TO {}", schema, pgsql.Identifier(version_table), who)
    for name in tables:
        rights = "SELECT, INSERT" if name in APPEND_ONLY else "SELECT, INSERT, UPDATE"
        run(f"GRANT {rights} ON {{}}.{{}} TO {{}}", schema, pgsql.Identifier(name), who)
    run("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}", schema, who)
    run("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT, INSERT, UPDATE ON TABLES TO {}",
        schema, who)
    run("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES TO {}",
        schema, who)
