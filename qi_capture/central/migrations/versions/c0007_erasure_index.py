"""Erasure revisions are found from an index on (deleted, study_id, record_id): every
merge's acknowledgements carry the study's erased record ids, and without the index that
read went through every revision's row (its whole JSON decrypted on SQLCipher), a second
merge's largest cost at 20,000 revisions.

Revision ID: c0007
Revises: c0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision: str = "c0007"
down_revision: str | None = "c0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index(
        "ix_central_revision_deletions", "central_revision",
        ["deleted", "study_id", "record_id"], unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_central_revision_deletions", table_name="central_revision")
