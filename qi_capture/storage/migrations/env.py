"""Alembic environment: runs on the already-open, already-keyed connection handed over by
`qi_capture.storage.migrate` in ``config.attributes["connection"]`` (never a URL, which
would need the key in it)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from qi_capture.storage.models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("migrations run only through qi_capture.storage.migrate")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
