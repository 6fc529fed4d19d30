"""Alembic: the revisions build exactly the models' schema, and opening a profile whose
database is behind runs the upgrade after taking a backup."""

from __future__ import annotations

import shutil
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from qi_capture.crypto.secret import SecretBytes
from qi_capture.storage import backup as backup_files
from qi_capture.storage import migrate
from qi_capture.storage.engine import open_engine
from qi_capture.storage.models import Base
from qi_capture.storage.profile import Profile

PASSPHRASE = "copper kettle harbour 42"

EXTRA_REVISION = '''"""Test-only revision on top of head."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9001_test"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("test_extra", sa.Column("id", sa.Integer(), primary_key=True))
    op.execute("INSERT INTO setting (key, value_json) VALUES ('migrated', 'true')")


def downgrade() -> None:
    op.drop_table("test_extra")
'''


def test_revisions_match_the_models(tmp_path: Path) -> None:
    engine = open_engine(tmp_path / "m.db", SecretBytes.random(), bytes(16))
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_upgrade_one_step_at_a_time_from_an_empty_database() -> None:
    engine = create_engine("sqlite://")
    script = migrate.ScriptDirectory.from_config(migrate.alembic_config())
    revisions = [r.revision for r in script.walk_revisions()][::-1]
    assert revisions[0] == "0001"
    for rev in revisions:
        migrate.upgrade(engine, rev)
    assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)


def test_open_runs_pending_migration_after_backup(profile: Path, tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "v9001_test.py").write_text(EXTRA_REVISION.format(head=migrate.head_revision()))
    before = {b.path for b in backup_files.list_backups(profile)}
    with Profile.unlock(profile, PASSPHRASE, extra_version_locations=[versions]) as store:
        assert store.settings.get("migrated") is True
        with store.engine.connect() as conn:
            assert migrate.current_revision(conn) == "9001_test"
        new_backups = [b for b in backup_files.list_backups(profile) if b.path not in before]
    assert new_backups  # the pre-migration backup is at the old revision
    copy = tmp_path / "pre.db"
    shutil.copyfile(new_backups[-1].path, copy)
    assert "test_extra" not in _tables_of_backup(profile, copy)


def _tables_of_backup(profile: Path, path: Path) -> set[str]:
    from qi_capture.crypto import keyfile

    kf = keyfile.read(profile / "keyfile.json")
    with kf.derive(PASSPHRASE) as kek:
        current, _ = kf.unwrap(kek)
    engine = open_engine(path, current, kf.database_salt)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
            return {r[0] for r in rows}
    finally:
        engine.dispose()


def test_head_read_from_the_scripts_matches_alembic(tmp_path: Path) -> None:
    # needs_upgrade reads the head from the scripts' text so opening needs no Alembic.
    assert migrate.head_revision() == migrate._alembic_head(())
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "v9001_test.py").write_text(EXTRA_REVISION.format(head=migrate.head_revision()))
    assert migrate._scanned_head([versions]) == "9001_test" == migrate._alembic_head([versions])
