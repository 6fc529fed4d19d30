"""Export-ready copies of ranges of a form's records (`CentralExportChunkRow`): an export
reads the typed tables it writes from them instead of decoding every record's document
again; a copy whose records changed since is built again. On SQLite, triggers count the
changes to each form's records (`CentralExportFormRow`), so that an export can tell at
once that nothing changed since the copies were last found current.

Revision ID: c0008
Revises: c0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "c0008"
down_revision: str | None = "c0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "central_export_chunk",
        sa.Column("form_id", sa.String(length=200), nullable=False),
        sa.Column("lo", sa.String(length=64), nullable=False),
        sa.Column("hi", sa.String(length=64), nullable=True),
        sa.Column("layout_key", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("form_id", "lo", name=op.f("pk_central_export_chunk")),
    )
    op.create_table(
        "central_export_form",
        sa.Column("form_id", sa.String(length=200), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("form_id", name=op.f("pk_central_export_form")),
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def _bump(row: str) -> str:
    # No conflict clause (INSERT OR IGNORE): inside a trigger the outer statement's (a
    # merge's upsert) would override it.
    return (f"INSERT INTO central_export_form (form_id, generation, checked) "
            f"SELECT {row}.form_id, 0, -1 WHERE NOT EXISTS (SELECT 1 FROM "
            f"central_export_form WHERE form_id = {row}.form_id); "
            f"UPDATE central_export_form SET generation = generation + 1 "
            f"WHERE form_id = {row}.form_id;")


#: Every change to a record row counts for its form (both forms, were one to move).
SQLITE_TRIGGERS = (
    "CREATE TRIGGER central_record_counted_insert AFTER INSERT ON central_record "
    f"BEGIN {_bump('NEW')} END",
    "CREATE TRIGGER central_record_counted_update AFTER UPDATE ON central_record "
    f"BEGIN {_bump('OLD')} {_bump('NEW')} END",
    "CREATE TRIGGER central_record_counted_delete AFTER DELETE ON central_record "
    f"BEGIN {_bump('OLD')} END",
)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS central_record_counted_{name}")
    op.drop_table("central_export_form")
    op.drop_table("central_export_chunk")
