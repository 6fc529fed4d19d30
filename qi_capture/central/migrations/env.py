"""Alembic environment of the central store: runs on the connection handed over by
`qi_capture.central.migrate` (a keyed SQLCipher connection or a PostgreSQL one), with its
own version table so the admin profile's own migrations are not disturbed."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from qi_capture.central.models import CentralBase

VERSION_TABLE = "central_alembic_version"

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("migrations run only through qi_capture.central.migrate")

context.configure(
    connection=connection,
    target_metadata=CentralBase.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    # The admin profile's own tables share the SQLCipher file: never compare them.
    include_name=lambda name, type_, _parent: (
        type_ != "table" or (name or "").startswith("central_")
    ),
)
with context.begin_transaction():
    context.run_migrations()
