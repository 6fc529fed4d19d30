"""What the console remembers between runs (QSettings): the last central store opened
and, per store, the folders its inbox watches; the records table's columns left out.

Never a password or passphrase: a PostgreSQL URL is remembered with its password cut
out (libpq's PGPASSWORD or ~/.pgpass supply it), and the admin passphrase is typed each
time. Folders are paths only; they hold nothing secret.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from PySide6.QtCore import QSettings

_GROUP = "admin"


@dataclass(frozen=True)
class Connection:
    """How to reach a central store: a folder, or PostgreSQL (``url`` without password,
    plus the admin folder holding the keys, "" for none)."""

    kind: str  # "folder" or "postgres"
    folder: str = ""
    url: str = ""
    admin_folder: str = ""

    @property
    def target(self) -> str:
        return self.folder if self.kind == "folder" else self.url


def without_password(url: str) -> str:
    """``url`` with any password removed (the user name and the rest kept)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    netloc = (parts.username or "") + "@" + host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def postgres_url(host: str, port: str, database: str, user: str) -> str:
    """A ``postgresql://`` URL from its fields (no password: libpq finds it)."""
    netloc = (f"{user}@" if user else "") + (host or "localhost")
    if port:
        netloc += f":{port}"
    return f"postgresql://{netloc}/{database}"


def load_connection(settings: QSettings | None = None) -> Connection | None:
    s = settings or QSettings()
    kind = s.value(f"{_GROUP}/kind", "", str)
    if kind not in ("folder", "postgres"):
        return None
    return Connection(kind, folder=str(s.value(f"{_GROUP}/folder", "", str)),
                      url=without_password(str(s.value(f"{_GROUP}/url", "", str))),
                      admin_folder=str(s.value(f"{_GROUP}/admin_folder", "", str)))


def save_connection(connection: Connection, settings: QSettings | None = None) -> None:
    s = settings or QSettings()
    s.setValue(f"{_GROUP}/kind", connection.kind)
    s.setValue(f"{_GROUP}/folder", connection.folder)
    s.setValue(f"{_GROUP}/url", without_password(connection.url))
    s.setValue(f"{_GROUP}/admin_folder", connection.admin_folder)


def _store_key(target: str) -> str:
    # Paths and URLs hold characters QSettings treats as separators: key by a digest.
    return hashlib.sha256(target.encode("utf-8")).hexdigest()[:16]


def inbox_folders(target: str, settings: QSettings | None = None) -> list[str]:
    """The folders the inbox of the store at ``target`` watches, in the order added."""
    s = settings or QSettings()
    value = s.value(f"{_GROUP}/inbox/{_store_key(target)}", [])
    if isinstance(value, str):  # QSettings hands back a one-item list as a string
        return [value] if value else []
    return [str(v) for v in value] if isinstance(value, list) else []


def save_inbox_folders(target: str, folders: list[str],
                       settings: QSettings | None = None) -> None:
    s = settings or QSettings()
    s.setValue(f"{_GROUP}/inbox/{_store_key(target)}", list(folders))


def left_out_record_columns(settings: QSettings | None = None) -> frozenset[str]:
    """The records table's columns the admin chose to leave out, by their keys."""
    s = settings or QSettings()
    value = s.value(f"{_GROUP}/records/left_out", [])
    if isinstance(value, str):  # QSettings hands back a one-item list as a string
        value = [value] if value else []
    return frozenset(str(v) for v in value) if isinstance(value, list) else frozenset()


def save_left_out_record_columns(keys: frozenset[str],
                                 settings: QSettings | None = None) -> None:
    s = settings or QSettings()
    s.setValue(f"{_GROUP}/records/left_out", sorted(keys))
