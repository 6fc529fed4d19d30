"""Schema migrations, driven from code: which revision a database is at, and upgrading it.

The Alembic scripts live in ``migrations/`` inside the package (so they ship in the
PyInstaller build); the caller makes a backup before `upgrade` (see `profile`).

Alembic is imported only when it is used (``upgrade``, ``current_revision``, the fallbacks
below): importing it costs about 0.15-0.2 s of start-up, and almost every open finds the
database already at head. `needs_upgrade` answers that common case with one SQL query on
Alembic's version table and a plain-text read of the revision scripts' ``revision`` /
``down_revision`` lines; anything it cannot read with certainty (a merge, a script it cannot
parse, several rows in the version table) goes to Alembic as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"  # Alembic's default; env.py does not change it

_REVISION_LINE = re.compile(
    r"^(revision|down_revision)\s*(?::[^=]+)?=\s*(?:(None)|[\"']([^\"']+)[\"'])\s*$", re.M
)


def __getattr__(name: str) -> Any:
    """``migrate.ScriptDirectory`` and friends, imported on first use (see the docstring)."""
    if name == "ScriptDirectory":
        from alembic.script import ScriptDirectory

        return ScriptDirectory
    if name == "MigrationContext":
        from alembic.runtime.migration import MigrationContext

        return MigrationContext
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _locations(extra_version_locations: Sequence[Path]) -> list[Path]:
    return [MIGRATIONS_DIR / "versions", *extra_version_locations]


def alembic_config(extra_version_locations: Sequence[Path] = ()) -> Config:
    from alembic.config import Config  # only when migrations actually run (see docstring)

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    locations = _locations(extra_version_locations)
    # Alembic splits this option on the path separator given here.
    config.set_main_option("path_separator", "newline")
    config.set_main_option("version_locations", "\n".join(str(p) for p in locations))
    return config


def _alembic_head(extra_version_locations: Sequence[Path]) -> str:
    from alembic.script import ScriptDirectory  # see the module docstring

    head = ScriptDirectory.from_config(alembic_config(extra_version_locations)).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def _scanned_head(extra_version_locations: Sequence[Path]) -> str | None:
    """The single head read from the scripts' text, or None when in any doubt."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for location in _locations(extra_version_locations):
        if not location.is_dir():
            return None
        for script in location.glob("*.py"):
            if script.name == "__init__.py":
                continue
            found = {m[1]: m[3] for m in _REVISION_LINE.finditer(script.read_text("utf-8"))}
            if "revision" not in found or "down_revision" not in found or not found["revision"]:
                return None  # not a plain script: let Alembic read it
            revisions.add(found["revision"])
            if found["down_revision"]:
                parents.add(found["down_revision"])
    heads = revisions - parents
    if len(heads) != 1 or not parents <= revisions:
        return None
    return heads.pop()


def head_revision(extra_version_locations: Sequence[Path] = ()) -> str:
    return _scanned_head(extra_version_locations) or _alembic_head(extra_version_locations)


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext  # see the module docstring

    return MigrationContext.configure(connection).get_current_revision()


def _stored_revisions(connection: Connection) -> list[str]:
    exists = connection.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": VERSION_TABLE},
    ).first()
    if exists is None:
        return []
    return [str(r[0]) for r in connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))]


def needs_upgrade(engine: Engine, extra_version_locations: Sequence[Path] = ()) -> bool:
    with engine.connect() as conn:
        stored = _stored_revisions(conn)
        if len(stored) > 1:  # branches: Alembic decides (and refuses) as before
            return current_revision(conn) != head_revision(extra_version_locations)
    return not stored or stored[0] != head_revision(extra_version_locations)


def upgrade(
    engine: Engine, target: str = "head", extra_version_locations: Sequence[Path] = ()
) -> None:
    from alembic import command  # see the module docstring

    config = alembic_config(extra_version_locations)
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, target)
        conn.commit()
