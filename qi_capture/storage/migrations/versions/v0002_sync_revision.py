"""Folder sync: which revisions left in which bundle, and when they were acknowledged.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

UTC_TEXT = sa.String(length=32)


def upgrade() -> None:
    op.create_table(
        "sync_revision",
        sa.Column("revision_id", sa.String(length=64), nullable=False),
        sa.Column("bundle_id", sa.String(length=36), nullable=False),
        sa.Column("sent", UTC_TEXT, nullable=False),
        sa.Column("acknowledged", UTC_TEXT, nullable=True),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["revision.id"],
            name=op.f("fk_sync_revision_revision_id_revision"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("revision_id", name=op.f("pk_sync_revision")),
    )


def downgrade() -> None:
    op.drop_table("sync_revision")
