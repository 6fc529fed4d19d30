"""Migrations of the central store, driven from code (scripts in ``migrations/``, version
table ``central_alembic_version``), separate from the interviewer store's."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSION_TABLE = "central_alembic_version"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "newline")
    config.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no central migrations found")
    return head


def current_revision(connection: Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def needs_upgrade(engine: Engine) -> bool:
    with engine.connect() as conn:
        return current_revision(conn) != head_revision()


def upgrade(
    engine: Engine, target: str = "head", *, attachments: object = None, where: str = ""
) -> None:
    """Migrate to ``target``. ``attachments`` (a
    `qi_capture.central.attachments.CentralAttachmentFiles`, or None when the store has no
    folder for them) is where c0005 writes the attachments it moves out of the database;
    ``where`` names the store in messages."""
    config = alembic_config()
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        config.attributes["attachments"] = attachments
        config.attributes["target"] = where
        command.upgrade(config, target)
        conn.commit()
