"""Coded passages can be a stretch of the interview's recording (issue 18): the passage
table gains ``start_ms`` and ``end_ms`` (milliseconds into the recording; null for a
passage of text, which every passage made before this migration is).

Revision ID: c0006
Revises: c0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "c0006"
down_revision: str | None = "c0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("central_passage", sa.Column("start_ms", sa.Integer(), nullable=True))
    op.add_column("central_passage", sa.Column("end_ms", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("central_passage") as batch:
        batch.drop_column("end_ms")
        batch.drop_column("start_ms")
