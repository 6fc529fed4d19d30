"""The records table's listing (a form's records, oldest submission first, then by id,
deleted ones left out) is read from one index: (form_id, submitted, id, deleted). The
page's ids and the count of matching records then come from the index alone, without
touching the record rows, so the admin console's table opens and scrolls at the same
speed with 100 or 100,000 records (SQLCipher and PostgreSQL alike).

Revision ID: c0003
Revises: c0002
Create Date: 2026-12-10
"""

from __future__ import annotations

from alembic import op

revision: str = "c0003"
down_revision: str | None = "c0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index(
        "ix_central_record_listing", "central_record",
        ["form_id", "submitted", "id", "deleted"], unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_central_record_listing", table_name="central_record")
