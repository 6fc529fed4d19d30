"""Folder sync: how far each record's paradata has been sent (events travel in bundles).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

UTC_TEXT = sa.String(length=32)


def upgrade() -> None:
    op.create_table(
        "sync_paradata",
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("sent_seq", sa.Integer(), nullable=False),
        sa.Column("bundle_id", sa.String(length=36), nullable=False),
        sa.Column("sent", UTC_TEXT, nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name=op.f("fk_sync_paradata_record_id_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_sync_paradata")),
    )


def downgrade() -> None:
    op.drop_table("sync_paradata")
