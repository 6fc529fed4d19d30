"""The central store itself: migrations match the models on both backends, its own
version table, the SQLCipher file stays encrypted, URLs are normalised to psycopg 3."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from qi_capture.central import migrate
from qi_capture.central.errors import CentralNotFound
from qi_capture.central.models import CentralBase
from qi_capture.central.store import CentralStore, postgres_url
from tests.core.central.conftest import PASSPHRASE
from tests.core.central.helpers import FakeDevice


def test_migrations_match_models(central: CentralStore) -> None:
    with central.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, _p: type_ != "table"
                or ((name or "").startswith("central_") and name != migrate.VERSION_TABLE),
            },
        )
        diffs = compare_metadata(context, CentralBase.metadata)
        assert diffs == []
        assert migrate.current_revision(conn) == migrate.head_revision()
        tables = set(inspect(conn).get_table_names())
    assert "central_alembic_version" in tables
    if central.backend == "sqlcipher":
        # Beside the admin profile's own tables and version table, untouched.
        assert {"alembic_version", "device", "revision"} <= tables


def test_sqlcipher_store_is_encrypted_on_disk(admin_template: Path, tmp_path: Path) -> None:
    shutil.copytree(admin_template, tmp_path / "admin")
    central = CentralStore.open(tmp_path / "admin", PASSPHRASE)
    a = FakeDevice("Laptop A")
    central.enrol(a.id, name="Laptop A", fingerprint=a.fingerprint)
    import uuid

    central.merge(a.bundle([a.revision(uuid.uuid4(), {"q1": "CANARY-4711-central"})]))
    assert central.profile is not None
    folder = central.profile.folder
    central.close()
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"CANARY-4711" not in data
            assert "CANARY-4711".encode("utf-16-le") not in data


def test_missing_profile_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CentralNotFound):
        CentralStore.open(tmp_path / "nowhere", "x")


def test_postgres_urls_use_psycopg3() -> None:
    assert postgres_url("postgresql://u@h:5/db").startswith("postgresql+psycopg://")
    assert postgres_url("postgresql+psycopg://u@h/db").startswith("postgresql+psycopg://")
