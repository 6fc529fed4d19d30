"""Schema migrations, driven from code: which revision a database is at, and upgrading it.

The Alembic scripts live in ``migrations/`` inside the package (so they ship in the
PyInstaller build); the caller makes a backup before `upgrade` (see `profile`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(extra_version_locations: Sequence[Path] = ()) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    locations = [MIGRATIONS_DIR / "versions", *extra_version_locations]
    # Alembic splits this option on the path separator given here.
    config.set_main_option("path_separator", "newline")
    config.set_main_option("version_locations", "\n".join(str(p) for p in locations))
    return config


def head_revision(extra_version_locations: Sequence[Path] = ()) -> str:
    head = ScriptDirectory.from_config(alembic_config(extra_version_locations)).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def needs_upgrade(engine: Engine, extra_version_locations: Sequence[Path] = ()) -> bool:
    with engine.connect() as conn:
        return current_revision(conn) != head_revision(extra_version_locations)


def upgrade(
    engine: Engine, target: str = "head", extra_version_locations: Sequence[Path] = ()
) -> None:
    config = alembic_config(extra_version_locations)
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, target)
        conn.commit()
