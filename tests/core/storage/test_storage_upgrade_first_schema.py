"""A profile whose database was made by the first schema opens upgraded, after a backup,
with its records intact."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from qi_capture.crypto import keyfile
from qi_capture.storage import backup as backup_files
from qi_capture.storage import migrate
from qi_capture.storage.engine import open_engine
from qi_capture.storage.profile import Profile

PASSPHRASE = "copper kettle harbour 42"


def _downgrade_to_first_schema(folder: Path) -> None:
    kf = keyfile.read(folder / "keyfile.json")
    with kf.derive(PASSPHRASE) as kek:
        current, _ = kf.unwrap(kek)
    engine = open_engine(folder / "profile.db", current, kf.database_salt)
    try:
        with engine.begin() as conn:
            config = migrate.alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "0001")
            assert migrate.current_revision(conn) == "0001"
            tables = {r[0] for r in conn.execute(
                text("SELECT name FROM sqlite_master WHERE type='table'"))}
            assert "sync_revision" not in tables  # really the first schema
    finally:
        engine.dispose()


def test_first_schema_database_is_migrated_on_open(profile: Path) -> None:
    with Profile.unlock(profile, PASSPHRASE) as store:
        form = store.catalog.list_form_versions()[0].id
        record = store.records.create_record(form, interviewer="jo", instance_name="Trust A")
    _downgrade_to_first_schema(profile)
    before = {b.path for b in backup_files.list_backups(profile)}

    with Profile.unlock(profile, PASSPHRASE) as store:
        with store.engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
        kept = store.records.get_record(record.id)
        assert kept.summary.instance_name == "Trust A"
    assert {b.path for b in backup_files.list_backups(profile)} - before  # backed up first
