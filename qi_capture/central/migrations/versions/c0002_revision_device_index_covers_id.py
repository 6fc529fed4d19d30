"""The (device, sequence) index of revisions also holds the revision id, so the ids a
device sent (its acknowledgement) and the revisions behind a clone alert are read from
the index alone, without touching the revision rows and their JSON.

Revision ID: c0002
Revises: c0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision: str = "c0002"
down_revision: str | None = "c0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.drop_index("ix_central_revision_device_seq", table_name="central_revision")
    op.create_index(
        "ix_central_revision_device_seq", "central_revision", ["device_id", "device_seq", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_central_revision_device_seq", table_name="central_revision")
    op.create_index(
        "ix_central_revision_device_seq", "central_revision", ["device_id", "device_seq"],
        unique=False,
    )
